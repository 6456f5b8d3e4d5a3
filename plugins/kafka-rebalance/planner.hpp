#pragma once
// The pure planner: observed topology in, reassignment plan out. Nothing
// here does I/O, so every rule below is unit- and property-tested.
//
// Rules (the README's "Planning rules"):
//  - A replica on a live broker stays unless the goal requires moving it; in
//    heal and remove-brokers exactly the replicas on dead/removed brokers move.
//  - Replacements go to live brokers not already in the partition, on racks
//    the partition does not use yet whenever possible, least loaded first
//    (replicas, then preferred leaders, then bytes, then id).
//  - The preferred leader (first replica) is a live in-sync replica.
//  - rebalance/add-brokers bring the replica-count spread to at most 1 where
//    racks allow, with the fewest moves (each move removes one unit of excess).
//  - Same input, same plan. The replication factor never shrinks. A partition
//    with no live in-sync replica is skipped and reported.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "topology.hpp"

namespace sg::kafka_rebalance {

enum class Goal { Heal, RemoveBrokers, AddBrokers, Rebalance };
const char* goal_name(Goal g);

struct PlanOptions {
  Goal goal = Goal::Heal;
  // remove-brokers: the brokers to empty; add-brokers: the new brokers.
  std::set<BrokerId> broker_ids;
  // Unset: on when every live broker reports a rack.
  std::optional<bool> rack_aware;
  // heal: brokers to treat as dead (after the grace period). Default: the
  // brokers marked not alive in the topology.
  std::optional<std::set<BrokerId>> dead;
};

struct Move {
  std::size_t partition = 0;  // index into Topology::partitions
  std::vector<BrokerId> before;
  std::vector<BrokerId> after;
  int replicas_moved = 0;  // 0 for a leadership-only reorder
  std::int64_t bytes_moved = 0;
};

struct Skipped {
  std::size_t partition = 0;
  std::string reason;
};

struct BrokerCounts {
  BrokerId id = -1;
  bool alive = true;
  int replicas_before = 0;
  int leaders_before = 0;  // preferred leaders (first replica)
  int replicas_after = 0;
  int leaders_after = 0;
  std::int64_t bytes_before = 0;
  std::int64_t bytes_after = 0;
};

struct Plan {
  Goal goal = Goal::Heal;
  bool rack_aware = false;
  std::vector<Move> moves;  // sorted by topic, then partition
  std::vector<Skipped> skipped;
  std::vector<BrokerCounts> brokers;  // sorted by id
  int replicas_moved = 0;
  std::int64_t bytes_moved = 0;
  bool sizes_known = false;  // every moved partition had a size
  std::vector<std::string> notes;

  std::vector<Assignment> assignments(const Topology& t) const;  // the plan
  std::vector<Assignment> rollback(const Topology& t) const;     // current state of the moved partitions
  // max - min replica count over live brokers, leaving out `emptied` ones.
  int replica_spread_after(const std::set<BrokerId>& emptied = {}) const;
};

Plan make_plan(const Topology& topology, const PlanOptions& options);

}  // namespace sg::kafka_rebalance
