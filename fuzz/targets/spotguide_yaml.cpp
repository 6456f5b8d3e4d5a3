// A spotguide's spotguide.yaml: loaded within common/yaml's limits, checked
// against the schema, read into parameters and detect rules; then, with the
// pipeline.yml and values.yaml templates that follow it (each after a NUL
// byte), the placeholder checks, and a render with every parameter given.
// SpotguideError is how a bad spotguide is refused; anything else escaping
// (nlohmann's type_error from a shape the schema let through, a YAML
// exception) is a bug. Render runs whatever the checks said: it must refuse
// by SpotguideError too.
#include <map>

#include "fuzz_input.hpp"
#include "render.hpp"
#include "spotguide.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sgd = sg::spotguide;
  sg::fuzz::Input in(data, size);
  auto descriptor = std::string(in.until('\0'));
  try {
    std::vector<std::string> problems;
    auto g = sgd::parse_descriptor(descriptor, "spotguide.yaml", problems);
    g.pipeline_template = std::string(in.until('\0'));
    g.values_template = in.rest_string();
    sgd::check_templates(g, "spotguide.yaml", "pipeline.yml", "values.yaml", problems);
    std::map<std::string, std::string> params;
    for (const auto& p : g.parameters)
      params[p.name] = p.has_default ? p.default_value : "x";
    (void)sgd::render(g, params);
  } catch (const sgd::SpotguideError&) {
  }
  return 0;
}
