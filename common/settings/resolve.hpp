#pragma once
// Turns the process environment into validated Values, following the lookup
// rules every CI host forces on us (see docs in settings/README.md).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "settings/setting.hpp"
#include "settings/values.hpp"

namespace sg::settings {

using Environment = std::map<std::string, std::string, std::less<>>;

Environment environment_from(char** envp);

struct Resolution {
  Values values;
  std::vector<std::string> errors;    // every problem, not only the first
  std::vector<std::string> warnings;  // unknown keys, conflicting spellings
  // Raw values to hand to the redactor: secret settings and any variable a
  // template pulled in that could have come from a CI secret.
  std::vector<std::string> secret_values;
  std::set<std::string> consumed;  // variables read, directly or by templates
};

Resolution resolve(const Schema& schema, const Environment& env);

// "did you mean" for an unknown key; empty when nothing is close.
std::string suggest(const Schema& schema, const std::string& unknown_key);

}  // namespace sg::settings
