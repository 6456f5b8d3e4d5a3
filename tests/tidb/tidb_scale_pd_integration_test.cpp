// tidb-scale (backend pd) against a real 3-member PD cluster from
// `scripts/testenv pd up`, whose TiKV stores are simulated by storesim (real
// TiKV is not available from any reachable registry; docs/testenv-pd.md).
// PD's own HTTP API is the oracle: store states, region checks, members.
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>

#include "pd_helpers.hpp"
#include "ports.hpp"

namespace sg::testing {
namespace {

class TidbScalePd : public ::testing::Test {
 protected:
  void SetUp() override { restore_cluster(); }
};

}  // namespace

TEST(TidbScalePdDown, StatusFailsNamingPdWhenNoMemberAnswers) {
  auto url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto start = std::chrono::steady_clock::now();
  auto r = run_plugin({{"mode", "status"}, {"pd_url", url}, {"leader_wait", "1s"}, {"request_timeout", "2s"}}, 60);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("PD is unreachable"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
  // Nothing is reported as observed: no default max-replicas, no stores.
  EXPECT_EQ(r.out.find("max-replicas"), std::string::npos) << r.out;
  EXPECT_EQ((r.out + r.err).find("STORES_UP="), std::string::npos) << r.out << r.err;
  EXPECT_LT(took, 30s);
}

TEST(TidbScalePdDown, StatusFailsWithinItsBoundWhenPdStopsAnswering) {
  SilentPort silent;
  auto url = "http://127.0.0.1:" + std::to_string(silent.port());
  auto start = std::chrono::steady_clock::now();
  auto r = run_plugin({{"mode", "status"}, {"pd_url", url}, {"leader_wait", "1s"}, {"request_timeout", "1s"}}, 60);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("PD is unreachable"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("max-replicas"), std::string::npos) << r.out;
  // Two requests of two 1 s attempts each, plus leader_wait: well under 30 s.
  EXPECT_LT(took, 30s);
}

TEST_F(TidbScalePd, StatusReportsMembersStoresAndRegionHealth) {
  auto r = run_plugin({{"mode", "status"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PD: 3 members, leader " + leader()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max-replicas 3; regions: 0 miss-peer, 0 down-peer, 0 offline-peer"), std::string::npos)
      << r.out;
  EXPECT_NE((r.out + r.err).find("STORES_UP=" + std::to_string(stores_in("Up").size())), std::string::npos) << r.out;
}

TEST_F(TidbScalePd, ScaleOutWaitsForTheNewStoreAndPdBalancesOntoIt) {
  auto before = stores_in("Up");
  auto want = std::to_string(before.size() + 1);
  util::Process p(argv(), plugin_env({{"mode", "scale"}, {"tikv_replicas", want}}));
  ASSERT_TRUE(p.wait_for_output("wait-stores-up " + want + " ...", 30s));
  ASSERT_EQ(testenv("add-store"), 0);
  auto r = p.wait(60s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto after = stores_in("Up");
  ASSERT_EQ(after.size(), before.size() + 1);
  auto added = after.back();
  EXPECT_EQ(std::count(before.begin(), before.end(), added), 0);
  // PD's balance-region scheduler moves regions onto the empty store.
  EXPECT_TRUE(eventually([&] { return pd_number("store/" + std::to_string(added), "/status/region_count") > 0; }, 60s));
}

TEST_F(TidbScalePd, ScaleInToTheLimitThenRefusesNamingTheRule) {
  TempDir dir;
  auto r = run_plugin({{"mode", "scale"}, {"tikv_replicas", "3"}, {"plan_file_out", dir.file("plan.json")}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto plan = read_json(dir.file("plan.json"));
  auto victim = first_target(plan, "delete-store");
  ASSERT_FALSE(victim.empty()) << plan.dump();
  EXPECT_EQ(stores_in("Up").size(), 3u);
  EXPECT_EQ(store_states().count(std::stoull(victim)), 0u) << "tombstone not removed";
  EXPECT_EQ(pd_number("regions/check/miss-peer", "/count"), 0);
  EXPECT_TRUE(stores_in("Offline").empty());

  auto states = store_states();
  auto refused = run_plugin({{"mode", "scale"}, {"tikv_replicas", "2"}});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("refused by rule max-replicas"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("lowest safe TiKV count here is 3"), std::string::npos) << refused.err;
  EXPECT_EQ(store_states(), states) << "a refused run changed the stores";

  // PD itself: an odd member count of at least 3.
  auto pd = run_plugin({{"mode", "scale"}, {"pd_replicas", "2"}});
  EXPECT_EQ(pd.exit_code, 1);
  EXPECT_NE(pd.err.find("refused by rule pd-min-members"), std::string::npos) << pd.err;
}

TEST_F(TidbScalePd, DryRunPlanIsTheExecutedPlan) {
  TempDir dir;
  std::map<std::string, std::string> s{{"mode", "scale"}, {"tikv_replicas", "3"}};
  auto d = s;
  d.insert({{"dry_run", "true"}, {"plan_file_out", dir.file("dry.json")}});
  auto states = store_states();
  auto dry = run_plugin(d);
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_EQ(store_states(), states) << "dry_run changed the cluster";
  s["plan_file_out"] = dir.file("run.json");
  auto run = run_plugin(s);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto planned = steps_of(read_json(dir.file("dry.json")));
  EXPECT_EQ(planned, steps_of(read_json(dir.file("run.json"))));
  // The run executed exactly those steps, in order.
  json executed = json::array();
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("step ") || !line.ends_with(" ...")) continue;
    auto parts = util::split(line.substr(0, line.size() - 4), ' ');
    executed.push_back({parts[2], parts[3], parts[4]});
  }
  EXPECT_EQ(planned, executed) << run.out;
  ASSERT_GE(planned.size(), 3u);
}

TEST_F(TidbScalePd, SigtermMidScaleInThenRerunFinishesSafely) {
  TempDir dir;
  util::Process p(argv(),
                  plugin_env({{"mode", "scale"}, {"tikv_replicas", "3"}, {"plan_file_out", dir.file("plan.json")}}));
  // Stopped while PD drains the store: Offline in PD's own words.
  ASSERT_TRUE(eventually([] { return !stores_in("Offline").empty(); }, 60s));
  p.signal(SIGTERM);
  auto first = p.wait(30s);
  EXPECT_EQ(first.exit_code, 143) << first.out << first.err;
  auto victim = std::stoull(first_target(read_json(dir.file("plan.json")), "delete-store"));
  auto state = store_states()[victim];
  EXPECT_TRUE(state == "Offline" || state == "Tombstone") << state;

  // The re-run finishes the removal first, and removes nothing else.
  auto again = run_plugin({{"mode", "scale"}, {"tikv_replicas", "3"}, {"plan_file_out", dir.file("again.json")}});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  auto steps = steps_of(read_json(dir.file("again.json")));
  bool deletes = false;
  for (const auto& s : steps)
    deletes |= s[1] == "delete-store";
  EXPECT_FALSE(deletes) << steps.dump();
  EXPECT_EQ(store_states().count(victim), 0u);
  EXPECT_EQ(stores_in("Up").size(), 3u);
  EXPECT_EQ(pd_get("schedulers").dump().find("evict-leader"), std::string::npos)
      << "evict-leader scheduler left behind";
}

TEST_F(TidbScalePd, DownStoreIsWarnedAboutThenReplacedWithinTheCap) {
  auto victim = stores_in("Up").back();
  auto id = std::to_string(victim);
  ASSERT_EQ(testenv("kill-store " + id), 0);
  ASSERT_TRUE(eventually([&] { return store_states()[victim] == "Disconnected"; }, 40s));
  auto warned = run_plugin({{"mode", "heal"}});
  ASSERT_EQ(warned.exit_code, 0) << warned.out << warned.err;
  EXPECT_NE(warned.out.find("store " + id + " (127.0.0.1:"), std::string::npos) << warned.out;
  EXPECT_NE(warned.out.find("Disconnected"), std::string::npos) << warned.out;
  EXPECT_NE(warned.out.find("plan: 0 steps"), std::string::npos) << warned.out;

  ASSERT_TRUE(eventually([&] { return store_states()[victim] == "Down"; }, 60s));
  auto capped = run_plugin({{"mode", "heal"}, {"max_failover", "0"}});
  EXPECT_EQ(capped.exit_code, 1);
  EXPECT_NE(capped.err.find("refused by rule max-failover"), std::string::npos) << capped.err;

  auto healed = run_plugin({{"mode", "heal"}});
  ASSERT_EQ(healed.exit_code, 0) << healed.out << healed.err;
  EXPECT_NE(healed.out.find("delete-store " + id + " ..."), std::string::npos) << healed.out;
  EXPECT_EQ(store_states().count(victim), 0u);
  EXPECT_EQ(pd_number("regions/check/down-peer", "/count"), 0);
  EXPECT_EQ(pd_number("regions/check/miss-peer", "/count"), 0);
}

TEST_F(TidbScalePd, PdLeaderLossIsWaitedOutAndQuorumLossRefused) {
  auto old = leader();
  ASSERT_FALSE(old.empty());
  ASSERT_EQ(testenv("kill-pd " + old), 0);
  // The run waits for the election, then works with the new leader.
  auto r = run_plugin({{"mode", "heal"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto now = leader();
  EXPECT_NE(now, old);
  EXPECT_NE(r.out.find(old + " UNHEALTHY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PD member " + old + " is unhealthy"), std::string::npos) << r.out;

  // Two of three gone: no majority, nothing is done, the rule is named.
  ASSERT_TRUE(eventually([] { return stores_in("Up").size() >= 4; }, 30s));
  auto states = store_states();
  ASSERT_EQ(testenv("kill-pd " + now), 0);
  auto refused = run_plugin({{"mode", "scale"}, {"tikv_replicas", "3"}, {"leader_wait", "3s"}});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_TRUE(refused.err.find("refused by rule pd-quorum") != std::string::npos ||
              refused.err.find("refused by rule pd-leader") != std::string::npos)
      << refused.err;
  restore_cluster();
  EXPECT_EQ(store_states(), states);
}

}  // namespace sg::testing
