#pragma once
// Build metadata from whichever CI runs us. One table of fallbacks:
// DRONE_* (also set by Woodpecker for plugin steps), then Woodpecker's CI_*,
// then CIRCLE_*, then TRAVIS_*, then the git checkout in the working directory.
#include <map>
#include <string>

#include "settings/resolve.hpp"

namespace sg::ci {

struct Metadata {
  std::string system;  // drone, woodpecker, circleci, travis, git, none
  std::string repo_owner;
  std::string repo_name;
  std::string commit;
  std::string branch;
  std::string tag;
  std::string event;
  std::string build_number;
  std::string workspace;
  std::string step_name;
  std::string remote_url;
  // field name -> the variable (or "git") that supplied it, for --debug.
  std::map<std::string, std::string> sources;

  std::string repo_slug() const { return repo_owner.empty() ? repo_name : repo_owner + "/" + repo_name; }
};

// `cwd` is where the git fallback looks (the workspace for a plugin step).
Metadata resolve(const settings::Environment& env, const std::string& cwd);

// Parses owner and name out of a clone URL (https, ssh, scp-like).
bool parse_remote(const std::string& url, std::string& owner, std::string& name);

}  // namespace sg::ci
