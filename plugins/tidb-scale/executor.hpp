#pragma once
// Runs a plan step by step. Before every destructive step (deleting a store
// or a PD member) it observes the cluster again and re-checks the planner's
// rules on what it sees, so a plan computed a while ago never acts on a
// cluster that changed under it. Every wait is bounded and cancellable; a
// re-run after a stop resumes (the planner starts with unfinished removals).
#include <chrono>

#include "cluster.hpp"
#include "output/output.hpp"
#include "planner.hpp"
#include "runtime/cancel.hpp"

namespace sg::tidb_scale {

struct ExecOptions {
  Goal goal = Goal::Scale;
  bool force = false;
  std::chrono::milliseconds timeout{30 * 60 * 1000};
  std::chrono::milliseconds leader_wait{30'000};
  std::chrono::milliseconds evict_leader_timeout{5 * 60 * 1000};
  std::chrono::milliseconds poll{2000};
};

// Thrown when a re-check refuses a step: the rule is in the message.
class RefusedError : public Error {
 public:
  RefusedError(const Refusal& r, std::string hint)
      : Error("refused by rule " + r.rule + ": " + r.message, std::move(hint)), rule_(r.rule) {}
  const std::string& rule() const { return rule_; }

 private:
  std::string rule_;
};

void execute(Cluster& cluster, const Plan& plan, const ExecOptions& options, const CancelToken& cancel,
             output::Report& report);

}  // namespace sg::tidb_scale
