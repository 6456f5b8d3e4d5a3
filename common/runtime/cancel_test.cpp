#include "runtime/cancel.hpp"

#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace sg {
using namespace std::chrono_literals;

TEST(Cancel, SleepWakesEarlyOnCancel) {
  CancelToken t;
  std::thread th([&] {
    std::this_thread::sleep_for(50ms);
    t.cancel(SIGTERM);
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(t.sleep_for(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  th.join();
  EXPECT_EQ(t.exit_code(), 143);
  EXPECT_THROW(t.throw_if_cancelled(), Cancelled);
}

TEST(Cancel, FirstSignalWins) {
  CancelToken t;
  EXPECT_TRUE(t.sleep_for(1ms));
  t.cancel(SIGINT);
  t.cancel(SIGTERM);
  EXPECT_EQ(t.exit_code(), 130);
}

TEST(Cancel, SignalHandlerFeedsTheProcessToken) {
  install_signal_handlers();
  ASSERT_FALSE(process_cancel_token().cancelled());
  std::raise(SIGTERM);
  for (int i = 0; i < 200 && !process_cancel_token().cancelled(); ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(process_cancel_token().cancelled());
  EXPECT_EQ(process_cancel_token().exit_code(), 143);
}

}  // namespace sg
