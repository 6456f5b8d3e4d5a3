#include "kube/validate.hpp"

#include <gtest/gtest.h>

#include "settings/resolve.hpp"

namespace sg::kube::validate {
namespace {

TEST(KubeValidate, Quantities) {
  for (const char* ok : {"500m", "2Gi", "1", "1.5", ".5", "0", "+1Gi", "1e3", "2E-2", "128974848", "10Ki", "1k"})
    EXPECT_EQ(quantity_problem(ok), "") << ok;
  for (const char* bad : {"lots", "", "-3Gi", "-1", "1GB", "2 Gi", "Gi", "1.2.3", "1e", "1ee3", "0x10", "1g"})
    EXPECT_NE(quantity_problem(bad), "") << bad;
  EXPECT_NE(quantity_problem("-3Gi").find("not negative"), std::string::npos);
  EXPECT_NE(quantity_problem(std::string(100, '1')), "");
}

TEST(KubeValidate, DnsNames) {
  for (const char* ok : {"default", "ci-builds", "a", "x1"})
    EXPECT_EQ(dns_label_problem(ok), "") << ok;
  EXPECT_EQ(dns_label_problem(std::string(63, 'a')), "");
  for (const char* bad : {"", "Default", "-a", "a-", "a.b", "a_b", "kube system"})
    EXPECT_NE(dns_label_problem(bad), "") << bad;
  EXPECT_NE(dns_label_problem(std::string(64, 'a')), "");
  EXPECT_EQ(dns_subdomain_problem("my.secret-1"), "");
  EXPECT_NE(dns_subdomain_problem("a..b"), "");
  EXPECT_NE(dns_subdomain_problem("My-Secret"), "");
  EXPECT_NE(dns_subdomain_problem(std::string(254, 'a')), "");
}

TEST(KubeValidate, ImageReferences) {
  for (const char* ok :
       {"maven:3-eclipse-temurin-17", "alpine", "apache/spark:4.0.5", "registry.example.com:5000/team/app:1.2",
        "localhost/app", "ghcr.io/org/my_app__x:v1.0-rc.1", "a--b", "[::1]:5000/x",
        "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "Registry.Example.com/app:1"})
    EXPECT_EQ(image_problem(ok), "") << ok;
  for (const char* bad : {"", " ", "Maven:3", "maven:3 ", "maven::3", "a/", "/a", "a//b", "maven:", "app@sha256:xyz",
                          "app@sha256:0123", "team/App", "a_-b", ".a", "host:99x/app"})
    EXPECT_NE(image_problem(bad), "") << bad;
}

TEST(KubeValidate, LabelsAndKeys) {
  EXPECT_EQ(qualified_name_problem("app.kubernetes.io/name"), "");
  EXPECT_EQ(qualified_name_problem("Team_1"), "");
  EXPECT_NE(qualified_name_problem("/x"), "");
  EXPECT_NE(qualified_name_problem("UPPER.prefix/x"), "");
  EXPECT_NE(qualified_name_problem("a b"), "");
  EXPECT_EQ(label_value_problem(""), "");
  EXPECT_EQ(label_value_problem("v1.2_a-b"), "");
  EXPECT_NE(label_value_problem("has space"), "");
  EXPECT_NE(label_value_problem(std::string(64, 'v')), "");
}

TEST(KubeValidate, TolerationsNameTheEntryAndField) {
  EXPECT_EQ(tolerations_problem(nlohmann::json::parse(R"([{"key":"a","operator":"Equal","value":"b",
      "effect":"NoSchedule"},{"operator":"Exists"},{"key":"c","operator":"Exists","tolerationSeconds":30}])")),
            "");
  EXPECT_NE(tolerations_problem(nlohmann::json::object()), "");
  EXPECT_NE(tolerations_problem(nlohmann::json::parse(R"([{"key":"a"},{"key":1}])")).find("tolerations[1].key"),
            std::string::npos);
  EXPECT_NE(tolerations_problem(nlohmann::json::parse(R"([{"operator":"Maybe"}])")).find("tolerations[0].operator"),
            std::string::npos);
  EXPECT_NE(tolerations_problem(nlohmann::json::parse(R"([{"tolerationSeconds":"30"}])"))
                .find("tolerations[0].tolerationSeconds to be an integer"),
            std::string::npos);
  EXPECT_NE(tolerations_problem(nlohmann::json::parse(R"([{"keyy":"a"}])")).find("keyy"), std::string::npos);
}

// The rules through the real settings resolution, as a plugin runs them.
settings::Schema schema() {
  using settings::Type;
  settings::Schema s{.plugin = "t"};
  s.settings = {{.name = "memory_limit", .type = Type::String},
                {.name = "workspace_size", .type = Type::String, .default_value = "3Gi"},
                {.name = "ns", .type = Type::String},
                {.name = "image", .type = Type::String},
                {.name = "pull_secrets", .type = Type::List},
                {.name = "labels", .type = Type::Map},
                {.name = "node_selector", .type = Type::Map},
                {.name = "tolerations", .type = Type::String},
                {.name = "kubeconfig", .type = Type::Secret},
                {.name = "kube_context", .type = Type::String},
                {.name = "kube_server", .type = Type::String}};
  s.rules = {rule(Kind::Quantity, {"memory_limit", "workspace_size"}),
             rule(Kind::DnsLabel, {"ns"}),
             rule(Kind::Image, {"image"}),
             subdomain_items_rule("pull_secrets"),
             labels_rule("labels"),
             scalar_map_rule("node_selector"),
             tolerations_rule("tolerations"),
             access_rule()};
  return s;
}

std::vector<std::string> errors(const settings::Environment& env) {
  return settings::resolve(schema(), env).errors;
}

TEST(KubeValidate, RulesNameTheVariableSettingAndForm) {
  EXPECT_TRUE(errors({{"PLUGIN_MEMORY_LIMIT", "2Gi"}, {"PLUGIN_IMAGE", "alpine:3"}, {"PLUGIN_NS", "ci"}}).empty());
  auto e = errors({{"PLUGIN_MEMORY_LIMIT", "lots"},
                   {"PLUGIN_WORKSPACE_SIZE", "-3Gi"},
                   {"PLUGIN_NS", "Bad_NS"},
                   {"PLUGIN_IMAGE", " "},
                   {"PLUGIN_PULL_SECRETS", "[\"ok\", \"Not OK\"]"}});
  ASSERT_EQ(e.size(), 5u) << testing::PrintToString(e);
  EXPECT_NE(e[0].find("PLUGIN_MEMORY_LIMIT=\"lots\" (setting memory_limit): expected a Kubernetes quantity"),
            std::string::npos)
      << e[0];
  EXPECT_NE(e[1].find("setting workspace_size"), std::string::npos) << e[1];
  EXPECT_NE(e[1].find("not negative"), std::string::npos) << e[1];
  EXPECT_NE(e[2].find("DNS-1123 label"), std::string::npos) << e[2];
  EXPECT_NE(e[3].find("image reference"), std::string::npos) << e[3];
  EXPECT_NE(e[4].find("Not OK"), std::string::npos) << e[4];
}

TEST(KubeValidate, MapsWithNestedOrInvalidValuesNameTheField) {
  auto e = errors({{"PLUGIN_LABELS", R"({"team":"a b"})"}, {"PLUGIN_NODE_SELECTOR", R"({"disk":{"type":"ssd"}})"}});
  ASSERT_EQ(e.size(), 2u) << testing::PrintToString(e);
  EXPECT_NE(e[0].find("labels.team"), std::string::npos) << e[0];
  EXPECT_NE(e[1].find("node_selector.disk must be a string, not an object"), std::string::npos) << e[1];
  EXPECT_TRUE(errors({{"PLUGIN_LABELS", R"({"replicas":3,"app.kubernetes.io/name":"x"})"}}).empty());
}

TEST(KubeValidate, TruncatedTolerationsAreNotAnEmptyList) {
  auto e = errors({{"PLUGIN_TOLERATIONS", R"([{"key":"a","operator":"Exists"})"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("not complete JSON"), std::string::npos) << e[0];
  e = errors({{"PLUGIN_TOLERATIONS", R"([{"key":"a","operator":"Exists"}] trailing)"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(errors({{"PLUGIN_TOLERATIONS", R"([{"key":"a","operator":"Exists"}])"}}).empty());
}

TEST(KubeValidate, InlineKubeconfigAndServer) {
  auto e = errors({{"PLUGIN_KUBECONFIG", "garbage: [unclosed"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("PLUGIN_KUBECONFIG (setting kubeconfig) is not a usable kubeconfig"), std::string::npos) << e[0];
  EXPECT_EQ(e[0].find("unclosed"), std::string::npos) << "a secret's content must not be echoed: " << e[0];
  e = errors({{"PLUGIN_KUBE_SERVER", "10.0.0.1:6443"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("http(s) URL"), std::string::npos);
  const char* good = R"(apiVersion: v1
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)";
  EXPECT_TRUE(errors({{"PLUGIN_KUBECONFIG", good}}).empty());
  e = errors({{"PLUGIN_KUBECONFIG", good}, {"PLUGIN_KUBE_CONTEXT", "nope"}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("nope"), std::string::npos) << e[0];
}

}  // namespace
}  // namespace sg::kube::validate
