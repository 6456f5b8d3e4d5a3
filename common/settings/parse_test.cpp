#include "settings/parse.hpp"

#include <gtest/gtest.h>

namespace sg::settings {
using namespace std::chrono_literals;

TEST(ParseBool, AcceptsEveryHostSpelling) {
  for (auto t : {"true", "TRUE", "1", "yes", "on", " On "})
    EXPECT_TRUE(parse_bool(t)) << t;
  for (auto f : {"false", "False", "0", "no", "off"})
    EXPECT_FALSE(parse_bool(f)) << f;
  for (auto bad : {"", "2", "y", "enabled"})
    EXPECT_THROW(parse_bool(bad), ParseFailure) << bad;
}

TEST(ParseInt, StrictWithRange) {
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int(" -7 "), -7);
  EXPECT_EQ(parse_int("+3"), 3);
  for (auto bad : {"", "4x", "1.5", "99999999999999999999"})
    EXPECT_THROW(parse_int(bad), ParseFailure) << bad;
}

TEST(ParseDuration, Table) {
  const std::pair<const char*, std::chrono::milliseconds> cases[] = {
      {"30s", 30s},     {"5m", 5min},    {"1h", 1h}, {"45", 45s}, {"1h30m", 90min},
      {"500ms", 500ms}, {"1.5h", 90min}, {"0", 0s},  {"2d", 48h}};
  for (const auto& [text, want] : cases)
    EXPECT_EQ(parse_duration(text), want) << text;
  for (auto bad : {"", "abc", "5x", "-5s", "s", "1..5s", "99999999999999999h"})
    EXPECT_THROW(parse_duration(bad), ParseFailure) << bad;
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
}

// Found by fuzzing: "." is a run of digits and dots to the scanner, and stod
// threw for it.
TEST(ParseDuration, LoneDotsAreRefused) {
  EXPECT_THROW(parse_duration(".s"), ParseFailure);
  EXPECT_THROW(parse_duration("&.&&"), ParseFailure);
  EXPECT_EQ(parse_duration(".5s"), std::chrono::milliseconds(500));
}

TEST(ParseList, CommaStringsWithEscapes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(parse_list("a,b,c"), (V{"a", "b", "c"}));
  EXPECT_EQ(parse_list("type=registry\\,ref=x,b"), (V{"type=registry,ref=x", "b"}));
  EXPECT_EQ(parse_list(" a , b "), (V{"a", "b"}));
  EXPECT_EQ(parse_list(""), V{});
  EXPECT_EQ(parse_list("a,,b"), (V{"a", "b"}));
  EXPECT_EQ(parse_list("C:\\path\\x"), (V{"C:\\path\\x"}));  // other backslashes are kept
}

TEST(ParseList, JsonArraysKeepCommas) {
  using V = std::vector<std::string>;
  EXPECT_EQ(parse_list(R"(["echo a,b", "mvn -q test"])"), (V{"echo a,b", "mvn -q test"}));
  EXPECT_EQ(parse_list("[1, true]"), (V{"1", "true"}));
  EXPECT_EQ(parse_list("[]"), V{});
  EXPECT_EQ(parse_list("[abc"), (V{"[abc"}));  // not JSON: a comma string starting with '['
  EXPECT_THROW(parse_list(R"([{"a":1}])"), ParseFailure);
}

TEST(ParseMap, JsonAndPairs) {
  EXPECT_EQ(parse_map(R"({"a":"1","b":{"c":true}})")["b"]["c"], true);
  auto pairs = parse_map("a=1,b=x=y,c=p\\,q");
  EXPECT_EQ(pairs["a"], "1");
  EXPECT_EQ(pairs["b"], "x=y");
  EXPECT_EQ(pairs["c"], "p,q");
  EXPECT_TRUE(parse_map("").empty());
}

TEST(ParseMap, MalformedInputGivesClearErrors) {
  EXPECT_THROW(parse_map("{\"a\": "), ParseFailure);
  EXPECT_THROW(parse_map("[1,2]"), ParseFailure);
  EXPECT_THROW(parse_map("novalue"), ParseFailure);
  try {
    parse_map(R"({"a":1,"a":2})");
    FAIL();
  } catch (const ParseFailure& e) {
    EXPECT_NE(std::string(e.what()).find("\"a\" appears twice"), std::string::npos);
  }
  EXPECT_THROW(parse_map("a=1,a=2"), ParseFailure);
  EXPECT_THROW(parse_map(R"({"x":{"k":1,"k":2}})"), ParseFailure);  // nested duplicates too
}

// Found by fuzz_settings_values: a pair's value became a JSON string that
// could not be dumped.
TEST(ParseMap, InvalidUtf8IsAParseFailure) {
  EXPECT_THROW(parse_map("%\x80=x"), ParseFailure);
  EXPECT_THROW(parse_map("k=\xff"), ParseFailure);
  EXPECT_THROW(parse_list("a,\xc3"), ParseFailure);
  EXPECT_EQ(parse_map("k=\xc3\xa9")["k"], "\xc3\xa9");
}

}  // namespace sg::settings
