#include "json_schema.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace sg::spotguide {
namespace {

const nlohmann::json kSchema = nlohmann::json::parse(R"({
  "type": "object", "required": ["name", "n"], "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z]+$", "minLength": 1},
    "n": {"type": "integer", "minimum": 1, "maximum": 5},
    "mode": {"enum": ["a", "b"]},
    "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}},
    "limits": {"type": "object", "additionalProperties": {"type": "number"}}
  }})");

TEST(JsonSchema, AcceptsAValidDocument) {
  auto doc =
      nlohmann::json::parse(R"({"name": "x", "n": 3, "mode": "b", "tags": ["t"], "limits": {"a": 1.5, "b": 2}})");
  EXPECT_TRUE(validate(kSchema, doc).empty());
}

TEST(JsonSchema, ReportsEveryProblemWithItsPointer) {
  auto doc =
      nlohmann::json::parse(R"({"name": "X1", "n": 9, "mode": "c", "tags": [], "limits": {"a": "x"}, "extra": 1})");
  auto problems = validate(kSchema, doc);
  auto has = [&](const std::string& needle) {
    for (const auto& p : problems) {
      if (p.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/name: \"X1\" does not match")) << testing::PrintToString(problems);
  EXPECT_TRUE(has("/n: 9 is above the maximum 5"));
  EXPECT_TRUE(has("/mode: \"c\" is not one of"));
  EXPECT_TRUE(has("/tags: needs at least 1 item"));
  EXPECT_TRUE(has("/limits/a: expected number, got string"));
  EXPECT_TRUE(has("/: unknown key `extra`"));
  EXPECT_EQ(problems.size(), 6u);
}

TEST(JsonSchema, MissingRequiredAndWrongType) {
  auto problems = validate(kSchema, nlohmann::json::parse(R"({"n": "3"})"));
  ASSERT_EQ(problems.size(), 2u) << testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("`name` is required"), std::string::npos);
  EXPECT_NE(problems[1].find("/n: expected integer, got string"), std::string::npos);
}

TEST(JsonSchema, UnsupportedKeywordIsAnError) {
  auto problems = validate(nlohmann::json::parse(R"({"oneOf": []})"), nlohmann::json::object());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("keyword `oneOf` is not supported"), std::string::npos);
}

TEST(JsonSchema, PatternsMatchInLinearTimeAndDeepInstancesUseNoCallStack) {
  auto schema = nlohmann::json::parse(R"({"type": "array", "items": {"type": "string", "pattern": "^(a+)+$"}})");
  // A backtracking engine takes exponential time here (and libstdc++'s
  // recurses per character); RE2 does not.
  auto start = std::chrono::steady_clock::now();
  auto problems = validate(schema, nlohmann::json::array({std::string(100000, 'a') + "b", "aaa"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_EQ(problems.size(), 1u) << testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("/0: "), std::string::npos);
  // An invalid pattern in the schema is a problem, not a crash.
  auto bad = validate(nlohmann::json::parse(R"({"pattern": "(("})"), "x");
  ASSERT_EQ(bad.size(), 2u) << testing::PrintToString(bad);
  EXPECT_NE(bad[0].find("is not RE2 syntax"), std::string::npos);

  // Problems still read in document order with the walk's own stack.
  auto order = validate(nlohmann::json::parse(R"({"type": "array", "items": {"type": "integer"}})"),
                        nlohmann::json::parse(R"(["a", 1, "b"])"));
  ASSERT_EQ(order.size(), 2u);
  EXPECT_TRUE(order[0].starts_with("/0:"));
  EXPECT_TRUE(order[1].starts_with("/2:"));
}

}  // namespace
}  // namespace sg::spotguide
