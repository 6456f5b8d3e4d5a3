#pragma once
// Request and response bodies for the APIs this client speaks. Each request
// names its API and response type and encodes itself for a given version;
// each response decodes itself. Field layouts follow Kafka's message JSON
// definitions (clients/src/main/resources/common/message/*.json).
//
// Responses are flattened where Kafka nests by topic (results per
// partition carry their topic name), because every caller wants them that
// way. Error codes are kept as codes: a per-partition failure is data, not an
// exception; the AdminClient decides what to throw.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codec.hpp"
#include "errors.hpp"
#include "protocol.hpp"

namespace sg::kafka {

// --- shared shapes ---------------------------------------------------------------

struct TopicPartitions {
  std::string topic;
  std::vector<std::int32_t> partitions;
  friend bool operator==(const TopicPartitions&, const TopicPartitions&) = default;
};

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy misreads the defaulted <=>
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// The outcome for one partition of a batch operation.
struct PartitionResult {
  std::string topic;
  std::int32_t partition = 0;
  ErrorCode error = errc::kNone;
  std::optional<std::string> message;
  bool ok() const { return error == errc::kNone; }
};

// The outcome for one topic of a batch operation.
struct TopicResult {
  std::string name;
  Uuid topic_id;
  ErrorCode error = errc::kNone;
  std::optional<std::string> message;
  bool ok() const { return error == errc::kNone; }
};

// --- ApiVersions (18) --------------------------------------------------------------

struct ApiVersionEntry {
  std::int16_t api_key = 0;
  VersionRange versions;
};

struct ApiVersionsResponse {
  ErrorCode error = errc::kNone;
  std::vector<ApiVersionEntry> api_keys;
  std::int32_t throttle_time_ms = 0;

  // The broker's range for `api`; empty if it does not offer it.
  VersionRange find(ApiKey api) const;
  static ApiVersionsResponse decode(Reader& r, std::int16_t version);
};

struct ApiVersionsRequest {
  static constexpr ApiKey kApi = ApiKey::kApiVersions;
  using Response = ApiVersionsResponse;
  // Brokers validate these (letters, digits, '-', '.'; alphanumeric ends).
  std::string client_software_name = "spotguide-kafka-wire";
  std::string client_software_version = "0.1.0";
  void encode(Writer& w, std::int16_t version) const;
};

// --- Metadata (3) ------------------------------------------------------------------

struct BrokerMetadata {
  std::int32_t id = -1;
  std::string host;
  std::int32_t port = 0;
  std::optional<std::string> rack;
  friend bool operator==(const BrokerMetadata&, const BrokerMetadata&) = default;
};

struct PartitionMetadata {
  ErrorCode error = errc::kNone;
  std::int32_t index = 0;
  std::int32_t leader = -1;
  std::int32_t leader_epoch = -1;
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> isr;
  std::vector<std::int32_t> offline_replicas;
};

struct TopicMetadata {
  ErrorCode error = errc::kNone;
  std::string name;  // empty only for unknown topics queried by id (v12)
  Uuid topic_id;
  bool internal = false;
  std::vector<PartitionMetadata> partitions;
  std::int32_t authorized_operations = INT32_MIN;

  const PartitionMetadata* partition(std::int32_t index) const;
};

// In KRaft, `brokers` lists only unfenced brokers: a dead broker disappears
// from it but stays in partitions' replica lists. `controller_id` is a random
// live broker there (the real controller is not exposed to clients), which is
// the right place to send controller requests: brokers forward them.
struct ClusterMetadata {
  std::int32_t throttle_time_ms = 0;
  std::vector<BrokerMetadata> brokers;
  std::optional<std::string> cluster_id;
  std::int32_t controller_id = -1;
  std::vector<TopicMetadata> topics;

  const BrokerMetadata* broker(std::int32_t id) const;
  const TopicMetadata* topic(std::string_view name) const;
  static ClusterMetadata decode(Reader& r, std::int16_t version);
};

struct MetadataRequest {
  static constexpr ApiKey kApi = ApiKey::kMetadata;
  using Response = ClusterMetadata;
  // nullopt: all topics; empty: none (brokers and controller only).
  std::optional<std::vector<std::string>> topics;
  bool allow_auto_topic_creation = false;
  bool include_topic_authorized_operations = false;
  void encode(Writer& w, std::int16_t version) const;
};

// --- DescribeCluster (60) ----------------------------------------------------------

struct DescribeClusterResponse {
  std::int32_t throttle_time_ms = 0;
  ErrorCode error = errc::kNone;
  std::optional<std::string> error_message;
  std::int8_t endpoint_type = 1;
  std::string cluster_id;
  std::int32_t controller_id = -1;
  std::vector<BrokerMetadata> brokers;
  std::int32_t cluster_authorized_operations = INT32_MIN;
  static DescribeClusterResponse decode(Reader& r, std::int16_t version);
};

struct DescribeClusterRequest {
  static constexpr ApiKey kApi = ApiKey::kDescribeCluster;
  using Response = DescribeClusterResponse;
  bool include_cluster_authorized_operations = false;
  std::int8_t endpoint_type = 1;  // 1 brokers, 2 controllers (v1+)
  void encode(Writer& w, std::int16_t version) const;
};

// --- ListPartitionReassignments (46) -------------------------------------------------

struct OngoingReassignment {
  std::string topic;
  std::int32_t partition = 0;
  std::vector<std::int32_t> replicas;  // the full set during the move: old + new
  std::vector<std::int32_t> adding_replicas;
  std::vector<std::int32_t> removing_replicas;
};

struct ListPartitionReassignmentsResponse {
  std::int32_t throttle_time_ms = 0;
  ErrorCode error = errc::kNone;
  std::optional<std::string> error_message;
  std::vector<OngoingReassignment> reassignments;
  static ListPartitionReassignmentsResponse decode(Reader& r, std::int16_t version);
};

struct ListPartitionReassignmentsRequest {
  static constexpr ApiKey kApi = ApiKey::kListPartitionReassignments;
  using Response = ListPartitionReassignmentsResponse;
  std::int32_t timeout_ms = 60000;
  std::optional<std::vector<TopicPartitions>> topics;  // nullopt: all
  void encode(Writer& w, std::int16_t version) const;
};

// --- AlterPartitionReassignments (45) ------------------------------------------------

struct ReassignmentTarget {
  std::string topic;
  std::int32_t partition = 0;
  // The new replica list, leader-preferred first; nullopt cancels a pending
  // reassignment of this partition.
  std::optional<std::vector<std::int32_t>> replicas;
};

struct AlterPartitionReassignmentsResponse {
  std::int32_t throttle_time_ms = 0;
  ErrorCode error = errc::kNone;
  std::optional<std::string> error_message;
  std::vector<PartitionResult> results;
  static AlterPartitionReassignmentsResponse decode(Reader& r, std::int16_t version);
};

struct AlterPartitionReassignmentsRequest {
  static constexpr ApiKey kApi = ApiKey::kAlterPartitionReassignments;
  using Response = AlterPartitionReassignmentsResponse;
  std::int32_t timeout_ms = 60000;
  std::vector<ReassignmentTarget> partitions;  // grouped by topic on the wire
  void encode(Writer& w, std::int16_t version) const;
};

// --- ElectLeaders (43) -------------------------------------------------------------

enum class ElectionType : std::int8_t {
  kPreferred = 0,  // move leadership to the first replica, if it is in sync
  kUnclean = 1,    // elect any live replica when no in-sync one is left
};

struct ElectLeadersResponse {
  std::int32_t throttle_time_ms = 0;
  ErrorCode error = errc::kNone;
  std::vector<PartitionResult> results;
  static ElectLeadersResponse decode(Reader& r, std::int16_t version);
};

struct ElectLeadersRequest {
  static constexpr ApiKey kApi = ApiKey::kElectLeaders;
  using Response = ElectLeadersResponse;
  ElectionType type = ElectionType::kPreferred;
  std::optional<std::vector<TopicPartitions>> partitions;  // nullopt: all
  std::int32_t timeout_ms = 60000;
  void encode(Writer& w, std::int16_t version) const;
};

// --- DescribeLogDirs (35) ----------------------------------------------------------

struct LogDirPartition {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t size = 0;  // bytes of log segments on this broker
  std::int64_t offset_lag = 0;
  bool is_future = false;  // a copy being moved here by AlterReplicaLogDirs
};

struct LogDir {
  ErrorCode error = errc::kNone;
  std::string path;
  std::vector<LogDirPartition> partitions;
  std::int64_t total_bytes = -1;   // v4+
  std::int64_t usable_bytes = -1;  // v4+
};

struct DescribeLogDirsResponse {
  std::int32_t throttle_time_ms = 0;
  ErrorCode error = errc::kNone;  // v3+
  std::vector<LogDir> dirs;
  static DescribeLogDirsResponse decode(Reader& r, std::int16_t version);
};

struct DescribeLogDirsRequest {
  static constexpr ApiKey kApi = ApiKey::kDescribeLogDirs;
  using Response = DescribeLogDirsResponse;
  std::optional<std::vector<TopicPartitions>> topics;  // nullopt: all
  void encode(Writer& w, std::int16_t version) const;
};

// --- DescribeConfigs (32) ----------------------------------------------------------

enum class ResourceType : std::int8_t {
  kUnknown = 0,
  kTopic = 2,
  kBroker = 4,
  kBrokerLogger = 8,
};

enum class ConfigSource : std::int8_t {
  kUnknown = 0,
  kTopic = 1,
  kDynamicBroker = 2,
  kDynamicDefaultBroker = 3,
  kStaticBroker = 4,
  kDefault = 5,
  kDynamicBrokerLogger = 6,
  kClientMetrics = 7,
  kGroup = 8,
};

struct ConfigSynonym {
  std::string name;
  std::optional<std::string> value;
  std::int8_t source = 0;
};

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  // null for sensitive entries
  bool read_only = false;
  std::int8_t source = -1;  // a ConfigSource
  bool sensitive = false;
  std::vector<ConfigSynonym> synonyms;
  std::int8_t type = 0;  // v3+: BOOLEAN=1, STRING, INT, SHORT, LONG, DOUBLE, LIST, CLASS, PASSWORD=9
  std::optional<std::string> documentation;
};

struct ConfigResourceResult {
  ErrorCode error = errc::kNone;
  std::optional<std::string> error_message;
  ResourceType type = ResourceType::kUnknown;
  std::string name;
  std::vector<ConfigEntry> entries;
};

struct DescribeConfigsResponse {
  std::int32_t throttle_time_ms = 0;
  std::vector<ConfigResourceResult> results;
  static DescribeConfigsResponse decode(Reader& r, std::int16_t version);
};

struct ConfigResource {
  ResourceType type = ResourceType::kTopic;
  std::string name;  // topic name, broker id as a string, or "" for the cluster-wide broker default
  std::optional<std::vector<std::string>> keys;  // nullopt: all
};

struct DescribeConfigsRequest {
  static constexpr ApiKey kApi = ApiKey::kDescribeConfigs;
  using Response = DescribeConfigsResponse;
  std::vector<ConfigResource> resources;
  bool include_synonyms = false;
  bool include_documentation = false;  // v3+
  void encode(Writer& w, std::int16_t version) const;
};

// --- IncrementalAlterConfigs (44) --------------------------------------------------

enum class ConfigOperation : std::int8_t {
  kSet = 0,
  kDelete = 1,
  kAppend = 2,    // list-valued configs: add items not present yet
  kSubtract = 3,  // list-valued configs: remove items
};

struct ConfigOp {
  std::string name;
  ConfigOperation op = ConfigOperation::kSet;
  std::optional<std::string> value;  // ignored (null) for kDelete
};

struct AlterConfigsResource {
  ResourceType type = ResourceType::kTopic;
  std::string name;
  std::vector<ConfigOp> ops;
};

struct AlterConfigsResourceResult {
  ErrorCode error = errc::kNone;
  std::optional<std::string> error_message;
  ResourceType type = ResourceType::kUnknown;
  std::string name;
};

struct IncrementalAlterConfigsResponse {
  std::int32_t throttle_time_ms = 0;
  std::vector<AlterConfigsResourceResult> results;
  static IncrementalAlterConfigsResponse decode(Reader& r, std::int16_t version);
};

struct IncrementalAlterConfigsRequest {
  static constexpr ApiKey kApi = ApiKey::kIncrementalAlterConfigs;
  using Response = IncrementalAlterConfigsResponse;
  std::vector<AlterConfigsResource> resources;
  bool validate_only = false;
  void encode(Writer& w, std::int16_t version) const;
};

// --- CreateTopics (19) -------------------------------------------------------------

struct NewTopic {
  std::string name;
  // -1 with an explicit assignment, or to take the broker defaults.
  std::int32_t num_partitions = -1;
  std::int16_t replication_factor = -1;
  // Partition index -> broker ids, preferred leader first.
  std::vector<std::pair<std::int32_t, std::vector<std::int32_t>>> assignment;
  std::vector<std::pair<std::string, std::string>> configs;
};

struct CreateTopicResult {
  std::string name;
  Uuid topic_id;  // v7+
  ErrorCode error = errc::kNone;
  std::optional<std::string> message;
  std::int32_t num_partitions = -1;
  std::int16_t replication_factor = -1;
  bool ok() const { return error == errc::kNone; }
};

struct CreateTopicsResponse {
  std::int32_t throttle_time_ms = 0;
  std::vector<CreateTopicResult> results;
  static CreateTopicsResponse decode(Reader& r, std::int16_t version);
};

struct CreateTopicsRequest {
  static constexpr ApiKey kApi = ApiKey::kCreateTopics;
  using Response = CreateTopicsResponse;
  std::vector<NewTopic> topics;
  std::int32_t timeout_ms = 60000;
  bool validate_only = false;
  void encode(Writer& w, std::int16_t version) const;
};

// --- DeleteTopics (20) -------------------------------------------------------------

struct DeleteTopicsResponse {
  std::int32_t throttle_time_ms = 0;
  std::vector<TopicResult> results;
  static DeleteTopicsResponse decode(Reader& r, std::int16_t version);
};

struct DeleteTopicsRequest {
  static constexpr ApiKey kApi = ApiKey::kDeleteTopics;
  using Response = DeleteTopicsResponse;
  std::vector<std::string> names;
  std::int32_t timeout_ms = 60000;
  void encode(Writer& w, std::int16_t version) const;
};

// --- SaslHandshake (17) / SaslAuthenticate (36) --------------------------------------

struct SaslHandshakeResponse {
  ErrorCode error = errc::kNone;
  std::vector<std::string> mechanisms;
  static SaslHandshakeResponse decode(Reader& r, std::int16_t version);
};

struct SaslHandshakeRequest {
  static constexpr ApiKey kApi = ApiKey::kSaslHandshake;
  using Response = SaslHandshakeResponse;
  std::string mechanism;
  void encode(Writer& w, std::int16_t version) const;
};

struct SaslAuthenticateResponse {
  ErrorCode error = errc::kNone;
  std::optional<std::string> error_message;
  std::string auth_bytes;
  std::int64_t session_lifetime_ms = 0;  // v1+
  static SaslAuthenticateResponse decode(Reader& r, std::int16_t version);
};

struct SaslAuthenticateRequest {
  static constexpr ApiKey kApi = ApiKey::kSaslAuthenticate;
  using Response = SaslAuthenticateResponse;
  std::string auth_bytes;
  void encode(Writer& w, std::int16_t version) const;
};

// --- helpers -------------------------------------------------------------------------

// A request body, encoded for `version` in the matching mode.
template <class Request>
std::string encode_body(const Request& request, std::int16_t version) {
  Writer w(is_flexible(Request::kApi, version));
  request.encode(w, version);
  return w.take();
}

// A response body, decoded for `version`; the whole body must be consumed.
template <class Request>
typename Request::Response decode_body(std::string_view body, std::int16_t version) {
  Reader r(body, is_flexible(Request::kApi, version),
           std::string(api_name(Request::kApi)) + " v" + std::to_string(version) + " response");
  auto out = Request::Response::decode(r, version);
  r.expect_end();
  return out;
}

}  // namespace sg::kafka
