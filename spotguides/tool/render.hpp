#pragma once
// `spotguide render`: fills a spotguide's [[ name ]] placeholders (the
// syntax of Banzai's own spotguide templates) with parameters. Everything
// else, including Drone's ${VAR} and the plugins' {{ .PLUGIN_X }}, is left
// for the CI host and the plugins.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spotguide.hpp"

namespace sg::spotguide {

// The rendered values.yaml, as one line of JSON (valid YAML flow style), so a
// template can write `deployment_values: [[ values ]]` at any indentation.
inline constexpr const char* kValuesPlaceholder = "values";

// Which names a `[[ name ]]` may hold: a parameter's (a lowercase letter,
// then lowercase letters, digits, `_`), or anything a template might have
// meant as one (letters, digits, `_`, `.`, `-`), which lint warns about.
enum class PlaceholderNames { Parameter, Any };

struct PlaceholderMatch {
  std::size_t pos = 0;  // of the first `[`
  std::size_t length = 0;
  std::string name;
};

// Every `[[ name ]]` in text, left to right, blanks around the name allowed.
// One linear pass with no regex engine: a template or pipeline file of any
// size costs its length.
std::vector<PlaceholderMatch> find_placeholders(std::string_view text, PlaceholderNames names);

// The parameter names text uses.
std::set<std::string> placeholders(const std::string& text);

struct Rendered {
  std::string pipeline;  // the filled .pipeline.yml
  std::string values;    // the filled values.yaml
};

// Throws SpotguideError naming every unknown or missing parameter.
Rendered render(const Spotguide& g, const std::map<std::string, std::string>& params);

}  // namespace sg::spotguide
