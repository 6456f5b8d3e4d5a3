#include "dotenv.hpp"

#include <set>

#include "util/strings.hpp"

namespace sg::pipeline_client::dotenv {
namespace {

bool key_char(char c, bool first) {
  bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  return alpha || (!first && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') return std::string(v.substr(1, v.size() - 2));
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    auto inner = v.substr(1, v.size() - 2);
    for (std::size_t i = 0; i < inner.size(); ++i) {
      char c = inner[i];
      if (c == '\\' && i + 1 < inner.size()) {
        char n = inner[++i];
        out += n == 'n' ? '\n' : n == 'r' ? '\r' : n == 't' ? '\t' : n;
      } else {
        out += c;
      }
    }
    return out;
  }
  // Unquoted: a " #" starts a comment.
  auto hash = v.find(" #");
  return util::trim(hash == std::string_view::npos ? v : v.substr(0, hash));
}

}  // namespace

std::vector<Line> parse(std::string_view text) {
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    Line line{std::string(raw), "", ""};
    std::string trimmed = util::trim(raw);
    std::string_view t = trimmed;
    if (t.starts_with("export ")) t = std::string_view(trimmed).substr(7);
    auto eq = t.find('=');
    if (!t.empty() && t.front() != '#' && eq != std::string_view::npos) {
      auto key = util::trim(t.substr(0, eq));
      bool ok = !key.empty();
      for (std::size_t i = 0; i < key.size(); ++i)
        ok = ok && key_char(key[i], i == 0);
      if (ok) {
        line.key = key;
        line.value = unquote(util::trim(t.substr(eq + 1)));
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string merge(std::string_view existing, const std::map<std::string, std::string>& ours) {
  static constexpr std::string_view kHeader =
      "# pipeline-client: settings shared with the later steps of this build (never secrets)";
  std::string out;
  for (const auto& line : parse(existing)) {
    if (!line.key.empty() && ours.count(line.key)) continue;
    if (line.text == kHeader) continue;
    out += line.text + "\n";
  }
  if (ours.empty()) return out;
  out += std::string(kHeader) + "\n";
  for (const auto& [k, v] : ours)
    out += k + "=" + quote(v) + "\n";
  return out;
}

std::map<std::string, std::string> values_of(std::string_view text, const std::vector<std::string>& keys) {
  std::set<std::string> wanted(keys.begin(), keys.end());
  std::map<std::string, std::string> out;
  for (const auto& line : parse(text)) {
    if (!line.key.empty() && wanted.count(line.key)) out[line.key] = line.value;
  }
  return out;
}

}  // namespace sg::pipeline_client::dotenv
