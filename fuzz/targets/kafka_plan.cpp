// kafka-rebalance's plan_file, Kafka's reassignment JSON: sg::Error (a
// SettingsError once the plugin names the setting) is how a bad plan is
// refused. What parses, written back, parses to the same assignments.
#include "fuzz_input.hpp"
#include "runtime/error.hpp"
#include "topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace kr = sg::kafka_rebalance;
  sg::fuzz::Input in(data, size);
  std::vector<kr::Assignment> plan;
  try {
    plan = kr::parse_reassignment_json(in.rest());
  } catch (const sg::Error&) {
    return 0;
  }
  auto back = kr::parse_reassignment_json(kr::to_reassignment_json(plan));
  if (back.size() != plan.size()) __builtin_trap();
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (back[i].topic != plan[i].topic || back[i].partition != plan[i].partition ||
        back[i].replicas != plan[i].replicas || plan[i].replicas.empty())
      __builtin_trap();
  }
  return 0;
}
