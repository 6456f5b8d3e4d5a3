#pragma once
// Follows a container's log as it is written. The stream is requested with
// timestamps, so that after a drop it can resume with sinceTime and skip what
// was already shown: no line is lost and none is printed twice.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kube/client.hpp"

namespace sg::kube {

struct LogLine {
  std::chrono::system_clock::time_point time;
  std::string timestamp;  // as the server wrote it, for sinceTime
  std::string_view text;
};

// Splits "2026-11-21T10:00:00.123456789Z text" (timestamps=true); nullopt if
// the line has no valid timestamp prefix.
std::optional<LogLine> split_log_line(std::string_view line);

// Pure bookkeeping for resuming (unit-tested on recorded streams).
class LogResume {
 public:
  // Call when a new stream (re)starts.
  void new_stream() { replayed_at_last_ = 0; }
  // True if the line was not delivered before.
  bool accept(const LogLine& line);
  // sinceTime for the next request; empty before the first line.
  const std::string& since_time() const { return last_timestamp_; }

 private:
  std::optional<std::chrono::system_clock::time_point> last_;
  std::string last_timestamp_;
  int delivered_at_last_ = 0;  // lines delivered carrying the last timestamp
  int replayed_at_last_ = 0;   // of those, how many the current stream repeated
};

struct LogFollowOptions {
  std::string container;  // empty: the pod's only container
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

enum class LogEnd { ContainerTerminated, PodGone, Deadline, Stopped };

// Calls on_line for every new line (without the timestamp). Waits while the
// container is still being created, resumes after drops, and returns once the
// container has terminated and its last lines are delivered. A line longer
// than the client's max_line_bytes arrives in pieces of about that size.
LogEnd follow_logs(Client& client, const std::string& ns, const std::string& pod,
                   const std::function<bool(std::string_view)>& on_line, const LogFollowOptions& options = {});

}  // namespace sg::kube
