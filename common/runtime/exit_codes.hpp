#pragma once
// The exit-code contract every plugin shares with its CI host. Drone and
// Woodpecker only look at zero/non-zero, but users script around the
// difference between "the operation failed" and "you configured it wrong".
namespace sg::exit_code {
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;
inline constexpr int kInvalidSettings = 2;
inline constexpr int kInterrupted = 130;  // SIGINT: 128 + 2
inline constexpr int kTerminated = 143;   // SIGTERM: 128 + 15
}  // namespace sg::exit_code
