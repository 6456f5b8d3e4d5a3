#pragma once
// The I/O half of execution: submits moves in bounded batches, throttles
// them on live brokers, polls until they finish, re-plans a partition whose
// destination broker dies mid-move, removes the throttles, and finishes with
// a preferred leader election. Re-running it continues where it stopped:
// finished moves are recognised, moves in flight are waited for, not resent.
#include <chrono>
#include <string>
#include <vector>

#include "execution.hpp"
#include "runtime/cancel.hpp"
#include "wire/admin.hpp"

namespace sg::kafka_rebalance {

struct ExecutionOptions {
  BatchLimits limits;
  std::int64_t throttle = 0;  // bytes/s; 0: none
  bool wait = true;
  std::chrono::milliseconds timeout{3'600'000};
  bool elect_leaders = true;
  std::chrono::milliseconds poll{1000};
};

struct ExecutionResult {
  int submitted = 0;
  int completed = 0;
  int already_done = 0;
  int resumed = 0;    // found in flight from an earlier run
  int replanned = 0;  // destination died mid-move
  std::vector<std::string> failures;
  std::vector<std::string> still_in_flight;  // when not waiting or on timeout
  bool timed_out = false;
};

ExecutionResult execute(kafka::AdminClient& admin, const std::vector<PendingMove>& moves,
                        const ExecutionOptions& options, const CancelToken& cancel);

// Removes replication throttles: broker rates on every live broker, and the
// throttled-replica lists of `topics` (all topics when empty).
void clear_throttles(kafka::AdminClient& admin, const std::vector<std::string>& topics);

}  // namespace sg::kafka_rebalance
