#include "pod_status.hpp"

#include <gtest/gtest.h>

namespace sg::k8s_proxy {
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST(PodStatus, ExitCodesAndReasons) {
  auto terminated = json::parse(R"({"status":{"phase":"Failed","containerStatuses":[{"name":"step",
    "state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}})");
  auto v = judge_pod(terminated, 0s, 30s);
  EXPECT_EQ(v.state, StepState::Failed);
  EXPECT_EQ(v.exit_code, 137);
  EXPECT_EQ(v.reason, "OOMKilled");
  auto ok =
      json::parse(R"({"status":{"phase":"Succeeded","containerStatuses":[{"state":{"terminated":{"exitCode":0}}}]}})");
  EXPECT_EQ(judge_pod(ok, 0s, 30s).state, StepState::Succeeded);
  auto evicted =
      json::parse(R"({"status":{"phase":"Failed","reason":"Evicted","message":"low on ephemeral storage"}})");
  v = judge_pod(evicted, 0s, 30s);
  EXPECT_EQ(v.state, StepState::Failed);
  EXPECT_EQ(v.reason, "Evicted");
  EXPECT_FALSE(v.exit_code);
}

TEST(PodStatus, StartupProblemsAreStuckNotPending) {
  for (auto reason : {"ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"}) {
    json pod = {{"status",
                 {{"phase", "Pending"},
                  {"containerStatuses", {{{"state", {{"waiting", {{"reason", reason}, {"message", "m"}}}}}}}}}}};
    auto v = judge_pod(pod, 0s, 30s);
    EXPECT_EQ(v.state, StepState::Stuck) << reason;
    EXPECT_EQ(v.reason, reason);
  }
  json creating = {
      {"status",
       {{"phase", "Pending"}, {"containerStatuses", {{{"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}}}}}}};
  EXPECT_EQ(judge_pod(creating, 0s, 30s).state, StepState::Starting);
}

TEST(PodStatus, UnschedulableAfterItsLimit) {
  auto pod = json::parse(R"({"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
    "reason":"Unschedulable","message":"0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}]}})");
  EXPECT_TRUE(unschedulable(pod));
  EXPECT_EQ(judge_pod(pod, 5s, 30s).state, StepState::Starting);
  auto v = judge_pod(pod, 30s, 30s);
  EXPECT_EQ(v.state, StepState::Stuck);
  EXPECT_NE(v.message.find("didn't match"), std::string::npos);
}

TEST(PodStatus, AClaimTheSchedulerHasNotSeenYetIsRecognised) {
  // kube-scheduler 1.34's words when its informer lags behind a new claim.
  auto pod = json::parse(R"({"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
    "reason":"Unschedulable","message":"0/2 nodes are available: persistentvolumeclaim \"ws-abc\" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."}]}})");
  EXPECT_TRUE(waits_for_claim(pod, "ws-abc"));
  EXPECT_FALSE(waits_for_claim(pod, "ws-ab"));
  EXPECT_FALSE(waits_for_claim(pod, "other"));
  auto selector = json::parse(R"({"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
    "reason":"Unschedulable","message":"0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}]}})");
  EXPECT_FALSE(waits_for_claim(selector, "ws-abc"));
  auto scheduled = json::parse(R"({"status":{"phase":"Running","conditions":[{"type":"PodScheduled","status":"True",
    "message":"persistentvolumeclaim \"ws-abc\" not found"}]}})");
  EXPECT_FALSE(waits_for_claim(scheduled, "ws-abc"));
}

TEST(PodStatus, JobFailures) {
  auto job = json::parse(R"({"status":{"conditions":[{"type":"Failed","status":"True","reason":"DeadlineExceeded",
    "message":"Job was active longer than specified deadline"}]}})");
  auto v = judge_job(job);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, "DeadlineExceeded");
  EXPECT_FALSE(judge_job(json::parse(R"({"status":{"active":1}})")));
}

}  // namespace sg::k8s_proxy
