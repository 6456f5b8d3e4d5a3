// spotguide's JSON Schema validator. The first byte picks the schema: the
// spotguide format's own (compiled in) against the rest as the instance, or
// a schema from the input, split from the instance at the first NUL byte.
// util::JsonError (either text not JSON within the limits) is the accepted
// refusal; validate() itself reports a broken schema as problems and never
// throws.
#include "json_schema.hpp"

#include "fuzz_input.hpp"
#include "spotguide.hpp"
#include "util/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  try {
    if (mode % 2 == 0) {
      (void)sg::spotguide::validate(sg::spotguide::spotguide_schema(), sg::util::parse_json(in.rest()));
    } else {
      auto schema = sg::util::parse_json(in.until('\0'));
      auto instance = sg::util::parse_json(in.rest());
      auto problems = sg::spotguide::validate(schema, instance);
      // A schema without keywords accepts everything.
      if (schema.is_object() && schema.empty() && !problems.empty()) __builtin_trap();
    }
  } catch (const sg::util::JsonError&) {
  }
  return 0;
}
