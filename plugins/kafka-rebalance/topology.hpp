#pragma once
// The observed state the planner works on, whether read from a live cluster
// or from a topology file (offline planning), and Kafka's reassignment JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::kafka_rebalance {

using BrokerId = std::int32_t;

struct Broker {
  BrokerId id = -1;
  std::optional<std::string> rack;
  bool alive = true;
};

struct Partition {
  std::uint32_t topic = 0;  // index into Topology::topics
  std::int32_t index = 0;
  std::vector<BrokerId> replicas;  // replicas[0] is the preferred leader
  std::vector<BrokerId> isr;
  BrokerId leader = -1;          // -1: no leader
  std::int64_t size_bytes = -1;  // -1: unknown
};

struct Topology {
  std::vector<std::string> topics;  // interned names: 1M partitions share few topics
  std::vector<Broker> brokers;
  std::vector<Partition> partitions;

  const std::string& topic_name(const Partition& p) const { return topics[p.topic]; }
  std::uint32_t intern(std::string_view topic);
  const Broker* broker(BrokerId id) const;
};

// {"brokers":[{"id":1,"rack":"r1","alive":true}],
//  "partitions":[{"topic":"t","partition":0,"replicas":[1,2,3],"size_bytes":123}]}
// Optional per partition: "isr", "leader". Without them every replica on a
// live broker counts as in sync and the first such replica leads.
// Errors are SettingsErrors naming topology_file (the file is a setting).
Topology parse_topology(std::string_view json_text, std::size_t max_bytes = std::size_t{64} << 20);

// A duplicated broker or partition, or sizes whose total overflows: what is
// wrong, naming the entry; nullopt when the topology can be planned. Checked
// on files and on what a live cluster reports alike.
std::optional<std::string> topology_problem(const Topology& t);

// A broker id as a setting lists it: decimal digits, at most INT32_MAX.
std::optional<BrokerId> parse_broker_id(std::string_view text);

// One entry of Kafka's reassignment JSON (kafka-reassign-partitions.sh).
struct Assignment {
  std::string topic;
  std::int32_t partition = 0;
  std::vector<BrokerId> replicas;
};

std::string to_reassignment_json(const std::vector<Assignment>& assignments);
std::vector<Assignment> parse_reassignment_json(std::string_view json_text,
                                                std::size_t max_bytes = std::size_t{64} << 20);

}  // namespace sg::kafka_rebalance
