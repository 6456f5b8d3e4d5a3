#pragma once
// Errors carry what failed, on which object, and how to fix it, so a CI log
// line is actionable without reading the source.
#include <stdexcept>
#include <string>
#include <utility>

#include "runtime/exit_codes.hpp"

namespace sg {

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, std::string hint = {}, int exit_code = exit_code::kFailed)
      : std::runtime_error(std::move(message)), hint_(std::move(hint)), exit_code_(exit_code) {}
  const std::string& hint() const noexcept { return hint_; }
  int exit_code() const noexcept { return exit_code_; }

 private:
  std::string hint_;
  int exit_code_;
};

// Raised for problems found in the settings; always before any side effect.
class SettingsError : public Error {
 public:
  explicit SettingsError(std::string message, std::string hint = {})
      : Error(std::move(message), std::move(hint), exit_code::kInvalidSettings) {}
};

// Raised by wait loops when SIGTERM/SIGINT arrived; the exit code tells which.
class Cancelled : public Error {
 public:
  explicit Cancelled(int signal_exit_code) : Error("cancelled by signal", {}, signal_exit_code) {}
};

}  // namespace sg
