#include "json_schema.hpp"

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

}  // namespace
}  // namespace sg::spotguide
