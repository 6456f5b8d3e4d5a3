#include "planner.hpp"

#include <map>
#include <random>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace sg::kafka_rebalance {
namespace {

Topology make(std::vector<Broker> brokers, std::vector<std::pair<std::string, std::vector<BrokerId>>> parts) {
  Topology t;
  t.brokers = std::move(brokers);
  std::map<std::string, int> next;
  for (auto& [topic, replicas] : parts) {
    Partition p;
    p.topic = t.intern(topic);
    p.index = next[topic]++;
    p.replicas = replicas;
    for (auto r : replicas) {
      const auto* b = t.broker(r);
      if (b && b->alive) p.isr.push_back(r);
    }
    p.leader = p.isr.empty() ? -1 : p.isr.front();
    p.size_bytes = 100;
    t.partitions.push_back(p);
  }
  return t;
}

std::map<BrokerId, int> replica_counts(const Topology& t, const Plan& plan) {
  std::map<BrokerId, int> c;
  std::map<std::size_t, std::vector<BrokerId>> after;
  for (const auto& m : plan.moves)
    after[m.partition] = m.after;
  for (std::size_t i = 0; i < t.partitions.size(); ++i) {
    const auto& reps = after.count(i) ? after[i] : t.partitions[i].replicas;
    for (auto r : reps)
      ++c[r];
  }
  return c;
}

}  // namespace

TEST(Planner, HealMovesOnlyTheDeadReplicasOntoLeastLoadedRacks) {
  auto t = make({{1, "r1", true}, {2, "r2", true}, {3, "r3", false}, {4, "r3", true}, {5, "r1", true}},
                {{"t", {1, 2, 3}}, {"t", {3, 1, 2}}, {"t", {2, 4, 5}}});
  auto plan = make_plan(t, {.goal = Goal::Heal});
  ASSERT_EQ(plan.moves.size(), 2u);
  EXPECT_EQ(plan.replicas_moved, 2);
  EXPECT_TRUE(plan.rack_aware);
  // Broker 3 (rack r3) died: its replacement must be on r3 too, i.e. broker 4.
  EXPECT_EQ(plan.moves[0].after, (std::vector<BrokerId>{1, 2, 4}));
  // The dead broker was the preferred leader: a live in-sync replica leads now.
  EXPECT_EQ(plan.moves[1].after[0], 1);
  EXPECT_EQ(plan.moves[1].after, (std::vector<BrokerId>{1, 2, 4}));
  EXPECT_EQ(plan.bytes_moved, 200);
  EXPECT_TRUE(plan.sizes_known);
}

TEST(Planner, NeverShrinksTheReplicationFactor) {
  auto t = make({{1, {}, true}, {2, {}, true}, {3, {}, false}}, {{"t", {1, 2, 3}}});
  auto plan = make_plan(t, {.goal = Goal::Heal});
  EXPECT_TRUE(plan.moves.empty());
  ASSERT_EQ(plan.skipped.size(), 1u);
  EXPECT_NE(plan.skipped[0].reason.find("replication factor is never reduced"), std::string::npos);
}

TEST(Planner, SkipsPartitionsWithNoLiveInSyncReplica) {
  auto t = make({{1, {}, true}, {2, {}, false}, {3, {}, false}, {4, {}, true}}, {{"t", {2, 3}}, {"t", {1, 2}}});
  auto plan = make_plan(t, {.goal = Goal::Heal});
  ASSERT_EQ(plan.skipped.size(), 1u);
  EXPECT_EQ(plan.skipped[0].partition, 0u);
  EXPECT_NE(plan.skipped[0].reason.find("no live in-sync replica"), std::string::npos);
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_EQ(plan.moves[0].after, (std::vector<BrokerId>{1, 4}));
}

TEST(Planner, RemoveBrokersEmptiesThemAndUsesThemAsSources) {
  auto t = make({{1, {}, true}, {2, {}, true}, {3, {}, true}, {4, {}, true}},
                {{"a", {4}}, {"a", {4, 1}}, {"b", {1, 2, 3}}, {"b", {3, 4, 2}}});
  auto plan = make_plan(t, {.goal = Goal::RemoveBrokers, .broker_ids = {4}});
  EXPECT_EQ(plan.replicas_moved, 3);
  auto counts = replica_counts(t, plan);
  EXPECT_EQ(counts[4], 0);
  // RF 1 on the removed broker: it is still the source of the copy.
  EXPECT_EQ(plan.moves[0].after.size(), 1u);
}

TEST(Planner, RebalanceReachesSpreadOneWithTheFewestMoves) {
  auto t = make({{1, {}, true}, {2, {}, true}, {3, {}, true}, {4, {}, true}},
                {{"t", {1, 2}}, {"t", {1, 2}}, {"t", {1, 3}}, {"t", {2, 3}}, {"t", {1, 2}}, {"t", {2, 1}}});
  // Counts: 1->5, 2->5, 3->2, 4->0 (12 replicas, target 3 each): 4 moves minimum.
  auto plan = make_plan(t, {.goal = Goal::Rebalance});
  EXPECT_EQ(plan.replicas_moved, 4);
  EXPECT_LE(plan.replica_spread_after(), 1);
  auto counts = replica_counts(t, plan);
  for (auto [b, n] : counts)
    EXPECT_EQ(n, 3) << "broker " << b;
}

TEST(Planner, AddBrokersSpreadsOntoTheNewOnes) {
  auto t = make({{1, {}, true}, {2, {}, true}, {3, {}, true}, {4, {}, true}},
                {{"t", {1, 2, 3}}, {"t", {2, 3, 1}}, {"t", {3, 1, 2}}, {"t", {1, 3, 2}}});
  auto plan = make_plan(t, {.goal = Goal::AddBrokers, .broker_ids = {4}});
  auto counts = replica_counts(t, plan);
  EXPECT_EQ(counts[4], 3);
  EXPECT_EQ(plan.replicas_moved, 3);
  EXPECT_LE(plan.replica_spread_after(), 1);
  EXPECT_THROW(make_plan(t, {.goal = Goal::AddBrokers, .broker_ids = {9}}), Error);
}

TEST(Planner, RebalanceEvensLeadersWithoutMovingData) {
  auto t = make({{1, {}, true}, {2, {}, true}, {3, {}, true}}, {{"t", {1, 2, 3}}, {"t", {1, 3, 2}}, {"t", {1, 2, 3}}});
  auto plan = make_plan(t, {.goal = Goal::Rebalance});
  EXPECT_EQ(plan.replicas_moved, 0);
  std::map<BrokerId, int> leaders;
  for (const auto& b : plan.brokers)
    leaders[b.id] = b.leaders_after;
  EXPECT_EQ(leaders[1], 1);
  EXPECT_EQ(leaders[2], 1);
  EXPECT_EQ(leaders[3], 1);
}

TEST(Planner, RollbackIsTheCurrentAssignment) {
  auto t = make({{1, {}, true}, {2, {}, true}, {3, {}, false}}, {{"t", {1, 3}}});
  auto plan = make_plan(t, {.goal = Goal::Heal});
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_EQ(plan.rollback(t)[0].replicas, (std::vector<BrokerId>{1, 3}));
  EXPECT_EQ(plan.assignments(t)[0].replicas, (std::vector<BrokerId>{1, 2}));
}

TEST(Topology, ParsesTheDocumentedFormat) {
  auto t = parse_topology(R"({"brokers":[{"id":1,"rack":"r1","alive":true},{"id":2,"alive":false}],
    "partitions":[{"topic":"t","partition":0,"replicas":[1,2],"size_bytes":5}]})");
  ASSERT_EQ(t.brokers.size(), 2u);
  EXPECT_EQ(t.brokers[0].rack, "r1");
  EXPECT_FALSE(t.brokers[1].alive);
  EXPECT_EQ(t.partitions[0].isr, (std::vector<BrokerId>{1}));  // dead replicas are out of sync
  EXPECT_EQ(t.partitions[0].leader, 1);
  EXPECT_EQ(t.partitions[0].size_bytes, 5);
  EXPECT_THROW(parse_topology("{}"), Error);
  EXPECT_THROW(parse_topology(R"({"brokers":[{"id":1},{"id":1}],"partitions":[]})"), Error);
  EXPECT_THROW(parse_topology(R"({"brokers":[],"partitions":[{"topic":"t","partition":0,"replicas":[1,1]}]})"), Error);
}

TEST(Topology, ReassignmentJsonRoundTrip) {
  std::vector<Assignment> a{{"t\"x", 3, {1, 2}}, {"u", 0, {4}}};
  auto text = to_reassignment_json(a);
  EXPECT_EQ(
      text,
      R"({"version":1,"partitions":[{"topic":"t\"x","partition":3,"replicas":[1,2]},{"topic":"u","partition":0,"replicas":[4]}]})");
  auto back = parse_reassignment_json(text);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].topic, "t\"x");
  EXPECT_EQ(back[1].replicas, (std::vector<BrokerId>{4}));
  EXPECT_THROW(
      parse_reassignment_json(
          R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]})"),
      Error);
  EXPECT_THROW(parse_reassignment_json(R"({"partitions":[{"topic":"t","partition":0,"replicas":[]}]})"), Error);
}

// --- Properties on random topologies --------------------------------------

struct Random {
  std::mt19937 rng;
  explicit Random(unsigned seed) : rng(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
};

Topology random_topology(Random& r, int& rf_out, bool with_dead) {
  int brokers = r.between(3, 12);
  int racks = r.between(0, 4);
  int rf = r.between(1, std::min(3, brokers));
  rf_out = rf;
  std::vector<Broker> bs;
  for (int i = 1; i <= brokers; ++i) {
    Broker b{i * 10, {}, true};
    if (racks) b.rack = "r" + std::to_string(i % racks);
    bs.push_back(b);
  }
  if (with_dead) {
    int dead = r.between(1, std::max(1, brokers / 3));
    for (int k = 0; k < dead; ++k)
      bs[static_cast<std::size_t>(r.between(0, brokers - 1))].alive = false;
  }
  std::vector<std::pair<std::string, std::vector<BrokerId>>> parts;
  int n = r.between(1, 150);
  for (int i = 0; i < n; ++i) {
    std::vector<BrokerId> ids;
    for (const auto& b : bs)
      ids.push_back(b.id);
    std::shuffle(ids.begin(), ids.end(), r.rng);
    ids.resize(static_cast<std::size_t>(rf));
    parts.push_back({"topic-" + std::to_string(r.between(0, 3)), ids});
  }
  auto t = make(bs, parts);
  for (auto& p : t.partitions)
    p.size_bytes = r.between(0, 1000);
  return t;
}

void check_common_invariants(const Topology& t, const Plan& plan, const std::string& ctx) {
  for (const auto& m : plan.moves) {
    EXPECT_EQ(m.before.size(), m.after.size()) << ctx << " replication factor changed";
    std::set<BrokerId> distinct(m.after.begin(), m.after.end());
    EXPECT_EQ(distinct.size(), m.after.size()) << ctx << " duplicate replica";
    for (auto r : m.after) {
      if (std::find(m.before.begin(), m.before.end(), r) == m.before.end()) {
        const auto* b = t.broker(r);
        EXPECT_TRUE(b && b->alive) << ctx << " moved onto dead broker " << r;
      }
    }
    const auto& p = t.partitions[m.partition];
    auto lead = m.after[0];
    const auto* lb = t.broker(lead);
    bool lead_in_sync = lb && lb->alive && std::find(p.isr.begin(), p.isr.end(), lead) != p.isr.end();
    bool lead_new = std::find(m.before.begin(), m.before.end(), lead) == m.before.end();
    // A brand-new preferred leader only when no in-sync replica survives.
    if (!lead_in_sync) {
      EXPECT_TRUE(lead_new) << ctx << " preferred leader " << lead << " is out of sync";
      for (auto r : m.after) {
        bool ok = std::find(p.isr.begin(), p.isr.end(), r) != p.isr.end() && !lead_new;
        EXPECT_FALSE(ok) << ctx;
      }
    }
  }
}

TEST(PlannerProperties, HealMovesExactlyTheDeadReplicas) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    Random r(seed);
    int rf = 0;
    auto t = random_topology(r, rf, true);
    auto plan = make_plan(t, {.goal = Goal::Heal});
    auto ctx = "seed " + std::to_string(seed);
    check_common_invariants(t, plan, ctx);
    std::set<std::size_t> skipped;
    for (const auto& s : plan.skipped)
      skipped.insert(s.partition);
    int dead_replicas = 0;
    for (std::size_t i = 0; i < t.partitions.size(); ++i) {
      if (skipped.count(i)) continue;
      for (auto b : t.partitions[i].replicas)
        dead_replicas += !t.broker(b)->alive;
    }
    EXPECT_EQ(plan.replicas_moved, dead_replicas) << ctx;
    for (const auto& m : plan.moves) {
      // Every live replica stays.
      for (auto b : m.before) {
        if (t.broker(b)->alive) {
          EXPECT_NE(std::find(m.after.begin(), m.after.end(), b), m.after.end()) << ctx;
        }
      }
      // Distinct racks whenever there are enough of them among live brokers.
      if (plan.rack_aware) {
        std::set<std::string> live_racks, used;
        for (const auto& b : t.brokers) {
          if (b.alive) live_racks.insert(b.rack.value_or(""));
        }
        for (auto b : m.after)
          used.insert(t.broker(b)->rack.value_or(""));
        std::set<std::string> before_racks;
        int survivors = 0;
        for (auto b : m.before) {
          if (t.broker(b)->alive) {
            before_racks.insert(t.broker(b)->rack.value_or(""));
            ++survivors;
          }
        }
        bool survivors_distinct = static_cast<int>(before_racks.size()) == survivors;
        if (survivors_distinct && live_racks.size() >= m.after.size()) {
          EXPECT_EQ(used.size(), m.after.size()) << ctx << " racks not distinct";
        }
      }
    }
    // Deterministic.
    auto again = make_plan(t, {.goal = Goal::Heal});
    EXPECT_EQ(again.assignments(t).size(), plan.assignments(t).size());
    for (std::size_t i = 0; i < plan.moves.size(); ++i)
      EXPECT_EQ(again.moves[i].after, plan.moves[i].after) << ctx;
  }
}

TEST(PlannerProperties, RemoveBrokersEmptiesThem) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    Random r(seed);
    int rf = 0;
    auto t = random_topology(r, rf, false);
    if (t.brokers.size() <= static_cast<std::size_t>(rf)) continue;
    BrokerId victim = t.brokers[static_cast<std::size_t>(r.between(0, static_cast<int>(t.brokers.size()) - 1))].id;
    auto plan = make_plan(t, {.goal = Goal::RemoveBrokers, .broker_ids = {victim}});
    auto ctx = "seed " + std::to_string(seed);
    check_common_invariants(t, plan, ctx);
    EXPECT_TRUE(plan.skipped.empty()) << ctx;
    EXPECT_EQ(replica_counts(t, plan)[victim], 0) << ctx;
    int on_victim = 0;
    for (const auto& p : t.partitions) {
      on_victim += static_cast<int>(std::count(p.replicas.begin(), p.replicas.end(), victim));
    }
    EXPECT_EQ(plan.replicas_moved, on_victim) << ctx;
  }
}

TEST(PlannerProperties, RebalanceSpreadAtMostOneWithMinimumMoves) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    Random r(seed);
    int rf = 0;
    auto t = random_topology(r, rf, false);
    for (auto& b : t.brokers)
      b.rack.reset();  // without racks every spread is reachable
    auto plan = make_plan(t, {.goal = Goal::Rebalance});
    auto ctx = "seed " + std::to_string(seed);
    check_common_invariants(t, plan, ctx);
    EXPECT_LE(plan.replica_spread_after(), 1) << ctx;
    // The minimum number of moves is the total excess over the targets.
    std::map<BrokerId, int> count;
    for (const auto& b : t.brokers)
      count[b.id] = 0;
    int total = 0;
    for (const auto& p : t.partitions) {
      for (auto b : p.replicas) {
        ++count[b];
        ++total;
      }
    }
    int n = static_cast<int>(t.brokers.size());
    std::vector<int> sorted;
    for (auto [b, c] : count)
      sorted.push_back(c);
    std::sort(sorted.rbegin(), sorted.rend());
    int min_moves = 0;
    for (int i = 0; i < n; ++i) {
      int target = total / n + (i < total % n ? 1 : 0);
      min_moves += std::max(0, sorted[static_cast<std::size_t>(i)] - target);
    }
    EXPECT_EQ(plan.replicas_moved, min_moves) << ctx;
  }
}

TEST(PlannerProperties, RackAwareRebalanceNeverLosesRackDiversity) {
  for (unsigned seed = 1; seed <= 200; ++seed) {
    Random r(seed);
    int rf = 0;
    auto t = random_topology(r, rf, false);
    auto plan = make_plan(t, {.goal = Goal::Rebalance});
    if (!plan.rack_aware) continue;
    for (const auto& m : plan.moves) {
      std::set<std::string> before, after;
      for (auto b : m.before)
        before.insert(t.broker(b)->rack.value_or(""));
      for (auto b : m.after)
        after.insert(t.broker(b)->rack.value_or(""));
      EXPECT_GE(after.size(), before.size()) << "seed " << seed;
    }
  }
}

}  // namespace sg::kafka_rebalance
