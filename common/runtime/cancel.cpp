#include "runtime/cancel.hpp"

#include <unistd.h>

#include <csignal>
#include <thread>

#include "runtime/error.hpp"
#include "runtime/exit_codes.hpp"

namespace sg {

int CancelToken::exit_code() const noexcept {
  return signal() == SIGINT ? exit_code::kInterrupted : exit_code::kTerminated;
}

void CancelToken::cancel(int signo) {
  {
    std::lock_guard lock(mu_);
    int expected = 0;
    signal_.compare_exchange_strong(expected, signo, std::memory_order_acq_rel);
  }
  cv_.notify_all();
}

void CancelToken::throw_if_cancelled() const {
  if (cancelled()) throw Cancelled(exit_code());
}

bool CancelToken::sleep_for(std::chrono::milliseconds d) const {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return cancelled(); });
}

CancelToken& process_cancel_token() {
  static CancelToken token;
  return token;
}

namespace {
int g_pipe[2] = {-1, -1};
volatile std::sig_atomic_t g_count = 0;

extern "C" void on_signal(int signo) {
  g_count = g_count + 1;
  if (g_count > 1) _exit(128 + signo);
  unsigned char b = static_cast<unsigned char>(signo);
  // write(2) is async-signal-safe; the watcher thread does the real work.
  [[maybe_unused]] auto n = write(g_pipe[1], &b, 1);
}
}  // namespace

void install_signal_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  if (pipe(g_pipe) != 0) return;
  std::thread([] {
    unsigned char b = 0;
    while (read(g_pipe[0], &b, 1) == 1)
      process_cancel_token().cancel(static_cast<int>(b));
  }).detach();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace sg
