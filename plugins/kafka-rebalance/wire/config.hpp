#pragma once
// How to reach and authenticate to a cluster: what a plugin's settings turn
// into. Defaults are the safe ones (TLS verification on, timeouts set).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cancel.hpp"
#include "sasl.hpp"

namespace sg::kafka {

enum class SecurityProtocol { kPlaintext, kSsl, kSaslPlaintext, kSaslSsl };

std::string_view security_protocol_name(SecurityProtocol p);  // "SASL_SSL"
// Case-insensitive, as Kafka's security.protocol values.
std::optional<SecurityProtocol> parse_security_protocol(std::string_view name);
inline bool uses_tls(SecurityProtocol p) {
  return p == SecurityProtocol::kSsl || p == SecurityProtocol::kSaslSsl;
}
inline bool uses_sasl(SecurityProtocol p) {
  return p == SecurityProtocol::kSaslPlaintext || p == SecurityProtocol::kSaslSsl;
}

struct TlsConfig {
  // PEM text, not file names: CI secrets arrive as values. An empty CA uses
  // the system's trust store.
  std::string ca_pem;
  std::string cert_pem;  // client certificate (chain), for mutual TLS
  std::string key_pem;   // its private key (unencrypted PEM)
  // Verification of the broker's certificate and host name. Turning it off
  // logs a warning on every new TLS context.
  bool verify = true;
  // Name to verify (and send as SNI) instead of each broker's host; for
  // brokers advertised by IP with certificates issued for a DNS name.
  std::string server_name;
};

struct ClientConfig {
  // "host:port" entries ("[::1]:9092" for IPv6); tried in order until one
  // answers.
  std::vector<std::string> bootstrap_servers;
  SecurityProtocol security_protocol = SecurityProtocol::kPlaintext;
  SaslMechanism sasl_mechanism = SaslMechanism::kScramSha512;
  std::string sasl_username;
  std::string sasl_password;
  TlsConfig tls;
  std::string client_id = "spotguide-kafka-rebalance";
  std::chrono::milliseconds connect_timeout{10'000};
  // Time allowed for a broker to answer one request, on top of the timeout a
  // request asks the broker to wait for (reassignments, topic creation).
  std::chrono::milliseconds request_timeout{30'000};
  // Observed in every blocking wait; cancellation throws sg::Cancelled.
  const CancelToken* cancel = nullptr;
};

}  // namespace sg::kafka
