#pragma once
// The retry decision, kept pure so it can be table-tested: which failures are
// worth another attempt, and how long to wait before it.
#include <chrono>
#include <optional>
#include <random>
#include <string>

namespace sg::http {

struct RetryPolicy {
  int max_attempts = 4;  // total attempts, including the first
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  // A server asking for more than this in Retry-After is not waited for.
  std::chrono::milliseconds max_retry_after{60'000};
  double multiplier = 2.0;
  double jitter = 0.2;  // +/- fraction of the backoff
};

struct Attempt {
  int number = 1;                // 1-based attempt that just failed
  bool transport_error = false;  // no HTTP response (connect/reset/timeout)
  long status = 0;               // HTTP status when there was a response
  std::string retry_after;       // Retry-After header, if any
  bool idempotent = true;
};

// nullopt: do not retry. Otherwise the delay before the next attempt.
std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy, const Attempt& attempt,
                                                     std::mt19937_64& rng);

// Parses Retry-After as delta-seconds or an HTTP-date (relative to `now`).
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now);

bool idempotent_method(const std::string& method);

// How long one attempt may take. A deadline (the caller's whole time limit,
// retries included) cuts both the per-request and the connect timeout down
// to what is left of it, so a silent server cannot stretch a run to
// attempts x request timeout.
struct AttemptBudget {
  std::chrono::milliseconds total{0};  // 0: no limit (a stream without a deadline)
  std::chrono::milliseconds connect{0};
  // The deadline, not the configured timeout, set `total`: a timeout then
  // means the caller's whole time limit ran out.
  bool cut_by_deadline = false;
};

// nullopt once the deadline has passed: no attempt is started then.
std::optional<AttemptBudget> attempt_budget(std::chrono::milliseconds request_timeout,
                                            std::chrono::milliseconds connect_timeout,
                                            std::optional<std::chrono::steady_clock::time_point> deadline,
                                            std::chrono::steady_clock::time_point now);

// Whether waiting `delay` before another attempt still leaves time for it.
bool retry_fits(std::chrono::milliseconds delay, std::optional<std::chrono::steady_clock::time_point> deadline,
                std::chrono::steady_clock::time_point now);

}  // namespace sg::http
