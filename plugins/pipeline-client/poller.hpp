#pragma once
// Waiting for a remote resource: one check at a time, never two in flight
// (the original started each check in a new goroutine every 5 s, so slow
// replies overlapped), with a growing pause between checks, and a deadline.
#include <chrono>
#include <functional>

namespace sg::pipeline_client {

using Clock = std::chrono::steady_clock;

// The pause before the next check: `initial`, then half as long again each
// time, capped at `max`.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, double factor = 1.5);
  std::chrono::milliseconds next();

 private:
  double current_;
  double max_;
  double factor_;
};

struct PollHooks {
  std::function<Clock::time_point()> now = [] { return Clock::now(); };
  // Sleeps; throws (sg::Cancelled) when the step is cancelled meanwhile.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Runs `check` until it returns true (then returns true) or `deadline`
// passes (then returns false). `check` runs at least once; the pause never
// runs past the deadline. A check is only started after the previous one
// returned, so requests cannot overlap.
bool poll_until(const std::function<bool()>& check, Clock::time_point deadline, Backoff backoff,
                const PollHooks& hooks);

}  // namespace sg::pipeline_client
