#pragma once
// What tidb-scale observes of a TiDB cluster (PD members, TiKV stores,
// region health, TiDB instances), whether from PD and Kubernetes or from a
// state file for offline planning, and the plan format it prints.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg::tidb_scale {

struct PdMember {
  std::string name;
  bool healthy = true;
  bool leader = false;
};

// PD's store states: Up, Disconnected (no heartbeat for 20 s), Down (none for
// max-store-down-time), Offline (being removed), Tombstone (removed).
enum class StoreState { Up, Disconnected, Down, Offline, Tombstone };
std::string_view store_state_name(StoreState s);
std::optional<StoreState> parse_store_state(std::string_view s);

struct Store {
  std::uint64_t id = 0;
  std::string address;
  StoreState state = StoreState::Up;
  std::int64_t region_count = 0;
  std::int64_t leader_count = 0;
};

struct RegionHealth {
  std::int64_t miss_peer = 0;
  std::int64_t down_peer = 0;
  std::int64_t offline_peer = 0;
};

struct TidbInstance {
  std::string name;
  bool healthy = true;
};

struct ClusterState {
  int max_replicas = 3;
  std::vector<PdMember> pd;
  std::vector<Store> stores;
  RegionHealth regions;
  std::vector<TidbInstance> tidb;
  int failovers = 0;  // replacements already made for Down stores (operator status)
  // Stores with an evict-leader scheduler (PD's evict-leader-scheduler
  // config), so a run stopped between evicting and deleting resumes them.
  std::set<std::uint64_t> evicting;
  // PD's schedulers by name, when known (a state file may omit them).
  std::optional<std::set<std::string>> schedulers;

  // False when PD had no leader: stores, regions and max-replicas were then
  // not observed, and the fields above hold defaults.
  bool observed_all = true;

  const PdMember* pd_leader() const;
  int up_stores() const;
  int live_stores() const;  // not Offline or Tombstone
  const Store* store(std::uint64_t id) const;
};

// {"max_replicas":3,"pd":[{"name":"pd-0","healthy":true,"leader":true}],
//  "stores":[{"id":1,"address":"tikv-0:20160","state":"Up","region_count":120,"leader_count":40}],
//  "regions":{"miss_peer":0,"down_peer":0,"offline_peer":0},"tidb":[{"name":"tidb-0","healthy":true}]}
// Optional: "failovers":0, "evicting":[5], "schedulers":["balance-leader-scheduler"].
// Errors are SettingsErrors naming state_file (the file is a setting).
ClusterState parse_state(std::string_view json_text);
// A store id listed twice (in a file or by PD), or nullopt.
std::optional<std::uint64_t> duplicate_store(const ClusterState& s);
nlohmann::json to_json(const ClusterState& s);

}  // namespace sg::tidb_scale
