#pragma once
// SASL client mechanisms, as pure message transformers (no I/O), so the
// SCRAM exchange is unit-tested against RFC 7677's vector. The connection
// carries the messages in SaslAuthenticate requests.
//
// Secrets: the password and everything derived from it (salted password,
// keys, the client proof inside client-final) never go to a log; the buffers
// holding derived keys are wiped when the client is destroyed.
#include <optional>
#include <string>
#include <string_view>

namespace sg::kafka {

enum class SaslMechanism { kPlain, kScramSha256, kScramSha512 };

// The IANA name, as brokers list it ("SCRAM-SHA-512").
std::string_view mechanism_name(SaslMechanism m);
// Case-insensitive; accepts "SCRAM-SHA-256" and "SCRAM_SHA_256".
std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name);

// RFC 4616: authzid (empty), NUL, authcid, NUL, password.
std::string plain_initial_response(std::string_view user, std::string_view password);

// The client side of RFC 5802 (SCRAM) with SHA-256 or SHA-512 (RFC 7677),
// without channel binding, as Kafka implements it (no SASLprep; user names
// escaped with =2C and =3D). Throws KafkaError(SASL_AUTHENTICATION_FAILED)
// when the server's messages are malformed, weaken the exchange, or fail to
// prove that the server knows the password.
class ScramClient {
 public:
  // `nonce` is for tests only; by default 24 random bytes, base64.
  ScramClient(SaslMechanism mechanism, std::string user, std::string password, std::string nonce = {});
  ~ScramClient();
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;

  // "n,,n=<user>,r=<nonce>"
  std::string client_first();
  // Parses server-first ("r=...,s=...,i=...") and returns client-final
  // ("c=biws,r=...,p=<proof>").
  std::string client_final(std::string_view server_first);
  // Checks server-final ("v=<signature>"); throws on "e=..." or a mismatch.
  void verify_server_final(std::string_view server_final);

  // Iteration bounds accepted from a server: Kafka's own for both mechanisms
  // (ScramMechanism's 4096..16384; a broker cannot store credentials outside
  // them). A lower count from a server is a downgrade attempt; a higher one
  // could only come from something that is not a Kafka broker, and would let
  // it burn our CPU (a million SHA-512 rounds take about a second).
  static constexpr int kMinIterations = 4096;
  static constexpr int kMaxIterations = 16384;

 private:
  SaslMechanism mechanism_;
  std::string user_;
  std::string password_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string server_signature_;  // expected, raw bytes
  int step_ = 0;
};

}  // namespace sg::kafka
