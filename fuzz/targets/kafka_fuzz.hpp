#pragma once
// What the Kafka wire targets share: a version of an API this client speaks,
// picked by the next input byte.
#include <cstdint>

#include "fuzz_input.hpp"
#include "protocol.hpp"

namespace sg::fuzz {

inline std::int16_t kafka_version(Input& in, sg::kafka::ApiKey api) {
  const auto range = sg::kafka::client_versions(api);
  const auto span = static_cast<unsigned>(range.max - range.min + 1);
  return static_cast<std::int16_t>(range.min + static_cast<int>(in.choice() % span));
}

}  // namespace sg::fuzz
