#include "settings.hpp"

#include <gtest/gtest.h>

#include "settings/resolve.hpp"

namespace sg::spark_submit {
namespace {

std::vector<std::string> errors(settings::Environment env) {
  env.emplace("PLUGIN_DRY_RUN", "true");
  return settings::resolve(schema(), env).errors;
}

TEST(SparkSubmitSettings, InvalidValuesAreSettingsErrorsNamingTheSetting) {
  EXPECT_TRUE(errors({{"PLUGIN_DRIVER_MEMORY", "2g"}, {"PLUGIN_EXECUTOR_CORES", "4"}}).empty());
  auto e = errors({{"PLUGIN_DRIVER_MEMORY", "99999999999999999999g"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("setting driver_memory"), std::string::npos) << e[0];
  e = errors({{"PLUGIN_EXECUTOR_MEMORY", "9999999999g"}, {"PLUGIN_DRIVER_CORES", "1.5"}});
  ASSERT_EQ(e.size(), 2u);
  EXPECT_NE(e[0].find("executor_memory"), std::string::npos) << e[0];
  EXPECT_NE(e[1].find("driver_cores"), std::string::npos) << e[1];
  e = errors({{"PLUGIN_MODE", "status"}, {"PLUGIN_APP_ID", ":::"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("setting app_id"), std::string::npos) << e[0];
  EXPECT_TRUE(errors({{"PLUGIN_MODE", "status"}, {"PLUGIN_APP_ID", "spark-0123456789abcdef0123456789abcdef"}}).empty());
  EXPECT_TRUE(errors({{"PLUGIN_MODE", "kill"}, {"PLUGIN_APP_ID", "jobs:spark-pi-0a1b2c3d4e5f6a7b-driver"}}).empty());
  e = errors({{"PLUGIN_SPARK_NAMESPACE", "Jobs"}, {"PLUGIN_IMAGE", "apache/spark:4.0.5 "}, {"PLUGIN_MASTER", "k8s"}});
  ASSERT_EQ(e.size(), 3u) << ::testing::PrintToString(e);
  EXPECT_EQ(errors({{"PLUGIN_EXECUTOR_INSTANCES", "3000000000"}}).size(), 1u);
  e = errors({{"PLUGIN_KUBECONFIG", "not: [a kubeconfig"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("setting kubeconfig"), std::string::npos) << e[0];
}

TEST(SparkSubmitSettings, NodeSelectorKeysAndValuesAreLabels) {
  EXPECT_TRUE(errors({{"PLUGIN_NODE_SELECTOR", R"({"disktype":"ssd","example.com/tier":"2"})"}}).empty());
  auto e = errors({{"PLUGIN_NODE_SELECTOR", R"({"bad key!":"ssd"})"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("node_selector"), std::string::npos) << e[0];
  e = errors({{"PLUGIN_NODE_SELECTOR", R"({"disktype":"not a label value"})"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("node_selector"), std::string::npos) << e[0];
}

}  // namespace
}  // namespace sg::spark_submit
