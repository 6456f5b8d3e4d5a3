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
  // It is reported once, and values are not said to mismatch it.
  auto bad = validate(nlohmann::json::parse(R"({"type": "array", "items": {"pattern": "(("}})"),
                      nlohmann::json::parse(R"(["x", "y"])"));
  ASSERT_EQ(bad.size(), 1u) << testing::PrintToString(bad);
  EXPECT_NE(bad[0].find("is not RE2 syntax"), std::string::npos);

  // Problems still read in document order with the walk's own stack.
  auto order = validate(nlohmann::json::parse(R"({"type": "array", "items": {"type": "integer"}})"),
                        nlohmann::json::parse(R"(["a", 1, "b"])"));
  ASSERT_EQ(order.size(), 2u);
  EXPECT_TRUE(order[0].starts_with("/0:"));
  EXPECT_TRUE(order[1].starts_with("/2:"));
}

TEST(JsonSchema, AKeywordOfTheWrongFormIsAProblemNotAnException) {
  auto check = [](const char* schema, const nlohmann::json& instance) {
    return validate(nlohmann::json::parse(schema), instance);
  };
  auto type = check(R"({"type": 7})", "x");
  ASSERT_EQ(type.size(), 1u) << testing::PrintToString(type);
  EXPECT_EQ(type[0], "schema/: `type` must be one of object, array, string, boolean, integer, number, null");
  EXPECT_EQ(check(R"({"type": "text"})", "x").size(), 1u);
  EXPECT_EQ(check(R"({"minLength": "1"})", "x"),
            std::vector<std::string>{"schema/: `minLength` must be a count (0 or more)"});
  EXPECT_EQ(check(R"({"minItems": -1})", nlohmann::json::array()).size(), 1u);
  EXPECT_EQ(check(R"({"maximum": "5"})", 9).size(), 1u);
  EXPECT_EQ(check(R"({"pattern": 5})", "x").size(), 1u);
  EXPECT_EQ(check(R"({"enum": "a"})", "x").size(), 1u);
  EXPECT_EQ(check(R"({"required": ["a", 1]})", nlohmann::json::object()).size(), 2u);
  EXPECT_EQ(check(R"({"required": "a"})", nlohmann::json::object()).size(), 1u);
  EXPECT_EQ(check(R"({"properties": []})", nlohmann::json::parse(R"({"a": 1})")).size(), 1u);
  EXPECT_EQ(check(R"({"additionalProperties": 1})", nlohmann::json::parse(R"({"a": 1})")).size(), 1u);
  auto items = check(R"({"items": 5})", nlohmann::json::parse("[1]"));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], "schema/0: a schema must be an object, not integer");
}

TEST(JsonSchema, MessagesQuoteValuesShortAndEscaped) {
  // Thousands of allowed values, each quoted whole in the message of every
  // bad item, would make the report quadratic in the document.
  nlohmann::json options = nlohmann::json::array();
  for (int i = 0; i < 5000; ++i)
    options.push_back("option-" + std::to_string(i));
  nlohmann::json schema = {{"type", "array"}, {"items", {{"enum", options}}}};
  auto problems = validate(schema, nlohmann::json::array({"x\nerror: fake", std::string(1000, 'y')}));
  ASSERT_EQ(problems.size(), 2u);
  for (const auto& p : problems) {
    EXPECT_LT(p.size(), 200u) << p;
    EXPECT_EQ(p.find('\n'), std::string::npos) << p;
  }
  EXPECT_NE(problems[0].find(R"(/0: "x\nerror: fake" is not one of ["option-0","option-1",)"), std::string::npos)
      << problems[0];

  nlohmann::json props = nlohmann::json::object();
  for (int i = 0; i < 100; ++i)
    props["p" + std::to_string(i)] = nlohmann::json::object();
  auto unknown = validate({{"additionalProperties", false}, {"properties", props}}, {{"zz", 1}});
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].find(", ... (100 in all))"), std::string::npos) << unknown[0];
}

}  // namespace
}  // namespace sg::spotguide
