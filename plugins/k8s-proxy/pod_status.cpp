#include "pod_status.hpp"

#include <set>

namespace sg::k8s_proxy {

using json = nlohmann::json;

bool unschedulable(const json& pod) {
  if (!pod.contains("status") || !pod["status"].contains("conditions")) return false;
  for (const auto& c : pod["status"]["conditions"]) {
    if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False" &&
        c.value("reason", "") == "Unschedulable") {
      return true;
    }
  }
  return false;
}

bool waits_for_claim(const json& pod, const std::string& claim) {
  if (!unschedulable(pod)) return false;
  const std::string missing = "persistentvolumeclaim \"" + claim + "\" not found";
  for (const auto& c : pod["status"]["conditions"]) {
    if (c.value("type", "") == "PodScheduled" && c.value("message", "").find(missing) != std::string::npos) return true;
  }
  return false;
}

Verdict judge_pod(const json& pod, std::chrono::seconds unschedulable_for, std::chrono::seconds unschedulable_limit) {
  // Reasons that waiting does not cure: the step can only fail.
  static const std::set<std::string> stuck = {"ImagePullBackOff",     "ErrImagePull",
                                              "InvalidImageName",     "CreateContainerConfigError",
                                              "CreateContainerError", "ErrImageNeverPull"};
  const auto& status = pod.contains("status") ? pod["status"] : json::object();
  auto phase = status.value("phase", "Pending");
  if (status.contains("containerStatuses")) {
    for (const auto& cs : status["containerStatuses"]) {
      const auto& st = cs.value("state", json::object());
      if (st.contains("terminated")) {
        const auto& t = st["terminated"];
        Verdict v;
        v.exit_code = t.value("exitCode", 1);
        v.reason = t.value("reason", "");
        v.message = t.value("message", "");
        v.state = *v.exit_code == 0 ? StepState::Succeeded : StepState::Failed;
        return v;
      }
      if (st.contains("waiting")) {
        auto reason = st["waiting"].value("reason", "");
        if (stuck.count(reason)) return {StepState::Stuck, std::nullopt, reason, st["waiting"].value("message", "")};
      }
      if (st.contains("running")) return {StepState::Running, std::nullopt, "", ""};
    }
  }
  if (phase == "Failed") {
    // Evicted, or killed at the pod's deadline before a container status.
    return {StepState::Failed, std::nullopt, status.value("reason", "Failed"), status.value("message", "")};
  }
  if (phase == "Succeeded") return {StepState::Succeeded, 0, "", ""};
  if (unschedulable(pod) && unschedulable_for >= unschedulable_limit) {
    std::string msg;
    for (const auto& c : status["conditions"]) {
      if (c.value("type", "") == "PodScheduled") msg = c.value("message", "");
    }
    return {StepState::Stuck, std::nullopt, "Unschedulable", msg};
  }
  return {phase == "Running" ? StepState::Running : StepState::Starting, std::nullopt, "", ""};
}

std::optional<Verdict> judge_job(const json& job) {
  if (!job.contains("status") || !job["status"].contains("conditions")) return std::nullopt;
  for (const auto& c : job["status"]["conditions"]) {
    // FailureTarget comes first (1.31+): the Job is failing, its pods are
    // being terminated; Failed follows once they are gone.
    auto type = c.value("type", "");
    if ((type == "Failed" || type == "FailureTarget") && c.value("status", "") == "True") {
      return Verdict{StepState::Failed, std::nullopt, c.value("reason", "Failed"), c.value("message", "")};
    }
  }
  return std::nullopt;
}

}  // namespace sg::k8s_proxy
