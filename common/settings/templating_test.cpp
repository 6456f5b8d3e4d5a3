#include "settings/templating.hpp"

#include <chrono>
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

TEST(Templating, ManyUnmatchedOpeningsStayLinear) {
  // 250,000 "{{" that are not references, one "}}" at the very end: a
  // search for the close per opening would be quadratic (minutes).
  std::string text;
  for (int i = 0; i < 250'000; ++i)
    text += "{{";
  text += "}} {{ .X }}";
  auto started = std::chrono::steady_clock::now();
  auto out = render_template(text, [](const std::string&) { return std::optional<std::string>("v"); });
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(out.ends_with("}} v"));
  EXPECT_EQ(out.size(), text.size() - std::string("{{ .X }}").size() + 1);
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_TRUE(has_template(text));
}

}  // namespace sg::settings
