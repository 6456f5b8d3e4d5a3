// The AdminClient against the real KRaft cluster of `scripts/testenv kafka`
// (one controller, four brokers in racks r1,r1,r2,r2, PLAINTEXT + SASL +
// SSL listeners), with Kafka's own CLI tools as the independent oracle. The
// ctest fixture starts the cluster or reuses a running one; a missing
// cluster is a failure, never a skip. Every test deletes the topics it
// creates and restores any broker it kills.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "admin.hpp"
#include "log/redactor.hpp"
#include "testenv_file.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sg::kafka {
namespace {

using namespace std::chrono_literals;

// --- the environment ------------------------------------------------------------------

class KafkaEnv {
 public:
  static const KafkaEnv& get() {
    static const KafkaEnv env;
    return env;
  }
  const std::string& value(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw std::runtime_error("testenv.env has no " + key + " (" + path_ + ")");
    return it->second;
  }
  std::vector<std::int32_t> broker_ids() const {
    std::vector<std::int32_t> ids;
    for (const auto& s : util::split(value("SPOTGUIDE_KAFKA_BROKER_IDS"), ','))
      ids.push_back(std::stoi(s));
    return ids;
  }
  std::map<std::int32_t, std::string> racks() const {
    std::map<std::int32_t, std::string> out;
    for (const auto& pair : util::split(value("SPOTGUIDE_KAFKA_BROKER_RACKS"), ',')) {
      auto colon = pair.find(':');
      out[std::stoi(pair.substr(0, colon))] = pair.substr(colon + 1);
    }
    return out;
  }

 private:
  KafkaEnv() : path_("kafka testenv.env"), values_(testing::read_testenv("kafka")) {}
  std::string path_;
  std::map<std::string, std::string> values_;
};

std::string testenv_script() {
  return std::string(SPOTGUIDE_SOURCE_DIR) + "/scripts/testenv";
}

// Runs `scripts/testenv kafka ARGS...`: Kafka's own tools, kill, restart.
util::ProcessResult testenv(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 180s) {
  std::vector<std::string> argv{testenv_script(), "kafka"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = util::run_process(argv, util::current_environment(), timeout);
  if (r.exit_code != 0) {
    std::cerr << "[testenv kafka " << util::join(args, " ") << "] exit " << r.exit_code << "\n"
              << r.out << r.err << "\n";
  }
  return r;
}

util::ProcessResult tool(std::vector<std::string> args) {
  args.insert(args.begin(), "tool");
  return testenv(args);
}

std::string bootstrap() {
  return KafkaEnv::get().value("SPOTGUIDE_KAFKA_BOOTSTRAP");
}

ClientConfig plaintext_config() {
  ClientConfig c;
  c.bootstrap_servers = {bootstrap()};
  c.client_id = "kafka-wire-integration";
  c.request_timeout = 30s;
  return c;
}

ClientConfig sasl_config(SaslMechanism m, const std::string& password) {
  ClientConfig c = plaintext_config();
  c.bootstrap_servers = {KafkaEnv::get().value("SPOTGUIDE_KAFKA_SASL_BOOTSTRAP")};
  c.security_protocol = SecurityProtocol::kSaslPlaintext;
  c.sasl_mechanism = m;
  c.sasl_username = KafkaEnv::get().value("SPOTGUIDE_KAFKA_SASL_USER");
  c.sasl_password = password;
  return c;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

ClientConfig ssl_config() {
  ClientConfig c = plaintext_config();
  c.bootstrap_servers = {KafkaEnv::get().value("SPOTGUIDE_KAFKA_SSL_BOOTSTRAP")};
  c.security_protocol = SecurityProtocol::kSsl;
  c.tls.ca_pem = read_file(KafkaEnv::get().value("SPOTGUIDE_KAFKA_SSL_CA_FILE"));
  return c;
}

// Polls `check` every 250 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout = 30s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (check()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return check();
}

std::string unique_topic(const std::string& what) {
  static std::mt19937 rng{std::random_device{}()};
  return "wire-" + what + "-" + std::to_string(rng() % 1000000);
}

std::vector<std::int32_t> replicas_of(AdminClient& admin, const std::string& topic, std::int32_t partition) {
  auto md = admin.metadata(std::vector<std::string>{topic});
  const auto* t = md.topic(topic);
  if (t == nullptr || t->error != errc::kNone) return {};
  const auto* p = t->partition(partition);
  return p ? p->replicas : std::vector<std::int32_t>{};
}

// A copy: the metadata it comes from is a temporary.
std::optional<PartitionMetadata> partition_of(AdminClient& admin, const std::string& topic, std::int32_t partition) {
  auto md = admin.metadata(std::vector<std::string>{topic});
  const auto* t = md.topic(topic);
  if (t == nullptr || t->error != errc::kNone || t->partition(partition) == nullptr) return std::nullopt;
  return *t->partition(partition);
}

// A topic with an explicit assignment, deleted when the test ends.
class ScopedTopic {
 public:
  ScopedTopic(AdminClient& admin, std::string name,
              std::vector<std::pair<std::int32_t, std::vector<std::int32_t>>> assignment,
              std::vector<std::pair<std::string, std::string>> configs = {})
      : admin_(admin), name_(std::move(name)) {
    NewTopic t;
    t.name = name_;
    t.assignment = std::move(assignment);
    t.configs = std::move(configs);
    auto results = admin_.create_topics({t});
    if (results.size() != 1 || !results[0].ok()) {
      throw std::runtime_error("cannot create topic " + name_ + ": " +
                               (results.empty() ? "no result" : error_name(results[0].error)));
    }
    // Created on the controller; wait until the brokers' metadata has it.
    auto expected = t.assignment.size();
    bool visible = eventually([&] {
      auto md = admin_.metadata(std::vector<std::string>{name_});
      const auto* tm = md.topic(name_);
      if (tm == nullptr || tm->error != errc::kNone || tm->partitions.size() != expected) return false;
      return std::all_of(tm->partitions.begin(), tm->partitions.end(), [](const auto& p) { return p.leader >= 0; });
    });
    if (!visible) throw std::runtime_error("topic " + name_ + " did not show up in metadata");
  }
  ~ScopedTopic() {
    try {
      admin_.delete_topics({name_});
    } catch (const std::exception& e) {
      std::cerr << "cleanup: cannot delete topic " << name_ << ": " << e.what() << "\n";
    }
  }
  ScopedTopic(const ScopedTopic&) = delete;
  ScopedTopic& operator=(const ScopedTopic&) = delete;
  const std::string& name() const { return name_; }

 private:
  AdminClient& admin_;
  std::string name_;
};

// Runs `fn` when the scope ends, whatever happens in between.
class Finally {
 public:
  explicit Finally(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~Finally() {
    try {
      fn_();
    } catch (const std::exception& e) {
      std::cerr << "cleanup failed: " << e.what() << "\n";
    }
  }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  std::function<void()> fn_;
};

void produce(const std::string& topic, int records, int record_size) {
  auto r = tool({"producer-perf-test", "--topic", topic, "--num-records", std::to_string(records), "--record-size",
                 std::to_string(record_size), "--throughput", "-1", "--producer-props",
                 "bootstrap.servers=" + bootstrap(), "acks=all", "max.block.ms=10000"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

class KafkaWireIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    // Fails (never skips) when the cluster is missing.
    ASSERT_NO_THROW(KafkaEnv::get());
    admin_ = std::make_unique<AdminClient>(plaintext_config());
  }
  AdminClient& admin() { return *admin_; }
  std::unique_ptr<AdminClient> admin_;
};

// --- cluster view ----------------------------------------------------------------------------

TEST_F(KafkaWireIntegration, MetadataShowsEveryBrokerWithItsRackAndAController) {
  const auto& env = KafkaEnv::get();
  auto md = admin().metadata(std::vector<std::string>{});
  auto expected_ids = env.broker_ids();
  ASSERT_EQ(md.brokers.size(), expected_ids.size());
  EXPECT_EQ(md.brokers.size(), 4u);
  auto racks = env.racks();
  for (auto id : expected_ids) {
    const auto* b = md.broker(id);
    ASSERT_NE(b, nullptr) << "broker " << id;
    EXPECT_EQ(b->host, "127.0.0.1");
    EXPECT_EQ(b->port, std::stoi(env.value("SPOTGUIDE_KAFKA_PORT_BASE")) + id - 1);
    ASSERT_TRUE(b->rack.has_value()) << "broker " << id;
    EXPECT_EQ(*b->rack, racks.at(id));
  }
  // KRaft reports a live broker as the "controller": where to send
  // controller requests, which it forwards.
  EXPECT_NE(md.broker(md.controller_id), nullptr) << md.controller_id;
  EXPECT_EQ(md.cluster_id, env.value("SPOTGUIDE_KAFKA_CLUSTER_ID"));

  auto cluster = admin().describe_cluster();
  EXPECT_EQ(cluster.cluster_id, env.value("SPOTGUIDE_KAFKA_CLUSTER_ID"));
  EXPECT_EQ(cluster.brokers.size(), expected_ids.size());

  auto versions = admin().api_versions(expected_ids.front());
  EXPECT_FALSE(versions.find(ApiKey::kAlterPartitionReassignments).empty());
  EXPECT_FALSE(versions.find(ApiKey::kDescribeLogDirs).empty());
}

TEST_F(KafkaWireIntegration, UnknownTopicsAreReportedNotCreated) {
  auto name = unique_topic("missing");
  auto md = admin().metadata(std::vector<std::string>{name});
  ASSERT_EQ(md.topics.size(), 1u);
  EXPECT_EQ(md.topics[0].error, errc::kUnknownTopicOrPartition);
  auto again = admin().metadata(std::vector<std::string>{name});
  EXPECT_EQ(again.topics[0].error, errc::kUnknownTopicOrPartition);
}

// --- topics ----------------------------------------------------------------------------------

TEST_F(KafkaWireIntegration, CreateTopicWithAnExplicitAssignmentAndDeleteIt) {
  auto name = unique_topic("create");
  {
    ScopedTopic topic(admin(), name, {{0, {1, 2}}, {1, {2, 3}}, {2, {3, 4}}}, {{"retention.ms", "3600000"}});
    auto md = admin().metadata(std::vector<std::string>{name});
    const auto* t = md.topic(name);
    ASSERT_NE(t, nullptr);
    EXPECT_FALSE(t->internal);
    EXPECT_FALSE(t->topic_id.is_zero());
    ASSERT_EQ(t->partitions.size(), 3u);
    EXPECT_EQ(t->partition(0)->replicas, (std::vector<std::int32_t>{1, 2}));
    EXPECT_EQ(t->partition(1)->replicas, (std::vector<std::int32_t>{2, 3}));
    EXPECT_EQ(t->partition(2)->replicas, (std::vector<std::int32_t>{3, 4}));
    EXPECT_EQ(t->partition(2)->leader, 3);
    EXPECT_TRUE(eventually([&] {
      auto now = admin().metadata(std::vector<std::string>{name});
      const auto* tm = now.topic(name);
      return tm != nullptr && std::all_of(tm->partitions.begin(), tm->partitions.end(),
                                          [](const auto& pm) { return pm.isr.size() == 2; });
    }));

    auto entries = admin().describe_configs(ResourceType::kTopic, name, std::vector<std::string>{"retention.ms"});
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].value, "3600000");
    EXPECT_EQ(entries[0].source, static_cast<std::int8_t>(ConfigSource::kTopic));

    // The same name again, and an assignment naming a broker that does not exist.
    NewTopic dup;
    dup.name = name;
    dup.num_partitions = 1;
    dup.replication_factor = 1;
    auto again = admin().create_topics({dup});
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].error, errc::kTopicAlreadyExists);
    NewTopic bad;
    bad.name = unique_topic("bad");
    bad.assignment = {{0, {1, 99}}};
    auto refused = admin().create_topics({bad});
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0].error, errc::kInvalidReplicaAssignment) << error_name(refused[0].error);

    // Kafka's own tool sees what we created.
    auto described = tool({"topics", "--bootstrap-server", bootstrap(), "--describe", "--topic", name});
    ASSERT_EQ(described.exit_code, 0);
    EXPECT_NE(described.out.find("Replicas: 3,4"), std::string::npos) << described.out;
  }
  // ScopedTopic deleted it.
  EXPECT_TRUE(eventually([&] {
    auto md = admin().metadata(std::vector<std::string>{name});
    return md.topics.size() == 1 && md.topics[0].error == errc::kUnknownTopicOrPartition;
  }));
  auto gone = admin().delete_topics({name});
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].error, errc::kUnknownTopicOrPartition);
}

// --- reassignments ---------------------------------------------------------------------------

TEST_F(KafkaWireIntegration, ReassignmentCompletesAndKafkasToolVerifiesIt) {
  ScopedTopic topic(admin(), unique_topic("move"), {{0, {1, 2}}, {1, {2, 3}}});
  const auto& name = topic.name();

  auto results = admin().alter_reassignments(
      {{name, 0, std::vector<std::int32_t>{3, 4}}, {name, 1, std::vector<std::int32_t>{4, 1}}});
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results)
    EXPECT_TRUE(r.ok()) << r.topic << "-" << r.partition << ": " << error_name(r.error);

  EXPECT_TRUE(eventually([&] { return admin().list_reassignments(std::vector<TopicPartitions>{{name, {}}}).empty(); }));
  EXPECT_TRUE(eventually([&] {
    return replicas_of(admin(), name, 0) == std::vector<std::int32_t>{3, 4} &&
           replicas_of(admin(), name, 1) == std::vector<std::int32_t>{4, 1};
  }));

  auto plan = std::string(::testing::TempDir()) + "/" + name + ".json";
  {
    std::ofstream f(plan);
    f << R"({"version":1,"partitions":[)"
      << R"({"topic":")" << name << R"(","partition":0,"replicas":[3,4],"log_dirs":["any","any"]},)"
      << R"({"topic":")" << name << R"(","partition":1,"replicas":[4,1],"log_dirs":["any","any"]}]})";
  }
  auto verify = tool({"reassign", "--bootstrap-server", bootstrap(), "--reassignment-json-file", plan, "--verify"});
  std::remove(plan.c_str());
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("Reassignment of partition " + name + "-0 is completed"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("Reassignment of partition " + name + "-1 is completed"), std::string::npos) << verify.out;

  // Per-partition refusals come back as data, with Kafka's codes.
  auto refused = admin().alter_reassignments({{name, 0, std::vector<std::int32_t>{1, 99}}});
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].error, errc::kInvalidReplicaAssignment) << error_name(refused[0].error);
  EXPECT_TRUE(refused[0].message.has_value());
  auto nothing = admin().alter_reassignments({{name, 1, std::nullopt}});
  ASSERT_EQ(nothing.size(), 1u);
  EXPECT_EQ(nothing[0].error, errc::kNoReassignmentInProgress) << error_name(nothing[0].error);
}

TEST_F(KafkaWireIntegration, ThrottledReassignmentIsListedAndCanBeCancelled) {
  ScopedTopic topic(admin(), unique_topic("cancel"), {{0, {1, 2}}});
  const auto& name = topic.name();
  // 3 MB on the leader; with a 10 kB/s throttle the copy to broker 3 takes
  // minutes, so the reassignment is still running when we look.
  produce(name, 3000, 1000);

  const std::vector<std::string> brokers{"1", "2", "3"};
  Finally unthrottle([&] {
    for (const auto& b : brokers) {
      admin().incremental_alter_configs(ResourceType::kBroker, b,
                                        {{"leader.replication.throttled.rate", ConfigOperation::kDelete, {}},
                                         {"follower.replication.throttled.rate", ConfigOperation::kDelete, {}}});
    }
  });
  for (const auto& b : brokers) {
    admin().incremental_alter_configs(ResourceType::kBroker, b,
                                      {{"leader.replication.throttled.rate", ConfigOperation::kSet, "10000"},
                                       {"follower.replication.throttled.rate", ConfigOperation::kSet, "10000"}});
  }
  admin().incremental_alter_configs(ResourceType::kTopic, name,
                                    {{"leader.replication.throttled.replicas", ConfigOperation::kSet, "0:1,0:2"},
                                     {"follower.replication.throttled.replicas", ConfigOperation::kSet, "0:3"}});
  // APPEND and SUBTRACT work on list-valued configs.
  admin().incremental_alter_configs(ResourceType::kTopic, name,
                                    {{"follower.replication.throttled.replicas", ConfigOperation::kAppend, "0:4"}});
  // KRaft applies config changes through the metadata log, so a broker
  // answering right after the controller accepted a change can still hold
  // the old value: every read-back below waits for it.
  std::string appended;
  EXPECT_TRUE(eventually([&] {
    auto c = admin().describe_configs(ResourceType::kTopic, name,
                                      std::vector<std::string>{"follower.replication.throttled.replicas"});
    appended = c.size() == 1 ? c[0].value.value_or("") : "<" + std::to_string(c.size()) + " entries>";
    return appended == "0:3,0:4";
  })) << appended;
  admin().incremental_alter_configs(ResourceType::kTopic, name,
                                    {{"follower.replication.throttled.replicas", ConfigOperation::kSubtract, "0:4"}});
  EXPECT_TRUE(eventually([&] {
    auto c = admin().describe_configs(ResourceType::kTopic, name,
                                      std::vector<std::string>{"follower.replication.throttled.replicas"});
    appended = c.size() == 1 ? c[0].value.value_or("") : "";
    return appended == "0:3";
  })) << appended;

  // Our own view of the broker config (sent to broker 1 itself)...
  for (const auto& b : brokers) {
    std::string seen;
    EXPECT_TRUE(eventually([&] {
      auto rate = admin().describe_configs(ResourceType::kBroker, b,
                                           std::vector<std::string>{"leader.replication.throttled.rate"});
      if (rate.size() != 1) return false;
      seen = rate[0].value.value_or("null") + " from source " + std::to_string(rate[0].source);
      return rate[0].value == "10000" && rate[0].source == static_cast<std::int8_t>(ConfigSource::kDynamicBroker);
    })) << "broker "
        << b << ": " << seen;
  }
  // ...and Kafka's ConfigCommand's.
  for (const auto& b : brokers) {
    auto described = tool(
        {"configs", "--bootstrap-server", bootstrap(), "--describe", "--entity-type", "brokers", "--entity-name", b});
    ASSERT_EQ(described.exit_code, 0);
    EXPECT_NE(described.out.find("leader.replication.throttled.rate=10000"), std::string::npos) << described.out;
    EXPECT_NE(described.out.find("follower.replication.throttled.rate=10000"), std::string::npos) << described.out;
  }
  auto topic_configs = tool(
      {"configs", "--bootstrap-server", bootstrap(), "--describe", "--entity-type", "topics", "--entity-name", name});
  ASSERT_EQ(topic_configs.exit_code, 0);
  EXPECT_NE(topic_configs.out.find("leader.replication.throttled.replicas=0:1,0:2"), std::string::npos)
      << topic_configs.out;
  EXPECT_NE(topic_configs.out.find("follower.replication.throttled.replicas=0:3 "), std::string::npos)
      << topic_configs.out;

  auto started = admin().alter_reassignments({{name, 0, std::vector<std::int32_t>{2, 3}}});
  ASSERT_EQ(started.size(), 1u);
  ASSERT_TRUE(started[0].ok()) << error_name(started[0].error);

  auto ongoing = admin().list_reassignments(std::vector<TopicPartitions>{{name, {0}}});
  ASSERT_EQ(ongoing.size(), 1u) << "the throttled reassignment finished too early";
  EXPECT_EQ(ongoing[0].topic, name);
  EXPECT_EQ(ongoing[0].adding_replicas, std::vector<std::int32_t>{3});
  EXPECT_EQ(ongoing[0].removing_replicas, std::vector<std::int32_t>{1});
  auto all = admin().list_reassignments();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const auto& o) { return o.topic == name; }));
  // Kafka's tool agrees that it is in flight.
  auto listed = tool({"reassign", "--bootstrap-server", bootstrap(), "--list"});
  EXPECT_NE(listed.out.find(name + "-0"), std::string::npos) << listed.out;

  auto cancelled = admin().alter_reassignments({{name, 0, std::nullopt}});
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_TRUE(cancelled[0].ok()) << error_name(cancelled[0].error);
  EXPECT_TRUE(eventually([&] { return admin().list_reassignments(std::vector<TopicPartitions>{{name, {}}}).empty(); }));
  // Back on the original brokers. KRaft keeps the order the reassignment
  // produced (target first), so compare as sets.
  std::vector<std::int32_t> after;
  EXPECT_TRUE(eventually([&] {
    after = replicas_of(admin(), name, 0);
    std::sort(after.begin(), after.end());
    return after == std::vector<std::int32_t>{1, 2};
  })) << "replicas after cancelling: "
      << ::testing::PrintToString(replicas_of(admin(), name, 0));
}

// --- leaders ---------------------------------------------------------------------------------

TEST_F(KafkaWireIntegration, PreferredLeaderElectionMovesLeadershipToTheFirstReplica) {
  ScopedTopic topic(admin(), unique_topic("elect"), {{0, {1, 2}}, {1, {2, 3}}});
  const auto& name = topic.name();
  EXPECT_TRUE(eventually([&] {
    auto p = partition_of(admin(), name, 0);
    return p && p->isr.size() == 2;
  }));
  // Reordering the replicas makes broker 2 the preferred leader while 1
  // keeps leading.
  auto reordered = admin().alter_reassignments({{name, 0, std::vector<std::int32_t>{2, 1}}});
  ASSERT_TRUE(reordered.at(0).ok()) << error_name(reordered[0].error);
  EXPECT_TRUE(eventually([&] { return replicas_of(admin(), name, 0) == std::vector<std::int32_t>{2, 1}; }));

  auto results = admin().elect_leaders(ElectionType::kPreferred, std::vector<TopicPartitions>{{name, {0, 1}}});
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results)
    EXPECT_TRUE(r.ok()) << r.partition << ": " << error_name(r.error);
  EXPECT_TRUE(eventually([&] {
    auto p0 = partition_of(admin(), name, 0);
    auto p1 = partition_of(admin(), name, 1);
    return p0 && p1 && p0->leader == 2 && p1->leader == 2;
  }));

  // Nothing to do for an unclean election on healthy partitions: success.
  auto unclean = admin().elect_leaders(ElectionType::kUnclean, std::vector<TopicPartitions>{{name, {1}}});
  ASSERT_EQ(unclean.size(), 1u);
  EXPECT_TRUE(unclean[0].ok()) << error_name(unclean[0].error);
}

// --- log dirs --------------------------------------------------------------------------------

TEST_F(KafkaWireIntegration, DescribeLogDirsShowsReplicaSizesAfterProducing) {
  ScopedTopic topic(admin(), unique_topic("size"), {{0, {1, 2}}});
  const auto& name = topic.name();
  produce(name, 500, 200);
  for (std::int32_t broker : {1, 2}) {
    EXPECT_TRUE(eventually([&] {
      auto sizes = partition_sizes(admin().describe_log_dirs(broker, std::vector<TopicPartitions>{{name, {0}}}));
      auto it = sizes.find(TopicPartition{name, 0});
      return it != sizes.end() && it->second >= 500 * 200;
    })) << "broker "
        << broker;
  }
  auto dirs = admin().describe_log_dirs(1);
  ASSERT_FALSE(dirs.empty());
  EXPECT_FALSE(dirs[0].path.empty());
  EXPECT_GT(dirs[0].total_bytes, 0);
  // Broker 3 holds no replica of it.
  auto on3 = partition_sizes(admin().describe_log_dirs(3, std::vector<TopicPartitions>{{name, {0}}}));
  EXPECT_FALSE(on3.contains(TopicPartition{name, 0}));
}

// --- security --------------------------------------------------------------------------------

class KafkaWireSaslIntegration : public ::testing::TestWithParam<SaslMechanism> {};

TEST_P(KafkaWireSaslIntegration, AuthenticatesAndRejectsAWrongPassword) {
  const auto& env = KafkaEnv::get();
  auto mechanism = GetParam();
  AdminClient good(sasl_config(mechanism, env.value("SPOTGUIDE_KAFKA_SASL_PASSWORD")));
  auto md = good.metadata(std::vector<std::string>{});
  EXPECT_EQ(md.brokers.size(), env.broker_ids().size());
  // A request that must go to one broker: a second authenticated connection.
  auto entries = good.describe_configs(ResourceType::kBroker, "2", std::vector<std::string>{"broker.rack"});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].value, env.racks().at(2));

  const std::string wrong = "definitely-not-the-password-" + std::string(mechanism_name(mechanism));
  AdminClient bad(sasl_config(mechanism, wrong));
  try {
    bad.metadata();
    FAIL() << "authenticated with a wrong password";
  } catch (const KafkaError& e) {
    EXPECT_EQ(e.code(), errc::kSaslAuthenticationFailed) << e.what();
    EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos) << e.what();
  }
  EXPECT_EQ(log::redact("x " + wrong), "x ******");
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, KafkaWireSaslIntegration,
                         ::testing::Values(SaslMechanism::kPlain, SaslMechanism::kScramSha256,
                                           SaslMechanism::kScramSha512),
                         [](const auto& param_info) {
                           return util::replace_all(std::string(mechanism_name(param_info.param)), "-", "");
                         });

TEST(KafkaWireSslIntegration, VerifiedTlsWorksAndAWrongTrustOrNameFails) {
  const auto& env = KafkaEnv::get();
  AdminClient ok(ssl_config());
  auto md = ok.metadata(std::vector<std::string>{});
  ASSERT_EQ(md.brokers.size(), env.broker_ids().size());
  // The SSL listener advertises its own ports.
  EXPECT_EQ(md.brokers.front().port, std::stoi(env.value("SPOTGUIDE_KAFKA_SSL_PORT_BASE")) + md.brokers.front().id - 1);
  EXPECT_FALSE(ok.describe_log_dirs(md.brokers.front().id).empty());

  auto system_trust = ssl_config();
  system_trust.tls.ca_pem.clear();  // the test CA is not in the system store
  system_trust.connect_timeout = 5s;
  try {
    AdminClient(system_trust).metadata();
    FAIL() << "trusted a certificate from an unknown CA";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("verif"), std::string::npos) << e.what();
  }

  auto wrong_name = ssl_config();
  wrong_name.tls.server_name = "not-the-broker.example";
  EXPECT_THROW(AdminClient(wrong_name).metadata(), TransportError);

  auto unverified = ssl_config();
  unverified.tls.ca_pem.clear();
  unverified.tls.verify = false;
  EXPECT_EQ(AdminClient(unverified).metadata(std::vector<std::string>{}).brokers.size(), env.broker_ids().size());
}

// --- failures --------------------------------------------------------------------------------

TEST_F(KafkaWireIntegration, KilledBrokerLeavesMetadataAndShowsAsOfflineReplica) {
  ScopedTopic topic(admin(), unique_topic("dead"), {{0, {3, 4}}});
  const auto& name = topic.name();
  const std::int32_t victim = 4;
  bool restarted = false;
  Finally revive([&] {
    if (restarted) return;
    auto r = testenv({"restart", std::to_string(victim)});
    if (r.exit_code != 0) std::cerr << "could not restart broker " << victim << "\n";
  });
  ASSERT_EQ(testenv({"kill", std::to_string(victim)}).exit_code, 0);

  // Fenced after the session timeout (3 s in the test cluster).
  bool fenced = eventually([&] {
    auto md = admin().metadata(std::vector<std::string>{name});
    auto p = partition_of(admin(), name, 0);
    return md.broker(victim) == nullptr && p &&
           std::find(p->offline_replicas.begin(), p->offline_replicas.end(), victim) != p->offline_replicas.end();
  });
  ASSERT_TRUE(fenced) << "broker " << victim << " still in metadata, or not offline";
  auto md = admin().metadata(std::vector<std::string>{name});
  auto p = partition_of(admin(), name, 0);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->replicas, (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(p->leader, 3);
  EXPECT_EQ(p->isr, std::vector<std::int32_t>{3});
  EXPECT_EQ(md.brokers.size(), KafkaEnv::get().broker_ids().size() - 1);

  // Requests for the dead broker itself fail with its id in the message.
  try {
    admin().describe_log_dirs(victim);
    FAIL() << "described the log dirs of a dead broker";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("broker " + std::to_string(victim)), std::string::npos) << e.what();
  }

  ASSERT_EQ(testenv({"restart", std::to_string(victim)}).exit_code, 0);
  restarted = true;
  EXPECT_TRUE(eventually([&] { return admin().metadata(std::vector<std::string>{}).broker(victim) != nullptr; }, 60s));
  EXPECT_TRUE(eventually(
      [&] {
        auto p0 = partition_of(admin(), name, 0);
        return p0 && p0->isr.size() == 2;
      },
      60s));
}

}  // namespace
}  // namespace sg::kafka
