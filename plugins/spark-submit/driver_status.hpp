#pragma once
// Reading a driver pod's state: the phase Spark's watcher reports, and the
// driver container's own exit code (spark-submit exits 0 even when the
// driver failed; this plugin returns the driver's code). Pure.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sg::spark_submit {

struct DriverState {
  std::string phase;  // Pending, Running, Succeeded, Failed, Unknown
  bool finished = false;
  std::optional<int> exit_code;  // the driver container's, once terminated
  std::string reason;            // terminated/waiting reason, if any
  std::string message;
};

DriverState driver_state(const nlohmann::json& pod, const std::string& container);

// The exit code a finished driver maps to: its container's code, else 1 for
// Failed and 0 for Succeeded.
int driver_exit_code(const DriverState& s);

// SparkApplication (operator backend): done for COMPLETED/FAILED and the
// other terminal states; the code is 0 only for COMPLETED.
struct AppState {
  std::string state;  // status.applicationState.state, "" before the operator saw it
  bool finished = false;
  int exit_code = 0;
  std::string message;
};
AppState spark_application_state(const nlohmann::json& app);

}  // namespace sg::spark_submit
