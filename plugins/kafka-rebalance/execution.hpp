#pragma once
// Pure decisions of the executor: which moves go out in the next batch, and
// which replication throttles a batch needs. The runner (exec.cpp) only
// carries these out against the cluster.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "topology.hpp"

namespace sg::kafka_rebalance {

struct PendingMove {
  std::string topic;
  std::int32_t partition = 0;
  std::vector<BrokerId> before;
  std::vector<BrokerId> after;
  bool moves_data() const;  // false for a pure reorder of the same replicas
  // Brokers that gain or lose a replica: the ones whose disks and networks work.
  std::set<BrokerId> busy_brokers() const;
};

struct BatchLimits {
  int max_per_broker = 5;
  int max_total = 100;
};

// Picks, in order, the pending moves that fit next to what is in flight.
// Reorders never count against the limits. Always returns at least one move
// when nothing is in flight and something is pending, so a plan whose single
// move exceeds a limit still progresses.
std::vector<std::size_t> next_batch(const std::vector<PendingMove>& pending, const std::vector<PendingMove>& in_flight,
                                    const BatchLimits& limits);

struct TopicThrottle {
  std::set<std::string> leader;  // "partition:broker" entries
  std::set<std::string> follower;
};

struct ThrottlePlan {
  std::map<std::string, TopicThrottle> topics;
  std::set<BrokerId> brokers;  // live brokers that get the rate configs
};

// Kafka's rule (docs ops.html "rep-throttle"): leader throttles on every
// replica the partition had before the move (any of them may lead), follower
// throttles on the new replicas. Rates go to live brokers only: a dead
// broker cannot take a config.
ThrottlePlan throttles_for(const std::vector<PendingMove>& moves, const std::set<BrokerId>& live);

// "0:1,0:2,3:4" as Kafka's throttled-replicas configs want it.
std::string join_throttle_list(const std::set<std::string>& entries);

// Blast-radius guard: refuse to heal a mass outage.
struct OutageVerdict {
  bool refuse = false;
  std::string reason;
};
OutageVerdict judge_outage(std::size_t dead, std::size_t total, int max_dead, int max_dead_percent);

}  // namespace sg::kafka_rebalance
