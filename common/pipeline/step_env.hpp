#pragma once
// How each CI host turns a pipeline step into a plugin's environment. The
// tests feed real .pipeline.yml steps to our binaries through it, and
// `spotguide lint` checks a step's settings exactly as its plugin would see them.
// Rules (shared/notes/drone-ecosystem.md, banzai-plugins.md section 1.1):
//  - Drone 1.x/2.x: `settings:` keys -> PLUGIN_ + upper(key), '-' and '.'
//    kept; lists of scalars joined with bare commas; maps and lists of maps
//    as JSON; `from_secret` only at the top level; YAML 1.1 booleans.
//  - Drone 0.8: every non-reserved step key is a setting (same encoding);
//    `secrets: [a, {source: s, target: t}]` inject upper(target).
//  - Woodpecker: '-' and '.' fold to '_'; YAML 1.2 booleans; `from_secret`
//    resolved at any depth; empty values are dropped from the environment.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace sg::pipeline {

enum class Host { Drone, Drone08, Woodpecker };

const char* host_name(Host h);

struct Build {
  std::string repo_owner = "acme";
  std::string repo_name = "app";
  std::string commit = "0123456789abcdef0123456789abcdef01234567";
  std::string branch = "main";
  std::string event = "push";
  std::string build_number = "1";
  std::string workspace = "/drone/src";
  std::string step_name;
};

struct StepEnvironment {
  std::string image;
  std::map<std::string, std::string> env;
  std::vector<std::string> secret_values;  // what the host would mask
  std::vector<std::string> errors;         // e.g. a referenced secret that does not exist
};

// A copy of n with YAML merge keys (`<<: *anchor`) applied, as Go's yaml does.
YAML::Node resolve_merge_keys(const YAML::Node& n);

// Steps of a pipeline document in file order, merge keys applied: `pipeline:` (0.8) or `steps:`
// (Drone 1.x list, Woodpecker list or map).
std::vector<std::pair<std::string, YAML::Node>> pipeline_steps(const YAML::Node& doc);
Host detect_host(const YAML::Node& doc);

StepEnvironment step_environment(Host host, const std::string& step_name, const YAML::Node& step,
                                 const std::map<std::string, std::string>& secrets, Build build);

// Build metadata variables exactly as the host sets them for a plugin step.
std::map<std::string, std::string> metadata_environment(Host host, const Build& build);

// `{from_secret: name}`, the way Drone 1.x and Woodpecker reference secrets.
bool is_from_secret(const YAML::Node& n);

// The key/value pairs the host reads as settings: `settings:` (Drone 1.x,
// Woodpecker), or every non-reserved step key (Drone 0.8).
std::vector<std::pair<std::string, YAML::Node>> setting_nodes(Host host, const YAML::Node& step);

// Exposed for table tests: how a single YAML value is encoded.
std::string encode_value(Host host, const YAML::Node& value);
// Go's strconv.FormatFloat(v, 'g', -1, 64), which Drone uses for floats.
std::string go_format_float(double v);

}  // namespace sg::pipeline
