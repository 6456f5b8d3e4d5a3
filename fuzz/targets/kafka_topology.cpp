// kafka-rebalance's topology_file (offline planning): parsed, and what
// parses is planned for the goal the first byte picks, as the plugin plans
// it. SettingsError is how a bad file is refused; the planner reports what
// it cannot do as skipped partitions and notes, and throws sg::Error only
// for options that do not fit the topology (add-brokers without a live new
// broker, remove-brokers without any). The plan's reassignment JSON must
// read back as the same assignments.
#include "fuzz_input.hpp"
#include "planner.hpp"
#include "runtime/error.hpp"
#include "topology.hpp"

namespace {

namespace kr = sg::kafka_rebalance;

bool same(const std::vector<kr::Assignment>& a, const std::vector<kr::Assignment>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].topic != b[i].topic || a[i].partition != b[i].partition || a[i].replicas != b[i].replicas) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  auto ids = in.choice();
  kr::Topology t;
  try {
    t = kr::parse_topology(in.rest());
  } catch (const sg::SettingsError&) {
    return 0;
  }
  kr::PlanOptions o;
  o.goal = static_cast<kr::Goal>(mode % 4);
  if (mode & 0x04) o.rack_aware = (mode & 0x08) != 0;
  // Brokers to add or remove: some of the file's, and one it may not know.
  for (std::size_t i = 0; i < t.brokers.size(); ++i) {
    if ((ids >> (i % 8)) & 1) o.broker_ids.insert(t.brokers[i].id);
  }
  if (mode & 0x10) o.broker_ids.insert(static_cast<kr::BrokerId>(ids));
  if (mode & 0x20) {
    o.dead.emplace();
    for (std::size_t i = 0; i < t.brokers.size(); i += 2)
      o.dead->insert(t.brokers[i].id);
  }
  kr::Plan plan;
  try {
    plan = kr::make_plan(t, o);
  } catch (const sg::Error&) {
    return 0;
  }
  auto assignments = plan.assignments(t);
  (void)plan.rollback(t);
  (void)plan.replica_spread_after(o.broker_ids);
  if (!assignments.empty()) {
    auto back = kr::parse_reassignment_json(kr::to_reassignment_json(assignments));
    if (!same(back, assignments)) __builtin_trap();
  }
  return 0;
}
