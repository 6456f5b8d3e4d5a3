#include "render.hpp"

#include <regex>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "pipeline/step_env.hpp"
#include "util/strings.hpp"

namespace sg::spotguide {
namespace {

const std::regex& placeholder_re() {
  static const std::regex re(R"(\[\[\s*([a-z][a-z0-9_]*)\s*\]\])");
  return re;
}

std::string substitute(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t last = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), placeholder_re()), end; it != end; ++it) {
    out.append(text, last, static_cast<std::size_t>(it->position()) - last);
    out += values.at((*it)[1]);
    last = static_cast<std::size_t>(it->position() + it->length());
  }
  out.append(text, last);
  return out;
}

}  // namespace

std::set<std::string> placeholders(const std::string& text) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), placeholder_re()), end; it != end; ++it)
    out.insert((*it)[1]);
  return out;
}

Rendered render(const Spotguide& g, const std::map<std::string, std::string>& params) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> values;
  for (const auto& [k, v] : params) {
    bool known = false;
    for (const auto& p : g.parameters)
      known = known || p.name == k;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& p : g.parameters)
        names.push_back(p.name);
      problems.push_back("unknown parameter " + k + " for spotguide " + g.name +
                         " (its parameters: " + util::join(names, ", ") + ")");
    }
  }
  for (const auto& p : g.parameters) {
    if (auto it = params.find(p.name); it != params.end()) {
      values[p.name] = it->second;
    } else if (p.has_default) {
      values[p.name] = p.default_value;
    } else if (p.required) {
      problems.push_back("parameter " + p.name + " is required: " + p.description + " (pass --set " + p.name + "=...)");
    } else {
      values[p.name] = "";
    }
  }
  if (!problems.empty()) throw SpotguideError(util::join(problems, "\n"));

  Rendered r;
  r.values = substitute(g.values_template, values);
  try {
    values[kValuesPlaceholder] = pipeline::yaml_to_json(YAML::Load(r.values)).dump();
  } catch (const YAML::Exception& e) {
    throw SpotguideError("values.yaml of " + g.name + " is not valid YAML once rendered: " + e.what() +
                         " (check the parameters for quotes or colons)");
  }
  r.pipeline = substitute(g.pipeline_template, values);
  try {
    (void)YAML::LoadAll(r.pipeline);
  } catch (const YAML::Exception& e) {
    throw SpotguideError("pipeline.yml of " + g.name + " is not valid YAML once rendered: " + e.what() +
                         " (check the parameters for quotes or colons)");
  }
  return r;
}

}  // namespace sg::spotguide
