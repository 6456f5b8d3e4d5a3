#pragma once
// The request/response envelope: API keys, which versions this client speaks
// and which of them are flexible, request headers and response headers.
//
// Version choices (see README.md in this directory for the reasoning): every
// API is implemented from the oldest version a Kafka 2.4+ broker offers that
// Kafka 4.0 still accepts (KIP-896) up to the newest one that brings
// something we use.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec.hpp"

namespace sg::kafka {

enum class ApiKey : std::int16_t {
  kMetadata = 3,
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kDescribeConfigs = 32,
  kDescribeLogDirs = 35,
  kSaslAuthenticate = 36,
  kElectLeaders = 43,
  kIncrementalAlterConfigs = 44,
  kAlterPartitionReassignments = 45,
  kListPartitionReassignments = 46,
  kDescribeCluster = 60,
};

std::string_view api_name(ApiKey api);

struct VersionRange {
  std::int16_t min = 0;
  std::int16_t max = -1;  // max < min: not supported
  bool contains(std::int16_t v) const { return v >= min && v <= max; }
  bool empty() const { return max < min; }
};

// The versions this client can encode and decode.
VersionRange client_versions(ApiKey api);

// The highest version both sides speak, or nullopt if the ranges do not meet.
std::optional<std::int16_t> pick_version(ApiKey api, VersionRange broker);

// Whether `version` of `api` uses the compact (KIP-482) encoding.
bool is_flexible(ApiKey api, std::int16_t version);

// Request header v2 for flexible requests, v1 otherwise.
int request_header_version(ApiKey api, std::int16_t version);
// Response header v1 for flexible responses, v0 otherwise - except
// ApiVersions, whose response header is always v0 so that a client that
// sent a version the broker does not know can still read the answer.
int response_header_version(ApiKey api, std::int16_t version);

// The complete frame on the wire: int32 size, header, body.
std::string encode_request_frame(ApiKey api, std::int16_t version, std::int32_t correlation_id,
                                 const std::optional<std::string>& client_id, std::string_view body);

// The payload size a response frame's 4-byte prefix announces, checked
// before anything is allocated for it: below 4 (no room for the correlation
// id), negative, or above `max_bytes` is a ProtocolError naming `what`
// ("Metadata v12"), because a corrupt size or a non-Kafka service on the port
// must not make us allocate gigabytes or wait for bytes that never come.
std::size_t response_frame_size(std::string_view prefix, std::size_t max_bytes, const std::string& what);

// Reads the response header from `r` (positioned at the start of a frame's
// payload, after the size) and returns the correlation id. `r` is left at
// the start of the body.
std::int32_t read_response_header(Reader& r, ApiKey api, std::int16_t version);

}  // namespace sg::kafka
