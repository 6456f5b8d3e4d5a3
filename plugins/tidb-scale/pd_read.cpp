#include "pd_read.hpp"

#include <algorithm>
#include <charconv>

#include "util/json.hpp"

namespace sg::tidb_scale {
namespace {

using util::field;
using util::optional_field;

// A list PD's answer holds (an absent or null one is empty).
nlohmann::json list_of(const nlohmann::json& j, std::string_view key, std::string_view where) {
  auto v = optional_field<nlohmann::json>(j, key, where).value_or(nlohmann::json::array());
  if (!v.is_array())
    throw util::JsonError(std::string(where) + "." + std::string(key) + ": expected a list, got " + util::json_kind(v));
  return v;
}

void expect_array(const nlohmann::json& j, std::string_view where) {
  if (!j.is_array()) throw util::JsonError(std::string(where) + ": expected a list, got " + util::json_kind(j));
}

}  // namespace

std::vector<PdHealth> read_health(const nlohmann::json& answer) {
  expect_array(answer, "health");
  std::vector<PdHealth> out;
  for (std::size_t i = 0; i < answer.size(); ++i) {
    auto where = "health[" + std::to_string(i) + "]";
    out.push_back({optional_field<std::string>(answer[i], "name", where).value_or(""),
                   optional_field<bool>(answer[i], "health", where).value_or(false)});
  }
  return out;
}

std::optional<std::string> read_leader(const nlohmann::json& answer) {
  auto name = answer.is_object() ? optional_field<std::string>(answer, "name", "leader") : std::nullopt;
  if (!name || name->empty()) return std::nullopt;
  return name;
}

std::vector<std::string> read_member_names(const nlohmann::json& answer) {
  std::vector<std::string> out;
  auto members = list_of(answer, "members", "members");
  for (std::size_t i = 0; i < members.size(); ++i)
    out.push_back(optional_field<std::string>(members[i], "name", "members[" + std::to_string(i) + "]").value_or(""));
  return out;
}

std::vector<Store> read_stores(const nlohmann::json& answer) {
  auto stores = list_of(answer, "stores", "stores");
  std::vector<Store> out;
  out.reserve(stores.size());
  for (std::size_t i = 0; i < stores.size(); ++i) {
    auto where = "stores[" + std::to_string(i) + "]";
    const auto& j = stores[i];
    auto st = field<nlohmann::json>(j, "store", where);
    auto status = optional_field<nlohmann::json>(j, "status", where).value_or(nlohmann::json::object());
    Store x;
    x.id = field<std::uint64_t>(st, "id", where + ".store");
    x.address = optional_field<std::string>(st, "address", where + ".store").value_or("");
    auto state = parse_store_state(optional_field<std::string>(st, "state_name", where + ".store").value_or("Up"));
    x.state = state.value_or(StoreState::Up);
    x.region_count = optional_field<std::int64_t>(status, "region_count", where + ".status").value_or(0);
    x.leader_count = optional_field<std::int64_t>(status, "leader_count", where + ".status").value_or(0);
    out.push_back(x);
  }
  std::sort(out.begin(), out.end(), [](const Store& a, const Store& b) { return a.id < b.id; });
  return out;
}

int read_max_replicas(const nlohmann::json& answer) {
  auto n = optional_field<int>(answer, "max-replicas", "config/replicate").value_or(3);
  // The removal rules keep at least max-replicas stores Up: a value below 1
  // would let every store go. The state file refuses it the same way.
  if (n < 1) throw util::JsonError("config/replicate.max-replicas: expected at least 1, got " + std::to_string(n));
  return n;
}

std::int64_t read_region_count(const nlohmann::json& answer, const std::string& path) {
  auto n = optional_field<std::int64_t>(answer, "count", path).value_or(0);
  if (n < 0) throw util::JsonError(path + ".count: expected a count (0 or more), got " + std::to_string(n));
  return n;
}

std::set<std::string> read_schedulers(const nlohmann::json& answer) {
  expect_array(answer, "schedulers");
  std::set<std::string> out;
  for (std::size_t i = 0; i < answer.size(); ++i)
    out.insert(util::as<std::string>(answer[i], "schedulers[" + std::to_string(i) + "]"));
  return out;
}

std::set<std::uint64_t> read_evicting(const nlohmann::json& answer) {
  std::set<std::uint64_t> out;
  if (!answer.is_object()) return out;
  auto ranges = answer.find("store-id-ranges");
  if (ranges == answer.end() || !ranges->is_object()) return out;
  for (auto it = ranges->begin(); it != ranges->end(); ++it) {
    // Digits only: std::stoull would read "-1" as the largest id and "7x" as 7.
    const auto& key = it.key();
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (ec == std::errc() && end == key.data() + key.size() && !key.empty()) out.insert(id);
  }
  return out;
}

}  // namespace sg::tidb_scale
