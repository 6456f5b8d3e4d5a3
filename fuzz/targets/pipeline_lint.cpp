// `spotguide lint` over a .pipeline.yml text: every problem is a LintIssue
// in the result (a text beyond the YAML limits, a field of the wrong shape,
// a setting a plugin would refuse), so nothing may escape at all. Lint is
// linear in the file; an input taking over a second is a hang.
//
// A step's path settings are checked to exist, so the lint runs with a
// fresh empty temporary directory as its working directory: relative paths
// the input names resolve there, not in the tree the fuzzer runs in.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "fuzz_input.hpp"
#include "lint.hpp"

namespace {

const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string pattern = "/tmp/fuzz-lint-XXXXXX";
    if (!mkdtemp(pattern.data())) std::abort();
    // Lint creates nothing in it, so an empty directory is all there is to remove.
    std::atexit([] { rmdir(scratch_dir().c_str()); });
    return pattern;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  char here[4096];
  if (!getcwd(here, sizeof here) || chdir(scratch_dir().c_str()) != 0) std::abort();
  auto result = sg::spotguide::lint(in.rest_string());
  (void)sg::spotguide::format(".pipeline.yml", result);
  if (chdir(here) != 0) std::abort();
  if (result.errors() < 0 || result.warnings() < 0) __builtin_trap();
  return 0;
}
