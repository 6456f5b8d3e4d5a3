// The k8s-proxy steps of real Banzai pipelines, fed through the CI runner
// emulator exactly as Drone 0.8 would, must parse and give the expected Job.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runner_emulator.hpp"
#include "silent_port.hpp"
#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::testing {
namespace {

nlohmann::json dry_run(const std::string& file, const std::string& step, std::string* err = nullptr) {
  auto doc = YAML::LoadFile(source_dir() + "/tests/fixtures/banzai-pipelines/" + file);
  for (const auto& [name, node] : pipeline_steps(doc)) {
    if (name != step) continue;
    auto se =
        step_environment(Host::Drone08, name, node, {{"plugin_endpoint", "https://p/api"}, {"plugin_token", "t"}}, {});
    EXPECT_TRUE(se.errors.empty());
    se.env["PLUGIN_DRY_RUN"] = "true";
    se.env["PLUGIN_OUTPUT"] = "json";
    se.env["PATH"] = "/usr/bin:/bin";
    auto r = util::run_process({bin_dir() + "/k8s-proxy"}, se.env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (err) *err = r.err;
    return nlohmann::json::parse(r.out)["data"]["manifests"];
  }
  ADD_FAILURE() << "no step " << step << " in " << file;
  return {};
}

}  // namespace

TEST(K8sProxyFixtures, SparkPiSteps) {
  std::string err;
  auto checkout = dry_run("spark-pi.aws.pipeline.yml", "remote_checkout", &err);
  EXPECT_EQ(err.find("warn"), std::string::npos) << err;
  const auto& c0 = checkout["job"]["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c0["image"], "plugins/git");
  EXPECT_FALSE(c0.contains("command"));  // the image's own entrypoint

  auto build = dry_run("spark-pi.aws.pipeline.yml", "remote_build");
  const auto& c1 = build["job"]["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c1["image"], "maven:3.5-jdk-8");
  EXPECT_NE(c1["args"][0].get<std::string>().find("mvn clean package"), std::string::npos);
  EXPECT_EQ(build["persistentVolumeClaim"]["spec"]["resources"]["requests"]["storage"], "3Gi");

  auto run = dry_run("spark-pi.aws.pipeline.yml", "run");
  const auto& pod = run["job"]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["image"], "banzaicloud/plugin-spark-submit-k8s:0.3.0");
  EXPECT_EQ(pod["serviceAccountName"], "spark");
  const auto& data = run["secret"]["stringData"];
  for (auto key : {"PLUGIN_SPARK_SUBMIT_OPTIONS", "PLUGIN_SPARK_SUBMIT_CONFIGS", "PLUGIN_SPARK_SUBMIT_APP_ARGS"}) {
    EXPECT_EQ(data[key], "<redacted>") << key;
  }
  EXPECT_FALSE(data.contains("PLUGIN_PROXY_SERVICE_ACCOUNT"));
  EXPECT_FALSE(data.contains("PLUGIN_ORIGINAL_IMAGE"));
  // Nothing of the step's settings in the Job itself.
  EXPECT_EQ(run["job"].dump().find("spark-pi-1.0-SNAPSHOT"), std::string::npos);
}

TEST(K8sProxyFixtures, ZeppelinRunStep) {
  auto run = dry_run("zeppelin-pdi.gke.pipeline.yml", "run");
  EXPECT_EQ(run["job"]["spec"]["template"]["spec"]["containers"][0]["image"], "banzaicloud/zeppelin-client:0.3.0");
  const auto& data = run["secret"]["stringData"];
  for (auto key :
       {"PLUGIN_NOTEBOOK_NAME", "PLUGIN_NOTEBOOK_FILE_PATH", "PLUGIN_NOTEBOOK_STATE", "PLUGIN_ZEPPELIN_ENDPOINT"}) {
    EXPECT_TRUE(data.contains(key)) << key;
  }
}

// `timeout` bounds the whole run, every retry of every request included: an
// API server that accepts connections and never answers must not hold the
// step for the requests' own timeouts times their retries.
TEST(K8sProxyTimeout, ASilentApiServerFailsTheStepWithinTheTimeout) {
  expect_silent_server_ends_at_timeout(bin_dir() + "/k8s-proxy", {{"PATH", "/usr/bin:/bin"},
                                                                  {"PLUGIN_ORIGINAL_IMAGE", "busybox"},
                                                                  {"PLUGIN_ORIGINAL_COMMANDS", "echo hi"},
                                                                  {"PLUGIN_WORKSPACE", "false"},
                                                                  {"PLUGIN_JOB_NAMESPACE", "default"}});
}

}  // namespace sg::testing
