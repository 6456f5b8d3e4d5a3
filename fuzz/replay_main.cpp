// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without
// libFuzzer, so every compiler (GCC included) runs the kept corpora as
// ordinary tests: each argument is a file, or a directory whose files are
// replayed in name order. A crash or an escaping exception fails the test
// the way it failed the fuzzer; a missing or empty corpus fails too, so a
// typo in a path cannot make a test pass by replaying nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// Inputs are kept small (libFuzzer's -max_len); a larger file is a mistake
// in the corpus, not something to read whole.
constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{4} << 20;

bool replay(const std::filesystem::path& file) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec || size > kMaxInputBytes) {
    std::fprintf(stderr, "replay: %s: %s\n", file.c_str(), ec ? ec.message().c_str() : "larger than 4 MiB");
    return false;
  }
  // Exactly `size` bytes into an allocation of that size, so
  // AddressSanitizer sees a read past the end of the input as the fuzzer
  // would.
  std::vector<std::uint8_t> data(static_cast<std::size_t>(size));
  std::ifstream in(file, std::ios::binary);
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!in || in.gcount() != static_cast<std::streamsize>(data.size())) {
    std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
    return false;
  }
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.push_back(arg);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "replay: no inputs given (expected corpus files or directories)\n");
    return 1;
  }
  std::size_t failed = 0;
  for (const auto& f : files) {
    if (!replay(f)) ++failed;
  }
  std::printf("replayed %zu inputs, %zu unreadable\n", files.size() - failed, failed);
  return failed == 0 ? 0 : 1;
}
