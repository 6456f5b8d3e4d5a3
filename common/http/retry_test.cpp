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
