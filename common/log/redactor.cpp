#include "log/redactor.hpp"

#include <algorithm>
#include <mutex>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "util/base64.hpp"
#include "util/strings.hpp"

namespace sg::log {
namespace {

// Shorter secrets would mask ordinary words; the CI hosts use a similar floor.
constexpr std::size_t kMinSecret = 3;
constexpr std::size_t kMinFragment = 6;

// yaml-cpp's parser recurses once per nesting level, so a hostile secret of
// 40,000 '[' would overflow the stack. A kubeconfig nests a few levels.
bool shallow_enough_for_yaml(std::string_view s) {
  constexpr int kMaxDepth = 32;
  int depth = 0;
  for (char c : s) {
    if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return false;
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
  }
  std::size_t indent = 0;
  bool at_start = true;
  for (char c : s) {
    if (c == '\n') {
      at_start = true;
      indent = 0;
    } else if (at_start && (c == ' ' || c == '-')) {
      if (++indent > 4 * kMaxDepth) return false;
    } else {
      at_start = false;
    }
  }
  return true;
}

bool printable_text(std::string_view s) {
  if (!util::valid_utf8(s)) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\n' || c == '\r' || c == '\t';
  });
}

// Secret material a kubeconfig can carry in its users section.
void collect_kubeconfig_secrets(const YAML::Node& root, std::vector<std::string>& out) {
  auto users = root["users"];
  if (!users || !users.IsSequence()) return;
  for (const auto& u : users) {
    auto user = u["user"];
    if (!user || !user.IsMap()) continue;
    for (const char* key : {"token", "password", "client-key-data", "client-certificate-data"}) {
      if (user[key] && user[key].IsScalar()) out.push_back(user[key].as<std::string>());
    }
    if (user["exec"] && user["exec"]["env"] && user["exec"]["env"].IsSequence()) {
      for (const auto& e : user["exec"]["env"]) {
        if (e["value"] && e["value"].IsScalar()) out.push_back(e["value"].as<std::string>());
      }
    }
    if (user["auth-provider"] && user["auth-provider"]["config"] && user["auth-provider"]["config"].IsMap()) {
      for (const auto& kv : user["auth-provider"]["config"]) {
        if (kv.second.IsScalar()) out.push_back(kv.second.as<std::string>());
      }
    }
  }
}

}  // namespace

void Redactor::add_pattern(std::string p) {
  if (p.size() < kMinSecret) return;
  if (std::find(patterns_.begin(), patterns_.end(), p) != patterns_.end()) return;
  patterns_.push_back(std::move(p));
}

void Redactor::add_secret(std::string_view value) {
  add_secret_depth(value, 0);
}

void Redactor::add_secret_depth(std::string_view raw, int depth) {
  auto trimmed = util::trim(raw);
  if (trimmed.size() < kMinSecret) return;
  std::vector<std::string> nested;
  {
    std::unique_lock lock(mu_);
    std::vector<std::string> forms{std::string(raw), trimmed};
    // Multi-line secrets (PEM keys, kubeconfigs) reach logs one line at a time.
    if (trimmed.find('\n') != std::string::npos) {
      for (auto& line : util::split(trimmed, '\n'))
        forms.push_back(util::trim(line));
    }
    for (const auto& f : std::vector<std::string>(forms)) {
      if (f.size() < kMinSecret) continue;
      add_pattern(f);
      for (auto alpha : {util::Base64Alphabet::Standard, util::Base64Alphabet::UrlSafe}) {
        add_pattern(util::base64_encode(f, alpha, true));
        add_pattern(util::base64_encode(f, alpha, false));
        // Inside a larger base64 blob the secret starts at any offset mod 3;
        // the groups that depend only on secret bytes are still recognisable.
        for (std::size_t shift = 1; shift < 3 && shift < f.size(); ++shift) {
          auto rest = std::string_view(f).substr(shift);
          auto whole = rest.size() / 3 * 3;
          auto frag = util::base64_encode(rest.substr(0, whole), alpha, false);
          if (frag.size() >= kMinFragment) add_pattern(frag);
        }
        auto whole = f.size() / 3 * 3;
        auto frag = util::base64_encode(std::string_view(f).substr(0, whole), alpha, false);
        if (frag.size() >= kMinFragment) add_pattern(frag);
      }
      auto url = util::url_encode(f);
      add_pattern(url);
      add_pattern(util::to_lower(url));
      add_pattern(util::replace_all(url, "%20", "+"));
      // A secret with invalid UTF-8 must not abort the plugin: dump the
      // JSON form as our outputs would, with U+FFFD for the bad bytes.
      auto json_inner = [](const std::string& v) {
        auto j = nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return j.substr(1, j.size() - 2);
      };
      add_pattern(json_inner(f));
      // A Java properties file (Spark's spark.properties) escapes the value;
      // shown inside a JSON or YAML document it is escaped once more.
      auto props = util::properties_escape(f, false);
      add_pattern(props);
      add_pattern(json_inner(props));
    }
    std::stable_sort(patterns_.begin(), patterns_.end(),
                     [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }
  // Depth 3 reaches a key inside a kubeconfig that was itself base64-encoded.
  if (depth >= 3) return;
  // A base64-wrapped secret (an inline kubeconfig, a CA bundle) also leaks
  // through its decoded content.
  if (auto decoded = util::base64_decode(trimmed);
      decoded && decoded->size() >= kMinSecret && printable_text(*decoded)) {
    nested.push_back(*decoded);
  }
  if (trimmed.find("users") != std::string::npos && shallow_enough_for_yaml(trimmed)) {
    try {
      auto root = YAML::Load(std::string(trimmed));
      if (root.IsMap()) collect_kubeconfig_secrets(root, nested);
    } catch (const std::exception&) {
      // Not YAML: nothing more to extract.
    }
  }
  for (const auto& n : nested)
    add_secret_depth(n, depth + 1);
}

void Redactor::add_basic_auth(std::string_view user, std::string_view password) {
  add_secret(password);
  std::string pair = std::string(user) + ":" + std::string(password);
  std::unique_lock lock(mu_);
  add_pattern(util::base64_encode(pair));
  std::stable_sort(patterns_.begin(), patterns_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::shared_lock lock(mu_);
  std::string out(text);
  for (const auto& p : patterns_) {
    std::size_t pos = 0;
    while ((pos = out.find(p, pos)) != std::string::npos) {
      out.replace(pos, p.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

std::size_t Redactor::pattern_count() const {
  std::shared_lock lock(mu_);
  return patterns_.size();
}

void Redactor::clear() {
  std::unique_lock lock(mu_);
  patterns_.clear();
}

Redactor& redactor() {
  static Redactor r;
  return r;
}

std::string redact(std::string_view text) {
  return redactor().redact(text);
}

std::string peer_text(std::string_view body, std::size_t max_chars) {
  auto clean = redact(body);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(clean.size(), max_chars) + 16);
  std::size_t chars = 0;
  std::size_t i = 0;
  while (i < clean.size()) {
    if (chars >= max_chars) {
      out += "…(" + std::to_string(body.size()) + " bytes)";
      break;
    }
    auto c = static_cast<unsigned char>(clean[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len > 1 && i + len <= clean.size() && util::valid_utf8(std::string_view(clean).substr(i, len))) {
      out.append(clean, i, len);
      i += len;
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c == '\t') {
      out += "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7F || c >= 0x80) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
      ++i;
    } else {
      out += static_cast<char>(c);
      ++i;
    }
    ++chars;
  }
  return out;
}

}  // namespace sg::log
