// tidb-scale's state_file (offline planning): parsed, and what parses is
// planned the way the plugin plans it, under options taken from the first
// bytes. SettingsError is how a bad file is refused; the planner refuses by
// a Refusal in its plan, never by throwing. A parsed state written back as
// JSON parses to the same state.
#include "fuzz_input.hpp"
#include "planner.hpp"
#include "runtime/error.hpp"
#include "state.hpp"

namespace {

using sg::tidb_scale::Goal;

std::optional<int> replicas(std::uint8_t b) {
  // 0: not asked for; otherwise a count from 0 to 14, so scale-ins, no-ops
  // and scale-outs are all reached.
  if (b % 16 == 0) return std::nullopt;
  return b % 16 - 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  auto pd = in.choice();
  auto tikv = in.choice();
  auto tidb = in.choice();
  sg::tidb_scale::ClusterState state;
  try {
    state = sg::tidb_scale::parse_state(in.rest());
  } catch (const sg::SettingsError&) {
    return 0;
  }
  auto written = sg::tidb_scale::to_json(state);
  if (sg::tidb_scale::to_json(sg::tidb_scale::parse_state(written.dump())) != written) __builtin_trap();

  sg::tidb_scale::PlanOptions o;
  o.goal = static_cast<Goal>(mode % 4);
  o.backend = (mode & 0x04) ? sg::tidb_scale::Backend::Pd : sg::tidb_scale::Backend::Operator;
  o.pd_replicas = replicas(pd);
  o.tikv_replicas = replicas(tikv);
  o.tidb_replicas = replicas(tidb);
  o.allow_even_pd = (mode & 0x08) != 0;
  o.force = (mode & 0x10) != 0;
  o.max_failover = (mode >> 5) % 4;
  for (const auto& s : state.stores) {
    if (s.id % 2 == 1) o.confirmed_gone.insert(s.id);
  }
  auto plan = sg::tidb_scale::make_plan(state, o);
  (void)plan.to_json().dump();
  (void)sg::tidb_scale::check_cluster(state);
  for (const auto& s : state.stores)
    (void)sg::tidb_scale::check_store_removal(state, s.id, (mode & 0x80) != 0);
  return 0;
}
