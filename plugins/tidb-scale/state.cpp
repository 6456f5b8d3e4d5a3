#include "state.hpp"

#include <algorithm>
#include <set>

#include "runtime/error.hpp"
#include "util/strings.hpp"

namespace sg::tidb_scale {

std::string_view store_state_name(StoreState s) {
  switch (s) {
    case StoreState::Up:
      return "Up";
    case StoreState::Disconnected:
      return "Disconnected";
    case StoreState::Down:
      return "Down";
    case StoreState::Offline:
      return "Offline";
    case StoreState::Tombstone:
      return "Tombstone";
  }
  return "Up";
}

std::optional<StoreState> parse_store_state(std::string_view s) {
  for (auto st :
       {StoreState::Up, StoreState::Disconnected, StoreState::Down, StoreState::Offline, StoreState::Tombstone}) {
    if (util::iequals(store_state_name(st), s)) return st;
  }
  // PD >= 5 reports a removing store as "Offline" in state_name but some
  // tools print "Pending Offline"; treat it the same.
  if (util::iequals(s, "Pending Offline")) return StoreState::Offline;
  return std::nullopt;
}

const PdMember* ClusterState::pd_leader() const {
  for (const auto& m : pd) {
    if (m.leader) return &m;
  }
  return nullptr;
}

int ClusterState::up_stores() const {
  return static_cast<int>(
      std::count_if(stores.begin(), stores.end(), [](const Store& s) { return s.state == StoreState::Up; }));
}

int ClusterState::live_stores() const {
  return static_cast<int>(std::count_if(stores.begin(), stores.end(), [](const Store& s) {
    return s.state != StoreState::Offline && s.state != StoreState::Tombstone;
  }));
}

const Store* ClusterState::store(std::uint64_t id) const {
  auto it = std::find_if(stores.begin(), stores.end(), [&](const Store& s) { return s.id == id; });
  return it == stores.end() ? nullptr : &*it;
}

std::optional<std::uint64_t> duplicate_store(const ClusterState& s) {
  std::set<std::uint64_t> seen;
  for (const auto& st : s.stores) {
    if (!seen.insert(st.id).second) return st.id;
  }
  return std::nullopt;
}

namespace {

ClusterState parse_state_unchecked(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object()) throw Error("the state file is not a JSON object", "see the state_file setting for the format");
  ClusterState s;
  s.max_replicas = j.value("max_replicas", 3);
  if (s.max_replicas < 1) throw Error("max_replicas in the state file must be at least 1");
  for (const auto& m : j.value("pd", nlohmann::json::array())) {
    if (!m.contains("name") || !m["name"].is_string()) throw Error("every pd member in the state file needs a name");
    s.pd.push_back({m["name"].get<std::string>(), m.value("healthy", true), m.value("leader", false)});
  }
  for (const auto& st : j.value("stores", nlohmann::json::array())) {
    if (!st.contains("id") || !st["id"].is_number_unsigned())
      throw Error("every store in the state file needs a numeric id");
    Store x;
    x.id = st["id"].get<std::uint64_t>();
    x.address = st.value("address", "");
    auto name = st.value("state", "Up");
    auto parsed = parse_store_state(name);
    if (!parsed)
      throw Error("store " + std::to_string(x.id) + " has unknown state \"" + name + "\"",
                  "use one of Up, Disconnected, Down, Offline, Tombstone");
    x.state = *parsed;
    x.region_count = st.value("region_count", std::int64_t{0});
    x.leader_count = st.value("leader_count", std::int64_t{0});
    s.stores.push_back(x);
  }
  auto r = j.value("regions", nlohmann::json::object());
  s.regions = {r.value("miss_peer", std::int64_t{0}), r.value("down_peer", std::int64_t{0}),
               r.value("offline_peer", std::int64_t{0})};
  for (const auto& t : j.value("tidb", nlohmann::json::array())) {
    s.tidb.push_back({t.value("name", ""), t.value("healthy", true)});
  }
  s.failovers = j.value("failovers", 0);
  for (const auto& id : j.value("evicting", nlohmann::json::array())) {
    if (!id.is_number_unsigned()) throw Error("\"evicting\" in the state file must list numeric store ids");
    s.evicting.insert(id.get<std::uint64_t>());
  }
  if (j.contains("schedulers")) {
    s.schedulers.emplace();
    for (const auto& n : j["schedulers"]) {
      if (n.is_string()) s.schedulers->insert(n.get<std::string>());
    }
  }
  std::sort(s.stores.begin(), s.stores.end(), [](const Store& a, const Store& b) { return a.id < b.id; });
  // Two entries for one store would count it twice towards max-replicas.
  if (auto dup = duplicate_store(s)) throw Error("store " + std::to_string(*dup) + " appears twice");
  return s;
}

}  // namespace

ClusterState parse_state(std::string_view json_text) {
  try {
    return parse_state_unchecked(json_text);
  } catch (const Error& e) {
    throw SettingsError("state_file: " + std::string(e.what()),
                        e.hint().empty() ? "see the state_file setting for the format" : e.hint());
  } catch (const nlohmann::json::exception&) {
    // nlohmann's message quotes no field; say what the format is instead.
    throw SettingsError("state_file: a field has the wrong type", "see the state_file setting for the format");
  }
}

nlohmann::json to_json(const ClusterState& s) {
  nlohmann::json j = {{"max_replicas", s.max_replicas},
                      {"pd", nlohmann::json::array()},
                      {"stores", nlohmann::json::array()},
                      {"tidb", nlohmann::json::array()}};
  for (const auto& m : s.pd)
    j["pd"].push_back({{"name", m.name}, {"healthy", m.healthy}, {"leader", m.leader}});
  for (const auto& st : s.stores) {
    j["stores"].push_back({{"id", st.id},
                           {"address", st.address},
                           {"state", store_state_name(st.state)},
                           {"region_count", st.region_count},
                           {"leader_count", st.leader_count}});
  }
  j["regions"] = {
      {"miss_peer", s.regions.miss_peer}, {"down_peer", s.regions.down_peer}, {"offline_peer", s.regions.offline_peer}};
  for (const auto& t : s.tidb)
    j["tidb"].push_back({{"name", t.name}, {"healthy", t.healthy}});
  j["failovers"] = s.failovers;
  j["evicting"] = s.evicting;
  if (s.schedulers) j["schedulers"] = *s.schedulers;
  return j;
}

}  // namespace sg::tidb_scale
