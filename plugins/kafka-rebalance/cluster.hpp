#pragma once
// The I/O half of observation: turns a live cluster into the Topology the
// planner understands, and plugin settings into an AdminClient.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "settings/values.hpp"
#include "topic_filter.hpp"
#include "topology.hpp"
#include "wire/admin.hpp"

namespace sg::kafka_rebalance {

std::unique_ptr<kafka::AdminClient> connect(const settings::Values& v, const CancelToken& cancel);

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
