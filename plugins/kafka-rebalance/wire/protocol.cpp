#include "protocol.hpp"

#include <algorithm>
#include <limits>

namespace sg::kafka {

std::string_view api_name(ApiKey api) {
  switch (api) {
    case ApiKey::kMetadata:
      return "Metadata";
    case ApiKey::kSaslHandshake:
      return "SaslHandshake";
    case ApiKey::kApiVersions:
      return "ApiVersions";
    case ApiKey::kCreateTopics:
      return "CreateTopics";
    case ApiKey::kDeleteTopics:
      return "DeleteTopics";
    case ApiKey::kDescribeConfigs:
      return "DescribeConfigs";
    case ApiKey::kDescribeLogDirs:
      return "DescribeLogDirs";
    case ApiKey::kSaslAuthenticate:
      return "SaslAuthenticate";
    case ApiKey::kElectLeaders:
      return "ElectLeaders";
    case ApiKey::kIncrementalAlterConfigs:
      return "IncrementalAlterConfigs";
    case ApiKey::kAlterPartitionReassignments:
      return "AlterPartitionReassignments";
    case ApiKey::kListPartitionReassignments:
      return "ListPartitionReassignments";
    case ApiKey::kDescribeCluster:
      return "DescribeCluster";
  }
  return "Unknown";
}

VersionRange client_versions(ApiKey api) {
  switch (api) {
    // 9 is the first flexible version (Kafka 2.4); 12 the newest in 3.9/4.x.
    // All of 9-12 carry rack, controller id, cluster id, leader epoch and
    // offline replicas; 10+ add topic ids.
    case ApiKey::kMetadata:
      return {9, 12};
    // Only v1: v0 (raw SASL tokens without SaslAuthenticate) is gone in 4.0.
    case ApiKey::kSaslHandshake:
      return {1, 1};
    // 3 is flexible and sends our software name; v0 is the fallback for
    // brokers that answer UNSUPPORTED_VERSION.
    case ApiKey::kApiVersions:
      return {0, 3};
    // 5+ are flexible and return the resulting partition count and RF; 0-1
    // are gone in 4.0 anyway.
    case ApiKey::kCreateTopics:
      return {5, 7};
    case ApiKey::kDeleteTopics:
      return {4, 6};
    // Both: v0 is gone in 4.0. DescribeConfigs v1 adds config sources and
    // v4 is flexible; DescribeLogDirs v3 adds a top-level error, v4 volume
    // sizes.
    case ApiKey::kDescribeConfigs:
    case ApiKey::kDescribeLogDirs:
      return {1, 4};
    case ApiKey::kSaslAuthenticate:
      return {0, 2};
    // v0 has no election type (preferred only).
    case ApiKey::kElectLeaders:
      return {1, 2};
    case ApiKey::kIncrementalAlterConfigs:
      return {0, 1};
    // KIP-455 has a single version of each; AlterPartitionReassignments v1
    // (KIP-860, 4.1+) only adds a flag we do not need.
    case ApiKey::kAlterPartitionReassignments:
    case ApiKey::kListPartitionReassignments:
      return {0, 0};
    // v1 adds the endpoint type (brokers vs controllers, KIP-919).
    case ApiKey::kDescribeCluster:
      return {0, 1};
  }
  return {};
}

std::optional<std::int16_t> pick_version(ApiKey api, VersionRange broker) {
  auto ours = client_versions(api);
  auto lo = std::max(ours.min, broker.min);
  auto hi = std::min(ours.max, broker.max);
  if (hi < lo) return std::nullopt;
  return hi;
}

bool is_flexible(ApiKey api, std::int16_t version) {
  switch (api) {
    case ApiKey::kMetadata:
      return version >= 9;
    case ApiKey::kSaslHandshake:
      return false;
    case ApiKey::kApiVersions:
      return version >= 3;
    case ApiKey::kCreateTopics:
      return version >= 5;
    case ApiKey::kDeleteTopics:
    case ApiKey::kDescribeConfigs:
      return version >= 4;
    case ApiKey::kDescribeLogDirs:
    case ApiKey::kSaslAuthenticate:
    case ApiKey::kElectLeaders:
      return version >= 2;
    case ApiKey::kIncrementalAlterConfigs:
      return version >= 1;
    case ApiKey::kAlterPartitionReassignments:
    case ApiKey::kListPartitionReassignments:
    case ApiKey::kDescribeCluster:
      return true;
  }
  return false;
}

int request_header_version(ApiKey api, std::int16_t version) {
  return is_flexible(api, version) ? 2 : 1;
}

int response_header_version(ApiKey api, std::int16_t version) {
  if (api == ApiKey::kApiVersions) return 0;
  return is_flexible(api, version) ? 1 : 0;
}

std::string encode_request_frame(ApiKey api, std::int16_t version, std::int32_t correlation_id,
                                 const std::optional<std::string>& client_id, std::string_view body) {
  Writer header(request_header_version(api, version) >= 2);
  header.i16(static_cast<std::int16_t>(api));
  header.i16(version);
  header.i32(correlation_id);
  header.classic_nullable_string(client_id);
  header.tagged_fields();
  auto size = header.data().size() + body.size();
  if (size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw ProtocolError("request too large to encode");
  Writer frame;
  frame.i32(static_cast<std::int32_t>(size));
  frame.raw(header.data());
  frame.raw(body);
  return frame.take();
}

std::size_t response_frame_size(std::string_view prefix, std::size_t max_bytes, const std::string& what) {
  Reader r(prefix, false, what + " response size");
  auto size = r.i32();
  r.expect_end();
  if (size < 4 || static_cast<std::size_t>(size) > max_bytes) {
    throw ProtocolError(what + " response claims " + std::to_string(size) + " bytes (at most " +
                            std::to_string(max_bytes) + " accepted)",
                        "this is not a Kafka response: check the port and the security protocol (an SSL or "
                        "SASL listener answers differently than PLAINTEXT)");
  }
  return static_cast<std::size_t>(size);
}

std::int32_t read_response_header(Reader& r, ApiKey api, std::int16_t version) {
  auto correlation_id = r.i32();
  // Header v1 only follows flexible bodies, so `r` is in flexible mode here.
  if (response_header_version(api, version) >= 1) r.tagged_fields();
  return correlation_id;
}

}  // namespace sg::kafka
