// A response as it arrives on a broker connection, without the socket: the
// 4-byte size prefix (checked before anything is allocated), the response
// header (correlation id, tagged fields in header v1) and the body, decoded
// for the API and version the first two bytes choose. The stream may hold
// less than the prefix announces (the connection would wait for the rest)
// or more (the next frame). ProtocolError is the accepted refusal.
#include <cstddef>
#include <cstdint>
#include <string>

#include "connection.hpp"
#include "fuzz_input.hpp"
#include "kafka_fuzz.hpp"
#include "messages.hpp"

namespace {

using namespace sg::kafka;

template <class Request>
void decode(std::string_view body, std::int16_t version) {
  (void)decode_body<Request>(body, version);
}

using Decoder = void (*)(std::string_view, std::int16_t);

struct Api {
  ApiKey key;
  Decoder decode;
};

constexpr Api kApis[] = {
    {ApiKey::kApiVersions, decode<ApiVersionsRequest>},
    {ApiKey::kMetadata, decode<MetadataRequest>},
    {ApiKey::kDescribeCluster, decode<DescribeClusterRequest>},
    {ApiKey::kListPartitionReassignments, decode<ListPartitionReassignmentsRequest>},
    {ApiKey::kAlterPartitionReassignments, decode<AlterPartitionReassignmentsRequest>},
    {ApiKey::kElectLeaders, decode<ElectLeadersRequest>},
    {ApiKey::kDescribeLogDirs, decode<DescribeLogDirsRequest>},
    {ApiKey::kDescribeConfigs, decode<DescribeConfigsRequest>},
    {ApiKey::kIncrementalAlterConfigs, decode<IncrementalAlterConfigsRequest>},
    {ApiKey::kCreateTopics, decode<CreateTopicsRequest>},
    {ApiKey::kDeleteTopics, decode<DeleteTopicsRequest>},
    {ApiKey::kSaslHandshake, decode<SaslHandshakeRequest>},
    {ApiKey::kSaslAuthenticate, decode<SaslAuthenticateRequest>},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  const auto& api = kApis[in.choice() % std::size(kApis)];
  const auto version = sg::fuzz::kafka_version(in, api.key);
  auto stream = in.rest();
  const std::size_t max_bytes = ConnectionSettings{}.max_response_bytes;
  const std::string what = std::string(api_name(api.key)) + " v" + std::to_string(version);
  try {
    if (stream.size() < 4) return 0;  // the connection would wait for the rest
    const std::size_t frame = response_frame_size(stream.substr(0, 4), max_bytes, what);
    if (frame < 4 || frame > max_bytes) __builtin_trap();
    stream.remove_prefix(4);
    if (stream.size() < frame) return 0;
    const auto payload = stream.substr(0, frame);
    Reader header(payload, is_flexible(api.key, version), what + " response header");
    (void)read_response_header(header, api.key, version);
    if (header.offset() > payload.size()) __builtin_trap();
    api.decode(payload.substr(header.offset()), version);
  } catch (const ProtocolError& e) {
    (void)e.what();
  }
  return 0;
}
