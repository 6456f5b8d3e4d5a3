#pragma once
// The one capped file reader. Every file a user names (a setting's file, a
// kubeconfig, a token, a CA bundle, a plugin's state) may turn out to be a
// device, a FIFO or a multi-gigabyte log; it is read in chunks and given up
// one byte past the cap, so a wrong path costs the cap, never all memory.
// Callers turn the status into an error that names their setting.
#include <cstddef>
#include <filesystem>
#include <string>

namespace sg::util {

struct FileRead {
  enum class Status { Ok, CannotOpen, IsDirectory, TooLarge, ReadError };
  Status status = Status::Ok;
  // The whole file when Ok; what was read before the problem otherwise.
  std::string text;
  bool ok() const { return status == Status::Ok; }
};

FileRead read_file_capped(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace sg::util
