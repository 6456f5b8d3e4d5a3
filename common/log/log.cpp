#include "log/log.hpp"

#include <unistd.h>

#include <cstdio>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "log/redactor.hpp"

namespace sg::log {
namespace {

std::mutex& stdout_mutex() {
  static std::mutex m;
  return m;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Formats, redacts, then writes to stderr. Redaction happens after formatting
// so that secrets in arguments are caught, not only in format strings.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    auto text = redact(std::string_view(buf.data(), buf.size()));
    write_all(2, text);
  }
  void flush_() override {}
};

spdlog::level::level_enum to_level(const std::string& level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return spdlog::level::info;
}

}  // namespace

void init(const std::string& level) {
  auto sink = std::make_shared<RedactingSink>();
  auto logger = std::make_shared<spdlog::logger>("sg", sink);
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(to_level(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void set_level(const std::string& level) {
  spdlog::set_level(to_level(level));
}

void print(std::string_view text) {
  auto safe = redact(text);
  std::lock_guard lock(stdout_mutex());
  write_all(1, safe);
}

void LineWriter::write(std::string_view chunk) {
  pending_.append(chunk);
  auto last_nl = pending_.rfind('\n');
  if (last_nl == std::string::npos) return;
  auto safe = redact(std::string_view(pending_).substr(0, last_nl + 1));
  pending_.erase(0, last_nl + 1);
  std::lock_guard lock(stdout_mutex());
  write_all(fd_, safe);
}

void LineWriter::flush() {
  if (pending_.empty()) return;
  auto safe = redact(pending_);
  pending_.clear();
  std::lock_guard lock(stdout_mutex());
  write_all(fd_, safe);
}

}  // namespace sg::log
