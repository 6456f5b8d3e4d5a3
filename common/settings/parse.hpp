#pragma once
// Typed parsers for setting values as CI hosts deliver them. Each throws
// ParseFailure whose text completes "expected ..." for the error message.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg::settings {

struct ParseFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// true/false/1/0/yes/no/on/off, any case (CircleCI orbs render 1/0).
bool parse_bool(std::string_view text);
std::int64_t parse_int(std::string_view text);
// 30s, 5m, 1h, 1h30m, 500ms, 1.5h, or a bare number of seconds.
std::chrono::milliseconds parse_duration(std::string_view text);
// A JSON array, or a comma string where "\," is a literal comma (runners join
// YAML lists with bare commas, so that is the only way to keep one).
std::vector<std::string> parse_list(std::string_view text);
// A JSON object (Drone and Woodpecker encode YAML maps so), or k=v pairs
// separated by commas. Duplicate keys are rejected in both forms.
nlohmann::json parse_map(std::string_view text);
// How deep a JSON list or map setting may nest. Real settings nest two or
// three levels (a pod template's tolerations); the bound keeps every later
// walk of the value shallow.
inline constexpr std::size_t kMaxSettingDepth = 32;

// Parses JSON rejecting duplicate object keys anywhere in the document and
// nesting deeper than kMaxSettingDepth.
nlohmann::json parse_json_strict(std::string_view text);

std::string format_duration(std::chrono::milliseconds d);

}  // namespace sg::settings
