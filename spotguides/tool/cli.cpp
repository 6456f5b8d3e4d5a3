#include "cli.hpp"

#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "detect.hpp"
#include "lint.hpp"
#include "registry.hpp"
#include "render.hpp"
#include "runtime/exit_codes.hpp"
#include "spotguide.hpp"
#include "util/strings.hpp"
#include "yaml/bounded.hpp"

namespace sg::spotguide {
namespace {

constexpr const char* kUsage = R"(usage: spotguide [--spotguides DIR] [--max-input-mib N] <command> [args]

commands:
  list                      the spotguides and what they are for
  detect [DIR]              which spotguide fits the git repository at DIR (default .), and why
  render NAME [--set k=v]... [--out FILE] [--values-out FILE]
                            fill a spotguide's .pipeline.yml with parameters (stdout by
                            default); the result is linted before it is written
  lint FILE...              check .pipeline.yml files (Drone 0.8, Drone 1.x, Woodpecker)
                            against every plugin's settings schema
  check                     load, render (with defaults) and lint every spotguide

options:
  --max-input-mib N         the largest file lint reads and YAML text it loads, in MiB
                            (default 16, at most 1024)

exit codes: 0 ok, 1 failed (lint errors, no match), 2 usage
)";

constexpr std::size_t kDefaultMaxInputMib = 16;
constexpr std::size_t kLargestMaxInputMib = 1024;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) throw std::runtime_error(path + ": cannot be written");
}

const Spotguide& find_guide(const std::vector<Spotguide>& all, const std::string& name) {
  for (const auto& g : all) {
    if (g.name == name) return g;
  }
  std::vector<std::string> names;
  for (const auto& g : all)
    names.push_back(g.name);
  throw UsageError("no spotguide named " + name + " (there are: " + util::join(names, ", ") + ")");
}

int cmd_list(const std::vector<Spotguide>& all) {
  for (const auto& g : all)
    std::cout << g.name << "\t" << g.description << "\n";
  return exit_code::kOk;
}

int cmd_detect(const std::vector<Spotguide>& all, const std::vector<std::string>& args) {
  if (args.size() > 1) throw UsageError("detect takes at most one directory");
  auto dir = args.empty() ? std::string(".") : args[0];
  auto files = read_head_files(dir);
  auto matches = detect(files, all);
  if (matches.empty()) {
    std::cout << "no spotguide matches " << dir << " (" << files.size()
              << " files at HEAD); `spotguide list` shows what each one looks for\n";
    return exit_code::kFailed;
  }
  std::cout << matches.front().spotguide << "\n";
  for (const auto& m : matches) {
    std::cout << "  " << m.spotguide << " (score " << m.score << "):\n";
    for (const auto& r : m.reasons)
      std::cout << "    - " << r << "\n";
  }
  return exit_code::kOk;
}

int cmd_render(const std::vector<Spotguide>& all, const std::vector<std::string>& args) {
  std::optional<std::string> name, out, values_out;
  std::map<std::string, std::string> params;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
      return args[++i];
    };
    if (args[i] == "--set") {
      auto kv = value();
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw UsageError("--set takes name=value, got " + kv);
      params[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (args[i] == "--out") {
      out = value();
    } else if (args[i] == "--values-out") {
      values_out = value();
    } else if (!name && !args[i].starts_with("-")) {
      name = args[i];
    } else {
      throw UsageError("render: unexpected argument " + args[i]);
    }
  }
  if (!name) throw UsageError("render needs a spotguide name");
  auto rendered = render(find_guide(all, *name), params);
  auto lint_result = lint(rendered.pipeline);
  if (lint_result.errors() > 0) {
    std::cerr << format(*name + " (rendered)", lint_result);
    return exit_code::kFailed;
  }
  for (const auto& i : lint_result.issues)
    std::cerr << "warning: " << (i.step.empty() ? "" : "step `" + i.step + "`: ") << i.message << "\n";
  if (out) {
    write_file(*out, rendered.pipeline);
  } else {
    std::cout << rendered.pipeline;
  }
  if (values_out) write_file(*values_out, rendered.values);
  return exit_code::kOk;
}

int cmd_lint(const std::vector<std::string>& files, const yaml::Limits& limits) {
  if (files.empty()) throw UsageError("lint needs at least one file");
  int errors = 0;
  for (const auto& f : files) {
    // Read in chunks up to the cap: `lint /dev/zero` stops after 16 MiB.
    auto text = yaml::read_file(f, limits.max_bytes, "pass --max-input-mib to read a larger file");
    auto r = lint(text, limits);
    std::cout << format(f, r);
    errors += r.errors();
  }
  return errors > 0 ? exit_code::kFailed : exit_code::kOk;
}

int cmd_check(const std::vector<Spotguide>& all) {
  int failed = 0;
  for (const auto& g : all) {
    std::map<std::string, std::string> params;
    for (const auto& p : g.parameters) {
      if (p.required) params[p.name] = "example-" + p.name;
    }
    try {
      auto r = lint(render(g, params).pipeline);
      std::cout << format(g.name + "/pipeline.yml", r);
      failed += r.errors() > 0;
    } catch (const SpotguideError& e) {
      std::cout << g.name << ": " << e.what() << "\n";
      ++failed;
    }
  }
  return failed > 0 ? exit_code::kFailed : exit_code::kOk;
}

}  // namespace

int run_cli(const std::vector<std::string>& argv) {
  std::vector<std::string> args = argv;
  std::optional<std::string> root;
  yaml::Limits limits;
  limits.max_bytes = kDefaultMaxInputMib << 20;
  try {
    while (!args.empty() && args.front().starts_with("-")) {
      if (args.front() == "--help" || args.front() == "-h") {
        std::cout << kUsage;
        return exit_code::kOk;
      }
      if (args.front() == "--spotguides" && args.size() > 1) {
        root = args[1];
        args.erase(args.begin(), args.begin() + 2);
        continue;
      }
      if (args.front() == "--max-input-mib" && args.size() > 1) {
        std::size_t mib = 0;
        const auto& v = args[1];
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), mib);
        if (ec != std::errc() || ptr != v.data() + v.size() || mib == 0 || mib > kLargestMaxInputMib) {
          throw UsageError("--max-input-mib takes a whole number of MiB from 1 to " +
                           std::to_string(kLargestMaxInputMib) + ", got " + v);
        }
        limits.max_bytes = mib << 20;
        args.erase(args.begin(), args.begin() + 2);
        continue;
      }
      throw UsageError("unknown option " + args.front());
    }
    if (args.empty()) throw UsageError("a command is required");
    auto cmd = args.front();
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "lint") return cmd_lint(rest, limits);
    auto all = load_all(root ? std::filesystem::path(*root) : default_root());
    if (cmd == "list") return cmd_list(all);
    if (cmd == "detect") return cmd_detect(all, rest);
    if (cmd == "render") return cmd_render(all, rest);
    if (cmd == "check") return cmd_check(all);
    throw UsageError("unknown command " + cmd);
  } catch (const UsageError& e) {
    std::cerr << "spotguide: " << e.what() << "\n\n" << kUsage;
    return exit_code::kInvalidSettings;
  } catch (const std::exception& e) {
    std::cerr << "spotguide: " << e.what() << "\n";
    return exit_code::kFailed;
  }
}

}  // namespace sg::spotguide
