#pragma once
// The I/O half of observation: turns a live cluster into the Topology the
// planner understands, and plugin settings into an AdminClient.
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "settings/values.hpp"
#include "topology.hpp"
#include "wire/admin.hpp"

namespace sg::kafka_rebalance {

std::unique_ptr<kafka::AdminClient> connect(const settings::Values& v, const CancelToken& cancel);

struct TopicFilter {
  std::optional<std::regex> include;
  std::optional<std::regex> exclude;
  bool matches(const std::string& topic) const;
  static TopicFilter from(const settings::Values& v);
};

struct Observation {
  Topology topology;
  std::set<BrokerId> dead;  // referenced or expected, but not live in metadata
  std::vector<kafka::OngoingReassignment> in_flight;
  bool sizes_known = false;
};

// Reads metadata (and, when `with_sizes`, the log-dir sizes from every live
// broker) into a Topology. Dead brokers appear in it with alive=false.
Observation observe(kafka::AdminClient& admin, const TopicFilter& filter, const std::set<BrokerId>& expected,
                    bool with_sizes);

std::set<BrokerId> parse_broker_ids(const std::vector<std::string>& items);

}  // namespace sg::kafka_rebalance
