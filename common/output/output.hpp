#pragma once
// What a plugin reports when it ends: a short human summary on stdout, or
// one JSON document with `output: json`; KEY=value lines to DRONE_OUTPUT
// (Harness and the CircleCI orb read them); a Drone card when
// DRONE_CARD_PATH is set. Every byte passes through the redactor.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "settings/resolve.hpp"

namespace sg::output {

enum class Format { Text, Json };

class Report {
 public:
  Report(std::string plugin, const settings::Environment& env, Format format);

  // A result other steps can use; KEY must be [A-Z0-9_]+ and the value one line.
  void set(const std::string& key, const std::string& value);
  void line(const std::string& text);  // human summary line
  // Long-running modes (monitors) print each line at once instead of
  // collecting them for the end, so their logs stay live and bounded.
  void stream_lines(bool on) { stream_lines_ = on; }
  nlohmann::json& data() { return data_; }  // structured details (JSON output, card)
  Format format() const { return format_; }

  // Writes everything; `status` is success|failed|invalid_settings|cancelled.
  void finish(int exit_code, const std::string& error_message = {}, const std::string& hint = {});

  // The card payload, exposed for tests: ESC]1338;<base64 json>ESC]0m
  std::string card_bytes() const;
  const std::vector<std::pair<std::string, std::string>>& outputs() const { return outputs_; }

 private:
  std::string plugin_;
  Format format_;
  std::string output_file_;
  std::string harness_output_file_;
  std::string card_path_;
  std::vector<std::pair<std::string, std::string>> outputs_;
  std::vector<std::string> lines_;
  nlohmann::json data_ = nlohmann::json::object();
  bool finished_ = false;
  bool stream_lines_ = false;
};

std::string status_for_exit_code(int exit_code);

}  // namespace sg::output
