#pragma once
// Where tests find the built executables and the repository.
#include <filesystem>
#include <string>

namespace sg::testing {

// Directory of the test executables (build/bin), where the plugins live too.
inline std::string bin_dir() {
  return std::filesystem::canonical("/proc/self/exe").parent_path().string();
}
// Repository root, fixed at configure time.
inline std::string source_dir() {
  return SPOTGUIDE_SOURCE_DIR;
}

}  // namespace sg::testing
