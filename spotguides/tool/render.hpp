#pragma once
// `spotguide render`: fills a spotguide's [[ name ]] placeholders (the
// syntax of Banzai's own spotguide templates) with parameters. Everything
// else, including Drone's ${VAR} and the plugins' {{ .PLUGIN_X }}, is left
// for the CI host and the plugins.
#include <map>
#include <set>
#include <string>

#include "spotguide.hpp"

namespace sg::spotguide {

// The rendered values.yaml, as one line of JSON (valid YAML flow style), so a
// template can write `deployment_values: [[ values ]]` at any indentation.
inline constexpr const char* kValuesPlaceholder = "values";

std::set<std::string> placeholders(const std::string& text);

struct Rendered {
  std::string pipeline;  // the filled .pipeline.yml
  std::string values;    // the filled values.yaml
};

// Throws SpotguideError naming every unknown or missing parameter.
Rendered render(const Spotguide& g, const std::map<std::string, std::string>& params);

}  // namespace sg::spotguide
