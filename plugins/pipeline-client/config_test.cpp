#include "config.hpp"

#include <gtest/gtest.h>

#include "settings.hpp"
#include "settings/resolve.hpp"

namespace sg::pipeline_client {
namespace {

settings::Resolution resolve(settings::Environment env) {
  env.emplace("PLUGIN_ENDPOINT", "https://pipeline.example.com/pipeline/api/v1/");
  return settings::resolve(schema(), env);
}

Config config(settings::Environment env) {
  auto r = resolve(std::move(env));
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  return config_from(r.values, "/ws", "acme");
}

}  // namespace

TEST(Config, DefaultsMatchTheOriginal) {
  auto c = config({{"PLUGIN_CLUSTER_NAME", "c1"}});
  EXPECT_EQ(c.endpoint, "https://pipeline.example.com/pipeline/api/v1");
  EXPECT_EQ(c.api, ApiVersion::Auto);
  EXPECT_EQ(c.org, "acme");  // the repository owner
  EXPECT_TRUE(c.cluster_wanted);
  EXPECT_EQ(c.cluster.provider, Provider::Amazon);
  EXPECT_EQ(c.cluster.location, "eu-west-1");
  EXPECT_EQ(c.cluster.amazon.node_instance_type, "m4.xlarge");
  EXPECT_EQ(c.cluster.amazon.node_image, "ami-16bfeb6f");
  EXPECT_EQ(c.cluster.amazon.spot_price, "0.2");
  EXPECT_EQ(c.resource_timeout, std::chrono::hours(2));
  EXPECT_EQ(c.workspace, "/ws");
  EXPECT_FALSE(c.deployment);
  EXPECT_TRUE(validate(c).empty());
}

TEST(Config, ProviderDefaultsFollowTheProvider) {
  EXPECT_EQ(config({{"PLUGIN_CLUSTER_PROVIDER", "google"}}).cluster.location, "us-central1-a");
  EXPECT_EQ(config({{"PLUGIN_CLUSTER_PROVIDER", "azure"}}).cluster.location, "eastus");
  auto c = config({{"PLUGIN_CLUSTER_PROVIDER", "google"}, {"PLUGIN_CLUSTER_LOCATION", "europe-west1-b"}});
  EXPECT_EQ(c.cluster.location, "europe-west1-b");
}

TEST(Config, Drone08SecretNamesAndOriginalSpellings) {
  settings::Environment env = {{"ENDPOINT", "http://p/api/v1"},
                               {"TOKEN", "t0k3n"},
                               {"PLUGIN_CLUSTER_NAME", "c1"},
                               {"PLUGIN_GOOGLE_INSTANCE_TYPE", "n1-standard-2"},
                               {"PLUGIN_RESOURCE_TIMEOUT", "600"}};
  auto r = settings::resolve(schema(), env);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  auto c = config_from(r.values, "/ws", "acme");
  EXPECT_EQ(c.endpoint, "http://p/api/v1");
  EXPECT_EQ(c.token, "t0k3n");
  EXPECT_EQ(c.cluster.google.node_instance_type, "n1-standard-2");
  EXPECT_EQ(c.resource_timeout, std::chrono::seconds(600));  // bare seconds, as the original
  EXPECT_NE(std::find(r.secret_values.begin(), r.secret_values.end(), "t0k3n"), r.secret_values.end());
}

TEST(Config, DeploymentSettings) {
  auto c = config({{"PLUGIN_DEPLOYMENT_NAME", "banzaicloud-stable/spark"},
                   {"PLUGIN_DEPLOYMENT_RELEASE_NAME", "release-1"},
                   {"PLUGIN_DEPLOYMENT_VALUES", R"({"historyServer":{"enabled":true}})"},
                   {"PLUGIN_DEPLOYMENT_REUSE_VALUES", "yes"}});
  ASSERT_TRUE(c.deployment);
  EXPECT_EQ(c.deployment->chart, "banzaicloud-stable/spark");
  EXPECT_EQ(c.deployment->release, "release-1");
  EXPECT_TRUE(c.deployment->reuse_values);
  EXPECT_TRUE(c.deployment->wanted);
  EXPECT_EQ(c.deployment->values["historyServer"]["enabled"], true);
}

TEST(Config, TemplatedValuesStayPlainText) {
  // html/template turned + into &#43;, and the original stripped backslashes.
  std::string key = R"(ab+c/d==&e"f'g\h<i>)";
  auto r = resolve({{"PLUGIN_DEPLOYMENT_NAME", "x/y"},
                    {"PLUGIN_DEPLOYMENT_RELEASE_NAME", "r"},
                    {"PLUGIN_STORAGE_KEY", key},
                    {"PLUGIN_DEPLOYMENT_VALUES", R"({"k":"{{ .PLUGIN_STORAGE_KEY }}","path":"C:\\dir"})"}});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto c = config_from(r.values, "/ws", "acme");
  EXPECT_EQ(c.deployment->values["k"], key);
  EXPECT_EQ(c.deployment->values["path"], "C:\\dir");
  // A variable a template pulled in may be a CI secret: it is redacted.
  EXPECT_NE(std::find(r.secret_values.begin(), r.secret_values.end(), key), r.secret_values.end());
}

TEST(Config, RulesCatchIncompleteDeployments) {
  auto only_chart = resolve({{"PLUGIN_DEPLOYMENT_NAME", "x/y"}});
  ASSERT_EQ(only_chart.errors.size(), 1U);
  EXPECT_NE(only_chart.errors[0].find("deployment_release_name"), std::string::npos);
  auto only_release = resolve({{"PLUGIN_DEPLOYMENT_RELEASE_NAME", "r"}});
  ASSERT_EQ(only_release.errors.size(), 1U);
  EXPECT_NE(only_release.errors[0].find("deployment_name"), std::string::npos);
  // Deleting a release needs no chart.
  EXPECT_TRUE(
      resolve({{"PLUGIN_DEPLOYMENT_RELEASE_NAME", "r"}, {"PLUGIN_DEPLOYMENT_STATE", "deleted"}}).errors.empty());
  EXPECT_FALSE(resolve({{"PLUGIN_AMAZON_NODE_MIN_COUNT", "3"}, {"PLUGIN_AMAZON_NODE_MAX_COUNT", "2"}}).errors.empty());
  EXPECT_FALSE(resolve({{"PLUGIN_CLUSTER_PROVIDER", "digitalocean"}}).errors.empty());
  EXPECT_FALSE(settings::resolve(schema(), {{"PLUGIN_ENDPOINT", "pipeline.example.com"}}).errors.empty());
}

TEST(Config, ValidateAfterSharedValuesAreMerged) {
  auto c = config({});
  auto errors = validate(c);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_NE(errors[0].find("cluster_name is required"), std::string::npos);
  EXPECT_NE(errors[0].find(".env"), std::string::npos);

  c = config({{"PLUGIN_CLUSTER_NAME", "c1"}, {"PLUGIN_CLUSTER_PROVIDER", "azure"}});
  errors = validate(c);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_NE(errors[0].find("azure_resource_group"), std::string::npos);
  // Deleting an azure cluster needs no resource group.
  c.cluster_wanted = false;
  EXPECT_TRUE(validate(c).empty());

  c = config({{"PLUGIN_CLUSTER_NAME", "bad name/x"}});
  EXPECT_EQ(validate(c).size(), 1U);

  c = config({{"PLUGIN_CLUSTER_NAME", "c1"}, {"PLUGIN_API_VERSION", "orgs"}});
  c.org.clear();
  EXPECT_EQ(validate(c).size(), 1U);
}

}  // namespace sg::pipeline_client
