// Setting values as CI hosts deliver them: every typed parser, and the
// duration's round trip through its formatter. ParseFailure is the only
// way a value may be refused.
#include "fuzz_input.hpp"
#include "settings/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  auto text = in.rest();
  try {
    switch (mode % 6) {
      case 0:
        (void)sg::settings::parse_bool(text);
        break;
      case 1:
        (void)sg::settings::parse_int(text);
        break;
      case 2: {
        auto d = sg::settings::parse_duration(text);
        // What format_duration prints must read back as the same duration.
        if (d.count() >= 0 && sg::settings::parse_duration(sg::settings::format_duration(d)) != d) __builtin_trap();
        break;
      }
      case 3:
        (void)sg::settings::parse_list(text);
        break;
      case 4:
        (void)sg::settings::parse_map(text).dump();
        break;
      default:
        (void)sg::settings::parse_json_strict(text).dump();
        break;
    }
  } catch (const sg::settings::ParseFailure&) {
  }
  return 0;
}
