#include "connection.hpp"

#include <spdlog/spdlog.h>

#include "log/redactor.hpp"
#include "runtime/error.hpp"
#include "sasl.hpp"
#include "util/strings.hpp"

namespace sg::kafka {

std::shared_ptr<const ConnectionSettings> ConnectionSettings::from(const ClientConfig& config) {
  auto s = std::make_shared<ConnectionSettings>();
  s->security_protocol = config.security_protocol;
  if (uses_tls(config.security_protocol)) s->tls = std::make_shared<const TlsContext>(config.tls);
  s->sasl_mechanism = config.sasl_mechanism;
  s->sasl_username = config.sasl_username;
  s->sasl_password = config.sasl_password;
  if (!config.sasl_password.empty()) log::redactor().add_secret(config.sasl_password);
  if (!config.client_id.empty()) s->client_id = config.client_id;
  s->connect_timeout = config.connect_timeout;
  s->request_timeout = config.request_timeout;
  s->cancel = config.cancel;
  return s;
}

BrokerConnection::BrokerConnection(std::int32_t node_id, Endpoint endpoint,
                                   std::shared_ptr<const ConnectionSettings> settings)
    : node_id_(node_id), endpoint_(std::move(endpoint)), settings_(std::move(settings)) {}

std::string BrokerConnection::describe() const {
  if (node_id_ < 0) return "bootstrap server " + endpoint_.to_string();
  return "broker " + std::to_string(node_id_) + " at " + endpoint_.to_string();
}

void BrokerConnection::close() {
  transport_.reset();
  versions_.reset();
}

void BrokerConnection::open() {
  if (transport_ && transport_->idle_and_alive()) return;
  if (transport_) {
    spdlog::debug("kafka: connection to {} was closed while idle; reconnecting", describe());
    close();
  }
  auto start = Clock::now();
  transport_ = Transport::open(endpoint_, settings_->tls.get(), describe(), start + settings_->connect_timeout,
                               settings_->cancel);
  try {
    auto deadline = Clock::now() + settings_->request_timeout;
    negotiate_versions(deadline);
    if (uses_sasl(settings_->security_protocol)) authenticate(deadline);
  } catch (...) {
    close();
    throw;
  }
  spdlog::debug("kafka: connected to {} ({}{}{}) in {} ms", describe(),
                security_protocol_name(settings_->security_protocol),
                uses_sasl(settings_->security_protocol) ? ", " : "",
                uses_sasl(settings_->security_protocol) ? std::string(mechanism_name(settings_->sasl_mechanism)) : "",
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

const ApiVersionsResponse& BrokerConnection::api_versions() {
  open();
  return *versions_;
}

std::int16_t BrokerConnection::version_for(ApiKey api) {
  open();
  auto broker = versions_->find(api);
  auto v = pick_version(api, broker);
  if (!v) {
    auto ours = client_versions(api);
    std::string offered = broker.empty() ? "none" : std::to_string(broker.min) + "-" + std::to_string(broker.max);
    throw KafkaError(errc::kUnsupportedVersion, describe() + " cannot serve " + std::string(api_name(api)),
                     "this client speaks versions " + std::to_string(ours.min) + "-" + std::to_string(ours.max) +
                         ", the broker offers " + offered,
                     "the broker is too old (Kafka 2.4 or newer is needed) or too new for this client");
  }
  return *v;
}

std::string BrokerConnection::exchange(ApiKey api, std::int16_t version, std::string_view body, Deadline deadline) {
  if (!transport_) throw TransportError(describe() + ": not connected", "");
  const std::int32_t correlation_id = next_correlation_id_;
  next_correlation_id_ = next_correlation_id_ == INT32_MAX ? 1 : next_correlation_id_ + 1;
  auto frame = encode_request_frame(api, version, correlation_id, settings_->client_id, body);
  const std::string what = std::string(api_name(api)) + " v" + std::to_string(version);
  try {
    transport_->write_all(frame, deadline);
    char size_bytes[4];
    transport_->read_exact(size_bytes, sizeof size_bytes, deadline);
    auto size =
        response_frame_size(std::string_view(size_bytes, sizeof size_bytes), settings_->max_response_bytes, what);
    std::string payload(size, '\0');
    transport_->read_exact(payload.data(), payload.size(), deadline);
    // Response header v1 only follows flexible bodies, so the body's mode
    // is the right one for the header too.
    Reader r(payload, is_flexible(api, version), what + " response header");
    auto got = read_response_header(r, api, version);
    if (got != correlation_id) {
      throw ProtocolError(describe() + ": " + what + " response has correlation id " + std::to_string(got) +
                              ", expected " + std::to_string(correlation_id),
                          "the connection is out of step; it is closed and reopened on the next request");
    }
    return payload.substr(r.offset());
  } catch (const TransportError& e) {
    close();
    // The request may have reached the broker: only idempotent requests may
    // be repeated blindly.
    throw TransportError(std::string(e.what()) + " (" + what + ")", e.hint(), true);
  } catch (const ProtocolError& e) {
    close();
    if (std::string_view(e.what()).starts_with(describe())) throw;
    throw ProtocolError(describe() + ": " + e.what(), e.hint());
  } catch (...) {
    close();
    throw;
  }
}

void BrokerConnection::negotiate_versions(Deadline deadline) {
  // v3 first: flexible, and tells the broker our software name. A broker
  // that does not know v3 answers UNSUPPORTED_VERSION in the v0 layout with
  // its own range, and we retry with what it offers.
  ApiVersionsRequest request;
  std::int16_t version = client_versions(ApiKey::kApiVersions).max;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto body = exchange(ApiKey::kApiVersions, version, encode_body(request, version), deadline);
    // The error code leads in every version: peek at it before choosing the
    // layout to decode.
    Reader peek(body, false, "ApiVersions response");
    auto error = peek.i16();
    if (error == errc::kUnsupportedVersion && attempt == 0) {
      std::int16_t fallback = 0;
      try {
        auto v0 = decode_body<ApiVersionsRequest>(body, 0);
        fallback = pick_version(ApiKey::kApiVersions, v0.find(ApiKey::kApiVersions)).value_or(0);
      } catch (const ProtocolError&) {
        // Some brokers send an empty list with this error; v0 it is.
      }
      if (fallback == version) fallback = 0;
      spdlog::debug("kafka: {} does not speak ApiVersions v{}; retrying with v{}", describe(), version, fallback);
      version = fallback;
      continue;
    }
    ApiVersionsResponse response;
    try {
      response = decode_body<ApiVersionsRequest>(body, version);
    } catch (const ProtocolError& e) {
      throw ProtocolError(describe() + ": " + e.what(), e.hint());
    }
    if (response.error != errc::kNone) {
      throw KafkaError(response.error, describe() + ": ApiVersions v" + std::to_string(version));
    }
    versions_ = std::move(response);
    return;
  }
  throw KafkaError(errc::kUnsupportedVersion, describe() + ": ApiVersions", "no version in common");
}

void BrokerConnection::authenticate(Deadline deadline) {
  const auto mechanism = settings_->sasl_mechanism;
  const std::string context = "SASL " + std::string(mechanism_name(mechanism)) + " authentication to " + describe() +
                              " as user " + util::quote_for_message(settings_->sasl_username);
  auto handshake_version = version_for(ApiKey::kSaslHandshake);
  auto handshake = call(SaslHandshakeRequest{std::string(mechanism_name(mechanism))}, handshake_version, deadline);
  if (handshake.error != errc::kNone) {
    throw KafkaError(
        handshake.error, context,
        "the listener offers " +
            (handshake.mechanisms.empty() ? std::string("no mechanisms") : util::join(handshake.mechanisms, ", ")),
        handshake.error == errc::kUnsupportedSaslMechanism ? "choose one of the mechanisms the listener offers" : "");
  }

  auto auth_version = version_for(ApiKey::kSaslAuthenticate);
  // One SaslAuthenticate round; a failed one is final (the broker closes the
  // connection after sending the error).
  auto round = [&](std::string bytes) {
    SaslAuthenticateRequest request{std::move(bytes)};
    auto response = call(request, auth_version, deadline);
    if (response.error != errc::kNone) {
      throw KafkaError(response.error, context, response.error_message.value_or(""));
    }
    return response.auth_bytes;
  };

  if (mechanism == SaslMechanism::kPlain) {
    round(plain_initial_response(settings_->sasl_username, settings_->sasl_password));
    return;
  }
  ScramClient scram(mechanism, settings_->sasl_username, settings_->sasl_password);
  auto server_first = round(scram.client_first());
  auto server_final = round(scram.client_final(server_first));
  scram.verify_server_final(server_final);
}

}  // namespace sg::kafka
