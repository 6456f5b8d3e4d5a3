#pragma once
// The safety rules of tidb-scale, as a pure planner: observed state and
// targets in, an ordered list of steps (or a refusal naming the rule that
// blocked it) out. dry_run prints exactly this plan; the runner executes it,
// re-checking the same rules on a fresh observation before each destructive
// step (check_cluster, check_store_removal).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state.hpp"

namespace sg::tidb_scale {

enum class Goal { Status, Scale, Heal, Rebalance };
enum class Backend { Operator, Pd };

struct PlanOptions {
  Goal goal = Goal::Status;
  Backend backend = Backend::Operator;
  std::optional<int> pd_replicas;
  std::optional<int> tikv_replicas;
  std::optional<int> tidb_replicas;
  int min_tidb_healthy = 2;
  bool allow_even_pd = false;  // permit an even or fewer-than-3 PD member count
  int max_failover = 3;
  // Forced store removal (data loss if replicas were not elsewhere): only for
  // stores listed here, confirmed physically gone, and only with force.
  bool force = false;
  std::set<std::uint64_t> confirmed_gone;
};

struct Step {
  std::string component;  // pd, tikv, tidb
  std::string action;     // set-replicas, evict-leaders, delete-store, wait-tombstone, ...
  std::string target;     // store id, member name, or a replica count
  std::string reason;     // why, for humans
  bool operator==(const Step& o) const { return component == o.component && action == o.action && target == o.target; }
};

struct Refusal {
  std::string rule;  // pd-quorum, pd-leader, mass-outage, max-replicas, region-health, ...
  std::string message;
};

struct Plan {
  std::vector<Step> steps;
  std::optional<Refusal> refusal;
  std::vector<std::string> warnings;
  // {"steps":[{"component","action","target","reason"}]} (+ "refused",
  // "warnings"): the plan file format.
  nlohmann::json to_json() const;
};

Plan make_plan(const ClusterState& state, const PlanOptions& options);

// Observe-first rules every acting run passes before anything changes: a
// healthy PD majority, a leader, and no mass outage (more than 1/3 of PD, or
// a majority of the live stores, Down).
std::optional<Refusal> check_cluster(const ClusterState& state);

// May store `id` be deleted now? One store at a time (no other store Offline),
// at least max-replicas Up stores left (so an Up store may not go when exactly
// max-replicas are Up), and for a scale-in no down-peer or miss-peer regions.
std::optional<Refusal> check_store_removal(const ClusterState& state, std::uint64_t id, bool scale_in);

}  // namespace sg::tidb_scale
