// What an exec credential plugin prints (an ExecCredential JSON), and the
// RFC 3339 expiry inside it. sg::Error is how bad output is refused.
#include <string>

#include "fuzz_input.hpp"
#include "kube/credentials.hpp"
#include "runtime/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto mode = in.choice();
  try {
    if (mode % 2 == 0) {
      (void)sg::kube::parse_exec_credential(in.rest_string(), "fuzz-credential-plugin");
    } else {
      (void)sg::kube::parse_rfc3339(in.rest_string());
    }
  } catch (const sg::Error&) {
  }
  return 0;
}
