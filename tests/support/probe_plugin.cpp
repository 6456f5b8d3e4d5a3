// A test-only plugin that exercises the shared runtime end to end: every
// setting type, secrets logged at every level, outputs, failure and
// cancellation paths. It is not shipped; tests run it as a CI host would.
#include <spdlog/spdlog.h>

#include "log/log.hpp"
#include "log/redactor.hpp"
#include "runtime/error.hpp"
#include "runtime/plugin.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace {

sg::settings::Schema schema() {
  using sg::settings::Type;
  sg::settings::Schema s{.plugin = "sg-probe-plugin", .summary = "test double for the plugin runtime"};
  s.settings = {
      {.name = "action",
       .type = Type::Enum,
       .default_value = "echo",
       .description = "What to do.",
       .choices = {"echo", "fail", "wait", "leak"}},
      {.name = "dry_run", .type = Type::Bool, .default_value = "false", .description = "Dry run."},
      {.name = "name", .type = Type::String, .description = "A name.", .example = "demo"},
      {.name = "count", .type = Type::Int, .default_value = "1", .description = "A count.", .min = 0},
      {.name = "timeout", .type = Type::Duration, .default_value = "30s", .description = "A timeout."},
      {.name = "commands", .type = Type::List, .description = "Commands."},
      {.name = "values", .type = Type::Map, .description = "Values."},
      {.name = "token",
       .type = Type::Secret,
       .aliases = {"api_token"},
       .env_names = {"PROBE_TOKEN"},
       .description = "A token."},
      {.name = "kubeconfig", .type = Type::Secret, .description = "Inline kubeconfig."},
      {.name = "username", .type = Type::String, .description = "Basic-auth user."},
      {.name = "password", .type = Type::Secret, .description = "Basic-auth password."},
  };
  return s.with_common();
}

int exec(sg::Context& ctx) {
  const auto& v = ctx.settings;
  const auto& action = v.str("action");
  if (action == "fail") throw sg::Error("the probe failed on purpose for object demo/x", "set action: echo");
  if (action == "wait") {
    sg::log::print("waiting\n");
    while (ctx.cancel.sleep_for(std::chrono::milliseconds(50))) {
    }
    // A plugin's cleanup runs here, after the signal, before exiting.
    sg::log::print("cleanup done\n");
    ctx.cancel.throw_if_cancelled();
  }
  if (action == "leak") {
    // Tries every way a careless plugin could print a secret.
    const auto& token = v.str("token");
    const auto& user = v.str("username");
    const auto& pw = v.str("password");
    sg::log::redactor().add_basic_auth(user, pw);
    auto basic = sg::util::base64_encode(user + ":" + pw);
    for (auto lvl :
         {spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err}) {
      spdlog::log(lvl, "token={} b64={} url={} header=Authorization: Bearer {} basic=Authorization: Basic {}", token,
                  sg::util::base64_encode(token), sg::util::url_encode(token), token, basic);
      spdlog::log(lvl, "kubeconfig={}", v.str("kubeconfig"));
      spdlog::log(lvl, "kubeconfig-b64={}", sg::util::base64_encode(v.str("kubeconfig")));
    }
    sg::log::print("stdout token=" + token + "\n");
    ctx.report.set("LEAK_ATTEMPT", token);
    ctx.report.data()["token"] = token;
  }
  ctx.report.line("probe ran action " + action);
  ctx.report.set("PROBE_NAME", v.str("name"));
  ctx.report.data()["settings"] = v.to_json_redacted();
  ctx.report.data()["ci"] = {{"system", ctx.ci.system}, {"repo", ctx.ci.repo_slug()}, {"build", ctx.ci.build_number}};
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return sg::run_plugin({schema(), exec}, argc, argv);
}
