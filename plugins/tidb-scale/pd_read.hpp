#pragma once
// What PD's HTTP answers (/pd/api/v1/...) mean, as pure functions of the
// parsed body: the PD client only sends and picks a member. Each throws
// util::JsonError naming the field ("stores[0].store.id: expected an
// integer, got a string") when an answer has the wrong shape, never
// nlohmann's type_error, and never quotes PD's values.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state.hpp"

namespace sg::tidb_scale {

struct PdHealth {
  std::string name;
  bool healthy = false;
};

// GET health: [{"name","health"}].
std::vector<PdHealth> read_health(const nlohmann::json& answer);
// GET leader: {"name"}; anything but a non-empty name is no leader.
std::optional<std::string> read_leader(const nlohmann::json& answer);
// GET members: {"members":[{"name"}]}.
std::vector<std::string> read_member_names(const nlohmann::json& answer);
// GET stores/check: {"stores":[{"store":{"id","address","state_name"},
// "status":{"region_count","leader_count"}}]}, sorted by id. A state this
// version does not know counts as Up, as PD's own tools show it.
std::vector<Store> read_stores(const nlohmann::json& answer);
// GET config/replicate: {"max-replicas"}, at least 1 (3 when absent).
int read_max_replicas(const nlohmann::json& answer);
// GET regions/check/<kind>: {"count"}, not negative (0 when absent).
std::int64_t read_region_count(const nlohmann::json& answer, const std::string& path);
// GET schedulers: ["name", ...].
std::set<std::string> read_schedulers(const nlohmann::json& answer);
// GET scheduler-config/evict-leader-scheduler/list: {"store-id-ranges":
// {"<store id>": [...]}}. Keys that are not store ids are left out.
std::set<std::uint64_t> read_evicting(const nlohmann::json& answer);

}  // namespace sg::tidb_scale
