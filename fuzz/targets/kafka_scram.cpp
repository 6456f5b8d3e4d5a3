// The SCRAM client (RFC 5802/7677) against what a server sends: the first
// byte picks SHA-256 or SHA-512, then the server-first message (nonce, salt,
// iteration count) up to a newline, then the server-final message. The
// client's user, password and nonce are RFC 7677's, so its vector is a seed
// that authenticates. KafkaError (SASL_AUTHENTICATION_FAILED) is the
// accepted refusal.
//
// Invariants: the iteration count is held to Kafka's range before any
// PBKDF2 work (a hostile count must not burn CPU; -timeout catches it), and
// a server-final can only be accepted after RFC 7677's own server-first:
// passing verification with anything else would mean a forgeable check.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "errors.hpp"
#include "fuzz_input.hpp"
#include "sasl.hpp"

namespace {

constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  const auto mechanism =
      in.choice() % 2 == 0 ? sg::kafka::SaslMechanism::kScramSha256 : sg::kafka::SaslMechanism::kScramSha512;
  const auto server_first = in.until('\n');
  const auto server_final = in.rest();
  sg::kafka::ScramClient scram(mechanism, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  (void)scram.client_first();
  try {
    auto client_final = scram.client_final(server_first);
    if (client_final.find("r=rOprNGfwEbeRWgbNEkqO") == std::string::npos) __builtin_trap();
    scram.verify_server_final(server_final);
    if (server_first != kRfcServerFirst) __builtin_trap();
  } catch (const sg::kafka::KafkaError& e) {
    if (e.code() != sg::kafka::errc::kSaslAuthenticationFailed) __builtin_trap();
    (void)e.what();
  }
  return 0;
}
