#pragma once
// Cooperative cancellation. SIGTERM/SIGINT only flip a flag (the one thing a
// signal handler may safely do); every wait loop polls it or sleeps on it, so
// plugins get the chance to delete their remote objects before exiting.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace sg {

class CancelToken {
 public:
  bool cancelled() const noexcept { return signal_.load(std::memory_order_acquire) != 0; }
  int signal() const noexcept { return signal_.load(std::memory_order_acquire); }
  // Exit code the process should end with when cancelled (130 or 143).
  int exit_code() const noexcept;

  void cancel(int signo);
  // Throws sg::Cancelled when cancelled.
  void throw_if_cancelled() const;
  // Sleeps up to `d`; returns false (early) when cancelled.
  bool sleep_for(std::chrono::milliseconds d) const;

 private:
  std::atomic<int> signal_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
};

// The process-wide token that the signal handlers feed.
CancelToken& process_cancel_token();

// Installs SIGTERM/SIGINT handlers feeding process_cancel_token(). A second
// signal while cleanup runs exits immediately, as users expect from Ctrl-C twice.
void install_signal_handlers();

}  // namespace sg
