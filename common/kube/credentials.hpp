#pragma once
// Turns a Config's credentials into what each request carries. Exec plugin
// credentials are cached until they expire and fetched again after a 401;
// token files are re-read when they rotate (bound service-account tokens).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "kube/config.hpp"

namespace sg::kube {

struct ExecResult {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expires;
};

// Parses an ExecCredential printed by a plugin (pure; unit-tested).
ExecResult parse_exec_credential(const std::string& stdout_text, const std::string& command);
// Parses RFC 3339 timestamps (with optional fraction and offset).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);

class Credentials {
 public:
  explicit Credentials(Config cfg);

  // The Authorization header value (empty for none). May run the exec plugin.
  std::string authorization();
  // Client certificate and key in use (from the config or the exec plugin).
  std::pair<std::string, std::string> client_certificate();
  // A counter that changes whenever the client certificate changes, so the
  // HTTP transport knows to rebuild its TLS setup.
  std::uint64_t generation();
  // After a 401: forget cached material. True when a retry may succeed.
  bool invalidate();

 private:
  void refresh_locked(bool force);
  Config cfg_;
  std::mutex mu_;
  std::string token_;
  std::string cert_, key_;
  std::optional<std::chrono::system_clock::time_point> expires_;
  std::chrono::steady_clock::time_point token_read_at_{};
  bool have_exec_result_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace sg::kube
