#pragma once
// When each broker was first seen dead, persisted so a monitor restart does
// not reset the grace period (Cruise Control keeps the same record). The
// update logic is pure; load/save touch one small JSON file.
#include <chrono>
#include <cstddef>
#include <map>
#include <set>
#include <string>

#include "topology.hpp"

namespace sg::kafka_rebalance {

class FailureClock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Records new failures, forgets brokers that came back, and returns the
  // brokers dead for at least `grace`.
  std::set<BrokerId> observe(const std::set<BrokerId>& dead_now, TimePoint now, std::chrono::milliseconds grace);
  const std::map<BrokerId, TimePoint>& first_seen() const { return first_seen_; }

  std::string to_json() const;
  static FailureClock from_json(const std::string& text);
  // Missing file: an empty clock. Unreadable or corrupt: sg::Error.
  // A missing file is an empty clock; one larger than max_bytes is an error
  // (the state file is a setting, and may name a device).
  static FailureClock load(const std::string& path, std::size_t max_bytes = std::size_t{64} << 20);
  void save(const std::string& path) const;  // atomic replace

 private:
  std::map<BrokerId, TimePoint> first_seen_;
};

}  // namespace sg::kafka_rebalance
