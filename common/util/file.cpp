#include "util/file.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <system_error>

namespace sg::util {

FileRead read_file_capped(const std::filesystem::path& path, std::size_t max_bytes) {
  FileRead r;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    r.status = FileRead::Status::IsDirectory;
    return r;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    r.status = FileRead::Status::CannotOpen;
    return r;
  }
  char buf[1 << 16];
  while (r.text.size() <= max_bytes) {
    auto want = std::min(sizeof buf, max_bytes + 1 - r.text.size());
    auto n = std::fread(buf, 1, want, f.get());
    if (n == 0) break;
    r.text.append(buf, n);
  }
  if (std::ferror(f.get()))
    r.status = FileRead::Status::ReadError;
  else if (r.text.size() > max_bytes)
    r.status = FileRead::Status::TooLarge;
  return r;
}

}  // namespace sg::util
