#pragma once
// Hides secret values in every line we print, at every log level. CI hosts
// mask only the literal secret; we also mask the forms a secret takes on its
// way through a plugin: base64 (at any alignment inside a larger blob), URL
// and JSON escaping, each line of a multi-line secret, and the tokens, keys
// and passwords inside a kubeconfig passed as a secret.
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sg::log {

inline constexpr std::string_view kMask = "******";

class Redactor {
 public:
  void add_secret(std::string_view value);
  // For HTTP basic auth: the header carries base64("user:password").
  void add_basic_auth(std::string_view user, std::string_view password);
  std::string redact(std::string_view text) const;
  std::size_t pattern_count() const;
  void clear();

 private:
  void add_secret_depth(std::string_view value, int depth);
  void add_pattern(std::string p);
  mutable std::shared_mutex mu_;
  std::vector<std::string> patterns_;  // longest first
};

Redactor& redactor();
// Shorthand for redactor().redact(text).
std::string redact(std::string_view text);

// Text a peer sent (a server body, a pod message, a broker's error string),
// made fit for one log line: redacted first, while every secret is still
// whole (a token cut by truncation or split by escaping would no longer
// match), then invalid UTF-8 shown as \xNN and control characters escaped
// (a peer cannot start a fake log line), then cut to `max_chars` characters
// with the original size noted.
std::string peer_text(std::string_view body, std::size_t max_chars = 300);

}  // namespace sg::log
