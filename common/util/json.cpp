#include "util/json.hpp"

#include <set>
#include <vector>

#include "util/strings.hpp"

namespace sg::util {
namespace {

// nlohmann's parse_error text ends with the bytes it last read, which may be
// part of a secret or a hostile peer's log-injection attempt: keep only the
// reason.
std::string reason_of(const nlohmann::json::parse_error& e) {
  std::string what = e.what();
  if (auto p = what.find("; last read"); p != std::string::npos) what.resize(p);
  if (auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
  if (what.starts_with("parse error")) {
    if (auto p = what.find(": "); p != std::string::npos) what.erase(0, p + 2);
  }
  return what;
}

struct Abort {
  std::string message;
};

}  // namespace

std::string json_kind(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

nlohmann::json parse_json(std::string_view text, const JsonLimits& limits, bool reject_duplicates) {
  if (text.size() > limits.max_bytes) {
    throw JsonError("the document is " + std::to_string(text.size()) + " bytes, over the limit of " +
                    std::to_string(limits.max_bytes) + " bytes");
  }
  // The callback sees every structural event with its depth, so the limit
  // holds before a deep document is built (nlohmann's parser itself is not
  // recursive, but dumping or walking a deep result would be).
  std::vector<std::set<std::string>> keys;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) -> bool {
    using E = nlohmann::json::parse_event_t;
    if ((event == E::object_start || event == E::array_start) && static_cast<std::size_t>(depth) >= limits.max_depth) {
      throw Abort{"the document nests deeper than " + std::to_string(limits.max_depth) + " levels"};
    }
    if (!reject_duplicates) return true;
    if (event == E::object_start) {
      keys.emplace_back();
    } else if (event == E::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == E::key && !keys.empty() && parsed.is_string()) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second) {
        // The key names a field of the document, not data; still bounded and
        // escaped.
        throw Abort{"the key " + quote_for_message(k, 64) + " appears twice in one object"};
      }
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const Abort& a) {
    throw JsonError(a.message);
  } catch (const nlohmann::json::parse_error& e) {
    throw JsonError("invalid JSON at byte " + std::to_string(e.byte) + ": " + reason_of(e));
  } catch (const nlohmann::json::out_of_range&) {
    // A number beyond a double (1e400): nlohmann refuses it with out_of_range,
    // not parse_error. Its message quotes the number, which is data.
    throw JsonError("a number in the document is too large for a double");
  }
}

}  // namespace sg::util
