// kafka-rebalance against a real 4-broker KRaft cluster, with Kafka's own
// tools (TopicCommand, ReassignPartitionsCommand, ConfigCommand, the
// verifiable producer and console consumer) as the oracles.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kafka_env.hpp"
#include "test_paths.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sg::testing {
namespace {

using namespace std::chrono_literals;
using util::Process;

struct TempDir {
  std::filesystem::path path;
  TempDir() : path(std::filesystem::temp_directory_path() / unique_name("sg-kr")) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// Restarts a broker a test killed, whatever way the test ends.
struct BrokerRevival {
  int id;
  ~BrokerRevival() { KafkaEnv::testenv("start " + std::to_string(id)); }
};

struct TopicGuard {
  std::string name;
  ~TopicGuard() { KafkaEnv::get().delete_topic(name); }
};

util::ProcessResult run_plugin(const std::map<std::string, std::string>& settings, int timeout_s = 240) {
  return util::run_process(KafkaEnv::plugin_argv(), KafkaEnv::plugin_env(settings), std::chrono::seconds(timeout_s));
}

std::map<std::string, std::string> base(const std::string& topic_re) {
  return {{"bootstrap_servers", KafkaEnv::get().bootstrap()}, {"topics_include", topic_re}};
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool has_broker(const std::vector<TopicPartitionState>& parts, int broker) {
  for (const auto& p : parts) {
    if (std::find(p.replicas.begin(), p.replicas.end(), broker) != p.replicas.end()) return true;
  }
  return false;
}

void expect_no_throttles(const KafkaEnv& k, const std::string& topic,
                         const std::vector<std::string>& live = {"1", "2", "3", "4"}) {
  for (const auto& b : live)
    EXPECT_EQ(k.configs("brokers", b).find("throttled.rate"), std::string::npos) << b;
  EXPECT_EQ(k.configs("topics", topic).find("throttled.replicas"), std::string::npos);
}

void expect_full_isr(const KafkaEnv& k, const std::string& topic) {
  for (const auto& p : k.describe(topic)) {
    std::set<int> r(p.replicas.begin(), p.replicas.end()), i(p.isr.begin(), p.isr.end());
    EXPECT_EQ(r, i) << topic << "-" << p.partition;
    EXPECT_EQ(p.leader, p.replicas.front()) << "preferred leader not elected for " << topic << "-" << p.partition;
  }
}

// A partition whose copy takes a while: ~2 MB of data under a throttle.
void fill(const std::string& topic, int records) {
  auto r = KafkaEnv::tool({"producer-perf-test", "--topic", topic, "--num-records", std::to_string(records),
                           "--record-size", "1000", "--throughput", "-1", "--producer-props",
                           "bootstrap.servers=" + KafkaEnv::get().bootstrap(), "acks=all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace

TEST(KafkaRebalance, HealAfterBrokerDeath) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("heal")};
  k.create_topic(t.name, "1:2:4,2:4:1,4:1:3,3:4:2,1:3:2,4:3:1");
  k.produce(t.name, 300);
  TempDir dir;
  {
    BrokerRevival revive{4};
    ASSERT_EQ(KafkaEnv::testenv("kill 4"), 0);
    k.wait_broker(4, false);
    auto settings = base("^" + t.name + "$");
    settings.insert({{"mode", "heal"},
                     {"grace_period", "0s"},
                     {"throttle", "20000000"},
                     {"state_file", dir.file("state.json")},
                     {"plan_file_out", dir.file("plan.json")},
                     {"rollback_file_out", dir.file("rollback.json")}});
    auto r = run_plugin(settings);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("5 replicas to move"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("MOVES_COMPLETED=5"), std::string::npos) << r.out;
    auto parts = k.describe(t.name);
    EXPECT_FALSE(has_broker(parts, 4));
    expect_full_isr(k, t.name);
    auto urp = KafkaEnv::tool({"topics", "--bootstrap-server", k.bootstrap(), "--describe", "--topic", t.name,
                               "--under-replicated-partitions"});
    EXPECT_EQ(util::trim(urp.out), "") << urp.out;
    expect_no_throttles(k, t.name, {"1", "2", "3"});  // before --verify, which would remove them itself
    auto verify = KafkaEnv::tool({"reassign", "--bootstrap-server", k.bootstrap(), "--verify",
                                  "--reassignment-json-file", dir.file("plan.json")});
    EXPECT_EQ(verify.exit_code, 0) << verify.err;
    EXPECT_NE(verify.out.find("is completed"), std::string::npos) << verify.out;
    EXPECT_EQ(verify.out.find("still in progress"), std::string::npos) << verify.out;
    // The rollback file is the assignment before the heal.
    EXPECT_NE(slurp(dir.file("rollback.json")).find("\"replicas\":[1,2,4]"), std::string::npos);
    // Running again is a no-op: nothing left to heal.
    auto again = run_plugin(settings);
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("no dead brokers: nothing to heal"), std::string::npos) << again.out;
  }
  k.wait_broker(4, true);
}

TEST(KafkaRebalance, HealWaitsForTheGracePeriodAndRefusesOutages) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("grace")};
  k.create_topic(t.name, "3:4,4:3");
  TempDir dir;
  {
    BrokerRevival revive3{3};
    BrokerRevival revive4{4};
    ASSERT_EQ(KafkaEnv::testenv("kill 4"), 0);
    k.wait_broker(4, false);
    auto settings = base("^" + t.name + "$");
    settings.insert({{"mode", "heal"}, {"grace_period", "1h"}, {"state_file", dir.file("state.json")}});
    auto r = run_plugin(settings);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("healed once dead for grace_period 1h"), std::string::npos) << r.out;
    EXPECT_NE(slurp(dir.file("state.json")).find("\"4\""), std::string::npos);
    EXPECT_TRUE(has_broker(k.describe(t.name), 4));  // nothing moved
    // Two of four brokers dead: an outage, not something to heal.
    ASSERT_EQ(KafkaEnv::testenv("kill 3"), 0);
    k.wait_broker(3, false);
    settings["grace_period"] = "0s";
    auto refused = run_plugin(settings);
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("ALERT: refusing to heal"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("max_dead_brokers (1)"), std::string::npos) << refused.err;
  }
  k.wait_broker(3, true);
  k.wait_broker(4, true);
}

TEST(KafkaRebalance, RemoveBrokersUnderLoadLosesNoMessage) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("remove")};
  k.create_topic(t.name, "1:2:3,2:3:4,3:4:1,4:1:2", {"min.insync.replicas=2"});
  // acks=all keeps writing during the whole move.
  Process producer({source_dir() + "/scripts/testenv", "kafka", "tool", "verifiable-producer", "--bootstrap-server",
                    k.bootstrap(), "--topic", t.name, "--max-messages", "3000", "--throughput", "300", "--acks", "-1"},
                   util::current_environment());
  std::this_thread::sleep_for(2s);
  auto settings = base("^" + t.name + "$");
  settings.insert({{"mode", "remove-brokers"}, {"broker_ids", "3"}});
  auto r = run_plugin(settings);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto produced = producer.wait(120s);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  std::set<std::string> acked;
  std::istringstream in(produced.out);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("name", "") == "producer_send_success") acked.insert(j.value("value", ""));
  }
  ASSERT_GT(acked.size(), 2500u) << "the producer saw errors: " << produced.out.substr(0, 2000);
  EXPECT_FALSE(has_broker(k.describe(t.name), 3));
  // Read every offset back: each acknowledged message is still there.
  auto consumed = KafkaEnv::tool(
      {"consume", "--bootstrap-server", k.bootstrap(), "--topic", t.name, "--from-beginning", "--timeout-ms", "15000"});
  std::set<std::string> read;
  std::istringstream cin_(consumed.out);
  while (std::getline(cin_, line)) {
    if (!line.empty()) read.insert(line);
  }
  for (const auto& v : acked)
    EXPECT_TRUE(read.count(v)) << "lost acknowledged message " << v;
  expect_no_throttles(k, t.name);
}

TEST(KafkaRebalance, DestinationDiesMidMoveIsReplanned) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("replan")};
  k.create_topic(t.name, "1:2");
  fill(t.name, 3000);
  TempDir dir;
  auto settings = base("^" + t.name + "$");
  settings.insert(
      {{"mode", "plan"}, {"goal", "remove-brokers"}, {"broker_ids", "1"}, {"plan_file_out", dir.file("plan.json")}});
  ASSERT_EQ(run_plugin(settings).exit_code, 0);
  auto plan = nlohmann::json::parse(slurp(dir.file("plan.json")));
  int dest = -1;
  for (auto b : plan["partitions"][0]["replicas"]) {
    if (b != 2) dest = b.get<int>();
  }
  ASSERT_GT(dest, 2);
  BrokerRevival revive{dest};
  settings["mode"] = "remove-brokers";
  settings["throttle"] = "300000";  // ~3 MB at 300 KB/s: time to kill the destination
  settings["plan_file_out"] = "";
  Process p(KafkaEnv::plugin_argv(), KafkaEnv::plugin_env(settings));
  ASSERT_TRUE(p.wait_for_output("moving " + t.name + "-0", 60s));
  ASSERT_EQ(KafkaEnv::testenv("kill " + std::to_string(dest)), 0);
  auto r = p.wait(240s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("died mid-move"), std::string::npos) << r.err;
  auto parts = k.describe(t.name);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_FALSE(has_broker(parts, 1));
  EXPECT_FALSE(has_broker(parts, dest));
  EXPECT_EQ(parts[0].replicas.size(), 2u);
}

TEST(KafkaRebalance, SigtermLeavesTheClusterConsistentAndTheNextRunFinishes) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("sigterm")};
  k.create_topic(t.name, "1:2,2:1");
  fill(t.name, 5000);  // a first fetch takes up to 1 MB unthrottled; the rest crawls
  auto settings = base("^" + t.name + "$");
  settings.insert({{"mode", "remove-brokers"}, {"broker_ids", "1"}, {"throttle", "50000"}, {"max_moves", "1"}});
  Process p(KafkaEnv::plugin_argv(), KafkaEnv::plugin_env(settings));
  ASSERT_TRUE(p.wait_for_output("moving " + t.name, 60s));
  p.signal(SIGTERM);
  auto first = p.wait(30s);
  EXPECT_EQ(first.exit_code, 143) << first.err;
  // Every partition has a consistent state: either still moving (Kafka
  // continues) or on its old or new replicas, all in sync.
  for (const auto& part : k.describe(t.name))
    EXPECT_FALSE(part.isr.empty());
  settings["throttle"] = "20000000";
  auto second = run_plugin(settings);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("1 resumed from an earlier run"), std::string::npos) << second.out;
  EXPECT_FALSE(has_broker(k.describe(t.name), 1));
  expect_no_throttles(k, t.name);
}

TEST(KafkaRebalance, CancelRestoresTheOriginalReplicasAndVerifyCleansUp) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("cancel")};
  k.create_topic(t.name, "1:2");
  fill(t.name, 3000);
  auto settings = base("^" + t.name + "$");
  settings.insert({{"mode", "remove-brokers"}, {"broker_ids", "1"}, {"throttle", "10000"}, {"wait", "false"}});
  auto started = run_plugin(settings);
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_NE(started.out.find("in flight:"), std::string::npos) << started.out;
  EXPECT_NE(k.configs("topics", t.name).find("throttled.replicas"), std::string::npos);
  auto verify = run_plugin({{"bootstrap_servers", k.bootstrap()}, {"mode", "verify"}, {"wait", "false"}});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("still in progress"), std::string::npos) << verify.err;
  auto cancelled = run_plugin({{"bootstrap_servers", k.bootstrap()}, {"mode", "cancel"}});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_NE(cancelled.out.find("CANCELLED=1"), std::string::npos) << cancelled.out;
  auto parts = k.describe(t.name);
  // KRaft restores the original brokers, not necessarily in their order.
  EXPECT_EQ(std::set<int>(parts[0].replicas.begin(), parts[0].replicas.end()), (std::set<int>{1, 2}));
  expect_no_throttles(k, t.name);
  auto clean = run_plugin({{"bootstrap_servers", k.bootstrap()}, {"mode", "verify"}});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
}

TEST(KafkaRebalance, AddBrokersThenRebalanceThenRemove) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("grow")};
  k.create_topic(t.name, "1:2,2:3,3:4,4:1,1:3,2:4,3:1,4:2");
  ASSERT_EQ(KafkaEnv::testenv("start 5"), 0);
  k.wait_broker(5, true);
  auto settings = base("^" + t.name + "$");
  settings.insert({{"mode", "add-brokers"}, {"broker_ids", "5"}, {"rack_aware", "false"}});
  auto r = run_plugin(settings);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  int on5 = 0;
  for (const auto& p : k.describe(t.name))
    on5 += static_cast<int>(std::count(p.replicas.begin(), p.replicas.end(), 5));
  EXPECT_GE(on5, 3);  // 16 replicas over 5 brokers: 3 or 4 each
  auto rebalance = run_plugin({{"bootstrap_servers", k.bootstrap()},
                               {"topics_include", "^" + t.name + "$"},
                               {"mode", "rebalance"},
                               {"rack_aware", "false"}});
  ASSERT_EQ(rebalance.exit_code, 0) << rebalance.err;
  auto back = run_plugin({{"bootstrap_servers", k.bootstrap()},
                          {"topics_include", "^" + t.name + "$"},
                          {"mode", "remove-brokers"},
                          {"broker_ids", "5"}});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_FALSE(has_broker(k.describe(t.name), 5));
  expect_full_isr(k, t.name);
  KafkaEnv::testenv("stop 5");
}

// The key comparison: the same decommission planned by Kafka's --generate
// and by us from a topology file describing the same cluster.
TEST(KafkaRebalance, TopologyPlanMovesFewerReplicasThanKafkaGenerate) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("compare")};
  // RF 2 leaves the planner a choice; with RF 3 on three brokers any plan
  // moves the same replicas.
  std::string assignment = "1:2,2:3,3:4,4:1,1:3,2:4,3:1,4:2,1:4,2:1,3:2,4:3";
  k.create_topic(t.name, assignment);
  TempDir dir;
  std::ofstream(dir.file("topics.json")) << "{\"version\":1,\"topics\":[{\"topic\":\"" << t.name << "\"}]}";
  auto gen = KafkaEnv::tool({"reassign", "--bootstrap-server", k.bootstrap(), "--generate",
                             "--topics-to-move-json-file", dir.file("topics.json"), "--broker-list", "1,2,3"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto pos = gen.out.find("Proposed partition reassignment configuration");
  ASSERT_NE(pos, std::string::npos) << gen.out;
  auto proposed = nlohmann::json::parse(gen.out.substr(gen.out.find('{', pos)));
  // Topology file of the same cluster.
  nlohmann::json topo = {{"brokers", nlohmann::json::array()}, {"partitions", nlohmann::json::array()}};
  for (int b = 1; b <= 4; ++b)
    topo["brokers"].push_back({{"id", b}, {"rack", b <= 2 ? "r1" : "r2"}, {"alive", true}});
  auto parts = k.describe(t.name);
  for (const auto& p : parts)
    topo["partitions"].push_back({{"topic", t.name}, {"partition", p.partition}, {"replicas", p.replicas}});
  std::ofstream(dir.file("topology.json")) << topo.dump();
  auto ours = run_plugin({{"topology_file", dir.file("topology.json")},
                          {"goal", "remove-brokers"},
                          {"broker_ids", "4"},
                          {"output", "json"}});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  auto doc = nlohmann::json::parse(ours.out);
  int ours_moved = doc["data"]["replicas_moved"];
  int kafka_moved = 0;
  std::map<int, int> kafka_counts, our_counts;
  for (const auto& p : proposed["partitions"]) {
    const auto& cur = parts[static_cast<std::size_t>(p["partition"].get<int>())].replicas;
    for (auto b : p["replicas"]) {
      ++kafka_counts[b.get<int>()];
      if (std::find(cur.begin(), cur.end(), b.get<int>()) == cur.end()) ++kafka_moved;
    }
  }
  for (const auto& b : doc["data"]["brokers"]) {
    if (b["id"] != 4) our_counts[b["id"].get<int>()] = b["replicas_after"].get<int>();
  }
  auto spread = [](const std::map<int, int>& c) {
    int lo = 1 << 30, hi = 0;
    for (auto [b, n] : c) {
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    return hi - lo;
  };
  std::cerr << "replicas moved: ours " << ours_moved << ", kafka --generate " << kafka_moved << "; spread ours "
            << spread(our_counts) << ", kafka " << spread(kafka_counts) << "\n";
  EXPECT_EQ(ours_moved, 6);  // exactly the replicas on broker 4
  EXPECT_LT(ours_moved, kafka_moved);
  EXPECT_LE(spread(our_counts), spread(kafka_counts));
}

TEST(KafkaRebalance, MonitorHealsAfterTheGracePeriodSurvivingARestart) {
  const auto& k = KafkaEnv::get();
  TopicGuard t{unique_name("monitor")};
  k.create_topic(t.name, "1:4,4:2,3:4");
  TempDir dir;
  {
    BrokerRevival revive{4};
    ASSERT_EQ(KafkaEnv::testenv("kill 4"), 0);
    k.wait_broker(4, false);
    auto settings = base("^" + t.name + "$");
    settings.insert({{"mode", "monitor"},
                     {"grace_period", "6s"},
                     {"interval", "1s"},
                     {"state_file", dir.file("state.json")},
                     {"timeout", "3s"}});
    // First monitor: sees the failure, stops before the grace period ends.
    auto first = run_plugin(settings);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_TRUE(has_broker(k.describe(t.name), 4));
    // A restarted monitor keeps the clock from the state file and heals
    // about 6 s after the first sighting, not 6 s after its own start.
    settings["timeout"] = "20s";
    auto start = std::chrono::steady_clock::now();
    Process second(KafkaEnv::plugin_argv(), KafkaEnv::plugin_env(settings));
    ASSERT_TRUE(second.wait_for_output("3 completed", 30s)) << "monitor did not heal";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
    second.signal(SIGTERM);
    EXPECT_EQ(second.wait(30s).exit_code, 143);
    EXPECT_FALSE(has_broker(k.describe(t.name), 4));
  }
  k.wait_broker(4, true);
}

TEST(KafkaRebalance, ScramAuthenticationAndWrongPassword) {
  const auto& k = KafkaEnv::get();
  std::map<std::string, std::string> s{{"bootstrap_servers", k.value("SPOTGUIDE_KAFKA_SASL_BOOTSTRAP")},
                                       {"security_protocol", "SASL_PLAINTEXT"},
                                       {"sasl_mechanism", "SCRAM-SHA-256"},
                                       {"sasl_username", k.value("SPOTGUIDE_KAFKA_SASL_USER")},
                                       {"sasl_password", k.value("SPOTGUIDE_KAFKA_SASL_PASSWORD")},
                                       {"goal", "rebalance"},
                                       {"topics_include", "^$"},
                                       {"log_level", "trace"}};
  auto ok = run_plugin(s);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ((ok.out + ok.err).find(k.value("SPOTGUIDE_KAFKA_SASL_PASSWORD")), std::string::npos);
  s["sasl_password"] = "definitely-wrong";
  auto bad = run_plugin(s);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("SASL_AUTHENTICATION_FAILED"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("definitely-wrong"), std::string::npos);
}

}  // namespace sg::testing
