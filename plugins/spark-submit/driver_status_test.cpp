#include "driver_status.hpp"

#include <gtest/gtest.h>

#include "operator_app.hpp"

namespace sg::spark_submit {
namespace {

using nlohmann::json;

TEST(DriverStatus, TheDriverContainersExitCodeWins) {
  json pod = json::parse(R"({"status": {"phase": "Failed", "containerStatuses": [
      {"name": "sidecar", "state": {"terminated": {"exitCode": 0}}},
      {"name": "spark-kubernetes-driver", "state": {"terminated": {"exitCode": 3, "reason": "Error"}}}]}})");
  auto s = driver_state(pod, "spark-kubernetes-driver");
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.exit_code, 3);
  EXPECT_EQ(s.reason, "Error");
  EXPECT_EQ(driver_exit_code(s), 3);
}

TEST(DriverStatus, PhaseWithoutExitCode) {
  EXPECT_EQ(driver_exit_code(driver_state(json::parse(R"({"status": {"phase": "Failed", "reason": "Evicted"}})"), "c")),
            1);
  EXPECT_EQ(driver_exit_code(driver_state(json::parse(R"({"status": {"phase": "Succeeded"}})"), "c")), 0);
  auto pending = driver_state(json::parse(R"({"status": {"phase": "Pending", "containerStatuses": [
      {"name": "c", "state": {"waiting": {"reason": "ErrImagePull"}}}]}})"),
                              "c");
  EXPECT_FALSE(pending.finished);
  EXPECT_EQ(pending.reason, "ErrImagePull");
  EXPECT_EQ(driver_state(json::object(), "c").phase, "Pending");
}

TEST(DriverStatus, SparkApplicationStates) {
  auto state = [](const char* s) {
    return spark_application_state({{"status", {{"applicationState", {{"state", s}}}}}});
  };
  EXPECT_FALSE(state("RUNNING").finished);
  EXPECT_TRUE(state("COMPLETED").finished);
  EXPECT_EQ(state("COMPLETED").exit_code, 0);
  EXPECT_TRUE(state("FAILED").finished);
  EXPECT_EQ(state("FAILED").exit_code, 1);
  EXPECT_FALSE(spark_application_state(json::object()).finished);
}

TEST(OperatorApp, SparkApplicationCarriesTheSubmission) {
  Submission s;
  s.main_class = "org.apache.spark.examples.SparkPi";
  s.main_resource = "local:///opt/spark/examples/jars/spark-examples.jar";
  s.app_args = {"100", "a b"};
  s.conf = {{"spark.kubernetes.container.image", "apache/spark:4.0.5"},
            {"spark.driver.cores", "2"},
            {"spark.driver.memory", "2g"},
            {"spark.executor.instances", "3"},
            {"spark.kubernetes.driver.label.team", "data"},
            {"spark.master", "k8s://https://x"},
            {"spark.eventLog.enabled", "true"}};
  auto app = spark_application({s, "pi-1", "jobs"});
  EXPECT_EQ(app["apiVersion"], "sparkoperator.k8s.io/v1beta2");
  EXPECT_EQ(app["metadata"]["namespace"], "jobs");
  const auto& spec = app["spec"];
  EXPECT_EQ(spec["type"], "Scala");
  EXPECT_EQ(spec["mainClass"], "org.apache.spark.examples.SparkPi");
  EXPECT_EQ(spec["arguments"], (json{"100", "a b"}));
  EXPECT_EQ(spec["image"], "apache/spark:4.0.5");
  EXPECT_EQ(spec["driver"]["cores"], 2);
  EXPECT_EQ(spec["driver"]["memory"], "2g");
  EXPECT_EQ(spec["driver"]["labels"]["team"], "data");
  EXPECT_EQ(spec["executor"]["instances"], 3);
  EXPECT_EQ(spec["sparkConf"], (json{{"spark.eventLog.enabled", "true"}}));
  EXPECT_EQ(spec["sparkVersion"], "4.0.5");
}

}  // namespace
}  // namespace sg::spark_submit
