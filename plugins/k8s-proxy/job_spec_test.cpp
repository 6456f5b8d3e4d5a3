#include "job_spec.hpp"

#include <regex>

#include <gtest/gtest.h>

#include "util/process.hpp"

namespace sg::k8s_proxy {
namespace {

JobRequest request() {
  JobRequest r;
  r.image = "maven:3";
  r.commands = {"mvn -q package", "echo 'done, really'"};
  r.repo = "Acme/My_Repo";
  r.build = "42";
  r.step = "remote_build";
  r.attempt = "a1b2c";
  r.namespace_ = "ci";
  r.plain_env = {{"DRONE_BUILD_NUMBER", "42"}};
  r.secret_env = {{"PLUGIN_TOKEN", "t0k3n"}, {"PLUGIN_DRY-RUN", "true"}};
  return r;
}

bool valid_label(const std::string& s) {
  return s.size() <= 63 && std::regex_match(s, std::regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
}

}  // namespace

TEST(JobSpec, NamesAreValidDnsLabelsForAnyRepo) {
  for (const std::string& repo :
       std::vector<std::string>{"Acme/My_Repo", "UPPER/CASE", "a/" + std::string(200, 'x'), "__/--", "ünï/cødé"}) {
    auto r = request();
    r.repo = repo;
    auto n = names_for(r);
    EXPECT_TRUE(valid_label(n.job)) << repo << " -> " << n.job;
    EXPECT_TRUE(valid_label(n.secret)) << n.secret;
    EXPECT_TRUE(valid_label(n.pvc)) << n.pvc;
    EXPECT_TRUE(n.job.ends_with("-a1b2c")) << n.job;
  }
  EXPECT_EQ(names_for(request()).job, "my-repo-42-remote-build-a1b2c");
}

TEST(JobSpec, LongNamesStayDistinct) {
  auto a = request(), b = request();
  a.repo = "acme/" + std::string(80, 'x') + "1";
  b.repo = "acme/" + std::string(80, 'x') + "2";
  EXPECT_NE(names_for(a).job, names_for(b).job);
  EXPECT_NE(names_for(a).pvc, names_for(b).pvc);
}

TEST(JobSpec, SameBuildNumberDifferentReposNeverShareLabels) {
  auto a = request(), b = request();
  b.repo = "other/My_Repo";
  EXPECT_NE(labels_for(a, names_for(a))["spotguide.io/repo"], labels_for(b, names_for(b))["spotguide.io/repo"]);
  EXPECT_NE(names_for(a).pvc, names_for(b).pvc);
  b = a;
  b.attempt = "zzzzz";
  EXPECT_NE(names_for(a).run_id, names_for(b).run_id);
}

TEST(JobSpec, CommandScriptEchoesAndStopsAtTheFirstFailure) {
  auto script = command_script({"echo one", "echo 'it''s, ok'", "false", "echo never"});
  auto r = util::run_process({"/bin/sh", "-c", script}, {{"PATH", "/usr/bin:/bin"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "+ echo one\none\n+ echo 'it''s, ok'\nits, ok\n+ false\n");
}

TEST(JobSpec, JobKeepsSecretsOutOfItsSpec) {
  auto r = request();
  auto n = names_for(r);
  auto job = job_manifest(r, n);
  auto text = job.dump();
  EXPECT_EQ(text.find("t0k3n"), std::string::npos);
  const auto& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 3600);
  const auto& c = pod["containers"][0];
  EXPECT_EQ(c["envFrom"][0]["secretRef"]["name"], n.secret);
  EXPECT_EQ(c["command"], nlohmann::json::array({"/bin/sh", "-c"}));
  EXPECT_EQ(c["workingDir"], "/drone/src");
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], n.pvc);
  EXPECT_EQ(job["metadata"]["labels"]["spotguide.io/repo"], "Acme.My_Repo");
  auto secret = secret_manifest(r, n);
  EXPECT_EQ(secret["stringData"]["PLUGIN_TOKEN"], "t0k3n");
  EXPECT_EQ(secret["stringData"]["PLUGIN_DRY_RUN"], "true");  // envFrom needs C identifiers
  EXPECT_EQ(redacted(secret).dump().find("t0k3n"), std::string::npos);
}

TEST(JobSpec, EntrypointWithoutCommandsAndOptionalFields) {
  auto r = request();
  r.commands.clear();
  r.entrypoint = {"/plugin"};
  r.workspace = false;
  r.service_account = "spark";
  r.ttl_seconds_after_finished = 60;
  r.tolerations = nlohmann::json::parse(R"([{"key":"ci","operator":"Exists"}])");
  auto job = job_manifest(r, names_for(r));
  const auto& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["command"], nlohmann::json::array({"/plugin"}));
  EXPECT_FALSE(pod["containers"][0].contains("args"));
  EXPECT_FALSE(pod.contains("volumes"));
  EXPECT_EQ(pod["serviceAccountName"], "spark");
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 60);
  EXPECT_EQ(pod["tolerations"][0]["key"], "ci");
}

}  // namespace sg::k8s_proxy
