#pragma once
// Runs a program with an exact environment and captures its output, for
// tests that drive plugins as a CI host would.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sg::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
  bool timed_out = false;
};

class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& cwd = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // Reads output until the process exits or `timeout` passes (then SIGKILL).
  ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits until stdout+stderr so far contain `needle`; false on timeout/exit.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  void pump(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  ProcessResult result_;
  bool reaped_ = false;
};

ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60), const std::string& cwd = {});

// Directory of the test executables (build/bin), where plugins live too.
std::string bin_dir();
// Repository root, from the compile-time source dir.
std::string source_dir();

}  // namespace sg::testing
