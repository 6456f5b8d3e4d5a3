#include "settings/templating.hpp"

#include <map>

#include <gtest/gtest.h>

#include "settings/parse.hpp"

namespace sg::settings {

namespace {
VariableLookup lookup_from(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST(Templating, SubstitutesPlainTextWithoutEscaping) {
  auto lookup = lookup_from({{"PLUGIN_KEY", "a+b&c\"d<e>\\f"}, {"DRONE_BUILD_NUMBER", "7"}});
  std::vector<std::string> refs;
  EXPECT_EQ(render_template("key={{ .PLUGIN_KEY }} build={{.DRONE_BUILD_NUMBER}}", lookup, &refs),
            "key=a+b&c\"d<e>\\f build=7");
  EXPECT_EQ(refs, (std::vector<std::string>{"PLUGIN_KEY", "DRONE_BUILD_NUMBER"}));
}

TEST(Templating, LeavesOtherBracesAlone) {
  auto lookup = lookup_from({});
  EXPECT_EQ(render_template("{{ .Values.x }} {{ include \"a\" }} {{", lookup),
            "{{ .Values.x }} {{ include \"a\" }} {{");
  EXPECT_FALSE(has_template("{{ .Values.x }}"));
  EXPECT_TRUE(has_template("x{{ .PLUGIN_A }}"));
}

TEST(Templating, MissingVariableIsAnError) {
  EXPECT_THROW(render_template("{{ .PLUGIN_NOPE }}", lookup_from({})), ParseFailure);
}

TEST(Templating, TrimMarkersAccepted) {
  EXPECT_EQ(render_template("{{- .A -}}", lookup_from({{"A", "x"}})), "x");
}

}  // namespace sg::settings
