#pragma once
// `spotguide lint`: checks every step of a .pipeline.yml that runs one of our
// plugins (or Banzai's originals) against that plugin's settings schema,
// seeing the step exactly as the plugin would: the host's encoding of each
// value (common/pipeline/step_env), then the plugin's own resolution.
#include <string>
#include <vector>

#include "yaml/bounded.hpp"

namespace sg::spotguide {

struct LintIssue {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  std::string step;  // empty for file-level problems
  std::string message;
};

struct LintResult {
  std::string host;  // "drone", "drone-0.8" or "woodpecker"
  int steps_checked = 0;
  std::vector<LintIssue> issues;
  int errors() const;
  int warnings() const;
};

// The text is loaded within `limits` (size, nesting, alias expansion); a
// text beyond them is one error naming the limit, and nothing is checked.
LintResult lint(const std::string& yaml_text, const yaml::Limits& limits = {});

// "file: step `x`: error: …" lines and a one-line tally.
std::string format(const std::string& file, const LintResult& r);

}  // namespace sg::spotguide
