// util::parse_json, the one reader of outside JSON: within its limits a
// document parses or is a JsonError, and what parses has at most max_depth
// levels.
#include <functional>

#include "fuzz_input.hpp"
#include "util/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  sg::util::JsonLimits limits;
  limits.max_depth = mode % 16 + 1u;
  try {
    auto j = sg::util::parse_json(in.rest(), limits, (mode & 0x80) != 0);
    std::function<std::size_t(const nlohmann::json&)> depth = [&](const nlohmann::json& v) -> std::size_t {
      std::size_t deepest = 0;
      if (v.is_structured()) {
        for (const auto& child : v)
          deepest = std::max(deepest, depth(child));
        return deepest + 1;
      }
      return 0;
    };
    if (depth(j) > limits.max_depth) __builtin_trap();
  } catch (const sg::util::JsonError&) {
  }
  return 0;
}
