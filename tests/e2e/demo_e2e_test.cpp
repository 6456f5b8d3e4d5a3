// The end-to-end test: scripts/demo, as a user runs it, in CI. It runs
// .pipeline.yml with woodpecker-cli against the real peers (the ctest
// fixtures start them or reuse them) and checks what every step did.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../tidb/pd_helpers.hpp"
#include "kafka_env.hpp"
#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::testing {
namespace {

struct Step {
  std::string status;
  std::string summary;
  nlohmann::json details;
};

std::string max_store_down_time() {
  return pd_get("config/schedule")["max-store-down-time"].get<std::string>();
}

TEST(Demo, ThePipelineRunsEndToEnd) {
  const auto up_before = stores_in("Up").size();
  const auto down_time_before = max_store_down_time();
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
    steps[s["name"]] = {s["status"], s["summary"], s.value("details", nlohmann::json::object())};
    order.push_back(s["name"]);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"create_cluster", "install_monitoring", "remote_checkout", "remote_build",
                                             "kafka_heal", "spark_pi", "tidb_heal"}));
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
  // kafka-rebalance: the demo stopped broker 4; the heal moved its replicas
  // and Kafka's own tool saw the under-replication end.
  const auto& kd = steps["kafka_heal"].details;
  ASSERT_TRUE(kd.is_object() && kd.contains("replicas_moved")) << steps["kafka_heal"].summary;
  EXPECT_EQ(kd["dead_brokers"], "4") << kd.dump();
  EXPECT_GT(kd["replicas_moved"].get<int>(), 0) << kd.dump();
  EXPECT_GT(kd["moves_completed"].get<int>(), 0) << kd.dump();
  EXPECT_GT(kd["under_replicated_after_stop"].get<int>(), 0) << kd.dump();
  ASSERT_TRUE(kd["cleared"].get<bool>()) << kd.dump();
  EXPECT_GT(kd["seconds_step_to_clear"].get<double>(), 0) << kd.dump();
  EXPECT_LT(kd["seconds_step_to_clear"].get<double>(), 120) << kd.dump();
  EXPECT_GE(kd["seconds_stop_to_clear"].get<double>(), kd["seconds_step_to_clear"].get<double>()) << kd.dump();
  EXPECT_NE(steps["kafka_heal"].summary.find("replicas moved"), std::string::npos) << steps["kafka_heal"].summary;
  EXPECT_NE(log.find("info: moved spotguide-demo-"), std::string::npos) << log;
  // spark-submit: the driver ran on the cluster and its log came back.
  EXPECT_NE(log.find("Pi is roughly 3.14159"), std::string::npos);
  EXPECT_NE(steps["spark_pi"].summary.find("succeeded"), std::string::npos) << steps["spark_pi"].summary;
  // tidb-scale: it observed the real PD, found the silenced store Down,
  // deleted it and waited for its Tombstone.
  EXPECT_NE(log.find("PD: 3 members, leader pd"), std::string::npos) << log;
  const auto& td = steps["tidb_heal"].details;
  ASSERT_TRUE(td.is_object() && td.contains("down_store")) << steps["tidb_heal"].summary;
  const std::string store = td["down_store"];
  ASSERT_FALSE(store.empty());
  EXPECT_EQ(td["refused"], "") << td.dump();
  const auto executed = td["executed"].dump();
  EXPECT_NE(executed.find("delete-store " + store), std::string::npos) << executed;
  EXPECT_NE(executed.find("wait-tombstone " + store), std::string::npos) << executed;
  EXPECT_NE(executed.find("remove-tombstone " + store), std::string::npos) << executed;
  EXPECT_NE(log.find("store " + store + " 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(steps["tidb_heal"].summary.find("store " + store + " Down: delete-store " + store), std::string::npos)
      << steps["tidb_heal"].summary;
  // PD's own view: the deleted store is gone, not merely reported so.
  EXPECT_EQ(store_states().count(std::stoull(store)), 0u);

  // Both failures were undone: the broker runs and is in the metadata, the
  // demo topic is gone, PD has as many Up stores and its setting back.
  const std::string restored = j["restored"].dump();
  EXPECT_NE(restored.find("broker 4 running again"), std::string::npos) << restored;
  EXPECT_NE(restored.find("topic spotguide-demo deleted"), std::string::npos) << restored;
  EXPECT_EQ(KafkaEnv::testenv("status"), 0);
  EXPECT_NO_THROW(KafkaEnv::get().wait_broker(4, true, 30));
  auto topics = KafkaEnv::tool({"topics", "--bootstrap-server", KafkaEnv::get().bootstrap(), "--list"});
  EXPECT_EQ(topics.exit_code, 0) << topics.err;
  EXPECT_EQ(topics.out.find("spotguide-demo"), std::string::npos) << topics.out;
  EXPECT_EQ(stores_in("Up").size(), up_before);
  EXPECT_EQ(max_store_down_time(), down_time_before);
  // No secret in the log: the Pipeline token of the run.
  EXPECT_EQ(log.find("demo-token"), std::string::npos);
}

}  // namespace
}  // namespace sg::testing
