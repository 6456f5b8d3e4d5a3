#include "kube/wait.hpp"

#include <gtest/gtest.h>

namespace sg::kube {

TEST(WaitConditions, PodPhase) {
  auto running = conditions::pod_phase({"Running", "Succeeded"});
  EXPECT_EQ(running(nullptr).state, WaitState::Pending);
  json pending = {{"status", {{"phase", "Pending"}}}};
  EXPECT_EQ(running(&pending).state, WaitState::Pending);
  json run = {{"status", {{"phase", "Running"}}}};
  EXPECT_EQ(running(&run).state, WaitState::Done);
  json failed = {{"status", {{"phase", "Failed"}, {"reason", "Evicted"}, {"message", "low on memory"}}}};
  auto v = running(&failed);
  EXPECT_EQ(v.state, WaitState::Failed);
  EXPECT_NE(v.message.find("Evicted"), std::string::npos);
}

TEST(WaitConditions, JobFinished) {
  auto c = conditions::job_finished();
  json active = {{"status", {{"active", 1}}}};
  EXPECT_EQ(c(&active).state, WaitState::Pending);
  json done = {{"status", {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}};
  EXPECT_EQ(c(&done).state, WaitState::Done);
  json failed = {{"status",
                  {{"conditions",
                    {{{"type", "Failed"},
                      {"status", "True"},
                      {"reason", "DeadlineExceeded"},
                      {"message", "Job was active longer than specified deadline"}}}}}}};
  auto v = c(&failed);
  EXPECT_EQ(v.state, WaitState::Failed);
  EXPECT_NE(v.message.find("DeadlineExceeded"), std::string::npos);
}

TEST(WaitConditions, DeploymentRolledOut) {
  auto c = conditions::deployment_rolled_out();
  json progressing = {
      {"metadata", {{"generation", 2}}},
      {"spec", {{"replicas", 3}}},
      {"status", {{"observedGeneration", 2}, {"replicas", 4}, {"updatedReplicas", 3}, {"availableReplicas", 3}}}};
  EXPECT_EQ(c(&progressing).state, WaitState::Pending);  // an old replica is still there
  json done = progressing;
  done["status"]["replicas"] = 3;
  EXPECT_EQ(c(&done).state, WaitState::Done);
  json stale = done;
  stale["metadata"]["generation"] = 3;
  EXPECT_EQ(c(&stale).state, WaitState::Pending);  // controller has not seen the new spec
  json stuck = done;
  stuck["status"]["conditions"] = {
      {{"type", "Progressing"}, {"status", "False"}, {"reason", "ProgressDeadlineExceeded"}}};
  EXPECT_EQ(c(&stuck).state, WaitState::Failed);
}

TEST(WaitConditions, StatefulSetReady) {
  auto c = conditions::statefulset_ready();
  json sts = {{"metadata", {{"generation", 1}}},
              {"spec", {{"replicas", 3}}},
              {"status",
               {{"observedGeneration", 1}, {"readyReplicas", 2}, {"currentRevision", "r1"}, {"updateRevision", "r1"}}}};
  EXPECT_EQ(c(&sts).state, WaitState::Pending);
  sts["status"]["readyReplicas"] = 3;
  EXPECT_EQ(c(&sts).state, WaitState::Done);
  sts["status"]["updateRevision"] = "r2";
  EXPECT_EQ(c(&sts).state, WaitState::Pending);
}

TEST(WaitConditions, Deleted) {
  auto c = conditions::deleted();
  json obj = json::object();
  EXPECT_EQ(c(&obj).state, WaitState::Pending);
  EXPECT_EQ(c(nullptr).state, WaitState::Done);
}

TEST(WaitConditions, ServerTextIsEscapedAndWrongShapesAreNotACrash) {
  auto pod = conditions::pod_phase({"Succeeded"});
  json failed = {{"status", {{"phase", "Failed"}, {"reason", "Evicted"}, {"message", "low\nerror: fake line"}}}};
  auto v = pod(&failed);
  EXPECT_EQ(v.state, WaitState::Failed);
  EXPECT_EQ(v.message.find('\n'), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("low\\nerror: fake line"), std::string::npos) << v.message;
  json odd = {{"status", {{"phase", 7}, {"conditions", "none"}}}, {"spec", {{"replicas", "three"}}}};
  EXPECT_EQ(pod(&odd).state, WaitState::Pending);
  EXPECT_EQ(conditions::job_finished()(&odd).state, WaitState::Pending);
  EXPECT_EQ(conditions::deployment_rolled_out()(&odd).state, WaitState::Pending);
  json not_an_object = json::array({1, 2});
  EXPECT_EQ(conditions::statefulset_ready()(&not_an_object).state, WaitState::Pending);
  json job = {{"status", {{"conditions", {{{"type", "Failed"}, {"status", "True"}, {"reason", 5}}}}}}};
  EXPECT_EQ(conditions::job_finished()(&job).state, WaitState::Failed);
}

}  // namespace sg::kube
