// A kubeconfig a user pastes as a setting: raw YAML or base64 of it, its
// current context or a named one. sg::Error is how a bad one is refused.
// Relative file references resolve under a directory that does not exist,
// so the target reads no file a fuzzed path happens to name there.
#include <string>

#include "fuzz_input.hpp"
#include "kube/config.hpp"
#include "runtime/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  try {
    if (mode % 2 == 0) {
      auto context = std::string(in.until('\n'));
      (void)sg::kube::parse_kubeconfig(in.rest_string(), context, "/nonexistent-fuzz-dir", "fuzz kubeconfig");
    } else {
      (void)sg::kube::kubeconfig_from_inline(in.rest_string());
    }
  } catch (const sg::Error&) {
  }
  return 0;
}
