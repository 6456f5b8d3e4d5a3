#include "settings/templating.hpp"

#include <algorithm>
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

// The next "}}" at or after `from`, remembered in `cached`: every "{{" before
// a "}}" shares it, so text with many unmatched "{{" stays linear.
std::size_t next_close(std::string_view text, std::size_t from, std::size_t& cached) {
  if (cached == std::string_view::npos || cached < from) cached = text.find("}}", from);
  return cached;
}

bool has_template(std::string_view text) {
  std::size_t pos = 0;
  std::size_t cached = std::string_view::npos;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    auto end = next_close(text, pos + 2, cached);
    if (end == std::string_view::npos) return false;
    // A reference is short; a "}}" far away cannot close a valid one.
    if (end - pos <= 258 && reference_name(text.substr(pos + 2, end - pos - 2))) return true;
    pos += 2;
  }
  return false;
}

std::string render_template(std::string_view text, const VariableLookup& lookup, std::vector<std::string>* referenced) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  std::size_t cached = std::string_view::npos;
  std::size_t scan = 0;
  while (pos < text.size()) {
    auto open = text.find("{{", std::max(pos, scan));
    if (open == std::string_view::npos) break;
    auto close = next_close(text, open + 2, cached);
    if (close == std::string_view::npos) break;
    std::optional<std::string> name;
    if (close - open <= 258) name = reference_name(text.substr(open + 2, close - open - 2));
    if (!name) {
      // Not a reference: keep scanning after this "{{" without copying yet.
      scan = open + 2;
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
    scan = pos;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace sg::settings
