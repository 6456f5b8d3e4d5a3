// One Kafka response decoder, chosen at build time (SG_KAFKA_REQUEST names
// the request type whose Response is decoded): the first byte picks one of
// the versions this client speaks for that API, the rest is the response
// body a broker sent. ProtocolError is the accepted refusal.
//
// Invariant, under AddressSanitizer: what a decoded response holds stays
// linear in the bytes it came from, so no field (a count, a name copied into
// each partition) lets a broker multiply a frame into gigabytes.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "kafka_fuzz.hpp"
#include "messages.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/allocator_interface.h>
#define SG_FUZZ_COUNT_BYTES 1
#endif
#endif

#ifndef SG_KAFKA_REQUEST
#error "define SG_KAFKA_REQUEST to the request type whose response this target decodes"
#endif

namespace {

using Request = sg::kafka::SG_KAFKA_REQUEST;

std::size_t live_bytes() {
#ifdef SG_FUZZ_COUNT_BYTES
  return __sanitizer_get_current_allocated_bytes();
#else
  return 0;
#endif
}

// Structs, vector growth and a name copied per partition (at most 249
// bytes, into entries of at least 8) stay well inside this.
constexpr std::size_t kMaxBytesPerInputByte = 128;
constexpr std::size_t kSlackBytes = 64 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  const auto version = sg::fuzz::kafka_version(in, Request::kApi);
  const auto body = in.rest();
  const std::size_t before = live_bytes();
  try {
    auto response = sg::kafka::decode_body<Request>(body, version);
    const std::size_t after = live_bytes();
    if (after > before && after - before > kMaxBytesPerInputByte * body.size() + kSlackBytes) __builtin_trap();
  } catch (const sg::kafka::ProtocolError& e) {
    (void)e.what();
    (void)e.hint();
  }
  return 0;
}
