#include "util/json.hpp"

#include <gtest/gtest.h>

namespace sg::util {
namespace {

std::string error_of(std::string_view text, const JsonLimits& limits = {}, bool dups = false) {
  try {
    parse_json(text, limits, dups);
  } catch (const JsonError& e) {
    return e.what();
  }
  return {};
}

TEST(Json, DeepNestingFailsCleanlyWithoutRecursion) {
  std::string deep(40'000, '[');
  auto err = error_of(deep);
  EXPECT_NE(err.find("nests deeper than 64"), std::string::npos) << err;
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_NO_THROW(parse_json(ok));
  std::string one_more = std::string(65, '[') + std::string(65, ']');
  EXPECT_FALSE(error_of(one_more).empty());
}

TEST(Json, SizeLimitHoldsBeforeParsing) {
  auto err = error_of(R"({"a":"0123456789"})", {.max_depth = 8, .max_bytes = 10});
  EXPECT_NE(err.find("over the limit of 10 bytes"), std::string::npos) << err;
}

TEST(Json, ErrorsNeverQuoteTheInput) {
  auto err = error_of(R"({"token":"hunter2-secret-value)");
  EXPECT_NE(err.find("invalid JSON at byte"), std::string::npos) << err;
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
  auto bad_utf8 = error_of("{\"k\":\"abc\xff\"}");
  EXPECT_NE(bad_utf8.find("invalid JSON"), std::string::npos) << bad_utf8;
}

// Found by fuzzing: nlohmann refuses 1e400 with out_of_range, which escaped
// every caller that catches JsonError.
TEST(Json, NumbersBeyondADoubleAreJsonErrors) {
  EXPECT_NE(error_of("1e400").find("too large"), std::string::npos);
  EXPECT_NE(error_of(R"({"code": 555E3333333333})").find("too large"), std::string::npos);
  EXPECT_EQ(error_of("1e300"), "");
}

TEST(Json, DuplicateKeysOnlyWhenAsked) {
  EXPECT_NO_THROW(parse_json(R"({"a":1,"a":2})"));
  auto err = error_of(R"({"x":{"k":1,"k":2}})", {}, true);
  EXPECT_NE(err.find("\"k\" appears twice"), std::string::npos) << err;
  // The same key in sibling objects is fine.
  EXPECT_TRUE(error_of(R"([{"k":1},{"k":2}])", {}, true).empty());
}

TEST(Json, FieldNamesThePathAndTheTypes) {
  auto doc = parse_json(R"({"brokers":[{"id":"one"}],"n":5000000000,"neg":-1,"name":"x"})");
  try {
    (void)field<int>(doc["brokers"][0], "id", "topology.brokers[0]");
    FAIL() << "no error";
  } catch (const JsonError& e) {
    EXPECT_STREQ(e.what(), "topology.brokers[0].id: expected an integer, got a string");
  }
  try {
    (void)field<std::int32_t>(doc, "n", "topology");
    FAIL() << "no error";
  } catch (const JsonError& e) {
    EXPECT_NE(std::string(e.what()).find("topology.n: 5000000000 is out of range"), std::string::npos) << e.what();
  }
  EXPECT_EQ(field<std::int64_t>(doc, "n", "t"), 5'000'000'000);
  EXPECT_THROW((void)field<std::uint32_t>(doc, "neg", "t"), JsonError);
  EXPECT_THROW((void)field<std::string>(doc, "missing", "t"), JsonError);
  EXPECT_EQ(optional_field<std::string>(doc, "missing", "t"), std::nullopt);
  EXPECT_EQ(optional_field<std::string>(doc, "name", "t"), "x");
  EXPECT_THROW((void)field<int>(doc["brokers"], "id", "t.brokers"), JsonError);  // not an object
  EXPECT_EQ(as<int>(nlohmann::json(7), "x[0]"), 7);
}

}  // namespace
}  // namespace sg::util
