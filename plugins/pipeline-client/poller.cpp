#include "poller.hpp"

#include <algorithm>

namespace sg::pipeline_client {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, double factor)
    : current_(static_cast<double>(std::max<std::int64_t>(1, initial.count()))),
      max_(static_cast<double>(std::max(initial, max).count())),
      factor_(std::max(1.0, factor)) {}

std::chrono::milliseconds Backoff::next() {
  auto out = std::chrono::milliseconds(static_cast<std::int64_t>(current_));
  current_ = std::min(current_ * factor_, max_);
  return out;
}

bool poll_until(const std::function<bool()>& check, Clock::time_point deadline, Backoff backoff,
                const PollHooks& hooks) {
  while (true) {
    if (check()) return true;
    auto now = hooks.now();
    if (now >= deadline) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    auto pause = std::min(backoff.next(), left);
    if (pause.count() > 0) hooks.sleep(pause);
  }
}

}  // namespace sg::pipeline_client
