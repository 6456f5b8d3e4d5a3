#pragma once
// TLS with OpenSSL: a client context built from PEM strings, and per
// connection the verification parameters (certificate chain and host name,
// or IP address for brokers advertised by IP).
#include <memory>
#include <string>

#include "config.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace sg::kafka {

class TlsContext {
 public:
  // Throws sg::Error when a PEM does not parse or the key does not match the
  // certificate; the PEM text itself never appears in messages.
  explicit TlsContext(const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new SSL object on socket `fd`, set up to verify `host` (or
  // config.server_name when given). The caller owns it (SSL_free).
  ssl_st* new_session(int fd, const std::string& host) const;
  bool verify() const { return verify_; }

 private:
  ssl_ctx_st* ctx_ = nullptr;
  bool verify_ = true;
  std::string server_name_;
};

// The last OpenSSL errors of this thread as text (and clears them).
std::string openssl_errors();

}  // namespace sg::kafka
