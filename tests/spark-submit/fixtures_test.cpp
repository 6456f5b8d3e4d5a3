// The `run` step of Banzai's spark-pi pipeline (the original plugin's three
// sections, as Drone 0.8 delivers them) must parse with the native plugin:
// warnings only for the properties of the 2018 Spark-on-Kubernetes fork.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../k8s-proxy/silent_port.hpp"
#include "runner_emulator.hpp"
#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::testing {
namespace {

struct Run {
  int exit_code;
  std::string out, err;
};

// The step's environment as k8s-proxy forwards it to the step's image: its
// own settings (original_image, proxy_service_account) are consumed there.
std::map<std::string, std::string> run_step_env() {
  auto doc = YAML::LoadFile(source_dir() + "/tests/fixtures/banzai-pipelines/spark-pi.aws.pipeline.yml");
  for (const auto& [name, node] : pipeline_steps(doc)) {
    if (name != "run") continue;
    auto se = step_environment(Host::Drone08, name, node, {}, {});
    EXPECT_TRUE(se.errors.empty());
    se.env.erase("PLUGIN_ORIGINAL_IMAGE");
    se.env.erase("PLUGIN_PROXY_SERVICE_ACCOUNT");
    se.env["PLUGIN_DRY_RUN"] = "true";
    se.env["PLUGIN_OUTPUT"] = "json";
    se.env["PATH"] = "/usr/bin:/bin";
    return se.env;
  }
  ADD_FAILURE() << "no run step";
  return {};
}

Run run(const std::map<std::string, std::string>& env) {
  auto r = util::run_process({bin_dir() + "/spark-submit"}, env);
  return {r.exit_code, r.out, r.err};
}

std::vector<std::string> warnings(const std::string& err) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < err.size()) {
    auto nl = err.find('\n', pos);
    auto line = err.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.find("warn") != std::string::npos) out.push_back(line);
    pos = nl == std::string::npos ? err.size() : nl + 1;
  }
  return out;
}

}  // namespace

TEST(SparkSubmitFixtures, SparkPiRunStepParsesWithForkWarningsOnly) {
  auto env = run_step_env();
  // The 2018 step's jar sits in the shared workspace; Spark 4 (and this
  // plugin) cannot ship a local file without an upload path, so the
  // migration bakes it into the image: the only change to the step.
  ASSERT_EQ(env.at("PLUGIN_SPARK_SUBMIT_APP_ARGS"), "target/spark-pi-1.0-SNAPSHOT.jar,1000");
  auto r = run(env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("local file target/spark-pi-1.0-SNAPSHOT.jar"), std::string::npos) << r.err;

  env["PLUGIN_MAIN_RESOURCE"] = "local:///opt/spark/jars/spark-pi-1.0-SNAPSHOT.jar";
  env["PLUGIN_SPARK_SUBMIT_APP_ARGS"] = "1000";
  r = run(env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = warnings(r.err);
  // kubernetes-namespace, the driver/executor docker images (renamed), the
  // init-container image, the staging server (2) and the shuffle service (2).
  EXPECT_EQ(w.size(), 8u) << r.err;
  for (const auto& line : w)
    EXPECT_NE(line.find("2018 Spark-on-Kubernetes fork"), std::string::npos) << line;

  auto objects = nlohmann::json::parse(r.out)["data"]["objects"];
  const auto& pod = objects["pod"];
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "banzaicloud/spark-driver:v2.2.1-k8s-1.0.11");
  EXPECT_EQ(pod["spec"]["serviceAccountName"], "spark");
  EXPECT_EQ(pod["metadata"]["labels"]["spark-app-name"], "sparkpi");
  EXPECT_EQ(pod["spec"]["containers"][0]["args"][4], "banzaicloud.SparkPi");
  EXPECT_EQ(pod["spec"]["containers"][0]["args"][6], "1000");
  auto props = objects["configMap"]["data"]["spark.properties"].get<std::string>();
  EXPECT_NE(props.find("spark.local.dir=/tmp/spark-locals"), std::string::npos);
  EXPECT_NE(props.find("spark.eventLog.enabled=true"), std::string::npos);
  EXPECT_EQ(props.find("resourceStagingServer"), std::string::npos);
}

std::map<std::string, std::string> pi_env(std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> env{
      {"PATH", "/usr/bin:/bin"},
      {"PLUGIN_IMAGE", "apache/spark:4.0.5"},
      {"PLUGIN_CLASS", "org.apache.spark.examples.SparkPi"},
      {"PLUGIN_MAIN_RESOURCE", "local:///opt/spark/examples/jars/spark-examples.jar"}};
  for (auto& [k, v] : extra)
    env[k] = v;
  return env;
}

// The dry run shows the conf Secret with every key and no value; the value
// is nowhere in what it prints, the pod spec and spark.properties included.
TEST(SparkSubmitSecrets, DryRunPrintsTheConfSecretMasked) {
  const std::string value = "QXp1cmVBY2NvdW50S2V5VmFsdWU=";
  const std::string key = "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net";
  auto env = pi_env({{"PLUGIN_DRY_RUN", "true"}, {"PLUGIN_SPARK_SUBMIT_CONFIGS", nlohmann::json{{key, value}}.dump()}});
  auto text = run(env);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ((text.out + text.err).find(value), std::string::npos);
  EXPECT_NE(text.out.find("# confSecret"), std::string::npos) << text.out;
  env["PLUGIN_OUTPUT"] = "json";
  auto r = run(env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ((r.out + r.err).find(value), std::string::npos);
  auto objects = nlohmann::json::parse(r.out)["data"]["objects"];
  EXPECT_EQ(objects["confSecret"]["kind"], "Secret");
  EXPECT_EQ(objects["confSecret"]["stringData"][key], "<redacted>");
  EXPECT_EQ(objects["configMap"]["data"]["spark.properties"].get<std::string>().find(key), std::string::npos);
  EXPECT_NE(objects["pod"]["spec"]["containers"][0]["args"].dump().find(key + "=$(SPOTGUIDE_SECRET_CONF_0)"),
            std::string::npos);

  // The operator would write it into its own ConfigMap: refused before
  // anything is created.
  env["PLUGIN_BACKEND"] = "operator";
  r = run(env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
  EXPECT_EQ((r.out + r.err).find(value), std::string::npos);
}

// `timeout` bounds the whole run, every retry of every request included.
TEST(SparkSubmitTimeout, ASilentApiServerFailsTheSubmissionWithinTheTimeout) {
  expect_silent_server_ends_at_timeout(bin_dir() + "/spark-submit", pi_env({{"PLUGIN_SPARK_NAMESPACE", "default"}}));
}

}  // namespace sg::testing
