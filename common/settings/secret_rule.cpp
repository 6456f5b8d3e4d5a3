#include "settings/secret_rule.hpp"

#include <string>
#include <vector>

#include "util/strings.hpp"

namespace sg::settings {
namespace {

// Splits a name into lower-case words at '_', '-', '.', and camelCase humps
// (keyPassword -> key, password), so the rule matches words, not substrings.
std::vector<std::string> words(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(util::to_lower(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '_' || c == '-' || c == '.' || c == '/' || c == ' ') {
      flush();
      continue;
    }
    bool upper = c >= 'A' && c <= 'Z';
    bool prev_lower = i > 0 && name[i - 1] >= 'a' && name[i - 1] <= 'z';
    if (upper && prev_lower) flush();
    cur += c;
  }
  flush();
  return out;
}

bool marks_secret(const std::string& w) {
  // Whole words, plus the compounds people write without separators.
  static const char* const exact[] = {
      "password",  "passwd",    "pass",       "pwd",         "secret",          "secrets",    "token",
      "tokens",    "key",       "keys",       "apikey",      "privatekey",      "credential", "credentials",
      "accesskey", "secretkey", "passphrase", "keypassword", "connectionstring"};
  for (const char* e : exact) {
    if (w == e) return true;
  }
  for (const char* suffix : {"password", "passwd", "secret", "token", "apikey", "accesskey", "secretkey"}) {
    if (w.size() > std::string_view(suffix).size() && w.ends_with(suffix)) return true;
  }
  return false;
}

}  // namespace

bool is_secret_variable(std::string_view name) {
  auto ws = words(name);
  for (std::size_t i = 0; i < ws.size(); ++i) {
    // The clone credentials: some hosts put a token in the user name too.
    // The machine is a host name, and masking it would hide every URL.
    if (ws[i] == "netrc") {
      if (i + 1 < ws.size() && ws[i + 1] == "machine") return false;
      return true;
    }
    // SSH_KEY_PATH, KUBECONFIG_KEY_FILE: a path to a key is not the key.
    if ((ws[i] == "key" || ws[i] == "keys") && i + 1 < ws.size() &&
        (ws[i + 1] == "path" || ws[i + 1] == "file" || ws[i + 1] == "id" || ws[i + 1] == "name")) {
      continue;
    }
    if (marks_secret(ws[i])) return true;
  }
  return false;
}

bool is_credential_conf_key(std::string_view key) {
  auto lower = util::to_lower(key);
  // Azure's account keys and SAS tokens: fs.azure.account.key.<account>...
  if (lower.find("account.key") != std::string::npos || lower.find(".sas.") != std::string::npos) return true;
  // S3A: fs.s3a.access.key, fs.s3a.secret.key, fs.s3a.session.token, and the
  // per-bucket forms fs.s3a.bucket.<b>.secret.key.
  if (lower.find("fs.s3a.") != std::string::npos && (lower.ends_with(".key") || lower.ends_with(".token"))) return true;
  auto ws = words(key);
  for (const auto& w : ws) {
    if (w == "password" || w == "passwd" || w == "secret" || w == "token" || w == "credential" || w == "credentials" ||
        w == "keypassword" || w == "passphrase" || w.ends_with("password") || w.ends_with("secret") ||
        w.ends_with("token")) {
      return true;
    }
  }
  return false;
}

}  // namespace sg::settings
