#include "settings/help.hpp"

#include <gtest/gtest.h>

namespace sg::settings {
namespace {
Schema schema() {
  Schema s{.plugin = "demo", .summary = "does a thing"};
  s.settings = {
      {.name = "token",
       .type = Type::Secret,
       .required = true,
       .aliases = {"api_token"},
       .env_names = {"DEMO_TOKEN"},
       .description = "API token | with a pipe.",
       .example = "{from_secret: demo_token}"},
      {.name = "replicas", .type = Type::Int, .default_value = "3", .description = "How many.", .min = 1},
      {.name = "wait", .type = Type::Duration, .default_value = "5m", .description = "How long."},
      {.name = "tags", .type = Type::List, .default_value = "a,b", .description = "Tags."},
      {.name = "mode", .type = Type::Enum, .default_value = "x", .description = "Mode.", .choices = {"x", "y"}},
  };
  return s.with_common();
}
}  // namespace

TEST(Help, JsonSchemaHasOnePropertyPerSetting) {
  auto j = json_schema(schema());
  EXPECT_EQ(j["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(j["properties"].size(), schema().settings.size());
  EXPECT_EQ(j["required"], nlohmann::json::array({"token"}));
  auto token = j["properties"]["token"];
  EXPECT_EQ(token["type"], "string");
  EXPECT_EQ(token["x-secret"], true);
  EXPECT_EQ(token["x-env"], nlohmann::json::array({"PLUGIN_TOKEN", "PLUGIN_API_TOKEN", "DEMO_TOKEN"}));
  EXPECT_EQ(j["properties"]["replicas"]["default"], 3);
  EXPECT_EQ(j["properties"]["replicas"]["minimum"], 1);
  EXPECT_EQ(j["properties"]["tags"]["default"], nlohmann::json::array({"a", "b"}));
  EXPECT_EQ(j["properties"]["mode"]["enum"], nlohmann::json::array({"x", "y"}));
  EXPECT_EQ(j["properties"]["debug"]["type"], "boolean");
  EXPECT_EQ(j["properties"]["debug"]["x-secret"], false);
  EXPECT_EQ(j["additionalProperties"], false);
}

TEST(Help, MarkdownTableEscapesPipesAndListsEveryName) {
  auto md = markdown_table(schema());
  EXPECT_NE(md.find("| `token` **(required)** *(secret)* | secret |"), std::string::npos) << md;
  EXPECT_NE(md.find("API token \\| with a pipe."), std::string::npos);
  EXPECT_NE(md.find("`api_token`, `DEMO_TOKEN`"), std::string::npos);
  EXPECT_NE(md.find("| `mode` | x\\|y | `x` |"), std::string::npos);
}

TEST(Help, TextNamesEnvVariables) {
  auto text = help_text(schema());
  EXPECT_NE(text.find("token * (secret)"), std::string::npos);
  EXPECT_NE(text.find("env: PLUGIN_TOKEN, PLUGIN_API_TOKEN, DEMO_TOKEN"), std::string::npos);
  EXPECT_NE(text.find("default: 5m"), std::string::npos);
}

}  // namespace sg::settings
