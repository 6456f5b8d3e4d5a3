// Drives the probe plugin as a CI host would, to check the contract every
// plugin inherits: exit codes, validation before side effects, redaction at
// every log level, outputs, and signal handling.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runner_emulator.hpp"
#include "test_paths.hpp"
#include "util/base64.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sg::testing {
using util::Process;
using util::ProcessResult;
using util::run_process;

namespace {

std::string probe() {
  return bin_dir() + "/sg-probe-plugin";
}

ProcessResult run_probe(std::map<std::string, std::string> env, std::vector<std::string> args = {}) {
  std::vector<std::string> argv{probe()};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace("PATH", "/usr/bin:/bin");
  return run_process(argv, env);
}

// Drone's log extractor removes the card from stdout; do the same here.
nlohmann::json parse_stdout_json(const std::string& out) {
  auto text = out;
  if (auto pos = text.find("\x1b]1338;"); pos != std::string::npos) text.resize(pos);
  return nlohmann::json::parse(text);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST(PluginRuntime, HelpJsonIsAJsonSchema) {
  auto r = run_probe({}, {"--help-json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(j["properties"]["token"]["x-secret"], true);
  EXPECT_TRUE(j["properties"].contains("log_level"));
}

TEST(PluginRuntime, HelpAndVersion) {
  auto help = run_probe({}, {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("PLUGIN_TOKEN, PLUGIN_API_TOKEN, PROBE_TOKEN"), std::string::npos);
  auto bad = run_probe({}, {"--frobnicate"});
  EXPECT_EQ(bad.exit_code, 2);
}

// Woodpecker 1.x's local backend runs a plugin step as `<image> -c ""`.
TEST(PluginRuntime, AcceptsWoodpeckerLocalEmptyScript) {
  auto r = run_probe({{"PLUGIN_NAME", "wp"}}, {"-c", ""});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("probe ran"), std::string::npos) << r.out;
  auto cmds = run_probe({}, {"-c", "make test"});
  EXPECT_EQ(cmds.exit_code, 2);
  EXPECT_NE(cmds.err.find("not `commands:`"), std::string::npos) << cmds.err;
  EXPECT_EQ(cmds.out.find("probe ran"), std::string::npos);
}

TEST(PluginRuntime, InvalidSettingsExitTwoAndListEveryProblem) {
  auto r = run_probe({{"PLUGIN_COUNT", "-1"},
                      {"PLUGIN_TIMEOUT", "forever"},
                      {"PLUGIN_ACTION", "explode"},
                      {"PLUGIN_TOKEN", "tok-should-not-print"},
                      {"PLUGIN_VALUES", "{bad"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("4 problems"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("PLUGIN_COUNT"), std::string::npos);
  EXPECT_NE(r.err.find("PLUGIN_TIMEOUT"), std::string::npos);
  EXPECT_NE(r.err.find("PLUGIN_ACTION"), std::string::npos);
  EXPECT_NE(r.err.find("PLUGIN_VALUES"), std::string::npos);
  EXPECT_EQ(r.err.find("tok-should-not-print"), std::string::npos);
  EXPECT_EQ(r.out.find("probe ran"), std::string::npos);  // exec never ran
}

TEST(PluginRuntime, UnknownKeyWarnsWithSuggestion) {
  auto r = run_probe({{"PLUGIN_NAEM", "x"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("did you mean `name` (PLUGIN_NAME)"), std::string::npos) << r.err;
}

TEST(PluginRuntime, FailureExitsOneWithContextAndHint) {
  auto r = run_probe({{"PLUGIN_ACTION", "fail"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("object demo/x"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: set action: echo"), std::string::npos) << r.err;
}

// Known secrets, printed in every form at every level, never reach the output.
TEST(PluginRuntime, NoSecretInAnyFormAtAnyLevel) {
  const std::string token = "tkn-9f8e7d6c5b4a+/=";
  const std::string password = "pw-0123456789";
  const std::string kube_token = "eyJhbGciOiJSUzI1NiJ9.kube.sig";
  const std::string kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: " + kube_token +
                                 "\nclusters: []\ncontexts: []\n";
  const std::vector<std::string> forbidden = {token,
                                              util::base64_encode(token),
                                              util::url_encode(token),
                                              password,
                                              util::base64_encode("admin:" + password),
                                              kube_token,
                                              util::base64_encode(kubeconfig),
                                              util::base64_encode(kube_token)};
  auto out_file = std::filesystem::temp_directory_path() / ("sg-leak-" + std::to_string(::getpid()));
  for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
    for (const char* format : {"text", "json"}) {
      std::filesystem::remove(out_file);
      auto r = run_probe({{"PLUGIN_ACTION", "leak"},
                          {"PLUGIN_LOG_LEVEL", level},
                          {"PLUGIN_OUTPUT", format},
                          {"PLUGIN_TOKEN", token},
                          {"PLUGIN_USERNAME", "admin"},
                          {"PLUGIN_PASSWORD", password},
                          {"PLUGIN_KUBECONFIG", util::base64_encode(kubeconfig)},
                          {"DRONE_OUTPUT", out_file.string()},
                          {"DRONE_CARD_PATH", "/dev/stdout"}});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      auto files = read_file(out_file);
      // The card is base64 on stdout; decode it so a leak inside is visible.
      std::string card;
      if (auto pos = r.out.find("\x1b]1338;"); pos != std::string::npos) {
        auto end = r.out.find("\x1b]0m", pos);
        card = util::base64_decode(r.out.substr(pos + 7, end - pos - 7)).value_or("");
      }
      ASSERT_FALSE(card.empty()) << "no card on stdout";
      for (const auto& f : forbidden) {
        for (const auto* where : {&r.out, &r.err, &files, &card}) {
          EXPECT_EQ(where->find(f), std::string::npos) << "level " << level << " leaked " << f << " in:\n" << *where;
        }
      }
      EXPECT_NE(r.err.find("******"), std::string::npos) << level;
    }
  }
  std::filesystem::remove(out_file);
}

TEST(PluginRuntime, JsonOutputIsOneDocument) {
  auto r = run_probe(
      {{"PLUGIN_OUTPUT", "json"}, {"PLUGIN_NAME", "n1"}, {"DRONE_REPO", "acme/app"}, {"DRONE_BUILD_NUMBER", "3"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["outputs"]["PROBE_NAME"], "n1");
  EXPECT_EQ(j["data"]["ci"]["repo"], "acme/app");
  EXPECT_EQ(j["data"]["ci"]["build"], "3");
  auto bad = run_probe({{"PLUGIN_OUTPUT", "json"}, {"PLUGIN_COUNT", "x"}});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(bad.out)["status"], "invalid_settings");
}

TEST(PluginRuntime, SigtermRunsCleanupAndExits143) {
  for (auto [sig, code] : {std::pair{SIGTERM, 143}, std::pair{SIGINT, 130}}) {
    Process p({probe()}, {{"PLUGIN_ACTION", "wait"}});
    ASSERT_TRUE(p.wait_for_output("waiting", std::chrono::seconds(10)));
    p.signal(sig);
    auto r = p.wait(std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, code);
    EXPECT_NE(r.out.find("cleanup done"), std::string::npos);
  }
}

// Each host's encoding of the same YAML step reaches the same settings.
TEST(PluginRuntime, SameStepThroughEveryHost) {
  auto step = YAML::Load(R"(
image: sg-probe-plugin
settings:
  name: demo
  dry-run: true
  count: 3
  timeout: 90
  commands: ["echo a\\,b", "ls -la"]
  values: {a: {b: "x+y&z"}, list: [1, 2]}
  token: {from_secret: probe_token}
)");
  for (auto host : {Host::Drone, Host::Woodpecker}) {
    auto se = step_environment(host, "probe", step, {{"probe_token", "secret-token-1"}}, {});
    se.env["PLUGIN_OUTPUT"] = "json";
    auto r = run_probe(se.env);
    ASSERT_EQ(r.exit_code, 0) << host_name(host) << r.err;
    EXPECT_EQ(r.err.find("unknown setting"), std::string::npos) << r.err;
    auto s = parse_stdout_json(r.out)["data"]["settings"];
    EXPECT_EQ(s["dry_run"], true) << host_name(host);
    EXPECT_EQ(s["count"], 3);
    EXPECT_EQ(s["timeout"], "90s");
    EXPECT_EQ(s["commands"], nlohmann::json::array({"echo a,b", "ls -la"}));
    EXPECT_EQ(s["values"]["a"]["b"], "x+y&z");
    EXPECT_EQ(s["token"], "<redacted>");
  }
}

}  // namespace sg::testing
