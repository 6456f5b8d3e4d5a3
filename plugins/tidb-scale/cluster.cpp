#include "cluster.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "planner.hpp"
#include "runtime/error.hpp"
#include "util/json.hpp"

namespace sg::tidb_scale {
namespace {

// How often a TiKV store heartbeats to PD (TiKV's pd-heartbeat-tick-interval
// for stores, 10 s by default).
constexpr auto kStoreHeartbeatInterval = std::chrono::seconds(10);

}  // namespace

nlohmann::json TidbClusterRef::get() const {
  return client_.get(kTidbClusters, ns_, name_);
}

void TidbClusterRef::set_replicas(const std::string& component, int replicas) const {
  client_.patch(kTidbClusters, ns_, name_, {{"spec", {{component, {{"replicas", replicas}}}}}}, kube::PatchType::Merge);
}

std::optional<int> TidbClusterRef::spec_replicas(const std::string& component) const {
  auto tc = get();
  auto p = nlohmann::json::json_pointer("/spec/" + component + "/replicas");
  if (!tc.contains(p) || !tc[p].is_number_integer()) return std::nullopt;
  return tc[p].get<int>();
}

std::string TidbClusterRef::describe() const {
  return kube::describe(kTidbClusters, ns_, name_);
}

ClusterState Cluster::observe() {
  ClusterState s;
  auto leader = pd_.leader();
  std::vector<PdHealth> health;
  try {
    health = pd_.health();
  } catch (const PdUnreachable&) {
    throw;
  } catch (const Error& e) {
    // PD reports member health only with a working quorum; no answer at all
    // means none: every endpoint counts as an unhealthy member.
    spdlog::warn("no PD member reports the cluster's health: {}", e.what());
    for (const auto& url : pd_.endpoints())
      health.push_back({url, false});
    leader.reset();
  }
  for (const auto& h : health)
    s.pd.push_back({h.name, h.healthy, leader && *leader == h.name});
  // /health lists only members PD knows; a member that never answered is
  // unhealthy there already. Sorted for stable plans.
  std::sort(s.pd.begin(), s.pd.end(), [](const PdMember& a, const PdMember& b) { return a.name < b.name; });
  if (!leader) {
    s.observed_all = false;
    return s;
  }
  s.max_replicas = pd_.max_replicas();
  s.stores = pd_.stores();
  if (auto dup = duplicate_store(s)) {
    throw Error("PD lists store " + std::to_string(*dup) + " twice", "nothing was planned; check PD's /stores");
  }
  s.regions = {pd_.region_check("miss-peer"), pd_.region_check("down-peer"), pd_.region_check("offline-peer")};
  s.schedulers = pd_.schedulers();
  s.evicting = pd_.evicting_stores();
  if (tc_) {
    auto tc = tc_->get();
    // The operator's failover record: one entry per replaced store.
    auto failures = nlohmann::json::json_pointer("/status/tikv/failureStores");
    if (tc.contains(failures) && tc[failures].is_object()) s.failovers = static_cast<int>(tc[failures].size());
    auto members = nlohmann::json::json_pointer("/status/tidb/members");
    if (tc.contains(members) && tc[members].is_object()) {
      const auto& m = tc[members];
      for (auto it = m.begin(); it != m.end(); ++it) {
        s.tidb.push_back({it.key(), it->is_object() && it->value("health", false)});
      }
    }
    std::sort(s.tidb.begin(), s.tidb.end(),
              [](const TidbInstance& a, const TidbInstance& b) { return a.name < b.name; });
  }
  for (const auto& url : tidb_urls_) {
    http::Request req;
    req.url = url + (url.ends_with("/") ? "status" : "/status");
    req.retry = false;
    bool ok = false;
    try {
      ok = http_.send(req).ok();
    } catch (const Error& e) {
      spdlog::debug("TiDB {}: {}", url, e.what());
    }
    s.tidb.push_back({url, ok});
  }
  return s;
}

ClusterState Cluster::observe_with_leader(std::chrono::milliseconds wait, std::chrono::milliseconds poll,
                                          const CancelToken& cancel) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  bool waited_for_election = false;
  std::set<std::uint64_t> last_not_up;
  auto settled_since = std::chrono::steady_clock::now();
  while (true) {
    ClusterState s;
    try {
      s = observe();
    } catch (const PdUnreachable& e) {
      // A member may be restarting: retry until leader_wait, then fail.
      // Reporting the defaults as if observed would be a false success.
      if (std::chrono::steady_clock::now() >= deadline) throw;
      spdlog::info("{}; retrying up to leader_wait", e.what());
      if (!cancel.sleep_for(poll)) throw Cancelled(cancel.exit_code());
      continue;
    }
    // Right after a leader change PD reports members unhealthy for a few
    // seconds, and stores Down until they heartbeat to the new leader (it
    // starts from their last persisted heartbeat): wait for a leader, a
    // healthy majority and live stores. A real outage is alerted on a
    // little later; a passing one is not mistaken for it.
    auto r = check_cluster(s);
    bool electing = r && (r->rule == "pd-leader" || r->rule == "pd-quorum" || r->rule == "mass-outage");
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return s;
    if (electing) {
      waited_for_election = true;
      spdlog::info("PD: {}; waiting up to leader_wait", r->message);
    } else if (waited_for_election) {
      // Stores heartbeat to the new leader one by one, so the outage clears
      // before every store is back: two of four still Down a second later
      // are most likely stale, not dead. After an election, Down and
      // Disconnected stores are believed only once they stayed so for a
      // store heartbeat interval (TiKV's is 10 s), within leader_wait.
      std::set<std::uint64_t> not_up;
      for (const auto& st : s.stores) {
        if (st.state == StoreState::Down || st.state == StoreState::Disconnected) not_up.insert(st.id);
      }
      if (not_up != last_not_up) {
        last_not_up = not_up;
        settled_since = now;
      }
      if (not_up.empty() || now - settled_since >= kStoreHeartbeatInterval) return s;
      spdlog::info("PD: {} store(s) not Up right after an election; waiting for their heartbeats up to leader_wait",
                   not_up.size());
    } else {
      return s;
    }
    if (!cancel.sleep_for(poll)) throw Cancelled(cancel.exit_code());
  }
}

}  // namespace sg::tidb_scale
