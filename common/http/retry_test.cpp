#include "http/retry.hpp"

#include <gtest/gtest.h>

namespace sg::http {
using namespace std::chrono_literals;

TEST(Retry, WhichFailuresAreRetried) {
  RetryPolicy p;
  std::mt19937_64 rng(1);
  struct Row {
    Attempt a;
    bool retried;
  };
  const Row rows[] = {
      {{.number = 1, .transport_error = true}, true},
      {{.number = 1, .status = 500}, true},
      {{.number = 1, .status = 503}, true},
      {{.number = 1, .status = 429}, true},
      {{.number = 1, .status = 501}, false},  // not implemented never heals
      {{.number = 1, .status = 404}, false},
      {{.number = 1, .status = 409}, false},
      {{.number = 1, .status = 200}, false},
      {{.number = 1, .status = 500, .idempotent = false}, false},
      {{.number = 1, .transport_error = true, .idempotent = false}, false},
      {{.number = 4, .status = 500}, false},  // attempts exhausted
  };
  for (const auto& row : rows) {
    EXPECT_EQ(retry_delay(p, row.a, rng).has_value(), row.retried)
        << "attempt " << row.a.number << " status " << row.a.status << " transport " << row.a.transport_error;
  }
}

TEST(Retry, ExponentialBackoffWithBoundedJitter) {
  RetryPolicy p{.max_attempts = 10, .initial_backoff = 100ms, .max_backoff = 1000ms, .multiplier = 2, .jitter = 0.2};
  std::mt19937_64 rng(42);
  for (int n = 1; n <= 8; ++n) {
    double base = std::min(100.0 * std::pow(2, n - 1), 1000.0);
    auto d = retry_delay(p, {.number = n, .status = 502}, rng).value();
    EXPECT_GE(static_cast<double>(d.count()), base * 0.8 - 1) << n;
    EXPECT_LE(static_cast<double>(d.count()), base * 1.2 + 1) << n;
  }
}

TEST(Retry, HonoursRetryAfter) {
  RetryPolicy p;
  std::mt19937_64 rng(1);
  EXPECT_EQ(retry_delay(p, {.number = 1, .status = 429, .retry_after = "3"}, rng), 3000ms);
  EXPECT_FALSE(retry_delay(p, {.number = 1, .status = 429, .retry_after = "3600"}, rng).has_value());
  auto now = std::chrono::system_clock::from_time_t(784111767);  // Sun, 06 Nov 1994 08:49:27 GMT
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 10000ms);
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
}

TEST(Retry, IdempotentMethods) {
  for (auto m : {"GET", "head", "PUT", "DELETE", "OPTIONS"})
    EXPECT_TRUE(idempotent_method(m)) << m;
  for (auto m : {"POST", "PATCH"})
    EXPECT_FALSE(idempotent_method(m)) << m;
}

}  // namespace sg::http

namespace sg::http {
using namespace std::chrono_literals;

TEST(AttemptBudget, WithoutADeadlineTheConfiguredTimeoutsHold) {
  auto now = std::chrono::steady_clock::now();
  auto b = attempt_budget(30s, 10s, std::nullopt, now);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->total, 30s);
  EXPECT_EQ(b->connect, 10s);
  EXPECT_FALSE(b->cut_by_deadline);
  auto stream = attempt_budget(0ms, 10s, std::nullopt, now);
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->total, 0ms);  // a watch without a deadline has no total limit
}

TEST(AttemptBudget, TheDeadlineCutsEveryTimeoutToWhatIsLeft) {
  auto now = std::chrono::steady_clock::now();
  auto b = attempt_budget(30s, 10s, now + 4s, now);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->total, 4s);
  EXPECT_EQ(b->connect, 4s);
  EXPECT_TRUE(b->cut_by_deadline);
  // A stream (0 = no timeout of its own) still ends at the deadline.
  auto stream = attempt_budget(0ms, 10s, now + 2500ms, now);
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->total, 2500ms);
  EXPECT_TRUE(stream->cut_by_deadline);
  // Shorter configured timeouts stay.
  auto shorter = attempt_budget(1s, 200ms, now + 4s, now);
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->total, 1s);
  EXPECT_EQ(shorter->connect, 200ms);
  EXPECT_FALSE(shorter->cut_by_deadline);
}

TEST(AttemptBudget, NoAttemptOnceTheDeadlinePassed) {
  auto now = std::chrono::steady_clock::now();
  EXPECT_FALSE(attempt_budget(30s, 10s, now, now));
  EXPECT_FALSE(attempt_budget(30s, 10s, now - 1s, now));
}

TEST(AttemptBudget, ARetryMustFitBeforeTheDeadline) {
  auto now = std::chrono::steady_clock::now();
  EXPECT_TRUE(retry_fits(10s, std::nullopt, now));
  EXPECT_TRUE(retry_fits(200ms, now + 5s, now));
  EXPECT_FALSE(retry_fits(5s, now + 5s, now));
  EXPECT_FALSE(retry_fits(6s, now + 5s, now));
}

}  // namespace sg::http
