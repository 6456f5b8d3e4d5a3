#include "plugin.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "config.hpp"
#include "dotenv.hpp"
#include "log/log.hpp"
#include "plan.hpp"
#include "runner.hpp"
#include "runtime/error.hpp"
#include "settings.hpp"
#include "util/strings.hpp"
#include "workspace.hpp"

namespace sg::pipeline_client {
namespace {

// The original wrote every PLUGIN_* variable, the token included, to the
// workspace's .env. Such lines are never read; say so, once.
void warn_about_old_secrets(const std::string& path, const std::string& text) {
  std::vector<std::string> keys;
  for (const auto& s : schema().settings) {
    if (!s.is_secret()) continue;
    keys.push_back(settings::env_name(s.name));
    for (const auto& bare : s.env_names)
      keys.push_back(bare);
  }
  keys.emplace_back("PLUGIN_PASSWORD");
  auto found = dotenv::values_of(text, keys);
  if (found.empty()) return;
  std::vector<std::string> names;
  for (const auto& [k, v] : found)
    names.push_back(k);
  spdlog::warn("{} holds {} (the original pipeline-client wrote secrets there); they are ignored: delete them", path,
               util::join(names, ", "));
}

// Settings shared by an earlier step of the build through the workspace's
// .env apply where this step does not set them itself.
settings::Values merge_shared(const Context& ctx, const std::string& ws) {
  const auto& base = ctx.settings;
  auto path = workspace::dotenv_path(ws);
  auto text = workspace::read_text(path);
  if (text.empty()) return base;
  warn_about_old_secrets(path, text);
  std::vector<std::string> vars;
  for (const auto& [setting, var] : shared_settings())
    vars.push_back(var);
  auto found = dotenv::values_of(text, vars);
  settings::Environment env = ctx.env;
  std::vector<std::string> used;
  for (const auto& [setting, var] : shared_settings()) {
    auto it = found.find(var);
    if (base.is_set(setting) || it == found.end() || it->second.empty()) continue;
    env[var] = it->second;
    used.push_back(setting + "=" + it->second);
  }
  if (used.empty()) return base;
  auto r = settings::resolve(*base.schema(), env);
  if (!r.errors.empty()) {
    throw SettingsError("a setting shared by an earlier step through " + path + " is invalid: " + r.errors.front(),
                        "set it in this step, or delete its line from " + path);
  }
  spdlog::info("from {} (shared by an earlier step): {}", path, util::join(used, ", "));
  return r.values;
}

int exec(Context& ctx) {
  const auto& v = ctx.settings;
  auto ws = v.has("path") ? v.str("path") : ctx.ci.workspace;
  auto values = merge_shared(ctx, ws);
  auto config = config_from(values, ws, ctx.ci.repo_owner);
  if (auto errors = validate(config); !errors.empty()) {
    throw SettingsError(util::join(errors, "; "), "fix the settings named above; nothing was sent or written");
  }

  if (config.dry_run) {
    bool token = !config.token.empty();
    auto requests = nlohmann::json::array();
    for (const auto& p : plan(config)) {
      requests.push_back(describe_json(config.endpoint, p, token));
      if (ctx.report.format() == output::Format::Text) log::print(describe(config.endpoint, p, token) + "\n");
    }
    ctx.report.data()["requests"] = requests;
    ctx.report.line("dry run: nothing was sent to " + config.endpoint + " and nothing was written");
    return 0;
  }
  if (config.token.empty()) {
    spdlog::warn("no token: the requests go without credentials (set `token`, the plugin_token secret in Drone 0.8)");
  }
  run(ctx, config);
  return 0;
}

}  // namespace

Plugin plugin() {
  return {schema(), exec};
}

}  // namespace sg::pipeline_client
