// One line of a Kubernetes watch stream. sg::Error is how a malformed event
// is refused.
#include "fuzz_input.hpp"
#include "kube/watch.hpp"
#include "runtime/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  try {
    auto event = sg::kube::parse_watch_line(in.rest());
    (void)event;
  } catch (const sg::Error&) {
  }
  return 0;
}
