#include "driver_status.hpp"

namespace sg::spark_submit {

DriverState driver_state(const nlohmann::json& pod, const std::string& container) {
  DriverState s;
  const auto& status = pod.contains("status") ? pod["status"] : nlohmann::json::object();
  s.phase = status.value("phase", "Pending");
  s.finished = s.phase == "Succeeded" || s.phase == "Failed";
  if (status.contains("containerStatuses")) {
    for (const auto& cs : status["containerStatuses"]) {
      if (cs.value("name", "") != container) continue;
      const auto& st = cs.contains("state") ? cs["state"] : nlohmann::json::object();
      if (st.contains("terminated")) {
        s.exit_code = st["terminated"].value("exitCode", 1);
        s.reason = st["terminated"].value("reason", "");
        s.message = st["terminated"].value("message", "");
      } else if (st.contains("waiting")) {
        s.reason = st["waiting"].value("reason", "");
        s.message = st["waiting"].value("message", "");
      }
    }
  }
  if (s.reason.empty() && status.contains("reason")) {
    s.reason = status.value("reason", "");
    s.message = status.value("message", "");
  }
  return s;
}

int driver_exit_code(const DriverState& s) {
  if (s.exit_code) return *s.exit_code;
  return s.phase == "Succeeded" ? 0 : 1;
}

AppState spark_application_state(const nlohmann::json& app) {
  AppState a;
  if (app.contains("status") && app["status"].contains("applicationState")) {
    a.state = app["status"]["applicationState"].value("state", "");
    a.message = app["status"]["applicationState"].value("errorMessage", "");
  }
  a.finished = a.state == "COMPLETED" || a.state == "FAILED" || a.state == "SUBMISSION_FAILED" ||
               a.state == "INVALIDATING" || a.state == "UNKNOWN";
  a.exit_code = a.state == "COMPLETED" ? 0 : 1;
  return a;
}

}  // namespace sg::spark_submit
