// kafka-rebalance's state_file, the failure clock (when each broker was
// first seen dead): sg::Error is how a corrupt file is refused. A clock that
// loads, saved as JSON, loads as the same clock, and observing with it
// neither throws nor reports a broker that is not dead.
#include <chrono>

#include "failure_clock.hpp"
#include "fuzz_input.hpp"
#include "runtime/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace kr = sg::kafka_rebalance;
  sg::fuzz::Input in(data, size);
  auto grace_s = in.choice();
  kr::FailureClock clock;
  try {
    clock = kr::FailureClock::from_json(in.rest_string());
  } catch (const sg::Error&) {
    return 0;
  }
  if (kr::FailureClock::from_json(clock.to_json()).first_seen() != clock.first_seen()) __builtin_trap();
  std::set<kr::BrokerId> dead;
  bool odd = false;
  for (const auto& entry : clock.first_seen()) {
    if ((odd = !odd)) dead.insert(entry.first);
  }
  dead.insert(grace_s);
  auto now = kr::FailureClock::TimePoint(std::chrono::milliseconds(std::int64_t{1} << 42));
  for (auto b : clock.observe(dead, now, std::chrono::seconds(grace_s))) {
    if (!dead.count(b)) __builtin_trap();
  }
  return 0;
}
