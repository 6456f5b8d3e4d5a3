#pragma once
// Small string helpers shared by every module. Kept free of any library so the
// pure parts (settings, planners) stay trivially unit-testable.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sg::util {

std::string trim(std::string_view s);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string replace_all(std::string s, std::string_view from, std::string_view to);
bool iequals(std::string_view a, std::string_view b);

// Edit distance, used for "did you mean" suggestions on misspelt settings.
std::size_t levenshtein(std::string_view a, std::string_view b);

// Percent-encodes everything outside RFC 3986's unreserved set.
std::string url_encode(std::string_view s);

// Java Properties escaping of a key or a value (as Properties.store writes
// it, UTF-8 kept): backslash before = : # ! and \, control characters as
// \t \n \r \f, spaces escaped in keys and leading in values.
std::string properties_escape(std::string_view s, bool key);

// True when `s` is well-formed UTF-8 (rejects overlongs and surrogates).
bool valid_utf8(std::string_view s);

// Quotes a value for messages: printable, bounded, never multi-line.
std::string quote_for_message(std::string_view s, std::size_t max_len = 80);

}  // namespace sg::util
