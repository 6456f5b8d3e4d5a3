#include "settings.hpp"

#include <gtest/gtest.h>

#include "settings/resolve.hpp"

namespace sg::k8s_proxy {
namespace {

settings::Environment base() {
  return {{"PLUGIN_ORIGINAL_IMAGE", "busybox"}, {"PLUGIN_DRY_RUN", "true"}};
}

std::vector<std::string> errors(settings::Environment extra) {
  auto env = base();
  for (auto& [k, v] : extra)
    env[k] = v;
  return settings::resolve(schema(), env).errors;
}

TEST(K8sProxySettings, ForwardedKeysNearOurOwnSettingsAreNamed) {
  EXPECT_EQ(near_miss(schema(), "PLUGIN_MEMORY_LIMT"), "memory_limit");
  EXPECT_EQ(near_miss(schema(), "PLUGIN_TIMOUT"), "timeout");
  EXPECT_EQ(near_miss(schema(), "PLUGIN_ORIGINAL_COMMAND"), "original_commands");
  EXPECT_EQ(near_miss(schema(), "PLUGIN_NAMESPACES"), "namespace");
  // The proxied step's own settings are not typos of ours.
  EXPECT_EQ(near_miss(schema(), "PLUGIN_GREETING"), "");
  EXPECT_EQ(near_miss(schema(), "PLUGIN_SOME_SETTING"), "");
  EXPECT_EQ(near_miss(schema(), "PLUGIN_TAG"), "");
  EXPECT_EQ(near_miss(schema(), "PLUGIN_REPO"), "");
}

TEST(K8sProxySettings, ForwardedKeysAreNotUnknownSettingWarnings) {
  auto env = base();
  env["PLUGIN_MEMORY_LIMT"] = "1Gi";
  auto r = settings::resolve(schema(), env);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.warnings.empty()) << "the plugin warns when it forwards the key, with its own wording";
}

TEST(K8sProxySettings, KubernetesValuesAreCheckedBeforeAnythingIsCreated) {
  EXPECT_TRUE(errors({{"PLUGIN_MEMORY_LIMIT", "2Gi"}, {"PLUGIN_CPU_REQUEST", "500m"}}).empty());
  auto e = errors({{"PLUGIN_MEMORY_LIMIT", "lots"},
                   {"PLUGIN_WORKSPACE_SIZE", "-3Gi"},
                   {"PLUGIN_JOB_NAMESPACE", "Not_A_Namespace"},
                   {"PLUGIN_TOLERATIONS", R"([{"key":"a","operator":"Exists"})"},
                   {"PLUGIN_PROXY_SERVICE_ACCOUNT", "Bad Account"},
                   {"PLUGIN_IMAGE_PULL_SECRETS", "[\"regcred\", \"Reg Cred\"]"},
                   {"PLUGIN_WORKSPACE_PATH", "relative/dir"},
                   {"PLUGIN_LABELS", R"({"team":{"nested":"x"}})"}});
  ASSERT_EQ(e.size(), 8u) << ::testing::PrintToString(e);
  std::string all = ::testing::PrintToString(e);
  for (const char* name : {"memory_limit", "workspace_size", "job_namespace", "tolerations", "proxy_service_account",
                           "image_pull_secrets", "workspace_path", "labels.team"})
    EXPECT_NE(all.find(name), std::string::npos) << name << " in " << all;
  e = errors({{"PLUGIN_ORIGINAL_IMAGE", " "}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("original_image"), std::string::npos);
  e = errors({{"PLUGIN_KUBECONFIG", "not: [a kubeconfig"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("setting kubeconfig"), std::string::npos);
}

TEST(K8sProxySettings, Int32FieldsDoNotWrap) {
  auto e = errors({{"PLUGIN_BACKOFF_LIMIT", "3000000000"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("between 0 and 2147483647"), std::string::npos) << e[0];
  EXPECT_EQ(errors({{"PLUGIN_TTL_SECONDS_AFTER_FINISHED", "9999999999"}}).size(), 1u);
  EXPECT_TRUE(errors({{"PLUGIN_BACKOFF_LIMIT", "2147483647"}}).empty());
}

}  // namespace
}  // namespace sg::k8s_proxy
