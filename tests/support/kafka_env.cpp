#include "kafka_env.hpp"

#include <chrono>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test_paths.hpp"
#include "testenv_file.hpp"
#include "util/strings.hpp"

namespace sg::testing {

std::string unique_name(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000);
}

const KafkaEnv& KafkaEnv::get() {
  static const KafkaEnv env = [] {
    KafkaEnv e;
    e.values_ = read_testenv("kafka");
    return e;
  }();
  return env;
}

const std::string& KafkaEnv::value(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::runtime_error("kafka testenv.env has no " + key);
  return it->second;
}

util::ProcessResult KafkaEnv::tool(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv{source_dir() + "/scripts/testenv", "kafka", "tool"};
  argv.insert(argv.end(), args.begin(), args.end());
  return util::run_process(argv, util::current_environment(), std::chrono::seconds(timeout_s));
}

int KafkaEnv::testenv(const std::string& args) {
  return run_testenv("kafka", args);
}

void KafkaEnv::create_topic(const std::string& topic, const std::string& assignment,
                            const std::vector<std::string>& configs) const {
  std::vector<std::string> args{"topics", "--bootstrap-server",   bootstrap(), "--create", "--topic",
                                topic,    "--replica-assignment", assignment};
  for (const auto& c : configs) {
    args.push_back("--config");
    args.push_back(c);
  }
  auto r = tool(args);
  if (r.exit_code != 0) throw std::runtime_error("creating topic " + topic + " failed: " + r.err + r.out);
}

void KafkaEnv::delete_topic(const std::string& topic) const {
  tool({"topics", "--bootstrap-server", bootstrap(), "--delete", "--topic", topic});
}

void KafkaEnv::produce(const std::string& topic, int n) const {
  auto r = tool({"verifiable-producer", "--bootstrap-server", bootstrap(), "--topic", topic, "--max-messages",
                 std::to_string(n), "--acks", "-1"});
  if (r.exit_code != 0) throw std::runtime_error("producing to " + topic + " failed: " + r.err);
}

std::vector<TopicPartitionState> KafkaEnv::describe(const std::string& topic) const {
  auto r = tool({"topics", "--bootstrap-server", bootstrap(), "--describe", "--topic", topic});
  if (r.exit_code != 0) throw std::runtime_error("describing " + topic + " failed: " + r.err);
  std::vector<TopicPartitionState> out;
  std::istringstream in(r.out);
  std::string line;
  auto ints = [](const std::string& s) {
    std::vector<int> v;
    for (auto& p : util::split(s, ',')) {
      if (!p.empty()) v.push_back(std::stoi(p));
    }
    return v;
  };
  while (std::getline(in, line)) {
    auto pos = line.find("Partition: ");
    if (pos == std::string::npos) continue;
    TopicPartitionState s;
    std::istringstream f(line.substr(pos));
    std::string key, val;
    while (f >> key >> val) {
      if (key == "Partition:")
        s.partition = std::stoi(val);
      else if (key == "Leader:")
        s.leader = val == "none" ? -1 : std::stoi(val);
      else if (key == "Replicas:")
        s.replicas = ints(val);
      else if (key == "Isr:")
        s.isr = ints(val);
    }
    out.push_back(s);
  }
  return out;
}

std::string KafkaEnv::configs(const std::string& entity_type, const std::string& name) const {
  auto r = tool({"configs", "--bootstrap-server", bootstrap(), "--describe", "--entity-type", entity_type,
                 "--entity-name", name});
  if (r.exit_code != 0) throw std::runtime_error("describing configs of " + name + " failed: " + r.err);
  return r.out;
}

void KafkaEnv::wait_broker(int id, bool alive, int timeout_s) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = tool({"broker-api-versions", "--bootstrap-server", bootstrap()});
    bool present = r.out.find("(id: " + std::to_string(id) + " rack") != std::string::npos;
    if (r.exit_code == 0 && present == alive) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  throw std::runtime_error("broker " + std::to_string(id) + " did not become " + (alive ? "alive" : "dead"));
}

std::map<std::string, std::string> KafkaEnv::plugin_env(const std::map<std::string, std::string>& settings) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"}, {"HOME", std::getenv("HOME")}};
  for (const auto& [k, v] : settings)
    env["PLUGIN_" + util::to_upper(k)] = v;
  return env;
}

std::vector<std::string> KafkaEnv::plugin_argv() {
  return {bin_dir() + "/kafka-rebalance"};
}

}  // namespace sg::testing
