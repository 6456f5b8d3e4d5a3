#pragma once
// The admin client the kafka-rebalance plugin uses to observe a cluster and
// run reassignments. It speaks the wire protocol itself (no librdkafka: the
// Debian build lacks the reassignment, election, log-dir and incremental
// config APIs), keeps one lazily opened connection per broker, and routes
// each request where Kafka needs it:
//
//   - cluster-wide requests (metadata, reassignments, elections, topics,
//     topic configs) go to any live broker; in KRaft mode brokers forward the
//     controller's part to the active controller. NOT_CONTROLLER and other
//     transient answers are retried after a metadata refresh;
//   - broker configs and log dirs go to that very broker (a broker only
//     reports and changes its own), so they fail when it is down.
//
// Failures: KafkaError (the cluster refused; code and name inside),
// TransportError (a broker could not be reached; names broker and address),
// ProtocolError (undecodable answer), sg::Cancelled (the cancel token fired).
// Per-partition and per-topic outcomes of batch calls are returned as data.
//
// Not thread-safe; use one client per thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config.hpp"
#include "connection.hpp"
#include "errors.hpp"
#include "messages.hpp"

namespace sg::kafka {

class AdminClient {
 public:
  // Validates the config and prepares TLS; does no I/O. The SASL password is
  // registered with the log redactor here. Throws sg::Error on bad settings.
  explicit AdminClient(ClientConfig config);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // Brokers, controller and cluster id, plus the given topics (nullopt: all
  // topics; an empty list: none). Topics that do not exist come back with
  // UNKNOWN_TOPIC_OR_PARTITION as their error; nothing is auto-created.
  ClusterMetadata metadata(const std::optional<std::vector<std::string>>& topics = std::nullopt);

  // Live brokers as the cluster itself reports them (KIP-700).
  DescribeClusterResponse describe_cluster();

  // Reassignments in flight. A TopicPartitions entry with no partitions
  // means every partition of that topic.
  std::vector<OngoingReassignment> list_reassignments(
      const std::optional<std::vector<TopicPartitions>>& partitions = std::nullopt);

  // Starts (replicas set) or cancels (replicas nullopt) reassignments. The
  // broker checks the targets synchronously; the data moves afterwards.
  std::vector<PartitionResult> alter_reassignments(const std::vector<ReassignmentTarget>& targets,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Leader elections. ELECTION_NOT_NEEDED (already led by the preferred
  // replica) is reported as success. nullopt: every partition.
  std::vector<PartitionResult> elect_leaders(ElectionType type,
                                             const std::optional<std::vector<TopicPartitions>>& partitions,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // The log directories of one broker, with the size of every replica it
  // holds (sent to that broker).
  std::vector<LogDir> describe_log_dirs(std::int32_t broker_id,
                                        const std::optional<std::vector<TopicPartitions>>& topics = std::nullopt);

  // Config entries of one resource (`name`: topic, broker id, or "" for the
  // cluster-wide broker defaults). Sensitive values come back null.
  std::vector<ConfigEntry> describe_configs(ResourceType type, const std::string& name,
                                            const std::optional<std::vector<std::string>>& keys = std::nullopt);

  // Changes some configs of one resource and leaves the others alone.
  void incremental_alter_configs(ResourceType type, const std::string& name, const std::vector<ConfigOp>& ops,
                                 bool validate_only = false);

  std::vector<CreateTopicResult> create_topics(const std::vector<NewTopic>& topics,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                               bool validate_only = false);
  std::vector<TopicResult> delete_topics(const std::vector<std::string>& names,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // What one broker supports (diagnostics).
  ApiVersionsResponse api_versions(std::int32_t broker_id);

  // Closes every connection; later calls reopen what they need.
  void close();

 private:
  BrokerConnection& slot(std::int32_t id, const Endpoint& endpoint);
  BrokerConnection& connection_to(std::int32_t broker_id);
  // Picks an open (or openable) connection, skipping `exclude`d node ids.
  BrokerConnection& any_connection(const std::set<std::int32_t>& exclude);
  template <class Request>
  std::pair<typename Request::Response, std::string> send_any(const Request& request,
                                                              std::chrono::milliseconds server_wait, bool idempotent);
  template <class Request>
  typename Request::Response send_to(std::int32_t broker_id, const Request& request);
  // Runs `attempt` until it reports no retriable error, refreshing metadata
  // and backing off between tries.
  template <class F>
  auto with_retries(const char* what, F&& attempt);
  void learn(const ClusterMetadata& md);
  void pause(std::chrono::milliseconds d) const;
  std::int32_t broker_id_of(ResourceType type, const std::string& name) const;

  ClientConfig config_;
  std::shared_ptr<const ConnectionSettings> settings_;
  std::vector<Endpoint> bootstrap_;
  // Node id -> connection; bootstrap servers use -1, -2, ... until metadata
  // tells which broker they are.
  std::map<std::int32_t, std::unique_ptr<BrokerConnection>> connections_;
  std::map<std::int32_t, Endpoint> live_brokers_;  // from the last metadata
  bool have_metadata_ = false;
};

// A KafkaError for a failed per-partition outcome, with topic and partition
// in the message: for callers that treat any failure as fatal.
KafkaError partition_error(const PartitionResult& result, const std::string& operation);

// Replica sizes per topic-partition from describe_log_dirs(); the current
// (not future) replica in any directory.
std::map<TopicPartition, std::int64_t> partition_sizes(const std::vector<LogDir>& dirs);

}  // namespace sg::kafka
