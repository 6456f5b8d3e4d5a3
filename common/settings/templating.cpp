#include "settings/templating.hpp"

#include <cctype>

#include "settings/parse.hpp"
#include "util/strings.hpp"

namespace sg::settings {
namespace {

bool is_var_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// Returns the variable name if `inner` (text between the braces) is exactly
// ` .NAME ` with optional whitespace and an optional trim marker.
std::optional<std::string> reference_name(std::string_view inner) {
  auto t = util::trim(inner);
  std::string_view v = t;
  if (!v.empty() && v.front() == '-') v.remove_prefix(1);
  if (!v.empty() && v.back() == '-') v.remove_suffix(1);
  auto tt = util::trim(v);
  if (tt.size() < 2 || tt[0] != '.') return std::nullopt;
  std::string name = tt.substr(1);
  if (!is_var_name(name)) return std::nullopt;
  return name;
}

}  // namespace

bool has_template(std::string_view text) {
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    auto end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) return false;
    if (reference_name(text.substr(pos + 2, end - pos - 2))) return true;
    pos += 2;
  }
  return false;
}

std::string render_template(std::string_view text, const VariableLookup& lookup, std::vector<std::string>* referenced) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    auto name = reference_name(text.substr(open + 2, close - open - 2));
    if (!name) {
      out.append(text.substr(pos, open + 2 - pos));
      pos = open + 2;
      continue;
    }
    auto value = lookup(*name);
    if (!value) {
      throw ParseFailure("every {{ ." + *name + " }} reference to name a set variable (" + *name + " is not set)");
    }
    if (referenced) referenced->push_back(*name);
    out.append(text.substr(pos, open - pos));
    out.append(*value);
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace sg::settings
