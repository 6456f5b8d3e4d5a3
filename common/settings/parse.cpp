#include "settings/parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "util/json.hpp"
#include "util/strings.hpp"

namespace sg::settings {

bool parse_bool(std::string_view text) {
  auto v = util::to_lower(util::trim(text));
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  throw ParseFailure("a boolean: true/false, 1/0, yes/no or on/off");
}

std::int64_t parse_int(std::string_view text) {
  auto v = util::trim(text);
  std::int64_t out = 0;
  const char* first = v.data();
  const char* last = v.data() + v.size();
  if (!v.empty() && v[0] == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, last, out);
  if (v.empty() || ec == std::errc::result_out_of_range) {
    throw ParseFailure("an integer within 64 bits");
  }
  if (ec != std::errc() || ptr != last) throw ParseFailure("an integer, e.g. 3");
  return out;
}

std::chrono::milliseconds parse_duration(std::string_view text) {
  constexpr const char* kExpected = "a duration such as 30s, 5m, 1h, 1h30m, 500ms, or a number of seconds";
  auto v = util::trim(text);
  if (v.empty()) throw ParseFailure(kExpected);
  auto all_digits = [](std::string_view s) {
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return !s.empty();
  };
  if (all_digits(v)) {
    if (v.size() > 12) throw ParseFailure(kExpected);
    return std::chrono::seconds(parse_int(v));
  }
  double total_ms = 0;
  std::size_t i = 0;
  while (i < v.size()) {
    std::size_t start = i;
    while (i < v.size() && (std::isdigit(static_cast<unsigned char>(v[i])) || v[i] == '.'))
      ++i;
    if (start == i) throw ParseFailure(kExpected);
    std::string number = v.substr(start, i - start);
    if (number.size() > 15 || std::count(number.begin(), number.end(), '.') > 1) throw ParseFailure(kExpected);
    // from_chars, not stod: "." alone is a digit run here, and stod would
    // throw for it instead of refusing the value.
    double n = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (ec != std::errc() || end != number.data() + number.size()) throw ParseFailure(kExpected);
    std::size_t ustart = i;
    while (i < v.size() && std::isalpha(static_cast<unsigned char>(v[i])))
      ++i;
    std::string unit = util::to_lower(v.substr(ustart, i - ustart));
    double factor = 0;
    if (unit == "ms")
      factor = 1;
    else if (unit == "s")
      factor = 1000;
    else if (unit == "m")
      factor = 60'000;
    else if (unit == "h")
      factor = 3'600'000;
    else if (unit == "d")
      factor = 86'400'000;
    else
      throw ParseFailure(kExpected);
    total_ms += n * factor;
  }
  if (total_ms > 1e15) throw ParseFailure(kExpected);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

namespace {

// Splits on commas not preceded by a backslash; "\," becomes ",".
std::vector<std::string> split_escaped(std::string_view text) {
  std::vector<std::string> items;
  std::string cur;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == ',') {
      cur += ',';
      ++i;
    } else if (c == ',') {
      items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  items.push_back(cur);
  return items;
}

// Values are checked for UTF-8 where they are resolved; the list and map
// parsers check again because their pieces become JSON strings, which
// cannot hold invalid UTF-8 (dumping one throws), and they are public.
void require_utf8(std::string_view text) {
  if (!util::valid_utf8(text)) throw ParseFailure("valid UTF-8 text");
}

}  // namespace

nlohmann::json parse_json_strict(std::string_view text) {
  try {
    return util::parse_json(text, {.max_depth = kMaxSettingDepth, .max_bytes = text.size()}, true);
  } catch (const util::JsonError& e) {
    std::string what = e.what();
    if (what.find("appears twice") != std::string::npos)
      throw ParseFailure("JSON without duplicate keys (" + what + ")");
    throw ParseFailure("valid JSON (" + what + ")");
  }
}

std::vector<std::string> parse_list(std::string_view text) {
  require_utf8(text);
  auto trimmed = util::trim(text);
  if (trimmed.empty()) return {};
  if (trimmed.front() == '[') {
    nlohmann::json doc;
    try {
      doc = parse_json_strict(trimmed);
    } catch (const ParseFailure&) {
      // An item may start with '[' ("[skip ci] deploy"), but a value that
      // opens like a JSON array of strings, or closes like one, was meant as
      // JSON: a truncated one must fail, not turn into comma-split pieces.
      auto after = util::trim(trimmed.substr(1));
      if (trimmed.back() == ']' || after.empty() || after.front() == '"' || after.front() == '[' ||
          after.front() == '{') {
        throw;
      }
      doc = nullptr;
    }
    if (doc.is_array()) {
      std::vector<std::string> out;
      for (const auto& item : doc) {
        if (item.is_string())
          out.push_back(item.get<std::string>());
        else if (item.is_number() || item.is_boolean())
          out.push_back(item.dump());
        else
          throw ParseFailure("a list of strings (item " + std::to_string(out.size() + 1) + " is " + item.type_name() +
                             ")");
      }
      return out;
    }
  }
  std::vector<std::string> out;
  for (auto& item : split_escaped(text)) {
    auto t = util::trim(item);
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

nlohmann::json parse_map(std::string_view text) {
  require_utf8(text);
  auto trimmed = util::trim(text);
  auto out = nlohmann::json::object();
  if (trimmed.empty()) return out;
  if (trimmed.front() == '{') {
    auto doc = parse_json_strict(trimmed);
    if (!doc.is_object()) throw ParseFailure("a JSON object");
    return doc;
  }
  for (auto& pair : split_escaped(text)) {
    auto t = util::trim(pair);
    if (t.empty()) continue;
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      // Names the pair by position: its text may be part of a secret.
      throw ParseFailure("a JSON object or key=value pairs separated by commas (pair " +
                         std::to_string(out.size() + 1) + " has no key=)");
    }
    auto key = util::trim(t.substr(0, eq));
    if (out.contains(key)) throw ParseFailure("key=value pairs without duplicate keys (\"" + key + "\" appears twice)");
    out[key] = t.substr(eq + 1);
  }
  return out;
}

}  // namespace sg::settings
