#pragma once
// Reads a step's pod and Job into one verdict: still starting, running,
// finished with an exit code, or stuck in a way that will not heal by
// waiting (bad image, broken config, nowhere to schedule). Pure; tested on
// recorded objects.
#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sg::k8s_proxy {

enum class StepState { Starting, Running, Succeeded, Failed, Stuck };

struct Verdict {
  StepState state = StepState::Starting;
  std::optional<int> exit_code;
  std::string reason;   // OOMKilled, Evicted, DeadlineExceeded, ImagePullBackOff, Unschedulable, ...
  std::string message;  // the cluster's own words
};

// `unschedulable_for`: how long the scheduler has been saying Unschedulable
// (the runner tracks it); past `unschedulable_limit` the step is Stuck.
Verdict judge_pod(const nlohmann::json& pod, std::chrono::seconds unschedulable_for,
                  std::chrono::seconds unschedulable_limit);
// True when the scheduler currently reports the pod Unschedulable.
bool unschedulable(const nlohmann::json& pod);
// True when the scheduler rejected the pod because it has not seen `claim`
// yet (its informer lagged behind the claim's creation).
bool waits_for_claim(const nlohmann::json& pod, const std::string& claim);
// A failed Job's reason (BackoffLimitExceeded, DeadlineExceeded) and message.
std::optional<Verdict> judge_job(const nlohmann::json& job);

}  // namespace sg::k8s_proxy
