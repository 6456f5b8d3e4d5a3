#include "http/retry.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "util/strings.hpp"

namespace sg::http {

bool idempotent_method(const std::string& method) {
  auto m = util::to_upper(method);
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now) {
  auto v = util::trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (v.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stol(v));
  }
  std::tm tm{};
  std::istringstream in(v);
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail()) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
  return std::max(delta, std::chrono::milliseconds(0));
}

std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy, const Attempt& attempt,
                                                     std::mt19937_64& rng) {
  if (attempt.number >= policy.max_attempts) return std::nullopt;
  bool retryable_status =
      attempt.status == 429 || (attempt.status >= 500 && attempt.status <= 599 && attempt.status != 501);
  if (!attempt.transport_error && !retryable_status) return std::nullopt;
  // A non-idempotent request may have been applied before the failure was
  // seen; repeating it could create things twice.
  if (!attempt.idempotent) return std::nullopt;

  if ((attempt.status == 429 || attempt.status == 503) && !attempt.retry_after.empty()) {
    if (auto ra = parse_retry_after(attempt.retry_after, std::chrono::system_clock::now())) {
      if (*ra > policy.max_retry_after) return std::nullopt;
      return *ra;
    }
  }
  double base = static_cast<double>(policy.initial_backoff.count()) * std::pow(policy.multiplier, attempt.number - 1);
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  std::uniform_real_distribution<double> dist(1.0 - policy.jitter, 1.0 + policy.jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(base * dist(rng)));
}

std::optional<AttemptBudget> attempt_budget(std::chrono::milliseconds request_timeout,
                                            std::chrono::milliseconds connect_timeout,
                                            std::optional<std::chrono::steady_clock::time_point> deadline,
                                            std::chrono::steady_clock::time_point now) {
  AttemptBudget b{request_timeout, connect_timeout};
  if (!deadline) return b;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now);
  if (left.count() <= 0) return std::nullopt;
  // For curl a timeout of 0 means "none", the opposite of what is left.
  b.cut_by_deadline = b.total.count() == 0 || left <= b.total;
  b.total = b.cut_by_deadline ? left : b.total;
  b.connect = b.connect.count() == 0 ? left : std::min(b.connect, left);
  return b;
}

bool retry_fits(std::chrono::milliseconds delay, std::optional<std::chrono::steady_clock::time_point> deadline,
                std::chrono::steady_clock::time_point now) {
  // A retry that would start with almost nothing left only turns a clear
  // failure into a vaguer timeout.
  constexpr std::chrono::milliseconds min_useful{50};
  return !deadline || now + delay + min_useful < *deadline;
}

}  // namespace sg::http
