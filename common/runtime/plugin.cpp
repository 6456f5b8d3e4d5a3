#include "runtime/plugin.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "http/client.hpp"
#include "log/log.hpp"
#include "log/redactor.hpp"
#include "runtime/error.hpp"
#include "runtime/exit_codes.hpp"
#include "settings/help.hpp"

extern char** environ;

#ifndef SPOTGUIDE_VERSION
#define SPOTGUIDE_VERSION "0.0.0-dev"
#endif

namespace sg {

const char* version() {
  return SPOTGUIDE_VERSION;
}

namespace {

std::string log_level_from(const settings::Values& values) {
  std::string level = values.has("log_level") ? values.str("log_level") : "info";
  if (values.has("debug") && values.flag("debug") && level != "trace") level = "debug";
  return level;
}

int usage_error(const Plugin& plugin, const std::string& arg) {
  std::cerr << plugin.schema.plugin << ": unknown argument " << arg
            << "\nSettings are read from PLUGIN_* environment variables; see --help.\n";
  return exit_code::kInvalidSettings;
}

void report_error(const Error& e) {
  spdlog::error("{}", e.what());
  if (!e.hint().empty()) spdlog::error("hint: {}", e.hint());
}

}  // namespace

int run_plugin(const Plugin& plugin, int argc, char** argv) {
  const auto& schema = plugin.schema;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << settings::help_text(schema);
      return exit_code::kOk;
    }
    if (arg == "--help-json") {
      std::cout << settings::json_schema(schema).dump(2) << "\n";
      return exit_code::kOk;
    }
    if (arg == "--help-markdown") {
      std::cout << settings::markdown_table(schema);
      return exit_code::kOk;
    }
    if (arg == "--version") {
      std::cout << schema.plugin << " " << version() << "\n";
      return exit_code::kOk;
    }
    // Woodpecker 1.x's local backend starts every step as `<image> -c
    // <commands>`, so a plugin step (no commands) arrives as `-c ""`. Accept
    // exactly that; commands next to a plugin image are a pipeline mistake.
    if (arg == "-c" && i + 1 == argc - 1 && std::string_view(argv[i + 1]).empty()) break;
    if (arg == "-c" && i + 1 < argc) {
      std::cerr << plugin.schema.plugin << ": got commands (`-c " << argv[i + 1]
                << "`); a plugin step takes `settings:`, not `commands:`.\n";
      return exit_code::kInvalidSettings;
    }
    return usage_error(plugin, std::string(arg));
  }

  install_signal_handlers();
  // A peer closing a socket must surface as an error on that connection,
  // not kill the step.
  std::signal(SIGPIPE, SIG_IGN);
  auto env = settings::environment_from(environ);
  auto resolution = settings::resolve(schema, env);
  for (const auto& s : resolution.secret_values)
    log::redactor().add_secret(s);
  log::init(log_level_from(resolution.values));

  auto format = resolution.values.has("output") && resolution.values.str("output") == "json" ? output::Format::Json
                                                                                             : output::Format::Text;
  output::Report report(schema.plugin, env, format);
  for (const auto& w : resolution.warnings)
    spdlog::warn("{}", w);
  if (!resolution.errors.empty()) {
    spdlog::error("invalid settings ({} problem{}); nothing was changed:", resolution.errors.size(),
                  resolution.errors.size() == 1 ? "" : "s");
    for (const auto& e : resolution.errors)
      spdlog::error("  - {}", e);
    spdlog::error("run `{} --help` for every setting, its type and an example", schema.plugin);
    report.finish(exit_code::kInvalidSettings, "invalid settings: " + resolution.errors.front());
    return exit_code::kInvalidSettings;
  }

  if (resolution.values.has("max_response_mib"))
    http::set_default_max_body_bytes(static_cast<std::size_t>(resolution.values.integer("max_response_mib")) << 20);

  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec).string();
  auto metadata = ci::resolve(env, cwd);
  spdlog::debug("{} {} settings: {}", schema.plugin, version(), resolution.values.to_json_redacted().dump());
  spdlog::debug("ci: system={} repo={} commit={} branch={} build={} event={} workspace={}", metadata.system,
                metadata.repo_slug(), metadata.commit, metadata.branch, metadata.build_number, metadata.event,
                metadata.workspace);

  auto& cancel = process_cancel_token();
  Context ctx{resolution.values, env, metadata, report, cancel};
  int code = exit_code::kFailed;
  std::string message, hint;
  try {
    code = plugin.exec(ctx);
    if (cancel.cancelled() && code == exit_code::kOk) code = cancel.exit_code();
  } catch (const Cancelled& e) {
    code = e.exit_code();
    message = "cancelled";
    // Whether remote objects were cleaned up is the plugin's to say: only it
    // knows what it created and whether deleting it finished.
    spdlog::warn("cancelled by signal; exiting with {}", code);
  } catch (const Error& e) {
    code = e.exit_code();
    message = e.what();
    hint = e.hint();
    report_error(e);
  } catch (const std::exception& e) {
    code = exit_code::kFailed;
    message = std::string("internal error: ") + e.what();
    spdlog::error("{}", message);
  }
  report.finish(code, message, hint);
  return code;
}

}  // namespace sg
