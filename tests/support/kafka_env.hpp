#pragma once
// The real Kafka cluster from `scripts/testenv kafka up`, Kafka's own CLI
// tools as oracles, and the kafka-rebalance binary, for integration tests.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sg::testing {

struct TopicPartitionState {
  int partition = 0;
  int leader = -1;
  std::vector<int> replicas;
  std::vector<int> isr;
};

class KafkaEnv {
 public:
  static const KafkaEnv& get();
  const std::string& value(const std::string& key) const;
  std::string bootstrap() const { return value("SPOTGUIDE_KAFKA_BOOTSTRAP"); }

  // scripts/testenv kafka tool <args...>
  static util::ProcessResult tool(const std::vector<std::string>& args, int timeout_s = 120);
  static int testenv(const std::string& args);

  // Creates a topic with an explicit assignment ("1:2:3,2:3:4") and configs.
  void create_topic(const std::string& topic, const std::string& assignment,
                    const std::vector<std::string>& configs = {}) const;
  void delete_topic(const std::string& topic) const;
  // Produces `n` small messages with acks=all (VerifiableProducer).
  void produce(const std::string& topic, int n) const;
  // Partitions of a topic as TopicCommand --describe reports them.
  std::vector<TopicPartitionState> describe(const std::string& topic) const;
  // Dynamic config lines of a broker or topic (ConfigCommand --describe).
  std::string configs(const std::string& entity_type, const std::string& name) const;
  // Waits until broker `id` is (or is not) part of the cluster metadata.
  void wait_broker(int id, bool alive, int timeout_s = 60) const;

  // Runs build/bin/kafka-rebalance with PLUGIN_<KEY> for each setting.
  static std::map<std::string, std::string> plugin_env(const std::map<std::string, std::string>& settings);
  static std::vector<std::string> plugin_argv();

 private:
  std::map<std::string, std::string> values_;
};

std::string unique_name(const std::string& prefix);

}  // namespace sg::testing
