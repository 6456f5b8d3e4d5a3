#include "poller.hpp"

#include <gtest/gtest.h>

namespace sg::pipeline_client {
namespace {

using std::chrono::milliseconds;

// A fake clock: sleeping advances it, and each check takes `check_cost`.
struct FakeTime {
  Clock::time_point now{};
  milliseconds check_cost{0};
  std::vector<milliseconds> sleeps;
  PollHooks hooks() {
    PollHooks h;
    h.now = [this] { return now; };
    h.sleep = [this](milliseconds d) {
      sleeps.push_back(d);
      now += d;
    };
    return h;
  }
};

}  // namespace

TEST(Backoff, GrowsByHalfUpToTheCap) {
  Backoff b(milliseconds(100), milliseconds(400));
  std::vector<std::int64_t> got;
  for (int i = 0; i < 6; ++i)
    got.push_back(b.next().count());
  EXPECT_EQ(got, (std::vector<std::int64_t>{100, 150, 225, 337, 400, 400}));
  Backoff odd(milliseconds(500), milliseconds(100));  // a cap below the start is the start
  EXPECT_EQ(odd.next().count(), 500);
  EXPECT_EQ(odd.next().count(), 500);
}

TEST(Poll, StopsWhenTheCheckSucceeds) {
  FakeTime t;
  int calls = 0;
  bool ok = poll_until([&] { return ++calls == 3; }, t.now + std::chrono::hours(1),
                       Backoff(milliseconds(10), milliseconds(1000)), t.hooks());
  EXPECT_TRUE(ok);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(t.sleeps, (std::vector<milliseconds>{milliseconds(10), milliseconds(15)}));
}

TEST(Poll, ChecksOnceEvenPastTheDeadlineAndNeverSleepsPastIt) {
  FakeTime t;
  int calls = 0;
  EXPECT_FALSE(
      poll_until([&] { return ++calls, false; }, t.now, Backoff(milliseconds(10), milliseconds(10)), t.hooks()));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(t.sleeps.empty());

  calls = 0;
  auto start = t.now;
  EXPECT_FALSE(poll_until([&] { return ++calls, false; }, start + milliseconds(100),
                          Backoff(milliseconds(40), milliseconds(40)), t.hooks()));
  EXPECT_EQ(calls, 4);  // at 0, 40, 80 and 100 ms
  EXPECT_EQ(t.now - start, milliseconds(100));
}

TEST(Poll, ChecksNeverOverlap) {
  // Slow checks (each takes longer than the pause) still run one after the
  // other: the next starts only after the previous returned.
  FakeTime t;
  int in_flight = 0, max_in_flight = 0, calls = 0;
  auto hooks = t.hooks();
  poll_until(
      [&] {
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        t.now += milliseconds(500);
        --in_flight;
        return ++calls == 5;
      },
      t.now + std::chrono::hours(1), Backoff(milliseconds(10), milliseconds(10)), hooks);
  EXPECT_EQ(max_in_flight, 1);
  EXPECT_EQ(calls, 5);
}

}  // namespace sg::pipeline_client
