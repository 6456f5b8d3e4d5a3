#include "submission.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace sg::spark_submit {
namespace {

using nlohmann::json;

SubmissionInput pi() {
  SubmissionInput in;
  in.options = {{"class", "org.apache.spark.examples.SparkPi"}, {"name", "spark-pi"}};
  in.app_args = {"local:///opt/spark/examples/jars/spark-examples.jar", "100"};
  return in;
}

TEST(Submission, FirstAppArgIsTheResourceAsInTheOriginalPlugin) {
  auto s = resolve_submission(pi());
  EXPECT_EQ(s.main_resource, "local:///opt/spark/examples/jars/spark-examples.jar");
  EXPECT_EQ(s.app_args, std::vector<std::string>{"100"});
  EXPECT_EQ(s.main_class, "org.apache.spark.examples.SparkPi");
  EXPECT_EQ(s.conf.at("spark.app.name"), "spark-pi");
  EXPECT_EQ(s.resource_type, ResourceType::Java);
}

TEST(Submission, OptionsBecomePropertiesAndWinOverConfigs) {
  auto in = pi();
  in.options["driver-memory"] = "2g";
  in.options["num-executors"] = 3;  // a YAML number arrives as a JSON number
  in.configs = {{"spark.driver.memory", "1g"}, {"spark.dynamicAllocation.enabled", true}};
  auto s = resolve_submission(in);
  EXPECT_EQ(s.conf.at("spark.driver.memory"), "2g");
  EXPECT_EQ(s.conf.at("spark.executor.instances"), "3");
  EXPECT_EQ(s.conf.at("spark.dynamicAllocation.enabled"), "true");
}

TEST(Submission, FirstClassSettingsWinOverTheMaps) {
  auto in = pi();
  in.first_class_options["name"] = "from-setting";
  in.first_class_confs["spark.kubernetes.container.image"] = "img:1";
  in.configs = {{"spark.kubernetes.container.image", "img:0"}};
  auto s = resolve_submission(in);
  EXPECT_EQ(s.conf.at("spark.app.name"), "from-setting");
  EXPECT_EQ(s.conf.at("spark.kubernetes.container.image"), "img:1");
}

TEST(Submission, ArgumentsWithSpacesAndQuotesPassThroughWithAWarning) {
  auto in = pi();
  in.app_args.push_back("--dataPath \"gs://bucket/x\"");
  in.app_args.push_back("hello world");
  auto s = resolve_submission(in);
  ASSERT_EQ(s.app_args.size(), 3u);
  EXPECT_EQ(s.app_args[1], "--dataPath \"gs://bucket/x\"");
  EXPECT_EQ(s.app_args[2], "hello world");
  ASSERT_EQ(s.warnings.size(), 1u);  // only the one with quotes
  EXPECT_NE(s.warnings[0].find("compat: banzai"), std::string::npos);
  EXPECT_NE(s.warnings[0].find("2 arguments"), std::string::npos);
}

TEST(Submission, CompatBanzaiSplitsLikeTheShell) {
  auto in = pi();
  in.compat_banzai = true;
  in.app_args.push_back("--dataPath \"gs://bucket/x y\" 'a b' c\\ d");
  auto s = resolve_submission(in);
  EXPECT_EQ(s.app_args, (std::vector<std::string>{"100", "--dataPath", "gs://bucket/x y", "a b", "c d"}));
  EXPECT_TRUE(s.warnings.empty());
}

TEST(Submission, ShellSplitKeepsEmptyQuotedWordsAndRejectsUnbalancedQuotes) {
  EXPECT_EQ(shell_split("a '' b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(shell_split("\"x\\\"y\""), std::vector<std::string>{"x\"y"});
  EXPECT_THROW(shell_split("'open"), SettingsError);
}

TEST(Submission, PythonResourceUsesPythonRunner) {
  SubmissionInput in;
  in.main_resource = "local:///opt/app/pi.py";
  auto s = resolve_submission(in);
  EXPECT_EQ(s.resource_type, ResourceType::Python);
  EXPECT_EQ(s.main_class, "org.apache.spark.deploy.PythonRunner");
}

TEST(Submission, RefusesWhatCannotWork) {
  auto in = pi();
  in.options["packages"] = "org.x:y:1";
  EXPECT_THROW(resolve_submission(in), SettingsError);
  in = pi();
  in.options["bogus"] = "1";
  EXPECT_THROW(resolve_submission(in), SettingsError);
  in = pi();
  in.options["deploy-mode"] = "client";
  EXPECT_THROW(resolve_submission(in), SettingsError);
  in = pi();
  in.options.erase("class");
  EXPECT_THROW(resolve_submission(in), SettingsError);
  SubmissionInput none;
  EXPECT_THROW(resolve_submission(none), SettingsError);
}

TEST(Submission, MasterIsNormalised) {
  EXPECT_EQ(normalise_master("k8s://10.0.0.1:6443"), "k8s://https://10.0.0.1:6443");
  EXPECT_EQ(normalise_master("k8s://http://x:80"), "k8s://http://x:80");
  EXPECT_THROW(normalise_master("yarn"), SettingsError);
}

TEST(Submission, ForkConfsAreTranslatedOrDroppedWithAWarning) {
  auto in = pi();
  in.configs = {{"spark.kubernetes.driver.docker.image", "d:1"},
                {"spark.kubernetes.resourceStagingServer.uri", "http://rss:10000"},
                {"spark.eventLog.enabled", "true"}};
  in.options["kubernetes-namespace"] = "ns1";
  auto s = resolve_submission(in);
  EXPECT_EQ(s.conf.at("spark.kubernetes.driver.container.image"), "d:1");
  EXPECT_EQ(s.conf.count("spark.kubernetes.resourceStagingServer.uri"), 0u);
  EXPECT_EQ(s.conf.at("spark.kubernetes.namespace"), "ns1");
  EXPECT_EQ(s.warnings.size(), 3u);
}

}  // namespace
}  // namespace sg::spark_submit
