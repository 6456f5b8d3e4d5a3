#include "pipeline/step_env.hpp"

#include <gtest/gtest.h>

namespace sg::pipeline {

// Vectors from drone-runner-docker's encoder tests and Woodpecker's params
// docs (shared/notes/drone-ecosystem.md section 1.1 and 1.3).
TEST(StepEnv, DroneEncodesValuesLikeTheRunner) {
  const std::pair<const char*, const char*> rows[] = {
      {"foo", "foo"},
      {"\"foo\"", "foo"},
      {"true", "true"},
      {"yes", "true"},  // YAML 1.1
      {"42", "42"},
      {"42.424242", "42.424242"},
      {"1.10", "1.1"},
      {"1e6", "1e+06"},
      {"[foo, bar, baz]", "foo,bar,baz"},
      {"[1,1,2,3]", "1,1,2,3"},
      {"[{name: john}]", R"([{"name":"john"}])"},
      {"{foo: bar}", R"({"foo":"bar"})"},
      {"{n: 1, b: true, s: \"1\"}", R"({"b":true,"n":1,"s":"1"})"},
      {"[]", ""},
  };
  for (const auto& [yaml, want] : rows)
    EXPECT_EQ(encode_value(Host::Drone, YAML::Load(yaml)), want) << yaml;
}

TEST(StepEnv, WoodpeckerUsesYaml12Booleans) {
  EXPECT_EQ(encode_value(Host::Woodpecker, YAML::Load("yes")), "yes");
  EXPECT_EQ(encode_value(Host::Woodpecker, YAML::Load("false")), "false");
}

TEST(StepEnv, GoFloatFormatting) {
  EXPECT_EQ(go_format_float(1234567), "1.234567e+06");
  EXPECT_EQ(go_format_float(123456), "123456");
  EXPECT_EQ(go_format_float(0.00001), "1e-05");
  EXPECT_EQ(go_format_float(0.0001), "0.0001");
  EXPECT_EQ(go_format_float(3.0), "3");
  EXPECT_EQ(go_format_float(-2.5), "-2.5");
}

TEST(StepEnv, KeysPerHost) {
  auto step = YAML::Load(R"(
image: x
settings:
  dry-run: true
  spark.conf: a
  list: [a, b]
  token: {from_secret: tok}
  nested: {pw: {from_secret: tok}}
  empty: ""
)");
  auto drone = step_environment(Host::Drone, "s", step, {{"tok", "T0K3N"}}, {});
  EXPECT_EQ(drone.env["PLUGIN_DRY-RUN"], "true");
  EXPECT_EQ(drone.env["PLUGIN_SPARK.CONF"], "a");
  EXPECT_EQ(drone.env["PLUGIN_LIST"], "a,b");
  EXPECT_EQ(drone.env["PLUGIN_TOKEN"], "T0K3N");
  EXPECT_EQ(drone.env["PLUGIN_NESTED"], R"({"pw":{"from_secret":"tok"}})");  // top level only in Drone
  EXPECT_EQ(drone.env.count("PLUGIN_EMPTY"), 1u);
  EXPECT_EQ(drone.env["DRONE_CARD_PATH"], "/dev/stdout");

  auto wp = step_environment(Host::Woodpecker, "s", step, {{"tok", "T0K3N"}}, {});
  EXPECT_EQ(wp.env["PLUGIN_DRY_RUN"], "true");
  EXPECT_EQ(wp.env["PLUGIN_SPARK_CONF"], "a");
  EXPECT_EQ(wp.env["PLUGIN_NESTED"], R"({"pw":"T0K3N"})");  // resolved at any depth
  EXPECT_EQ(wp.env.count("PLUGIN_EMPTY"), 0u);              // empty values are dropped
  EXPECT_EQ(wp.env["CI"], "woodpecker");
  EXPECT_EQ(wp.env.count("DRONE_WORKSPACE"), 0u);
  EXPECT_EQ(wp.env["DRONE_BUILD_STATUS"], "success");
}

TEST(StepEnv, Drone08StepKeysAndSecrets) {
  auto doc = YAML::Load(R"(
pipeline:
  create:
    image: banzaicloud/plugin-pipeline-client:0.3.0
    cluster_name: "demo"
    deployment_values: {a: {b: "1"}}
    secrets: [plugin_endpoint, {source: prod_token, target: plugin_token}]
    when: {branch: master}
)");
  EXPECT_EQ(detect_host(doc), Host::Drone08);
  auto steps = pipeline_steps(doc);
  ASSERT_EQ(steps.size(), 1u);
  auto env = step_environment(Host::Drone08, steps[0].first, steps[0].second,
                              {{"plugin_endpoint", "https://p/api"}, {"prod_token", "tkn"}}, {});
  EXPECT_TRUE(env.errors.empty());
  EXPECT_EQ(env.image, "banzaicloud/plugin-pipeline-client:0.3.0");
  EXPECT_EQ(env.env["PLUGIN_CLUSTER_NAME"], "demo");
  EXPECT_EQ(env.env["PLUGIN_DEPLOYMENT_VALUES"], R"({"a":{"b":"1"}})");
  EXPECT_EQ(env.env["PLUGIN_ENDPOINT"], "https://p/api");
  EXPECT_EQ(env.env["PLUGIN_TOKEN"], "tkn");
  EXPECT_EQ(env.env.count("PLUGIN_WHEN"), 0u);
  EXPECT_EQ(env.env.count("PLUGIN_SECRETS"), 0u);
  EXPECT_EQ(env.env["CI"], "drone");
}

TEST(StepEnv, MissingSecretIsReported) {
  auto step = YAML::Load("settings: {token: {from_secret: nope}}");
  auto env = step_environment(Host::Drone, "s", step, {}, {});
  ASSERT_EQ(env.errors.size(), 1u);
}

TEST(StepEnv, ReadsEveryFixturePipeline) {
  for (const char* f : {"spark-pi.aws.pipeline.yml", "zeppelin-pdi.gke.pipeline.yml"}) {
    auto doc = YAML::LoadFile(std::string(SPOTGUIDE_SOURCE_DIR) + "/tests/fixtures/banzai-pipelines/" + f);
    auto steps = pipeline_steps(doc);
    EXPECT_GE(steps.size(), 5u) << f;
    for (const auto& [name, step] : steps) {
      auto env = step_environment(Host::Drone08, name, step,
                                  {{"plugin_endpoint", "https://pipeline/api/v1"}, {"plugin_token", "t"}}, {});
      EXPECT_TRUE(env.errors.empty()) << f << " " << name;
      EXPECT_FALSE(env.image.empty()) << f << " " << name;
    }
  }
}

TEST(StepEnv, MergeKeysApplyLikeGoYaml) {
  auto doc = YAML::Load(R"(steps:
  - name: a
    settings: &common {x: 1, y: 2}
  - name: b
    settings:
      <<: *common
      y: 3
)");
  auto steps = pipeline_steps(doc);
  ASSERT_EQ(steps.size(), 2u);
  auto env = step_environment(Host::Woodpecker, "b", steps[1].second, {}, {});
  EXPECT_EQ(env.env["PLUGIN_X"], "1");
  EXPECT_EQ(env.env["PLUGIN_Y"], "3");
  EXPECT_EQ(env.env.count("PLUGIN_<<"), 0u);
}

TEST(StepEnv, MergeKeysResolveIntoANewTreeAndNestedMergesToo) {
  auto doc = YAML::Load(R"(defaults: &d {image: x, settings: &s {a: "1", b: [1, 2]}}
steps:
  - <<: *d
    name: one
    settings: {<<: [*s, {c: 3}], b: 9}
  - name: two
    image: y
)");
  auto steps = pipeline_steps(doc);
  ASSERT_EQ(steps.size(), 2u);
  const auto& one = steps[0].second;
  EXPECT_EQ(one["image"].Scalar(), "x");
  auto env = step_environment(Host::Woodpecker, "one", one, {}, {});
  EXPECT_EQ(env.env["PLUGIN_A"], "1");
  EXPECT_EQ(env.env["PLUGIN_B"], "9");
  EXPECT_EQ(env.env["PLUGIN_C"], "3");
  EXPECT_EQ(one["settings"]["a"].Tag(), "!");  // still quoted: a string for every host
  // The copy is its own tree: changing it leaves the parsed file alone.
  YAML::Node copy = one;
  copy["image"] = "changed";
  EXPECT_EQ(doc["defaults"]["image"].Scalar(), "x");
  // A step without merge keys is the parsed step itself.
  EXPECT_EQ(steps[1].second["image"].Scalar(), "y");
}

TEST(StepEnv, WrongTypedValuesAreNamedErrors) {
  auto step = YAML::Load(R"(
image: [not, one]
settings:
  token: {from_secret: [a]}
  big: 99999999999999999999
  ok: fine
environment:
  NESTED: {a: b}
)");
  auto env = step_environment(Host::Drone, "s", step, {}, {});
  std::string all;
  for (const auto& e : env.errors)
    all += e + "\n";
  EXPECT_NE(all.find("image must be a single value"), std::string::npos) << all;
  EXPECT_NE(all.find("setting `token`: from_secret must be the name of a secret"), std::string::npos) << all;
  EXPECT_NE(all.find("setting `big`"), std::string::npos) << all;
  EXPECT_NE(all.find("outside the 64-bit range"), std::string::npos) << all;
  EXPECT_NE(all.find("environment variable NESTED"), std::string::npos) << all;
  EXPECT_EQ(env.env["PLUGIN_OK"], "fine");  // the rest of the step is still read
}

}  // namespace sg::pipeline
