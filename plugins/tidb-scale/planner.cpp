#include "planner.hpp"

#include <algorithm>
#include <cctype>

namespace sg::tidb_scale {
namespace {

// The ordinal of a StatefulSet member from its name or address
// ("basic-tikv-2.basic-tikv-peer..:20160" -> 2); -1 when there is none.
int ordinal(const std::string& text) {
  auto host = text.substr(0, text.find_first_of(".:"));
  auto dash = host.rfind('-');
  if (dash == std::string::npos || dash + 1 >= host.size()) return -1;
  auto digits = host.substr(dash + 1);
  if (digits.size() > 6 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return -1;
  return std::stoi(digits);
}

int count_healthy_pd(const ClusterState& s) {
  return static_cast<int>(std::count_if(s.pd.begin(), s.pd.end(), [](const PdMember& m) { return m.healthy; }));
}

bool removing(const Store& st) {
  return st.state == StoreState::Offline || st.state == StoreState::Tombstone;
}

class Planner {
 public:
  Planner(const ClusterState& s, const PlanOptions& o) : s_(s), o_(o) {}

  Plan run() {
    if (o_.goal == Goal::Status) {
      // Status acts on nothing, but it tells what an acting run would refuse.
      if (auto r = check_cluster(s_))
        plan_.warnings.push_back("an acting run would refuse (" + r->rule + "): " + r->message);
      warn_disconnected();
      return plan_;
    }
    if (auto r = check_cluster(s_)) {
      plan_.refusal = r;
      return plan_;
    }
    warn_disconnected();
    switch (o_.goal) {
      case Goal::Scale:
        scale();
        break;
      case Goal::Heal:
        heal();
        break;
      case Goal::Rebalance:
        rebalance();
        break;
      case Goal::Status:
        break;
    }
    if (plan_.refusal) plan_.steps.clear();  // a refused plan executes nothing
    return plan_;
  }

 private:
  void refuse(std::string rule, std::string message) {
    if (!plan_.refusal) plan_.refusal = Refusal{std::move(rule), std::move(message)};
  }
  void step(std::string component, std::string action, std::string target, std::string reason) {
    plan_.steps.push_back({std::move(component), std::move(action), std::move(target), std::move(reason)});
  }

  void warn_disconnected() {
    for (const auto& st : s_.stores) {
      if (st.state == StoreState::Disconnected) {
        plan_.warnings.push_back("store " + std::to_string(st.id) + " (" + st.address +
                                 ") is Disconnected: no heartbeat for 20 s; PD marks it Down if it stays away. "
                                 "Nothing is done about it yet");
      }
    }
  }

  // Idempotence: a store an earlier run (or anyone) started removing is
  // finished first, before anything new is removed: one store at a time.
  void resume() {
    for (const auto& st : s_.stores) {
      auto id = std::to_string(st.id);
      if (st.state == StoreState::Offline) {
        step("tikv", "wait-tombstone", id, "an earlier removal is still moving regions off this store");
      }
      if (st.state == StoreState::Offline || st.state == StoreState::Tombstone) {
        if (s_.evicting.count(st.id)) step("tikv", "remove-evict-leader", id, "the store is gone; drop its scheduler");
        if (o_.backend == Backend::Pd) step("tikv", "remove-tombstone", id, "clear PD's record of the removed store");
      }
    }
  }

  void scale() {
    if (!o_.pd_replicas && !o_.tikv_replicas && !o_.tidb_replicas) {
      refuse("targets", "scale needs at least one of pd_replicas, tikv_replicas, tidb_replicas");
      return;
    }
    resume();
    // Capacity first, removals last: scale-outs, then TiDB, TiKV and PD
    // scale-ins (the most disruptive at the end).
    if (o_.pd_replicas && *o_.pd_replicas > static_cast<int>(s_.pd.size())) scale_out("pd", *o_.pd_replicas);
    if (o_.tikv_replicas && *o_.tikv_replicas > s_.live_stores()) scale_out("tikv", *o_.tikv_replicas);
    if (o_.tidb_replicas && *o_.tidb_replicas > static_cast<int>(s_.tidb.size())) scale_out("tidb", *o_.tidb_replicas);
    if (o_.tidb_replicas && *o_.tidb_replicas < static_cast<int>(s_.tidb.size())) tidb_scale_in(*o_.tidb_replicas);
    if (o_.tikv_replicas && *o_.tikv_replicas < s_.live_stores()) tikv_scale_in(*o_.tikv_replicas);
    if (o_.pd_replicas && *o_.pd_replicas < static_cast<int>(s_.pd.size())) pd_scale_in(*o_.pd_replicas);
    release_evictions({});
  }

  // The state as the plan goes, after resume(): stores being removed are gone.
  ClusterState planned_start() const {
    ClusterState after = s_;
    for (auto& st : after.stores) {
      if (st.state == StoreState::Offline) st.state = StoreState::Tombstone;
    }
    return after;
  }

  // Evict-leader schedulers on stores that stay (a run stopped between
  // evicting and deleting) are removed at the end, so no store stays
  // leaderless forever.
  void release_evictions(const std::set<std::uint64_t>& keep) {
    for (auto id : s_.evicting) {
      const auto* st = s_.store(id);
      if (!st || removing(*st) || keep.count(id) || removed_.count(id)) continue;
      step("tikv", "remove-evict-leader", std::to_string(id), "the store stays; let it lead regions again");
    }
  }

  void scale_out(const std::string& component, int target) {
    if (o_.backend == Backend::Pd) {
      if (component == "tidb") {
        refuse("backend",
               "the pd backend cannot start TiDB instances; use the operator backend or your deployment tool");
        return;
      }
      // Without an operator, new instances are started by the deployment
      // tool; the plan waits for them to join and be Up.
      step(component, component == "pd" ? "wait-members" : "wait-stores-up", std::to_string(target),
           "start the new " + component + " instances with your deployment tool; PD balances onto them");
      return;
    }
    step(component, "set-replicas", std::to_string(target), "scale out");
    step(component,
         component == "tikv" ? "wait-stores-up"
         : component == "pd" ? "wait-members"
                             : "wait-ready",
         std::to_string(target), "until the new instances serve");
  }

  void tidb_scale_in(int target) {
    if (o_.backend == Backend::Pd) {
      refuse("backend", "the pd backend cannot stop TiDB instances; use the operator backend or your deployment tool");
      return;
    }
    int healthy = static_cast<int>(
        std::count_if(s_.tidb.begin(), s_.tidb.end(), [](const TidbInstance& t) { return t.healthy; }));
    // The StatefulSet removes the highest ordinals first.
    auto by_ordinal = s_.tidb;
    std::stable_sort(by_ordinal.begin(), by_ordinal.end(),
                     [](const TidbInstance& a, const TidbInstance& b) { return ordinal(a.name) > ordinal(b.name); });
    int removed_healthy = 0;
    for (int i = 0; i < static_cast<int>(s_.tidb.size()) - target; ++i)
      removed_healthy += by_ordinal[static_cast<std::size_t>(i)].healthy;
    if (healthy - removed_healthy < o_.min_tidb_healthy) {
      refuse("tidb-min-healthy", "scaling TiDB to " + std::to_string(target) + " would leave " +
                                     std::to_string(healthy - removed_healthy) + " healthy instances, fewer than " +
                                     "min_tidb_healthy (" + std::to_string(o_.min_tidb_healthy) + ")");
      return;
    }
    step("tidb", "set-replicas", std::to_string(target), "scale in (TiDB is stateless)");
    step("tidb", "wait-ready", std::to_string(target), "until the remaining instances serve");
  }

  // Which stores go, in order. With the operator the StatefulSet decides
  // (highest ordinal first); without, stores that are not Up (they hold no
  // healthy data) first, then stores already being evicted, then the emptiest.
  std::vector<Store> victims_in_order() const {
    std::vector<Store> candidates;
    for (const auto& st : s_.stores) {
      if (!removing(st)) candidates.push_back(st);
    }
    if (o_.backend == Backend::Operator) {
      std::stable_sort(candidates.begin(), candidates.end(), [](const Store& a, const Store& b) {
        int oa = ordinal(a.address), ob = ordinal(b.address);
        return oa != ob ? oa > ob : a.id > b.id;
      });
      return candidates;
    }
    std::stable_sort(candidates.begin(), candidates.end(), [&](const Store& a, const Store& b) {
      bool ua = a.state == StoreState::Up, ub = b.state == StoreState::Up;
      if (ua != ub) return !ua;
      bool ea = s_.evicting.count(a.id) > 0, eb = s_.evicting.count(b.id) > 0;
      if (ea != eb) return ea;
      if (a.region_count != b.region_count) return a.region_count < b.region_count;
      return a.id > b.id;
    });
    return candidates;
  }

  // One store at a time, each drained to Tombstone before the next: the
  // rule PD itself and the operator apply, checked here before anything moves.
  void tikv_scale_in(int target) {
    auto candidates = victims_in_order();
    int remove = s_.live_stores() - target;
    int live = s_.live_stores();
    ClusterState after = planned_start();
    for (int i = 0; i < remove; ++i) {
      const auto& victim = candidates[static_cast<std::size_t>(i)];
      if (auto r = check_store_removal(after, victim.id, true)) {
        int up = after.up_stores();
        if (r->rule == "max-replicas") {
          r->message +=
              ". The lowest safe TiKV count here is " + std::to_string(live - (up - std::min(up, s_.max_replicas)));
        }
        refuse(r->rule, r->message);
        return;
      }
      auto id = std::to_string(victim.id);
      bool victim_up = victim.state == StoreState::Up;
      if (victim_up && (victim.leader_count > 0 || s_.evicting.count(victim.id))) {
        step("tikv", "evict-leaders", id, "move its " + std::to_string(victim.leader_count) + " leaders away first");
      }
      bool forced = o_.force && o_.confirmed_gone.count(victim.id) && !victim_up;
      if (o_.backend == Backend::Operator) {
        step("tikv", "set-replicas", std::to_string(live - 1), "the operator deletes store " + id);
      } else {
        step("tikv", forced ? "delete-store-force" : "delete-store", id,
             forced ? "confirmed gone; its replicas are rebuilt from the others"
                    : "PD moves its regions away (Offline)");
      }
      step("tikv", "wait-tombstone", id, "only a Tombstone store may lose its pod and volume");
      if (victim_up && (victim.leader_count > 0 || s_.evicting.count(victim.id))) {
        step("tikv", "remove-evict-leader", id, "the store is gone; drop its scheduler");
      }
      if (o_.backend == Backend::Pd) step("tikv", "remove-tombstone", id, "clear PD's record of the removed store");
      for (auto& st : after.stores) {
        if (st.id == victim.id) st.state = StoreState::Tombstone;
      }
      removed_.insert(victim.id);
      --live;
    }
  }

  void pd_scale_in(int target) {
    int total = static_cast<int>(s_.pd.size());
    if (!o_.allow_even_pd && (target < 3 || target % 2 == 0)) {
      refuse("pd-min-members", "PD needs an odd number of at least 3 members to tolerate a failure; " +
                                   std::to_string(target) + " is not (set allow_even_pd to override)");
      return;
    }
    if (target < 1) {
      refuse("pd-min-members", "PD needs at least one member");
      return;
    }
    auto members = s_.pd;
    if (o_.backend == Backend::Operator) {
      std::stable_sort(members.begin(), members.end(),
                       [](const PdMember& a, const PdMember& b) { return ordinal(a.name) > ordinal(b.name); });
    } else {
      std::stable_sort(members.begin(), members.end(), [](const PdMember& a, const PdMember& b) {
        if (a.healthy != b.healthy) return !a.healthy;
        if (a.leader != b.leader) return !a.leader;
        return a.name > b.name;
      });
    }
    std::vector<PdMember> victims(members.begin(), members.begin() + (total - target));
    std::vector<PdMember> staying(members.begin() + (total - target), members.end());
    int healthy_staying =
        static_cast<int>(std::count_if(staying.begin(), staying.end(), [](const PdMember& m) { return m.healthy; }));
    if (healthy_staying * 2 <= target) {
      refuse("pd-quorum", "after removing " + std::to_string(victims.size()) + " members only " +
                              std::to_string(healthy_staying) + " of " + std::to_string(target) + " would be healthy");
      return;
    }
    for (const auto& v : victims) {
      if (v.leader) {
        auto next = std::find_if(staying.begin(), staying.end(), [](const PdMember& m) { return m.healthy; });
        step("pd", "transfer-leader", v.name + "->" + next->name, "the leader must not be the member removed");
      }
      if (o_.backend == Backend::Operator) {
        step("pd", "set-replicas", std::to_string(--total), "the operator removes member " + v.name);
      } else {
        --total;
        step("pd", "delete-member", v.name, "remove it from the PD cluster");
      }
      step("pd", "wait-members", std::to_string(total), "until the membership change is complete and healthy");
    }
  }

  void heal() {
    resume();
    std::vector<Store> down;
    for (const auto& st : s_.stores) {
      if (st.state == StoreState::Down) down.push_back(st);
    }
    for (const auto& m : s_.pd) {
      if (!m.healthy) plan_.warnings.push_back("PD member " + m.name + " is unhealthy");
    }
    for (const auto& t : s_.tidb) {
      if (!t.healthy) plan_.warnings.push_back("TiDB instance " + t.name + " is unhealthy");
    }
    if (!down.empty()) {
      if (s_.failovers + static_cast<int>(down.size()) > o_.max_failover) {
        refuse("max-failover", std::to_string(down.size()) + " Down stores would bring the replacements to " +
                                   std::to_string(s_.failovers + static_cast<int>(down.size())) +
                                   ", over max_failover (" + std::to_string(o_.max_failover) +
                                   "): find out why stores keep failing");
        return;
      }
      int up = s_.up_stores();
      int live = s_.live_stores();
      ClusterState after = planned_start();
      for (const auto& st : down) {
        auto id = std::to_string(st.id);
        if (o_.backend == Backend::Operator) {
          // A new store first, so the Down one's regions have somewhere to go;
          // the Down store stays until a human knows it will not return.
          step("tikv", "set-replicas", std::to_string(++live), "store " + id + " is Down; add a replacement");
          step("tikv", "wait-stores-up", std::to_string(++up), "until the replacement serves");
          continue;
        }
        if (auto r = check_store_removal(after, st.id, false)) {
          refuse(r->rule, "store " + id + " is Down but " + r->message + "; start a new TiKV first");
          return;
        }
        bool forced = o_.force && o_.confirmed_gone.count(st.id);
        step("tikv", forced ? "delete-store-force" : "delete-store", id,
             "store is Down; PD rebuilds its replicas on the Up stores");
        step("tikv", "wait-tombstone", id, "until PD moved every region off it");
        step("tikv", "remove-tombstone", id, "clear PD's record of the removed store");
        for (auto& x : after.stores) {
          if (x.id == st.id) x.state = StoreState::Tombstone;
        }
      }
    }
    release_evictions({});
  }

  bool has_scheduler(const std::string& name) const { return s_.schedulers && s_.schedulers->count(name) > 0; }

  void rebalance() {
    for (const char* name : {"balance-leader-scheduler", "balance-region-scheduler"}) {
      if (!has_scheduler(name)) step("pd", "add-scheduler", name, "PD evens out leaders and regions");
    }
    for (const auto& st : s_.stores) {
      if (st.state == StoreState::Offline && st.leader_count > 0 && !s_.evicting.count(st.id)) {
        step("tikv", "evict-leaders", std::to_string(st.id), "store is draining but still leads regions");
      }
    }
    // A store with far more leaders than its share is hot: move its leaders
    // away, then let balance-leader give it its share back.
    std::int64_t total = 0;
    int up = 0;
    for (const auto& st : s_.stores) {
      if (st.state == StoreState::Up) {
        total += st.leader_count;
        ++up;
      }
    }
    std::set<std::uint64_t> hot;
    if (up >= 2) {
      auto mean = static_cast<double>(total) / up;
      for (const auto& st : s_.stores) {
        if (st.state == StoreState::Up && mean > 0 && static_cast<double>(st.leader_count) > 2 * mean) {
          auto id = std::to_string(st.id);
          step("tikv", "evict-leaders", id,
               "leads " + std::to_string(st.leader_count) + " regions, over twice the mean");
          step("tikv", "remove-evict-leader", id, "then let balance-leader give it its share back");
          hot.insert(st.id);
        }
      }
    }
    release_evictions(hot);
  }

  const ClusterState& s_;
  const PlanOptions& o_;
  Plan plan_;
  std::set<std::uint64_t> removed_;
};

}  // namespace

std::optional<Refusal> check_cluster(const ClusterState& s) {
  int total = static_cast<int>(s.pd.size());
  int healthy = count_healthy_pd(s);
  if (total == 0 || healthy * 2 <= total) {
    return Refusal{"pd-quorum", "only " + std::to_string(healthy) + " of " + std::to_string(total) +
                                    " PD members are healthy: without a majority PD cannot make decisions safely"};
  }
  if (!s.pd_leader()) return Refusal{"pd-leader", "PD has no leader; wait for an election before changing the cluster"};
  int unhealthy_pd = total - healthy;
  int live = s.live_stores();
  // Down only: Disconnected (20 s without a heartbeat) is also what every
  // store looks like for a moment after a PD leader change.
  int bad_stores = static_cast<int>(
      std::count_if(s.stores.begin(), s.stores.end(), [](const Store& st) { return st.state == StoreState::Down; }));
  if (unhealthy_pd * 3 > total || (live > 0 && bad_stores * 2 > live)) {
    return Refusal{"mass-outage",
                   "ALERT: " + std::to_string(unhealthy_pd) + " of " + std::to_string(total) + " PD members and " +
                       std::to_string(bad_stores) + " of " + std::to_string(live) +
                       " TiKV stores are unhealthy (Down): this is an outage for humans; nothing was changed"};
  }
  return std::nullopt;
}

std::optional<Refusal> check_store_removal(const ClusterState& s, std::uint64_t id, bool scale_in) {
  const auto* victim = s.store(id);
  if (!victim) return Refusal{"store-unknown", "PD has no store " + std::to_string(id)};
  for (const auto& st : s.stores) {
    if (st.id != id && st.state == StoreState::Offline) {
      return Refusal{"one-store-at-a-time", "store " + std::to_string(st.id) +
                                                " is still being removed (Offline); remove one store at a time"};
    }
  }
  if (scale_in && (s.regions.down_peer > 0 || s.regions.miss_peer > 0)) {
    return Refusal{"region-health",
                   "scaling TiKV in needs every region fully replicated first: " + std::to_string(s.regions.down_peer) +
                       " down-peer and " + std::to_string(s.regions.miss_peer) +
                       " miss-peer regions; wait until PD repaired them"};
  }
  int up = s.up_stores();
  bool victim_up = victim->state == StoreState::Up;
  int up_after = up - (victim_up ? 1 : 0);
  if (up_after < s.max_replicas) {
    return Refusal{"max-replicas", std::string(victim_up ? "removing Up store " : "removing store ") +
                                       std::to_string(id) + " (" + victim->address + ") would leave " +
                                       std::to_string(up_after) + " Up stores, fewer than max-replicas (" +
                                       std::to_string(s.max_replicas) + "): regions could not keep all their replicas"};
  }
  return std::nullopt;
}

nlohmann::json Plan::to_json() const {
  auto steps_json = nlohmann::json::array();
  for (const auto& s : steps) {
    steps_json.push_back(
        {{"component", s.component}, {"action", s.action}, {"target", s.target}, {"reason", s.reason}});
  }
  nlohmann::json j = {{"steps", steps_json}};
  if (refusal) j["refused"] = {{"rule", refusal->rule}, {"message", refusal->message}};
  if (!warnings.empty()) j["warnings"] = warnings;
  return j;
}

Plan make_plan(const ClusterState& state, const PlanOptions& options) {
  return Planner(state, options).run();
}

}  // namespace sg::tidb_scale
