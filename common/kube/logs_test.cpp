#include "kube/logs.hpp"

#include <gtest/gtest.h>

namespace sg::kube {
namespace {

std::vector<std::string> deliver(LogResume& r, const std::vector<std::string>& stream) {
  std::vector<std::string> out;
  r.new_stream();
  for (const auto& raw : stream) {
    auto l = split_log_line(raw);
    if (l && r.accept(*l)) out.emplace_back(l->text);
  }
  return out;
}

}  // namespace

TEST(Logs, SplitsTimestampedLines) {
  auto l = split_log_line("2026-11-21T10:00:00.123456789Z + mvn -q test");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->text, "+ mvn -q test");
  EXPECT_EQ(l->timestamp, "2026-11-21T10:00:00.123456789Z");
  EXPECT_EQ(split_log_line("2026-11-21T10:00:00Z ")->text, "");
  EXPECT_FALSE(split_log_line("no timestamp here"));
}

// A stream drops after three lines; the resumed stream (sinceTime = last
// timestamp, truncated by the server to the second) repeats some of them.
TEST(Logs, ResumeNeitherLosesNorDuplicates) {
  LogResume r;
  auto first = deliver(r, {"2026-11-21T10:00:00.100Z a", "2026-11-21T10:00:00.2Z b", "2026-11-21T10:00:00.2Z c"});
  EXPECT_EQ(first, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.since_time(), "2026-11-21T10:00:00.2Z");
  auto second = deliver(r, {"2026-11-21T10:00:00.1Z a", "2026-11-21T10:00:00.200000000Z b", "2026-11-21T10:00:00.2Z c",
                            "2026-11-21T10:00:00.2Z d", "2026-11-21T10:00:01Z e"});
  EXPECT_EQ(second, (std::vector<std::string>{"d", "e"}));
  auto third = deliver(r, {"2026-11-21T10:00:01Z e", "2026-11-21T10:00:02Z f"});
  EXPECT_EQ(third, (std::vector<std::string>{"f"}));
}

TEST(Logs, IdenticalLinesAtTheSameInstantAreKept) {
  LogResume r;
  auto got = deliver(r, {"2026-11-21T10:00:00Z x", "2026-11-21T10:00:00Z x", "2026-11-21T10:00:00Z x"});
  EXPECT_EQ(got.size(), 3u);
}

}  // namespace sg::kube
