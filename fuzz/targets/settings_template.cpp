// `{{ .NAME }}` references in setting values: rendered against a lookup that
// knows a few names (one of them expanding to another reference, which must
// not be expanded again). ParseFailure (an unset variable) is the only error.
#include <optional>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "settings/parse.hpp"
#include "settings/templating.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "PLUGIN_X" || name == "DRONE_BRANCH") return std::string("value");
    if (name == "PLUGIN_NESTED") return std::string("{{ .PLUGIN_X }}");
    if (name == "PLUGIN_EMPTY") return std::string();
    return std::nullopt;
  };
  std::vector<std::string> referenced;
  try {
    (void)sg::settings::has_template(in.rest());
    (void)sg::settings::render_template(in.rest(), lookup, &referenced);
  } catch (const sg::settings::ParseFailure&) {
  }
  return 0;
}
