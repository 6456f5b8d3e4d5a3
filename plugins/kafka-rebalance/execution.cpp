#include "execution.hpp"

#include <algorithm>
#include <unordered_map>

namespace sg::kafka_rebalance {

bool PendingMove::moves_data() const {
  for (auto b : after) {
    if (std::find(before.begin(), before.end(), b) == before.end()) return true;
  }
  return false;
}

std::set<BrokerId> PendingMove::busy_brokers() const {
  std::set<BrokerId> out;
  for (auto b : after) {
    if (std::find(before.begin(), before.end(), b) == before.end()) out.insert(b);
  }
  for (auto b : before) {
    if (std::find(after.begin(), after.end(), b) == after.end()) out.insert(b);
  }
  return out;
}

std::vector<std::size_t> next_batch(const std::vector<PendingMove>& pending, const std::vector<PendingMove>& in_flight,
                                    const BatchLimits& limits) {
  std::unordered_map<BrokerId, int> per_broker;
  int total = 0;
  for (const auto& m : in_flight) {
    if (!m.moves_data()) continue;
    ++total;
    for (auto b : m.busy_brokers())
      ++per_broker[b];
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const auto& m = pending[i];
    if (!m.moves_data()) {
      out.push_back(i);
      continue;
    }
    if (total >= limits.max_total) continue;
    auto busy = m.busy_brokers();
    bool fits =
        std::all_of(busy.begin(), busy.end(), [&](BrokerId b) { return per_broker[b] < limits.max_per_broker; });
    if (!fits && !(total == 0 && out.empty())) continue;
    out.push_back(i);
    ++total;
    for (auto b : busy)
      ++per_broker[b];
  }
  return out;
}

ThrottlePlan throttles_for(const std::vector<PendingMove>& moves, const std::set<BrokerId>& live) {
  ThrottlePlan plan;
  for (const auto& m : moves) {
    if (!m.moves_data()) continue;
    auto& t = plan.topics[m.topic];
    auto p = std::to_string(m.partition) + ":";
    for (auto b : m.before) {
      t.leader.insert(p + std::to_string(b));
      if (live.count(b)) plan.brokers.insert(b);
    }
    for (auto b : m.after) {
      if (std::find(m.before.begin(), m.before.end(), b) != m.before.end()) continue;
      t.follower.insert(p + std::to_string(b));
      if (live.count(b)) plan.brokers.insert(b);
    }
  }
  return plan;
}

std::string join_throttle_list(const std::set<std::string>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (!out.empty()) out += ',';
    out += e;
  }
  return out;
}

OutageVerdict judge_outage(std::size_t dead, std::size_t total, int max_dead, int max_dead_percent) {
  if (dead == 0 || total == 0) return {};
  if (static_cast<int>(dead) > max_dead) {
    return {true, std::to_string(dead) + " of " + std::to_string(total) +
                      " brokers are dead, more than max_dead_brokers (" + std::to_string(max_dead) +
                      "): this looks like an outage, not a broker to replace"};
  }
  auto percent = static_cast<int>(dead * 100 / total);
  if (percent > max_dead_percent) {
    return {true, std::to_string(dead) + " of " + std::to_string(total) + " brokers (" + std::to_string(percent) +
                      "%) are dead, more than max_dead_percent (" + std::to_string(max_dead_percent) +
                      "%): this looks like an outage, not a broker to replace"};
  }
  return {};
}

}  // namespace sg::kafka_rebalance
