#include "execution.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "failure_clock.hpp"
#include "runtime/error.hpp"

namespace sg::kafka_rebalance {

TEST(Batching, RespectsPerBrokerAndClusterLimits) {
  std::vector<PendingMove> pending = {
      {"t", 0, {1, 2}, {1, 3}},  // busy: 2, 3
      {"t", 1, {1, 2}, {1, 3}},  // busy: 2, 3
      {"t", 2, {4, 5}, {4, 6}},  // busy: 5, 6
      {"t", 3, {1, 2}, {2, 1}},  // reorder only
      {"t", 4, {7, 8}, {7, 9}},
  };
  auto batch = next_batch(pending, {}, {.max_per_broker = 1, .max_total = 2});
  EXPECT_EQ(batch, (std::vector<std::size_t>{0, 2, 3}));
  std::vector<PendingMove> flying = {pending[0]};
  auto more = next_batch(pending, flying, {.max_per_broker = 1, .max_total = 10});
  EXPECT_EQ(more, (std::vector<std::size_t>{2, 3, 4}));
}

TEST(Batching, OneMoveAlwaysProgresses) {
  std::vector<PendingMove> pending = {{"t", 0, {1, 2, 3}, {4, 5, 6}}};  // six busy brokers
  EXPECT_EQ(next_batch(pending, {}, {.max_per_broker = 0, .max_total = 1}), (std::vector<std::size_t>{0}));
}

TEST(Throttles, LeaderOnSourcesFollowerOnDestinationsRatesOnLiveBrokers) {
  std::vector<PendingMove> moves = {{"a", 0, {1, 2, 3}, {1, 2, 4}}, {"a", 5, {3, 1}, {1, 4}}, {"b", 1, {2, 1}, {1, 2}}};
  auto t = throttles_for(moves, {1, 2, 4});
  ASSERT_EQ(t.topics.size(), 1u);  // b-1 is a reorder: no throttle
  EXPECT_EQ(join_throttle_list(t.topics["a"].leader), "0:1,0:2,0:3,5:1,5:3");
  EXPECT_EQ(join_throttle_list(t.topics["a"].follower), "0:4,5:4");
  EXPECT_EQ(t.brokers, (std::set<BrokerId>{1, 2, 4}));  // 3 is dead
}

TEST(Outage, RefusesMassFailures) {
  EXPECT_FALSE(judge_outage(1, 6, 2, 40).refuse);
  auto many = judge_outage(3, 6, 2, 60);
  EXPECT_TRUE(many.refuse);
  EXPECT_NE(many.reason.find("max_dead_brokers (2)"), std::string::npos);
  auto share = judge_outage(2, 4, 5, 40);
  EXPECT_TRUE(share.refuse);
  EXPECT_NE(share.reason.find("50%"), std::string::npos);
}

TEST(FailureClock, GraceSurvivesARestartAndRecoveryResetsIt) {
  using namespace std::chrono_literals;
  FailureClock::TimePoint t0{std::chrono::seconds(1'800'000'000)};
  FailureClock c;
  EXPECT_TRUE(c.observe({3}, t0, 5min).empty());
  auto path =
      (std::filesystem::temp_directory_path() / ("sg-clock-" + std::to_string(::getpid())) / "state.json").string();
  c.save(path);
  auto restored = FailureClock::load(path);  // a new monitor process
  EXPECT_TRUE(restored.observe({3}, t0 + 4min, 5min).empty());
  EXPECT_EQ(restored.observe({3, 4}, t0 + 5min, 5min), (std::set<BrokerId>{3}));
  // Broker 3 came back: its clock is forgotten, so a new failure starts over.
  EXPECT_TRUE(restored.observe({4}, t0 + 6min, 5min).empty());
  EXPECT_TRUE(restored.observe({3, 4}, t0 + 7min, 5min).empty());
  EXPECT_EQ(restored.observe({3, 4}, t0 + 10min, 5min), (std::set<BrokerId>{4}));
  EXPECT_TRUE(FailureClock::load(path + ".missing").first_seen().empty());
  EXPECT_THROW(FailureClock::from_json("{}"), Error);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace sg::kafka_rebalance
