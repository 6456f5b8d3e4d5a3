#include "lint.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "registry.hpp"

namespace sg::spotguide {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream f(std::string(SPOTGUIDE_SOURCE_DIR) + "/tests/fixtures/banzai-pipelines/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> errors_of(const LintResult& r) {
  std::vector<std::string> out;
  for (const auto& i : r.issues) {
    if (i.severity == LintIssue::Severity::Error) out.push_back(i.step + ": " + i.message);
  }
  return out;
}

bool has_error(const LintResult& r, const std::string& step, const std::string& needle) {
  for (const auto& i : r.issues) {
    if (i.severity == LintIssue::Severity::Error && i.step == step && i.message.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

TEST(Registry, KnowsOursAndBanzaisImages) {
  EXPECT_EQ(identify_image("banzaicloud/plugin-k8s-proxy:0.3.0")->plugin, "k8s-proxy");
  EXPECT_TRUE(identify_image("banzaicloud/plugin-k8s-proxy:0.3.0")->banzai);
  EXPECT_EQ(identify_image("banzaicloud/drone-plugin-k8s-client:0.3.0")->plugin, "k8s-proxy");
  EXPECT_EQ(identify_image("docker.io/banzaicloud/plugin-pipeline-client:dev-b5e2e54")->plugin, "pipeline-client");
  EXPECT_EQ(identify_image("banzaicloud/plugin-spark-submit-k8s")->plugin, "spark-submit");
  EXPECT_EQ(identify_image("registry.local:5000/spotguide-plugins/kafka-rebalance:0.1@sha256:ab")->plugin,
            "kafka-rebalance");
  EXPECT_EQ(identify_image("/opt/spotguide/bin/tidb-scale")->plugin, "tidb-scale");
  EXPECT_EQ(identify_image("k8s-proxy")->plugin, "k8s-proxy");
  EXPECT_FALSE(identify_image("plugins/git"));
  EXPECT_FALSE(identify_image("someone/k8s-proxy:1"));
  EXPECT_FALSE(identify_image("banzaicloud/zeppelin-client:0.3.0"));
}

// The real Banzai pipelines are valid; only unfilled [[...]] placeholders and
// what this build cannot check may warn.
TEST(Lint, BanzaiPipelinesHaveNoErrors) {
  for (const auto* name : {"spark-pi.aws.pipeline.yml", "zeppelin-pdi.gke.pipeline.yml"}) {
    auto r = lint(fixture(name));
    EXPECT_EQ(r.host, "drone-0.8");
    EXPECT_EQ(r.errors(), 0) << name << "\n" << format(name, r);
    EXPECT_GE(r.steps_checked, 2) << format(name, r);
  }
}

TEST(Lint, TyposWrongTypesMissingRequiredAndPlainSecrets) {
  auto r = lint(R"(kind: pipeline
type: docker
name: default
steps:
  - name: heal
    image: spotguide-plugins/kafka-rebalance:0.1
    settings:
      mode: heall
      bootstrap_servers: localhost:9092
      max_moves: lots
      sasl_password: hunter2
      grace_perod: 5m
  - name: proxy
    image: spotguide-plugins/k8s-proxy:0.1
    settings:
      job_namespace: ci
  - name: fine
    image: spotguide-plugins/kafka-rebalance:0.1
    settings:
      mode: heal
      bootstrap_servers: localhost:9092
      sasl_password: {from_secret: kafka_password}
      max_moves: ${MAX_MOVES}
  - name: other
    image: alpine
    commands: [echo hi]
---
kind: secret
name: kafka_password
get: {path: x, name: y}
)");
  EXPECT_EQ(r.host, "drone");
  EXPECT_TRUE(has_error(r, "heal", "PLUGIN_MODE")) << format("t", r);
  EXPECT_TRUE(has_error(r, "heal", "PLUGIN_MAX_MOVES"));
  EXPECT_TRUE(has_error(r, "heal", "setting `sasl_password` is a secret but its value is written in the file"));
  EXPECT_TRUE(has_error(r, "heal", "did you mean `grace_period`"));
  EXPECT_TRUE(has_error(r, "proxy", "PLUGIN_ORIGINAL_IMAGE (setting original_image) is required"));
  for (const auto& e : errors_of(r))
    EXPECT_FALSE(e.starts_with("fine:") || e.starts_with("other:")) << e;
  EXPECT_EQ(r.steps_checked, 3);
  // The secret's value never appears, even in an error about it.
  EXPECT_EQ(format("t", r).find("hunter2"), std::string::npos);
}

TEST(Lint, Drone08SecretsCountAsPresentAndWoodpeckerMapsWork) {
  auto r08 = lint(R"(pipeline:
  proxy:
    image: banzaicloud/plugin-k8s-proxy:0.3.0
    secrets: [plugin_original_image]
)");
  EXPECT_EQ(r08.errors(), 0) << format("08", r08);
  auto wp = lint(R"(steps:
  heal:
    image: spotguide-plugins/kafka-rebalance
    settings:
      mode: heal
)");
  EXPECT_EQ(wp.host, "woodpecker");
  EXPECT_TRUE(has_error(wp, "heal", "bootstrap_servers")) << format("wp", wp);
}

TEST(Lint, ProxiedPluginSettingsAreCheckedToo) {
  auto r = lint(R"(pipeline:
  run:
    image: banzaicloud/plugin-k8s-proxy:0.3.0
    original_image: spotguide-plugins/kafka-rebalance:0.1
    bootstrap_servers: kafka:9092
    mode: heal
    throtle: 10
  other:
    image: banzaicloud/plugin-k8s-proxy:0.3.0
    original_image: plugins/git
    anything_goes: true
)");
  EXPECT_TRUE(has_error(r, "run", "(kafka-rebalance, run by k8s-proxy) unknown setting PLUGIN_THROTLE"))
      << format("p", r);
  EXPECT_EQ(r.errors(), 1) << format("p", r);
}

TEST(Lint, ForwardedKeysNearTheProxysOwnAreErrorsUnlessTheProxiedPluginOwnsThem) {
  auto r = lint(R"(steps:
  - name: git
    image: spotguide-plugins/k8s-proxy
    settings:
      original_image: plugins/git
      memory_limt: 1Gi
      spark_namespace: jobs
      depth: 50
  - name: spark
    image: spotguide-plugins/k8s-proxy
    settings:
      original_image: spotguide-plugins/spark-submit
      spark_namespace: jobs
)");
  EXPECT_TRUE(has_error(r, "git",
                        "setting `memory_limt` (PLUGIN_MEMORY_LIMT) is not a k8s-proxy setting and would be passed "
                        "to the proxied image unread; did you mean k8s-proxy's `memory_limit` (PLUGIN_MEMORY_LIMIT)?"))
      << format("t", r);
  // spark_namespace is five edits from job_namespace: a typo for an image
  // that does not read it, spark-submit's own setting for one that does.
  EXPECT_TRUE(has_error(r, "git", "`spark_namespace` (PLUGIN_SPARK_NAMESPACE) is not a k8s-proxy setting"))
      << format("t", r);
  EXPECT_FALSE(has_error(r, "spark", "is not a k8s-proxy setting")) << format("t", r);
  // A key far from every k8s-proxy setting is the proxied image's business.
  EXPECT_FALSE(has_error(r, "git", "PLUGIN_DEPTH")) << format("t", r);
}

TEST(Lint, NotAPipelineOrNotYaml) {
  EXPECT_EQ(lint("a: [").errors(), 1);
  EXPECT_EQ(lint("just: a map\n").errors(), 1);
}

std::string only_error(const LintResult& r) {
  auto e = errors_of(r);
  return e.size() == 1 ? e.front() : format("t", r);
}

TEST(Lint, YamlBeyondTheLimitsIsOneErrorNamingTheLimit) {
  // Nine levels of nine aliases: 9^9 nodes from a few hundred bytes.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    auto prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 9; ++j)
      bomb += ", " + prev;
    bomb += "]\n";
  }
  bomb += "steps: [{name: s, image: spotguide-plugins/tidb-scale, settings: {x: *a8}}]\n";
  auto start = std::chrono::steady_clock::now();
  auto r = lint(bomb);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(only_error(r).find("expands to more than 1000000 nodes"), std::string::npos) << format("t", r);
  EXPECT_EQ(r.steps_checked, 0);

  EXPECT_NE(only_error(lint("steps: " + std::string(100, '[') + std::string(100, ']'))).find("nested more than 64"),
            std::string::npos);
  EXPECT_NE(only_error(lint("a: &x [*x]\n")).find("contains it"), std::string::npos);
  yaml::Limits small;
  small.max_bytes = 10;
  EXPECT_NE(only_error(lint("steps: [1, 2, 3]\n", small)).find("more than the 10 bytes limit"), std::string::npos);
}

TEST(Lint, WrongTypedFieldsAreNamedNotInternalErrors) {
  auto r = lint(R"(kind: [pipeline]
steps: [{name: a, image: alpine}]
---
kind: pipeline
steps:
  - name: b
    image: spotguide-plugins/tidb-scale
    settings: {pd_url: {from_secret: [x]}, mode: status, backend: pd}
  - name: c
    image: {a: b}
)");
  EXPECT_TRUE(has_error(r, "b", "setting `pd_url`: from_secret must be the name of a secret")) << format("t", r);
  EXPECT_TRUE(has_error(r, "", "document 1: kind must be a single value")) << format("t", r);
  EXPECT_TRUE(has_error(r, "c", "image must be a single value")) << format("t", r);
  EXPECT_EQ(format("t", r).find("bad conversion"), std::string::npos) << format("t", r);
}

// Lint's cost is linear in the file: 20,000 steps sharing defaults through a
// merge key, one in twenty a plugin step. Each step's copy once held every
// node of the file (yaml-cpp merges node sets on assignment), which took
// minutes and gigabytes here; linear, it takes a second or two.
TEST(Lint, TwentyThousandStepsAreLinear) {
  std::string text = "x-defaults: &defaults\n  pull: true\n  environment: {A: b}\nsteps:\n";
  for (int i = 0; i < 20000; ++i) {
    auto n = std::to_string(i);
    if (i % 20 == 0) {
      text += "- name: scale" + n +
              "\n  <<: *defaults\n  image: spotguide-plugins/tidb-scale\n"
              "  settings: {pd_url: \"http://pd:2379\", mode: status, backend: pd}\n";
    } else {
      text += "- name: build" + n + "\n  <<: *defaults\n  image: alpine\n  commands: [echo " + n + "]\n";
    }
  }
  auto start = std::chrono::steady_clock::now();
  auto r = lint(text);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.steps_checked, 1000);
  EXPECT_EQ(r.errors(), 0) << format("t", r).substr(0, 2000);
  // Generous for sanitizer builds on a loaded machine; quadratic was >100x this.
  EXPECT_LT(took, std::chrono::seconds(60));
}

}  // namespace
}  // namespace sg::spotguide
