#pragma once
// One connection to one broker: opened lazily, then TLS (if configured),
// ApiVersions, SASL (if configured), and after that any number of
// request/response exchanges, one at a time. Any failure closes it; the next
// request reopens it. Not thread-safe: the AdminClient owns it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config.hpp"
#include "messages.hpp"
#include "transport.hpp"

namespace sg::kafka {

// What every connection of one client shares.
struct ConnectionSettings {
  SecurityProtocol security_protocol = SecurityProtocol::kPlaintext;
  std::shared_ptr<const TlsContext> tls;  // set exactly when the protocol uses TLS
  SaslMechanism sasl_mechanism = SaslMechanism::kScramSha512;
  std::string sasl_username;
  std::string sasl_password;
  std::optional<std::string> client_id;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};
  const CancelToken* cancel = nullptr;
  // Larger frames are refused before allocating: a corrupt size (or a
  // non-Kafka service on the port) must not make us allocate gigabytes.
  std::size_t max_response_bytes = 100u << 20;

  // Builds the settings (and the TLS context) from a client config.
  static std::shared_ptr<const ConnectionSettings> from(const ClientConfig& config);
};

class BrokerConnection {
 public:
  // `node_id` < 0 marks a bootstrap server whose id is not known yet.
  BrokerConnection(std::int32_t node_id, Endpoint endpoint, std::shared_ptr<const ConnectionSettings> settings);

  std::int32_t node_id() const { return node_id_; }
  void set_node_id(std::int32_t id) { node_id_ = id; }
  const Endpoint& endpoint() const { return endpoint_; }
  // "broker 2 at 127.0.0.1:19093" or "bootstrap server 127.0.0.1:19092".
  std::string describe() const;

  // Connects, negotiates and authenticates unless already open.
  void open();
  bool is_open() const { return transport_ != nullptr; }
  void close();

  // What the broker supports (opens the connection).
  const ApiVersionsResponse& api_versions();
  // The version to use for `api`; KafkaError(UNSUPPORTED_VERSION) when this
  // client and the broker share none.
  std::int16_t version_for(ApiKey api);

  // Sends `request` in the best shared version and decodes the answer.
  // `server_wait` is how long the request itself asks the broker to wait
  // (its TimeoutMs); the client waits that long plus the request timeout.
  template <class Request>
  typename Request::Response send(const Request& request, std::chrono::milliseconds server_wait = {}) {
    open();
    auto version = version_for(Request::kApi);
    auto body = exchange(Request::kApi, version, encode_body(request, version),
                         Clock::now() + settings_->request_timeout + server_wait);
    try {
      return decode_body<Request>(body, version);
    } catch (const ProtocolError& e) {
      close();
      throw ProtocolError(describe() + ": " + e.what(), e.hint());
    }
  }

  // One framed request/response on the open connection; returns the
  // response body (after the header). Closes the connection on any failure.
  std::string exchange(ApiKey api, std::int16_t version, std::string_view body, Deadline deadline);

 private:
  void negotiate_versions(Deadline deadline);
  void authenticate(Deadline deadline);
  template <class Request>
  typename Request::Response call(const Request& request, std::int16_t version, Deadline deadline) {
    auto body = exchange(Request::kApi, version, encode_body(request, version), deadline);
    return decode_body<Request>(body, version);
  }

  std::int32_t node_id_;
  Endpoint endpoint_;
  std::shared_ptr<const ConnectionSettings> settings_;
  std::unique_ptr<Transport> transport_;
  std::optional<ApiVersionsResponse> versions_;
  std::int32_t next_correlation_id_ = 1;
};

}  // namespace sg::kafka
