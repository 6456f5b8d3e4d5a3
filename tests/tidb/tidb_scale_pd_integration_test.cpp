// tidb-scale (backend pd) against a real 3-member PD cluster from
// `scripts/testenv pd up`, whose TiKV stores are simulated by storesim (real
// TiKV is not available from any reachable registry; docs/testenv-pd.md).
// PD's own HTTP API is the oracle: store states, region checks, members.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "test_paths.hpp"
#include "testenv_file.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sg::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

const std::map<std::string, std::string>& pd_env() {
  static const auto env = read_testenv("pd");
  return env;
}

std::string endpoints() {
  return pd_env().at("SPOTGUIDE_PD_ENDPOINTS");
}

int testenv(const std::string& args) {
  return run_testenv("pd", args);
}

// GET on PD's API through any member that answers.
json pd_get(const std::string& path) {
  static http::Client client([] {
    http::Options o;
    o.total_timeout = 5s;
    o.connect_timeout = 2s;
    o.retry.max_attempts = 1;
    return o;
  }());
  for (const auto& url : util::split(endpoints(), ',')) {
    try {
      auto r = client.send({.url = url + "/pd/api/v1/" + path});
      if (r.ok()) return json::parse(r.body);
    } catch (const std::exception&) {
    }
  }
  throw std::runtime_error("no PD member answered " + path);
}

// id -> state_name, every state included.
std::map<std::uint64_t, std::string> store_states() {
  std::map<std::uint64_t, std::string> out;
  auto all = pd_get("stores/check?state=Up&state=Offline&state=Tombstone&state=Disconnected&state=Down");
  for (const auto& s : all["stores"]) {
    out[s["store"]["id"].get<std::uint64_t>()] = s["store"]["state_name"].get<std::string>();
  }
  return out;
}

std::vector<std::uint64_t> stores_in(const std::string& state) {
  std::vector<std::uint64_t> out;
  for (const auto& [id, s] : store_states()) {
    if (s == state) out.push_back(id);
  }
  return out;
}

std::string leader() {
  auto j = pd_get("leader");
  auto it = j.find("name");
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// A number in PD's answer (count of a region check, region_count of a
// store); -1 when absent.
std::int64_t pd_number(const std::string& path, const std::string& pointer) {
  auto j = pd_get(path);
  auto p = json::json_pointer(pointer);
  return j.contains(p) && j[p].is_number() ? j[p].get<std::int64_t>() : -1;
}

template <typename F>
bool eventually(F f, std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    try {
      if (f()) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(300ms);
  }
  return false;
}

// Every test starts from 4 Up stores and 3 healthy members, whatever the one
// before left behind.
void restore_cluster() {
  for (int i = 1; i <= 3; ++i) {
    bool healthy = false;
    try {
      auto health = pd_get("health");
      for (const auto& m : health) {
        if (m["name"] == "pd" + std::to_string(i)) healthy = m["health"].get<bool>();
      }
    } catch (const std::exception&) {
    }
    if (!healthy) {
      ASSERT_EQ(testenv("restart-pd " + std::to_string(i)), 0);
    }
  }
  ASSERT_TRUE(eventually([] { return !leader().empty(); }, 60s));
  for (auto id : stores_in("Disconnected"))
    testenv("restart-store " + std::to_string(id));
  for (auto id : stores_in("Down"))
    testenv("restart-store " + std::to_string(id));
  while (stores_in("Up").size() < 4)
    ASSERT_EQ(testenv("add-store"), 0);
}

std::map<std::string, std::string> plugin_env(const std::map<std::string, std::string>& settings) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},         {"HOME", std::getenv("HOME")},
                                         {"PLUGIN_BACKEND", "pd"},          {"PLUGIN_PD_URL", endpoints()},
                                         {"PLUGIN_POLL_INTERVAL", "300ms"}, {"PLUGIN_TIMEOUT", "120s"}};
  for (const auto& [k, v] : settings)
    env["PLUGIN_" + util::to_upper(k)] = v;
  return env;
}

std::vector<std::string> argv() {
  return {bin_dir() + "/tidb-scale"};
}

util::ProcessResult run_plugin(const std::map<std::string, std::string>& settings, int timeout_s = 180) {
  return util::run_process(argv(), plugin_env(settings), std::chrono::seconds(timeout_s));
}

struct TempDir {
  std::filesystem::path path;
  TempDir() : path(std::filesystem::temp_directory_path() / ("sg-tidb-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

json read_json(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f);
}

// The target of the plan's first step with this action.
std::string first_target(const json& plan, const std::string& action) {
  for (const auto& s : plan["steps"]) {
    if (s["action"] == action) return s["target"].get<std::string>();
  }
  return "";
}

// The plan's steps without the human reasons.
json steps_of(const json& plan) {
  json out = json::array();
  for (const auto& s : plan["steps"])
    out.push_back({s["component"], s["action"], s["target"]});
  return out;
}

class TidbScalePd : public ::testing::Test {
 protected:
  void SetUp() override { restore_cluster(); }
};

}  // namespace

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
