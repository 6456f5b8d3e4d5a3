// The end-to-end test: scripts/demo, as a user runs it, in CI. It runs
// .pipeline.yml with woodpecker-cli against the real peers (the ctest
// fixtures start them or reuse them) and checks what every step did.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::testing {
namespace {

struct Step {
  std::string status;
  std::string summary;
};

TEST(Demo, ThePipelineRunsEndToEnd) {
  auto report = std::filesystem::temp_directory_path() / ("sg-demo-" + std::to_string(::getpid()) + ".json");
  auto env = util::current_environment();
  env["SPOTGUIDE_DEMO_NO_BUILD"] = "1";
  env["SPOTGUIDE_DEMO_REPORT"] = report.string();
  auto r = util::run_process({source_dir() + "/scripts/demo"}, env, std::chrono::minutes(12), source_dir());
  ASSERT_TRUE(std::filesystem::exists(report)) << r.out << r.err;
  std::stringstream ss;
  ss << std::ifstream(report).rdbuf();
  std::filesystem::remove(report);
  auto j = nlohmann::json::parse(ss.str());
  const std::string log = j["log"];
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(j["exit_code"], 0);

  std::map<std::string, Step> steps;
  std::vector<std::string> order;
  for (const auto& s : j["steps"]) {
    steps[s["name"]] = {s["status"], s["summary"]};
    order.push_back(s["name"]);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"create_cluster", "install_monitoring", "remote_checkout", "remote_build",
                                             "kafka_heal", "spark_pi", "tidb_status"}));
  for (const auto& [name, s] : steps)
    EXPECT_EQ(s.status, "ok") << name << ": " << s.summary << "\n" << log;

  // pipeline-client: the cluster exists and its kubeconfig reached the workspace.
  EXPECT_TRUE(steps["create_cluster"].summary.find("cluster spotguide-demo in organization acme") != std::string::npos)
      << steps["create_cluster"].summary;
  EXPECT_NE(log.find("/workspace/.kube/config (mode 0600)"), std::string::npos);
  EXPECT_NE(steps["install_monitoring"].summary.find("release monitor"), std::string::npos);
  EXPECT_NE(steps["install_monitoring"].summary.find("DEPLOYED"), std::string::npos);
  // k8s-proxy: the commands really ran on the real node, with the build's metadata.
  EXPECT_NE(log.find("checking out acme/spark-pi at "), std::string::npos) << log;
  EXPECT_NE(log.find("BUILD SUCCESS"), std::string::npos);
  EXPECT_NE(steps["remote_build"].summary.find("step succeeded"), std::string::npos);
  // kafka-rebalance: it reached the real cluster and judged it.
  EXPECT_NE(steps["kafka_heal"].summary.find("nothing to heal"), std::string::npos) << steps["kafka_heal"].summary;
  // spark-submit: the driver ran on the cluster and its log came back.
  EXPECT_NE(log.find("Pi is roughly 3.14159"), std::string::npos);
  EXPECT_NE(steps["spark_pi"].summary.find("succeeded"), std::string::npos) << steps["spark_pi"].summary;
  // tidb-scale: it observed the real PD (members, leader, stores) and found nothing unsafe to do.
  EXPECT_NE(log.find("PD: 3 members, leader pd"), std::string::npos) << log;
  EXPECT_NE(steps["tidb_status"].summary.find("plan: 0 steps"), std::string::npos) << steps["tidb_status"].summary;
  // No secret in the log: the Pipeline token of the run.
  EXPECT_EQ(log.find("demo-token"), std::string::npos);
}

}  // namespace
}  // namespace sg::testing
