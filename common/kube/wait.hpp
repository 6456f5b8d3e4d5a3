#pragma once
// Waiting until an object reaches a state, by watching it (not polling). The
// conditions are pure functions of the object, unit-tested on fixtures.
#include <chrono>
#include <functional>
#include <string>

#include "kube/client.hpp"

namespace sg::kube {

enum class WaitState { Pending, Done, Failed };

struct Verdict {
  WaitState state = WaitState::Pending;
  std::string message;  // why it failed, or what it is waiting for
};

// `object` is null when the object does not exist (yet, or any more).
using Condition = std::function<Verdict(const json* object)>;

namespace conditions {
// Done when the pod's phase is one of `phases` (e.g. Running, Succeeded).
// Failed when it is Failed and that is not among `phases`.
Condition pod_phase(std::vector<std::string> phases);
// Done on Complete, Failed on Failed (with the Job's reason and message).
Condition job_finished();
// Observed generation current, all replicas updated and available;
// Failed on ProgressDeadlineExceeded.
Condition deployment_rolled_out();
// Observed generation current, all replicas ready and on the update revision.
Condition statefulset_ready();
// Done once the object is gone.
Condition deleted();
}  // namespace conditions

// Returns the object in its final state; throws sg::Error when the condition
// fails or `timeout` passes (naming what it waited for and the last state),
// and sg::Cancelled on a signal.
json wait_for(Client& client, const Resource& r, const std::string& ns, const std::string& name,
              const Condition& condition, std::chrono::milliseconds timeout, const std::string& what);

}  // namespace sg::kube
