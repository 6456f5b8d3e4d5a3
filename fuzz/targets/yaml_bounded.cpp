// common/yaml's bounded loader and its conversion to JSON: a document is
// loaded within the limits or refused with YamlError, aliases included.
#include "fuzz_input.hpp"
#include "yaml/bounded.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  sg::yaml::Limits limits;
  limits.max_depth = mode % 32 + 1u;
  limits.max_nodes = 10'000;
  try {
    for (const auto& doc : sg::yaml::load_all(in.rest(), "fuzz.yaml", limits))
      (void)sg::yaml::to_json(doc, "fuzz.yaml", limits).dump();
  } catch (const sg::yaml::YamlError&) {
  }
  return 0;
}
