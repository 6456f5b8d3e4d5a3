#include "output/output.hpp"

#include <cctype>
#include <fstream>

#include "log/log.hpp"
#include "log/redactor.hpp"
#include "runtime/error.hpp"
#include "runtime/exit_codes.hpp"
#include "util/base64.hpp"

namespace sg::output {
namespace {

// Where the card schema (an adaptive-card template) is published.
constexpr const char* kCardSchema =
    "https://raw.githubusercontent.com/spotguide-plugins/spotguide-plugins/main/docs/card.json";

std::string env_or_empty(const settings::Environment& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string{} : it->second;
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream f(path, std::ios::app);
  if (!f) {
    spdlog::warn("cannot write outputs to {}: check that the directory exists and is writable", path);
    return;
  }
  f << line << '\n';
}

}  // namespace

std::string status_for_exit_code(int exit_code) {
  switch (exit_code) {
    case exit_code::kOk:
      return "success";
    case exit_code::kInvalidSettings:
      return "invalid_settings";
    case exit_code::kInterrupted:
    case exit_code::kTerminated:
      return "cancelled";
    default:
      return "failed";
  }
}

Report::Report(std::string plugin, const settings::Environment& env, Format format)
    : plugin_(std::move(plugin)),
      format_(format),
      output_file_(env_or_empty(env, "DRONE_OUTPUT")),
      harness_output_file_(env_or_empty(env, "HARNESS_OUTPUT")),
      card_path_(env_or_empty(env, "DRONE_CARD_PATH")) {}

void Report::set(const std::string& key, const std::string& value) {
  bool key_ok = !key.empty();
  for (char c : key) {
    key_ok = key_ok &&
             (std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  }
  if (!key_ok) throw std::logic_error("output key '" + key + "' must match [A-Z0-9_]+");
  if (value.find('\n') != std::string::npos) throw std::logic_error("output " + key + " must be one line");
  auto safe = log::redact(value);
  for (auto& [k, v] : outputs_) {
    if (k == key) {
      v = safe;  // a later value of the same result replaces the earlier one
      return;
    }
  }
  outputs_.emplace_back(key, safe);
}

void Report::line(const std::string& text) {
  if (stream_lines_ && format_ == Format::Text) {
    log::print(text + "\n");
    return;
  }
  lines_.push_back(text);
}

std::string Report::card_bytes() const {
  nlohmann::json card = {{"schema", kCardSchema}, {"data", data_}};
  card["data"]["plugin"] = plugin_;
  auto outputs = nlohmann::json::object();
  for (const auto& [k, v] : outputs_)
    outputs[k] = v;
  card["data"]["outputs"] = outputs;
  card["data"]["summary"] = lines_;
  auto json = log::redact(card.dump());
  return "\x1b]1338;" + util::base64_encode(json) + "\x1b]0m";
}

void Report::finish(int exit_code, const std::string& error_message, const std::string& hint) {
  if (finished_) return;
  finished_ = true;
  if (format_ == Format::Json) {
    nlohmann::json doc = {{"plugin", plugin_}, {"status", status_for_exit_code(exit_code)}, {"exit_code", exit_code}};
    auto outputs = nlohmann::json::object();
    for (const auto& [k, v] : outputs_)
      outputs[k] = v;
    doc["outputs"] = outputs;
    doc["summary"] = lines_;
    doc["data"] = data_;
    if (!error_message.empty()) doc["error"] = {{"message", error_message}, {"hint", hint}};
    log::print(doc.dump(2) + "\n");
  } else {
    std::string text;
    for (const auto& l : lines_)
      text += l + "\n";
    for (const auto& [k, v] : outputs_)
      text += "  " + k + "=" + v + "\n";
    if (!text.empty()) log::print(text);
  }
  // Only successful steps publish outputs: Harness reads them only on exit 0
  // and a half-written result would mislead the next step.
  if (exit_code == exit_code::kOk) {
    for (const auto* path : {&output_file_, &harness_output_file_}) {
      if (path->empty()) continue;
      if (path == &harness_output_file_ && *path == output_file_) continue;
      for (const auto& [k, v] : outputs_)
        append_line(*path, k + "=" + v);
    }
  }
  if (!card_path_.empty()) {
    auto bytes = card_bytes() + "\n";
    if (card_path_ == "/dev/stdout") {
      log::print(bytes);
    } else {
      std::ofstream f(card_path_, std::ios::app | std::ios::binary);
      if (f)
        f << bytes;
      else
        spdlog::warn("cannot write the card to {}", card_path_);
    }
  }
}

}  // namespace sg::output
