#pragma once
// Logging goes to stderr through spdlog; results and streamed step output go
// to stdout. Both paths pass every line through the redactor.
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace sg::log {

// Installs the redacting default logger. `level` is trace|debug|info|warn|error.
void init(const std::string& level);
void set_level(const std::string& level);

// Writes to stdout, redacted, under a lock shared with other stdout writers.
void print(std::string_view text);
// Streams step output that may arrive in pieces: complete lines are redacted
// and written as they come; a trailing partial line waits for its newline
// (a secret split across two writes would otherwise escape) or flush().
class LineWriter {
 public:
  explicit LineWriter(int fd = 1) : fd_(fd) {}
  ~LineWriter() { flush(); }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;
  void write(std::string_view chunk);
  void flush();

 private:
  int fd_;
  std::string pending_;
};

}  // namespace sg::log
