// A Kubernetes Status (error) body, as an API server or anything on its port
// returns it: always an ApiError, never another exception.
#include <string>

#include "fuzz_input.hpp"
#include "kube/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  auto error = sg::kube::api_error_from_status(in.rest_string(), "get", "pods/fuzz");
  (void)error.what();
  (void)error.hint();
  return 0;
}
