#include "state.hpp"

#include <algorithm>
#include <set>

#include "runtime/error.hpp"
#include "util/json.hpp"
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

using util::field;
using util::optional_field;

ClusterState parse_state_unchecked(std::string_view json_text) {
  nlohmann::json j = util::parse_json(json_text);
  const std::string root = "state_file";
  if (!j.is_object()) throw Error("the state file is not a JSON object", "see the state_file setting for the format");
  ClusterState s;
  s.max_replicas = optional_field<int>(j, "max_replicas", root).value_or(3);
  if (s.max_replicas < 1) throw Error("max_replicas in the state file must be at least 1");
  auto list = [&](const char* key) {
    auto v = optional_field<nlohmann::json>(j, key, root).value_or(nlohmann::json::array());
    if (!v.is_array()) throw util::JsonError(root + "." + key + ": expected a list, got " + util::json_kind(v));
    return v;
  };
  auto pd = list("pd");
  for (std::size_t i = 0; i < pd.size(); ++i) {
    auto where = root + ".pd[" + std::to_string(i) + "]";
    s.pd.push_back({field<std::string>(pd[i], "name", where),
                    optional_field<bool>(pd[i], "healthy", where).value_or(true),
                    optional_field<bool>(pd[i], "leader", where).value_or(false)});
  }
  auto stores = list("stores");
  for (std::size_t i = 0; i < stores.size(); ++i) {
    const auto& st = stores[i];
    auto where = root + ".stores[" + std::to_string(i) + "]";
    Store x;
    x.id = field<std::uint64_t>(st, "id", where);
    x.address = optional_field<std::string>(st, "address", where).value_or("");
    auto name = optional_field<std::string>(st, "state", where).value_or("Up");
    auto parsed = parse_store_state(name);
    if (!parsed)
      throw Error("store " + std::to_string(x.id) + " has unknown state \"" + name + "\"",
                  "use one of Up, Disconnected, Down, Offline, Tombstone");
    x.state = *parsed;
    x.region_count = optional_field<std::int64_t>(st, "region_count", where).value_or(0);
    x.leader_count = optional_field<std::int64_t>(st, "leader_count", where).value_or(0);
    s.stores.push_back(x);
  }
  if (auto r = optional_field<nlohmann::json>(j, "regions", root)) {
    auto where = root + ".regions";
    s.regions = {optional_field<std::int64_t>(*r, "miss_peer", where).value_or(0),
                 optional_field<std::int64_t>(*r, "down_peer", where).value_or(0),
                 optional_field<std::int64_t>(*r, "offline_peer", where).value_or(0)};
  }
  auto tidb = list("tidb");
  for (std::size_t i = 0; i < tidb.size(); ++i) {
    auto where = root + ".tidb[" + std::to_string(i) + "]";
    s.tidb.push_back({optional_field<std::string>(tidb[i], "name", where).value_or(""),
                      optional_field<bool>(tidb[i], "healthy", where).value_or(true)});
  }
  s.failovers = optional_field<int>(j, "failovers", root).value_or(0);
  auto evicting = list("evicting");
  for (std::size_t i = 0; i < evicting.size(); ++i)
    s.evicting.insert(util::as<std::uint64_t>(evicting[i], root + ".evicting[" + std::to_string(i) + "]"));
  if (j.contains("schedulers")) {
    s.schedulers.emplace();
    auto schedulers = list("schedulers");
    for (std::size_t i = 0; i < schedulers.size(); ++i)
      s.schedulers->insert(util::as<std::string>(schedulers[i], root + ".schedulers[" + std::to_string(i) + "]"));
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
  } catch (const util::JsonError& e) {
    // The message names the field ("state_file.stores[0].id: expected an
    // integer, got a string"), never its value.
    std::string m = e.what();
    throw SettingsError(m.starts_with("state_file") ? m : "state_file: " + m,
                        "see the state_file setting for the format");
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
