#include "topic_filter.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/exit_codes.hpp"

namespace sg::kafka_rebalance {
namespace {

TEST(TopicFilter, IncludeSearchesAnywhereAndExcludeWins) {
  auto f = TopicFilter::make("orders", "^__");
  EXPECT_TRUE(f.matches("eu.orders.v1"));
  EXPECT_FALSE(f.matches("payments"));
  EXPECT_FALSE(f.matches("__orders_offsets"));
  auto all = TopicFilter::make(std::nullopt, std::nullopt);
  EXPECT_TRUE(all.matches("anything"));
  EXPECT_FALSE(all.include);
  auto anchored = TopicFilter::make("^orders\\..*", std::nullopt);
  EXPECT_TRUE(anchored.matches("orders.eu"));
  EXPECT_FALSE(anchored.matches("old.orders.eu"));
}

TEST(TopicFilter, NestedQuantifiersOnALongNameRunInLinearTime) {
  // A backtracking engine explores 2^n ways to split the a's before failing
  // on the final character; RE2 reads the name once.
  auto f = TopicFilter::make("^(a+)+$", std::nullopt);
  std::string hostile(100'000, 'a');
  hostile += '!';
  auto start = std::chrono::steady_clock::now();
  int matched = 0;
  for (int i = 0; i < 100; ++i)
    matched += f.matches(hostile) ? 1 : 0;
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(matched, 0);
  EXPECT_TRUE(f.matches(std::string(100'000, 'a')));
  // 10 MB of input in total: about 0.1 s in a debug build on a busy machine.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), 2000);
}

TEST(TopicFilter, InvalidPatternsAreSettingsErrorsNamingTheSetting) {
  EXPECT_TRUE(topic_pattern_error("(unclosed"));
  EXPECT_TRUE(topic_pattern_error("(a)\\1"));     // backreferences need backtracking
  EXPECT_TRUE(topic_pattern_error("(?=ahead)"));  // so does look-ahead
  EXPECT_FALSE(topic_pattern_error("^orders\\..*"));
  try {
    TopicFilter::make(std::nullopt, "[z-a]");
    FAIL() << "an invalid exclude pattern compiled";
  } catch (const SettingsError& e) {
    EXPECT_EQ(e.exit_code(), exit_code::kInvalidSettings);
    EXPECT_NE(std::string(e.what()).find("topics_exclude"), std::string::npos) << e.what();
  }
}

TEST(TopicFilter, InvalidUtf8InANameIsMatchedBytewiseWithoutFailing) {
  auto f = TopicFilter::make("^t", std::nullopt);
  EXPECT_TRUE(f.matches(std::string("t\xff\xfe", 3)));
  EXPECT_FALSE(f.matches(std::string("\xff", 1)));
}

}  // namespace
}  // namespace sg::kafka_rebalance
