#pragma once
// One spotguide on disk: spotguide.yaml (checked against
// spotguides/schema/spotguide.schema.json, compiled in), the parameterised
// pipeline.yml template and the Helm values.yaml.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg::spotguide {

struct Parameter {
  std::string name;
  std::string description;
  std::string default_value;
  bool has_default = false;
  bool required = false;
};

struct DetectRule {
  std::vector<std::string> files;     // globs
  std::vector<std::string> contains;  // all must occur in one matching file
  int weight = 10;
  std::string reason;
};

struct Spotguide {
  std::string name;
  std::string description;
  std::filesystem::path dir;
  nlohmann::json descriptor;  // spotguide.yaml as JSON
  std::vector<Parameter> parameters;
  std::vector<DetectRule> detect;
  std::string pipeline_template;  // pipeline.yml
  std::string values_template;    // values.yaml
};

// Every problem with a spotguide directory, one per line.
struct SpotguideError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const nlohmann::json& spotguide_schema();

// spotguide.yaml's text (`file` names it in messages): loaded within
// common/yaml's limits, checked against the schema (SpotguideError listing
// every problem), then read into name, description, parameters and detect
// rules. What the schema cannot say (a parameter both required and with a
// default) is appended to `problems`.
Spotguide parse_descriptor(const std::string& yaml_text, const std::string& file, std::vector<std::string>& problems);
// Every placeholder of the templates is a parameter, and every parameter is
// used in one of them, and values.yaml does not hold [[ values ]] (itself);
// `file`, `pipeline_file` and `values_file` name the files in messages.
void check_templates(const Spotguide& g, const std::string& file, const std::string& pipeline_file,
                     const std::string& values_file, std::vector<std::string>& problems);

Spotguide load_spotguide(const std::filesystem::path& dir);
// Every subdirectory of root holding a spotguide.yaml, sorted by name.
std::vector<Spotguide> load_all(const std::filesystem::path& root);

// Where the spotguides are: $SPOTGUIDE_DIR, next to the executable
// (../share/spotguide-plugins/spotguides), or the source tree it was built from.
std::filesystem::path default_root();

}  // namespace sg::spotguide
