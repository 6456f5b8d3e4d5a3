#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "util/strings.hpp"

extern char** environ;

namespace sg::util {

namespace {

// execve does not search PATH; do it here with the child's own PATH so the
// environment we pass is the one that decides, as for any CI step.
std::string find_program(const std::string& name, const std::map<std::string, std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  auto it = env.find("PATH");
  std::string path = it != env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& dir : util::split(path, ':')) {
    auto candidate = (std::filesystem::path(dir.empty() ? std::string(".") : dir) / name).string();
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                 const std::string& cwd, const std::string& stdin_data) {
  if (argv.empty()) throw std::invalid_argument("Process needs a program to run");
  int out[2], err[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env)
    env_strings.push_back(k + "=" + v);
  std::string program = find_program(argv[0], env);
  // Everything the child needs is prepared before fork: only
  // async-signal-safe calls may run between fork and exec.
  std::vector<char*> args, envp;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_strings)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execve(program.c_str(), args.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Small inputs only (credentials, manifests): larger ones would need the
  // write to be interleaved with reading to avoid a pipe deadlock.
  std::string_view data = stdin_data;
  while (!data.empty()) {
    auto n = write(in[1], data.data(), data.size());
    if (n <= 0) break;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  close(in[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void Process::signal(int signo) const {
  kill(pid_, signo);
}

void Process::pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int n = poll(fds, 2, timeout_ms);
  if (n <= 0) return;
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
    auto r = read(fds[i].fd, buf, sizeof buf);
    if (r > 0) {
      (i == 0 ? result_.out : result_.err).append(buf, static_cast<std::size_t>(r));
    } else {
      close(fds[i].fd);
      (i == 0 ? out_fd_ : err_fd_) = -1;
    }
  }
}

bool Process::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (result_.out.find(needle) != std::string::npos || result_.err.find(needle) != std::string::npos) return true;
    if (out_fd_ < 0 && err_fd_ < 0) return false;
    pump(50);
  }
  return false;
}

ProcessResult Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      result_.timed_out = true;
      kill(pid_, SIGKILL);
    }
    pump(100);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid_, &status, 0, &ru);
  result_.max_rss_kb = ru.ru_maxrss;
  reaped_ = true;
  if (WIFEXITED(status))
    result_.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result_.exit_code = 128 + WTERMSIG(status);
  return result_;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          std::chrono::milliseconds timeout, const std::string& cwd) {
  Process p(argv, env, cwd);
  return p.wait(timeout);
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

}  // namespace sg::util
