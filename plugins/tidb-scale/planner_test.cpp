#include "planner.hpp"

#include <random>
#include <set>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace sg::tidb_scale {
namespace {

ClusterState cluster(int pd, int stores, int tidb, int max_replicas = 3) {
  ClusterState s;
  s.max_replicas = max_replicas;
  for (int i = 0; i < pd; ++i)
    s.pd.push_back({"basic-pd-" + std::to_string(i), true, i == 0});
  for (int i = 0; i < stores; ++i) {
    s.stores.push_back({static_cast<std::uint64_t>(i + 1), "basic-tikv-" + std::to_string(i) + ".basic-tikv-peer:20160",
                        StoreState::Up, 100, 30});
  }
  for (int i = 0; i < tidb; ++i)
    s.tidb.push_back({"basic-tidb-" + std::to_string(i), true});
  return s;
}

std::vector<std::string> actions(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps)
    out.push_back(s.component + ":" + s.action + ":" + s.target);
  return out;
}

}  // namespace

TEST(TidbPlanner, TikvScaleInOneStoreAtATimeHighestOrdinalFirst) {
  auto s = cluster(3, 5, 2);
  auto p = make_plan(s, {.goal = Goal::Scale, .tikv_replicas = 3});
  ASSERT_FALSE(p.refusal) << p.refusal->message;
  EXPECT_EQ(actions(p),
            (std::vector<std::string>{"tikv:evict-leaders:5", "tikv:set-replicas:4", "tikv:wait-tombstone:5",
                                      "tikv:remove-evict-leader:5", "tikv:evict-leaders:4", "tikv:set-replicas:3",
                                      "tikv:wait-tombstone:4", "tikv:remove-evict-leader:4"}));
  // The pd backend deletes the emptiest Up store itself and clears its tombstone.
  s.stores[1].region_count = 10;
  auto pd = make_plan(s, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 4});
  EXPECT_EQ(actions(pd),
            (std::vector<std::string>{"tikv:evict-leaders:2", "tikv:delete-store:2", "tikv:wait-tombstone:2",
                                      "tikv:remove-evict-leader:2", "tikv:remove-tombstone:2"}));
}

TEST(TidbPlanner, TikvScaleInRefusedBelowMaxReplicasNamingTheRule) {
  auto s = cluster(3, 3, 2);
  auto p = make_plan(s, {.goal = Goal::Scale, .tikv_replicas = 2});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->rule, "max-replicas");
  EXPECT_NE(p.refusal->message.find("lowest safe TiKV count here is 3"), std::string::npos) << p.refusal->message;
  EXPECT_NE(p.refusal->message.find("max-replicas (3)"), std::string::npos) << p.refusal->message;
  EXPECT_TRUE(p.steps.empty());
  // Exactly max-replicas Up: only a store that is not Up may go.
  s.stores.push_back({9, "basic-tikv-3", StoreState::Down, 0, 0});
  auto down = make_plan(s, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 3});
  ASSERT_FALSE(down.refusal) << down.refusal->message;
  EXPECT_EQ(actions(down),
            (std::vector<std::string>{"tikv:delete-store:9", "tikv:wait-tombstone:9", "tikv:remove-tombstone:9"}));
}

TEST(TidbPlanner, TikvScaleInNeedsHealthyRegions) {
  auto s = cluster(3, 5, 2);
  s.regions.down_peer = 4;
  auto p = make_plan(s, {.goal = Goal::Scale, .tikv_replicas = 4});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->rule, "region-health");
}

TEST(TidbPlanner, ReRunFinishesAnInterruptedRemovalBeforeAnythingElse) {
  // A run stopped after DELETE /store/5 (Offline, leaders evicted): the next
  // run waits for its Tombstone, drops the scheduler and the tombstone, and
  // only then removes the next store.
  auto s = cluster(3, 5, 2);
  s.stores[4].state = StoreState::Offline;
  s.evicting = {5};
  auto p = make_plan(s, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 3});
  ASSERT_FALSE(p.refusal) << p.refusal->message;
  ASSERT_GE(p.steps.size(), 4u);
  EXPECT_EQ(actions(p)[0], "tikv:wait-tombstone:5");
  EXPECT_EQ(actions(p)[1], "tikv:remove-evict-leader:5");
  EXPECT_EQ(actions(p)[2], "tikv:remove-tombstone:5");
  EXPECT_EQ(actions(p)[4], "tikv:delete-store:4");
  // Target already reached by the interrupted run: only the resume steps.
  auto done = make_plan(s, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 4});
  EXPECT_EQ(actions(done), (std::vector<std::string>{"tikv:wait-tombstone:5", "tikv:remove-evict-leader:5",
                                                     "tikv:remove-tombstone:5"}));
  // Stopped between evicting and deleting: that store is the next victim.
  auto t = cluster(3, 5, 2);
  t.evicting = {2};
  auto again = make_plan(t, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 4});
  EXPECT_EQ(actions(again)[1], "tikv:delete-store:2");
  // And an eviction on a store that stays is released.
  auto keep = make_plan(t, {.goal = Goal::Scale, .backend = Backend::Pd, .tidb_replicas = 2});
  EXPECT_EQ(actions(keep), (std::vector<std::string>{"tikv:remove-evict-leader:2"}));
  // Converged: nothing to do at all (idempotent).
  EXPECT_TRUE(make_plan(cluster(3, 3, 2), {.goal = Goal::Scale, .tikv_replicas = 3}).steps.empty());
}

TEST(TidbPlanner, StoreRemovalChecks) {
  auto s = cluster(3, 4, 2);
  EXPECT_FALSE(check_store_removal(s, 4, true));
  s.stores[0].state = StoreState::Offline;
  EXPECT_EQ(check_store_removal(s, 4, true)->rule, "one-store-at-a-time");
  s.stores[0].state = StoreState::Up;
  s.regions.miss_peer = 1;
  EXPECT_EQ(check_store_removal(s, 4, true)->rule, "region-health");
  EXPECT_FALSE(check_store_removal(s, 4, false));  // heal removes Down stores while regions miss peers
  EXPECT_EQ(check_store_removal(s, 99, false)->rule, "store-unknown");
  s.regions.miss_peer = 0;
  s.stores[3].state = StoreState::Down;  // 3 Up = max-replicas: only the Down one may go
  EXPECT_FALSE(check_store_removal(s, 4, true));
  EXPECT_EQ(check_store_removal(s, 3, true)->rule, "max-replicas");
}

TEST(TidbPlanner, RebalanceAddsMissingSchedulersAndEvictsHotStores) {
  auto s = cluster(3, 4, 2);
  s.stores[0].leader_count = 200;
  s.schedulers = std::set<std::string>{"balance-region-scheduler"};
  auto p = make_plan(s, {.goal = Goal::Rebalance, .backend = Backend::Pd});
  EXPECT_EQ(actions(p), (std::vector<std::string>{"pd:add-scheduler:balance-leader-scheduler", "tikv:evict-leaders:1",
                                                  "tikv:remove-evict-leader:1"}));
}

TEST(TidbPlanner, StatusNeverActsButWarns) {
  auto s = cluster(3, 3, 2);
  s.pd[0].leader = false;
  auto p = make_plan(s, {.goal = Goal::Status, .tikv_replicas = 1});
  EXPECT_FALSE(p.refusal);
  EXPECT_TRUE(p.steps.empty());
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("pd-leader"), std::string::npos);
}

TEST(TidbPlanner, ForceOnlyForConfirmedGoneStores) {
  auto s = cluster(3, 4, 2);
  s.stores[3].state = StoreState::Down;
  auto no_force =
      make_plan(s, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 3, .confirmed_gone = {4}});
  EXPECT_EQ(no_force.steps[0].action, "delete-store");
  auto forced = make_plan(
      s, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 3, .force = true, .confirmed_gone = {4}});
  EXPECT_EQ(forced.steps[0].action, "delete-store-force");
  auto not_confirmed = make_plan(s, {.goal = Goal::Scale, .backend = Backend::Pd, .tikv_replicas = 3, .force = true});
  EXPECT_EQ(not_confirmed.steps[0].action, "delete-store");
}

TEST(TidbPlanner, PdScaleInKeepsAnOddQuorumAndMovesTheLeaderFirst) {
  auto s = cluster(5, 3, 2);
  s.pd[4].leader = true;
  s.pd[0].leader = false;
  auto p = make_plan(s, {.goal = Goal::Scale, .pd_replicas = 3});
  ASSERT_FALSE(p.refusal);
  EXPECT_EQ(actions(p), (std::vector<std::string>{"pd:transfer-leader:basic-pd-4->basic-pd-2", "pd:set-replicas:4",
                                                  "pd:wait-members:4", "pd:set-replicas:3", "pd:wait-members:3"}));
  auto even = make_plan(s, {.goal = Goal::Scale, .pd_replicas = 4});
  ASSERT_TRUE(even.refusal);
  EXPECT_EQ(even.refusal->rule, "pd-min-members");
  EXPECT_FALSE(make_plan(s, {.goal = Goal::Scale, .pd_replicas = 4, .allow_even_pd = true}).refusal);
}

TEST(TidbPlanner, NoActionWithoutPdQuorumOrLeader) {
  auto s = cluster(3, 3, 2);
  s.pd[1].healthy = s.pd[2].healthy = false;
  auto p = make_plan(s, {.goal = Goal::Scale, .tidb_replicas = 3});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->rule, "pd-quorum");
  auto t = cluster(3, 3, 2);
  t.pd[0].leader = false;
  EXPECT_EQ(make_plan(t, {.goal = Goal::Scale, .tidb_replicas = 3}).refusal->rule, "pd-leader");
}

TEST(TidbPlanner, TidbKeepsItsHealthyMinimum) {
  auto s = cluster(3, 3, 3);
  s.tidb[0].healthy = false;
  auto p = make_plan(s, {.goal = Goal::Scale, .tidb_replicas = 2});
  ASSERT_TRUE(p.refusal);  // removes tidb-2 (healthy), leaving only tidb-1 healthy
  EXPECT_EQ(p.refusal->rule, "tidb-min-healthy");
  s.tidb[0].healthy = true;
  EXPECT_FALSE(make_plan(s, {.goal = Goal::Scale, .tidb_replicas = 2}).refusal);
}

TEST(TidbPlanner, HealReplacesDownStoresUpToTheCapAndOnlyWarnsForDisconnected) {
  auto s = cluster(3, 6, 2);
  s.stores[1].state = StoreState::Disconnected;
  s.stores[2].state = StoreState::Down;
  auto p = make_plan(s, {.goal = Goal::Heal});
  ASSERT_FALSE(p.refusal);
  EXPECT_EQ(actions(p), (std::vector<std::string>{"tikv:set-replicas:7", "tikv:wait-stores-up:5"}));
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("store 2"), std::string::npos);
  // Without an operator: PD rebuilds the Down store's replicas elsewhere.
  auto pd = make_plan(s, {.goal = Goal::Heal, .backend = Backend::Pd});
  EXPECT_EQ(actions(pd),
            (std::vector<std::string>{"tikv:delete-store:3", "tikv:wait-tombstone:3", "tikv:remove-tombstone:3"}));
  s.failovers = 3;
  EXPECT_EQ(make_plan(s, {.goal = Goal::Heal}).refusal->rule, "max-failover");
  // Too few Up stores to rebuild on: refused, naming the rule.
  auto few = cluster(3, 3, 2);
  few.stores[2].state = StoreState::Down;
  auto r = make_plan(few, {.goal = Goal::Heal, .backend = Backend::Pd});
  ASSERT_TRUE(r.refusal);
  EXPECT_EQ(r.refusal->rule, "max-replicas");
}

TEST(TidbPlanner, MassOutageOnlyAlerts) {
  auto s = cluster(3, 5, 2);
  for (int i = 0; i < 3; ++i)
    s.stores[static_cast<std::size_t>(i)].state = StoreState::Down;
  auto p = make_plan(s, {.goal = Goal::Heal});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->rule, "mass-outage");
  EXPECT_TRUE(p.steps.empty());
  // 2 of 3 PD members unhealthy is a quorum loss; 1 of 3 is not an outage.
  auto pd = cluster(3, 5, 2);
  pd.pd[2].healthy = false;
  EXPECT_FALSE(make_plan(pd, {.goal = Goal::Heal}).refusal);
  pd.pd[1].healthy = false;
  EXPECT_EQ(make_plan(pd, {.goal = Goal::Heal}).refusal->rule, "pd-quorum");
  // Disconnected stores (as right after a PD leader change) only warn.
  auto dis = cluster(3, 5, 2);
  for (int i = 0; i < 4; ++i)
    dis.stores[static_cast<std::size_t>(i)].state = StoreState::Disconnected;
  auto w = make_plan(dis, {.goal = Goal::Heal});
  EXPECT_FALSE(w.refusal);
  EXPECT_EQ(w.warnings.size(), 4u);
}

TEST(TidbPlanner, ScaleOutOrderAndPlanFormat) {
  auto s = cluster(3, 3, 2);
  auto p = make_plan(s, {.goal = Goal::Scale, .pd_replicas = 5, .tikv_replicas = 4, .tidb_replicas = 3});
  EXPECT_EQ(actions(p),
            (std::vector<std::string>{"pd:set-replicas:5", "pd:wait-members:5", "tikv:set-replicas:4",
                                      "tikv:wait-stores-up:4", "tidb:set-replicas:3", "tidb:wait-ready:3"}));
  auto j = p.to_json();
  EXPECT_EQ(j["steps"][0]["component"], "pd");
  EXPECT_EQ(j["steps"][0]["action"], "set-replicas");
  EXPECT_EQ(j["steps"][0]["target"], "5");
}

TEST(TidbState, ParsesTheDocumentedFormat) {
  auto s = parse_state(R"({"max_replicas":3,"pd":[{"name":"pd-0","healthy":true,"leader":true}],
    "stores":[{"id":1,"address":"tikv-0:20160","state":"Up","region_count":120,"leader_count":40}],
    "regions":{"miss_peer":0,"down_peer":0,"offline_peer":0},"tidb":[{"name":"tidb-0","healthy":true}]})");
  EXPECT_EQ(s.pd[0].name, "pd-0");
  EXPECT_EQ(s.stores[0].region_count, 120);
  EXPECT_EQ(s.tidb.size(), 1u);
  EXPECT_THROW(parse_state(R"({"stores":[{"id":1,"state":"Sleeping"}]})"), Error);
  EXPECT_THROW(parse_state("[]"), Error);
}

TEST(StateFile, DuplicateStoreIsASettingsErrorNamingIt) {
  try {
    parse_state(R"({"stores":[{"id":1,"state":"Up"},{"id":2,"state":"Up"},{"id":1,"state":"Down"}]})");
    FAIL() << "a duplicate store parsed";
  } catch (const SettingsError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("store 1 appears twice"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("state_file"), std::string::npos) << e.what();
  }
  ClusterState s;
  s.stores = {{.id = 4}, {.id = 5}, {.id = 4}};
  EXPECT_EQ(duplicate_store(s), 4u);
  s.stores.pop_back();
  EXPECT_FALSE(duplicate_store(s));
}

TEST(StateFile, WrongTypedFieldsAreNamedWithTheirPath) {
  auto message = [](const char* text) -> std::string {
    try {
      parse_state(text);
    } catch (const SettingsError& e) {
      return e.what();
    }
    return "parsed";
  };
  EXPECT_EQ(message(R"({"stores":[{"id":1},{"id":"2"}]})"),
            "state_file.stores[1].id: expected an integer, got a string");
  EXPECT_EQ(message(R"({"pd":[{"name":"a","healthy":"yes"}]})"),
            "state_file.pd[0].healthy: expected a boolean, got a string");
  EXPECT_EQ(message(R"({"evicting":[1,-2]})"), "state_file.evicting[1]: -2 is negative; expected at least 0");
  EXPECT_EQ(message(R"({"schedulers":"balance"})"), "state_file.schedulers: expected a list, got a string");
  EXPECT_NE(message("{").find("state_file: "), std::string::npos) << message("{");
}

TEST(StateFile, WrongTypedFieldIsASettingsErrorNotAnInternalError) {
  EXPECT_THROW(parse_state(R"({"max_replicas":"three"})"), SettingsError);
  EXPECT_THROW(parse_state(R"({"stores":[{"id":1,"region_count":"many"}]})"), SettingsError);
}

// Property: whatever the state and targets, a plan never leaves fewer than
// max-replicas Up stores, removes one store at a time with a Tombstone wait,
// and never acts without quorum.
TEST(TidbPlannerProperties, NeverUnsafe) {
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int round = 0; round < 2000; ++round) {
    ClusterState s = cluster(pick(1, 5), pick(1, 8), pick(0, 4), pick(1, 3));
    for (auto& st : s.stores)
      st.state = static_cast<StoreState>(pick(0, 4));
    for (auto& st : s.stores) {
      if (pick(0, 5) == 0) s.evicting.insert(st.id);
      st.leader_count = pick(0, 2) ? pick(0, 50) : 0;
    }
    for (auto& m : s.pd)
      m.healthy = pick(0, 4) > 0;
    s.regions.down_peer = pick(0, 3) == 0 ? 1 : 0;
    PlanOptions o{.goal = static_cast<Goal>(pick(1, 3)),
                  .backend = pick(0, 1) ? Backend::Pd : Backend::Operator,
                  .pd_replicas = pick(0, 1) ? std::optional(pick(1, 6)) : std::nullopt,
                  .tikv_replicas = std::optional(pick(0, 9)),
                  .tidb_replicas = pick(0, 1) ? std::optional(pick(0, 5)) : std::nullopt,
                  .force = pick(0, 1) == 1};
    for (const auto& st : s.stores) {
      if (pick(0, 2) == 0) o.confirmed_gone.insert(st.id);
    }
    auto p = make_plan(s, o);
    int healthy =
        static_cast<int>(std::count_if(s.pd.begin(), s.pd.end(), [](const PdMember& m) { return m.healthy; }));
    if (healthy * 2 <= static_cast<int>(s.pd.size()) || !s.pd_leader()) {
      EXPECT_TRUE(p.refusal) << round;
      continue;
    }
    if (p.refusal) {
      EXPECT_TRUE(p.steps.empty()) << round;
      continue;
    }
    EXPECT_FALSE(check_cluster(s)) << "acted despite a refusal at round " << round;
    int up = s.up_stores();
    std::string pending;  // a store deleted but not yet waited for
    for (const auto& st : s.stores) {
      // Scale and heal finish a removal in progress before anything else.
      if (st.state == StoreState::Offline && o.goal != Goal::Rebalance) pending = std::to_string(st.id);
    }
    std::set<std::string> evicted;
    for (const auto& st : p.steps) {
      if (st.component != "tikv") continue;
      if (st.action == "evict-leaders") evicted.insert(st.target);
      if (st.action == "delete-store" || st.action == "delete-store-force") {
        EXPECT_TRUE(pending.empty()) << "two stores removed at once, round " << round;
        pending = st.target;
        auto id = std::stoull(st.target);
        const auto* victim = s.store(id);
        ASSERT_TRUE(victim);
        if (victim->state == StoreState::Up) {
          --up;
          EXPECT_TRUE(evicted.count(st.target) || victim->leader_count == 0) << "leaders not evicted, round " << round;
        }
        EXPECT_GE(up, s.max_replicas) << "round " << round;
        if (st.action == "delete-store-force") {
          EXPECT_NE(victim->state, StoreState::Up) << round;
          EXPECT_TRUE(o.force && o.confirmed_gone.count(id)) << round;
        }
        if (o.goal == Goal::Scale) {
          EXPECT_EQ(s.regions.down_peer + s.regions.miss_peer, 0) << round;
        }
      }
      if (st.action == "set-replicas" && o.goal == Goal::Scale && std::stoi(st.target) < s.live_stores()) {
        EXPECT_TRUE(pending.empty()) << "two stores removed at once, round " << round;
        pending = "operator";
      }
      if (st.action == "wait-tombstone") pending.clear();
    }
    EXPECT_TRUE(pending.empty()) << "a removal without a Tombstone wait, round " << round;
    // Idempotent: the same observation gives the same plan.
    auto again = make_plan(s, o);
    EXPECT_EQ(again.steps, p.steps) << round;
    // PD never ends up even or below 3 unless allowed.
    for (const auto& st : p.steps) {
      if (st.component == "pd" && (st.action == "set-replicas" || st.action == "wait-members") &&
          std::stoi(st.target) < static_cast<int>(s.pd.size())) {
        EXPECT_TRUE(std::stoi(st.target) >= 3 || o.allow_even_pd) << round;
      }
    }
  }
}

}  // namespace sg::tidb_scale
