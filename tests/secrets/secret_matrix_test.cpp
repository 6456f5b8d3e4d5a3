// Every plugin, run as a CI step would run it, with a secret in each place a
// secret can come from (a secret setting, a secret map's value, a CI clone
// credential, a secret-named variable, a templated command, a credential
// Spark conf), at every log level, in text and JSON output, on the dry-run
// path, the invalid-settings path and the error paths (closed port, and a
// 127.0.0.1 server that echoes the request back in a 401 or 422). Nothing
// printed may contain any secret in any form a plugin could print it in.
// The echo server is scripted here; it stands in for no product peer.

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_test_server.hpp"
#include "ports.hpp"
#include "test_paths.hpp"
#include "util/base64.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sg::testing {
namespace {

using json = nlohmann::json;
using Env = std::map<std::string, std::string>;

// Quotes, a backslash, the characters Java properties and URLs escape, and
// non-ASCII: each derived form differs from the raw value.
const std::string kSetting = "Sg-s3cr3t\"T0k\\en/val+ue=:#!\xc3\xbc-7f3a9c1d";
const std::string kNetrc = "Nn-netrcPASS#v4lue:99x";
const std::string kNamed = "Ee-envT0KEN/value+42y";

std::string json_inner(const std::string& s) {
  auto j = json(s).dump();
  return j.substr(1, j.size() - 2);
}

// The forms a secret can take in output, each with what it is for the
// failure message. Base64 fragments are taken away from the edges, where a
// neighbouring byte of a larger blob would change them.
std::vector<std::pair<std::string, std::string>> forms(const std::string& secret) {
  std::vector<std::pair<std::string, std::string>> out{
      {"raw", secret},
      {"JSON-escaped", json_inner(secret)},
      {"URL-encoded", util::url_encode(secret)},
      {"properties-escaped", util::properties_escape(secret, false)},
      {"properties-escaped in JSON", json_inner(util::properties_escape(secret, false))},
      {"first 12 characters", secret.substr(0, 12)},
  };
  for (auto alpha : {util::Base64Alphabet::Standard, util::Base64Alphabet::UrlSafe}) {
    for (std::string prefix : {"", "a", "ab"}) {
      auto b = util::base64_encode(prefix + secret, alpha, false);
      out.emplace_back("base64 after " + std::to_string(prefix.size()) + " bytes", b.substr(4, b.size() - 8));
    }
  }
  return out;
}

// A server that answers every request with `status` and a body quoting the
// whole request, headers included, as a careless or hostile peer would.
std::unique_ptr<HttpTestServer> echo_server(int status) {
  return std::make_unique<HttpTestServer>([status](const ReceivedRequest& r) {
    std::string echoed = r.method + " " + r.uri + "\n";
    for (const auto& [k, v] : r.headers)
      echoed += k + ": " + v + "\n";
    echoed += r.body;
    Reply reply;
    reply.status = status;
    reply.headers["Content-Type"] = "application/json";
    reply.body = json{{"kind", "Status"},  {"apiVersion", "v1"}, {"status", "Failure"},
                      {"message", echoed}, {"code", status},     {"error", echoed}}
                     .dump();
    return reply;
  });
}

struct Case {
  std::string name;
  Env env;
  int exit_code;
  // A dry run shows where the secret went: the mask must be there, or the
  // case proves nothing.
  bool shows_mask = false;
};

void expect_no_secret(const std::string& plugin, const std::vector<Case>& cases) {
  const std::vector<std::pair<std::string, std::string>> secrets{
      {"the secret setting", kSetting}, {"the CI clone password", kNetrc}, {"the secret-named variable", kNamed}};
  for (const auto& c : cases) {
    for (std::string level : {"trace", "debug", "info", "error"}) {
      for (std::string output : {"text", "json"}) {
        Env env = c.env;
        env["PATH"] = "/usr/bin:/bin";
        env["HOME"] = ::testing::TempDir();
        env["DRONE_NETRC_MACHINE"] = "git.example.com";
        env["DRONE_NETRC_USERNAME"] = "ci";
        env["DRONE_NETRC_PASSWORD"] = kNetrc;
        env["CI_NETRC_PASSWORD"] = kNetrc;
        env["MY_API_TOKEN"] = kNamed;
        env["PLUGIN_LOG_LEVEL"] = level;
        env["PLUGIN_OUTPUT"] = output;
        auto r = util::run_process({bin_dir() + "/" + plugin}, env, std::chrono::seconds(60));
        std::string where = plugin + " " + c.name + " at " + level + ", " + output + " output";
        auto all = r.out + r.err;
        EXPECT_EQ(r.exit_code, c.exit_code) << where << "\n" << r.err.substr(0, 4000);
        if (c.shows_mask && level == "trace") {
          EXPECT_TRUE(all.find("******") != std::string::npos || all.find("<redacted>") != std::string::npos) << where;
        }
        for (const auto& [source, secret] : secrets) {
          for (const auto& [form, text] : forms(secret)) {
            auto at = all.find(text);
            EXPECT_EQ(at, std::string::npos)
                << where << ": " << source << " printed " << form << " near: "
                << util::quote_for_message(all.substr(at == std::string::npos ? 0 : (at < 60 ? 0 : at - 60), 160), 200);
          }
        }
      }
    }
  }
}

// `base` with some settings added or replaced.
Env with(Env base, const Env& extra) {
  for (const auto& [k, v] : extra)
    base[k] = v;
  return base;
}

std::string kubeconfig_with_token(const std::string& server) {
  std::string quoted = "'" + util::replace_all(kSetting, "'", "''") + "'";
  return "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: '" + server +
         "'}\nusers:\n- name: u\n  user: {token: " + quoted +
         "}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n";
}

TEST(SecretMatrix, K8sProxy) {
  auto e401 = echo_server(401);
  auto e422 = echo_server(422);
  Env step{{"PLUGIN_ORIGINAL_IMAGE", "alpine:3.20"},
           {"PLUGIN_ORIGINAL_COMMANDS", json::array({"echo {{ .DRONE_NETRC_PASSWORD }}", "echo $MY_API_TOKEN"}).dump()},
           {"PLUGIN_ENVIRONMENT", json{{"DB_PASS", kSetting}}.dump()},
           {"PLUGIN_KUBE_TOKEN", kSetting},
           {"PLUGIN_TIMEOUT", "20s"}};
  auto closed = "https://127.0.0.1:" + std::to_string(closed_port());
  expect_no_secret("k8s-proxy",
                   {
                       {"dry run", with(step, {{"PLUGIN_KUBE_SERVER", closed}, {"PLUGIN_DRY_RUN", "true"}}), 0, true},
                       {"closed port", with(step, {{"PLUGIN_KUBE_SERVER", closed}}), 1},
                       {"secret pasted as the client key",
                        with(step, {{"PLUGIN_KUBE_SERVER", closed}, {"PLUGIN_KUBE_CLIENT_KEY", kSetting}}), 2},
                       {"401 echo", with(step, {{"PLUGIN_KUBE_SERVER", e401->url()}}), 1},
                       {"422 echo", with(step, {{"PLUGIN_KUBE_SERVER", e422->url()}}), 1},
                       {"inline kubeconfig, 422 echo",
                        [&] {
                          Env e = step;
                          e.erase("PLUGIN_KUBE_TOKEN");
                          e["PLUGIN_KUBECONFIG"] = kubeconfig_with_token(e422->url());
                          return e;
                        }(),
                        1},
                   });
}

TEST(SecretMatrix, SparkSubmit) {
  auto e422 = echo_server(422);
  Env app{{"PLUGIN_IMAGE", "apache/spark:4.0.5"},
          {"PLUGIN_CLASS", "org.apache.spark.examples.SparkPi"},
          {"PLUGIN_MAIN_RESOURCE", "local:///opt/spark/examples/jars/spark-examples.jar"},
          {"PLUGIN_SPARK_SUBMIT_CONFIGS",
           json{{"spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net", kSetting}}.dump()},
          {"PLUGIN_KUBE_TOKEN", kSetting},
          {"PLUGIN_TIMEOUT", "20s"}};
  auto closed = "https://127.0.0.1:" + std::to_string(closed_port());
  expect_no_secret("spark-submit",
                   {
                       {"dry run", with(app, {{"PLUGIN_KUBE_SERVER", closed}, {"PLUGIN_DRY_RUN", "true"}}), 0, true},
                       {"closed port", with(app, {{"PLUGIN_KUBE_SERVER", closed}}), 1},
                       {"secret pasted as the client key",
                        with(app, {{"PLUGIN_KUBE_SERVER", closed}, {"PLUGIN_KUBE_CLIENT_KEY", kSetting}}), 2},
                       {"422 echo", with(app, {{"PLUGIN_KUBE_SERVER", e422->url()}}), 1},
                   });
}

TEST(SecretMatrix, PipelineClient) {
  auto e401 = echo_server(401);
  auto e422 = echo_server(422);
  Env base{{"PLUGIN_TOKEN", kSetting}, {"PLUGIN_ORG", "1"}, {"PLUGIN_CLUSTER_NAME", "c"}};
  auto closed = "http://127.0.0.1:" + std::to_string(closed_port()) + "/pipeline";
  expect_no_secret("pipeline-client",
                   {
                       {"dry run", with(base, {{"PLUGIN_ENDPOINT", closed}, {"PLUGIN_DRY_RUN", "true"}}), 0, true},
                       {"closed port", with(base, {{"PLUGIN_ENDPOINT", closed}}), 1},
                       {"401 echo", with(base, {{"PLUGIN_ENDPOINT", e401->url() + "/pipeline"}}), 1},
                       {"422 echo", with(base, {{"PLUGIN_ENDPOINT", e422->url() + "/pipeline"}}), 1},
                   });
}

TEST(SecretMatrix, KafkaRebalance) {
  auto closed = "127.0.0.1:" + std::to_string(closed_port());
  expect_no_secret(
      "kafka-rebalance",
      {
          {"SASL, closed port",
           {{"PLUGIN_BOOTSTRAP_SERVERS", closed},
            {"PLUGIN_SECURITY_PROTOCOL", "SASL_PLAINTEXT"},
            {"PLUGIN_SASL_MECHANISM", "SCRAM-SHA-512"},
            {"PLUGIN_SASL_USERNAME", "u"},
            {"PLUGIN_SASL_PASSWORD", kSetting}},
           1},
          {"secret pasted as the TLS key",
           {{"PLUGIN_BOOTSTRAP_SERVERS", closed}, {"PLUGIN_SECURITY_PROTOCOL", "SSL"}, {"PLUGIN_TLS_KEY", kSetting}},
           2},
      });
}

TEST(SecretMatrix, TidbScale) {
  auto closed = "http://127.0.0.1:" + std::to_string(closed_port());
  expect_no_secret("tidb-scale", {
                                     {"status, closed port",
                                      {{"PLUGIN_BACKEND", "pd"},
                                       {"PLUGIN_MODE", "status"},
                                       {"PLUGIN_PD_URL", closed},
                                       // Not 30 s of waiting for a leader election per run.
                                       {"PLUGIN_LEADER_WAIT", "0s"}},
                                      1},
                                     {"secret pasted as the PD TLS key",
                                      {{"PLUGIN_BACKEND", "pd"},
                                       {"PLUGIN_MODE", "status"},
                                       {"PLUGIN_PD_URL", closed},
                                       {"PLUGIN_PD_TLS_KEY", kSetting}},
                                      2},
                                 });
}

}  // namespace
}  // namespace sg::testing
