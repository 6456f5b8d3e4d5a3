#pragma once
// Runs a program with an exact environment and captures its output: exec
// credential plugins in production, plugins-under-test in tests. No shell is
// involved anywhere, so arguments pass through exactly.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sg::util {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
  bool timed_out = false;
  long max_rss_kb = 0;  // peak RSS of the process and its waited-for descendants (benches)
};

class Process {
 public:
  // argv[0] is looked up in PATH (of `env`) when it has no slash. `stdin_data`
  // is written to the child's stdin, which is then closed.
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& cwd = {}, const std::string& stdin_data = {});
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

// The current process environment as a map.
std::map<std::string, std::string> current_environment();

}  // namespace sg::util
