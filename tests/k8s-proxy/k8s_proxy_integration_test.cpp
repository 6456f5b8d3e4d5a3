// k8s-proxy against the real control plane. kwok nodes play the step's
// container: pod annotations (passed through the `annotations` setting) set
// its exit code, run time and log lines (docs/testenv-kube.md).
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "kube/client.hpp"
#include "kube_env.hpp"
#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::testing {
namespace {

using namespace std::chrono_literals;
namespace res = kube::resources;
using kube::json;

std::map<std::string, std::string> step_env(const std::string& ns, std::map<std::string, std::string> settings,
                                            const std::string& repo = "acme/app", const std::string& build = "7") {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},
                                         {"HOME", std::getenv("HOME")},
                                         {"DRONE", "true"},
                                         {"DRONE_REPO", repo},
                                         {"DRONE_BUILD_NUMBER", build},
                                         {"DRONE_STEP_NAME", "remote_build"},
                                         {"PLUGIN_KUBECONFIG_PATH", KubeEnv::get().admin_kubeconfig()},
                                         {"PLUGIN_JOB_NAMESPACE", ns},
                                         {"PLUGIN_WORKSPACE", "false"},
                                         {"PLUGIN_ORIGINAL_IMAGE", "busybox"},
                                         {"PLUGIN_ORIGINAL_COMMANDS", "echo hi"}};
  for (const auto& [k, v] : settings)
    env["PLUGIN_" + k] = v;
  return env;
}

std::string annotations(int exit_code, const std::string& lines, const std::string& run_seconds = "0",
                        const std::string& interval_ms = "0") {
  return json{{"spotguide.test/exit-code", std::to_string(exit_code)},
              {"spotguide.test/log-lines", lines},
              {"spotguide.test/run-seconds", run_seconds},
              {"spotguide.test/log-interval-ms", interval_ms}}
      .dump();
}

util::ProcessResult run_proxy(const std::map<std::string, std::string>& env, std::chrono::seconds timeout = 120s) {
  return util::run_process({bin_dir() + "/k8s-proxy"}, env, timeout);
}

void expect_nothing_left(const std::string& ns) {
  auto c = KubeEnv::get().admin();
  // Foreground deletion finishes when the garbage collector removed the pods.
  for (int i = 0; i < 100; ++i) {
    if (c.list(res::jobs, ns).items.empty() && c.list(res::pods, ns).items.empty() &&
        c.list(res::secrets, ns, {.label_selector = "app.kubernetes.io/managed-by=spotguide-k8s-proxy"})
            .items.empty()) {
      return;
    }
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(c.list(res::jobs, ns).items.empty()) << "a Job was left behind";
  EXPECT_TRUE(c.list(res::pods, ns).items.empty()) << "a Pod was left behind";
  EXPECT_TRUE(
      c.list(res::secrets, ns, {.label_selector = "app.kubernetes.io/managed-by=spotguide-k8s-proxy"}).items.empty())
      << "a Secret was left behind";
}

}  // namespace

TEST(K8sProxy, HappyPathStreamsTheLogAndCleansUp) {
  ScopedNamespace ns("sg-proxy-ok");
  auto env = step_env(ns.name(), {{"ANNOTATIONS", annotations(0, "compiling\nBUILD SUCCESS")},
                                  {"SPARK_SUBMIT_OPTIONS", "{\"class\":\"Pi\"}"},
                                  {"TOKEN_FOR_THE_STEP", "s3cr3t-value"}});
  auto r = run_proxy(env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("compiling\nBUILD SUCCESS\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("JOB_NAME=app-7-remote-build-"), std::string::npos) << r.out;
  EXPECT_EQ((r.out + r.err).find("s3cr3t-value"), std::string::npos);
  expect_nothing_left(ns.name());
}

TEST(K8sProxy, ForwardedSettingsTravelInASecretNotTheJobSpec) {
  ScopedNamespace ns("sg-proxy-secret");
  auto env = step_env(ns.name(), {{"ANNOTATIONS", annotations(0, "x", "forever")},
                                  {"SPARK_SUBMIT_CONFIGS", "{\"spark.app.name\":\"pi\"}"},
                                  {"AZURE_KEY", "k3y-material"}});
  util::Process p({bin_dir() + "/k8s-proxy"}, env);
  auto c = KubeEnv::get().admin();
  json job;
  for (int i = 0; i < 100 && job.is_null(); ++i) {
    auto jobs = c.list(res::jobs, ns.name()).items;
    if (!jobs.empty()) job = jobs.front();
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(job.is_null());
  EXPECT_EQ(job.dump().find("k3y-material"), std::string::npos);
  auto secret_name =
      job["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["secretRef"]["name"].get<std::string>();
  auto secret = c.get(res::secrets, ns.name(), secret_name);
  EXPECT_TRUE(secret["data"].contains("PLUGIN_AZURE_KEY"));
  EXPECT_TRUE(secret["data"].contains("PLUGIN_SPARK_SUBMIT_CONFIGS"));
  EXPECT_FALSE(secret["data"].contains("PLUGIN_ORIGINAL_IMAGE"));  // k8s-proxy's own settings stay out
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["kind"], "Job");
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(60s).exit_code, 143);
  expect_nothing_left(ns.name());
}

TEST(K8sProxy, ExitCodePropagates) {
  ScopedNamespace ns("sg-proxy-exit");
  auto r = run_proxy(step_env(ns.name(), {{"ANNOTATIONS", annotations(3, "tests failed")}}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.out.find("tests failed"), std::string::npos);
  EXPECT_NE(r.err.find("step failed with exit code 3"), std::string::npos) << r.err;
  expect_nothing_left(ns.name());
}

TEST(K8sProxy, KeepOnFailureKeepsTheJob) {
  ScopedNamespace ns("sg-proxy-keep");
  auto r = run_proxy(step_env(ns.name(), {{"ANNOTATIONS", annotations(2, "")}, {"KEEP_ON_FAILURE", "true"}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(KubeEnv::get().admin().list(res::jobs, ns.name()).items.size(), 1u);
}

TEST(K8sProxy, AwkwardRepoNames) {
  ScopedNamespace ns("sg-proxy-names");
  for (const std::string& repo :
       std::vector<std::string>{"ACME/UPPER_CASE_Repo", "org/" + std::string(120, 'r') + "_with_underscores"}) {
    auto r = run_proxy(step_env(ns.name(), {{"ANNOTATIONS", annotations(0, "ok")}}, repo));
    EXPECT_EQ(r.exit_code, 0) << repo << "\n" << r.err;
  }
}

TEST(K8sProxy, ConcurrentBuildsWithTheSameNumberInOneNamespace) {
  ScopedNamespace ns("sg-proxy-concurrent");
  util::Process a(
      {bin_dir() + "/k8s-proxy"},
      step_env(ns.name(), {{"ANNOTATIONS", annotations(0, "from a 1\nfrom a 2", "2", "300")}}, "team-a/app", "12"));
  util::Process b(
      {bin_dir() + "/k8s-proxy"},
      step_env(ns.name(), {{"ANNOTATIONS", annotations(5, "from b 1\nfrom b 2", "2", "300")}}, "team-b/app", "12"));
  auto ra = a.wait(120s), rb = b.wait(120s);
  EXPECT_EQ(ra.exit_code, 0) << ra.err;
  EXPECT_EQ(rb.exit_code, 5) << rb.err;
  EXPECT_NE(ra.out.find("from a 1\nfrom a 2\n"), std::string::npos) << ra.out;
  EXPECT_EQ(ra.out.find("from b"), std::string::npos);
  EXPECT_NE(rb.out.find("from b 1\nfrom b 2\n"), std::string::npos) << rb.out;
  EXPECT_EQ(rb.out.find("from a"), std::string::npos);
}

TEST(K8sProxy, ApiServerRestartMidRunLosesNoLine) {
  ScopedNamespace ns("sg-proxy-restart");
  std::string lines, want;
  for (int i = 1; i <= 25; ++i) {
    lines += "line " + std::to_string(i) + "\n";
    want += "line " + std::to_string(i) + "\n";
  }
  util::Process p({bin_dir() + "/k8s-proxy"},
                  step_env(ns.name(), {{"ANNOTATIONS", annotations(4, lines, "7", "250")}}));
  ASSERT_TRUE(p.wait_for_output("line 3\n", 60s));
  ASSERT_EQ(KubeEnv::testenv("restart apiserver"), 0);
  auto r = p.wait(120s);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("line 25\nline"), std::string::npos) << "duplicated lines:\n" << r.out;
}

TEST(K8sProxy, UnschedulableFailsFast) {
  ScopedNamespace ns("sg-proxy-unsched");
  auto start = std::chrono::steady_clock::now();
  auto r = run_proxy(step_env(
      ns.name(), {{"NODE_SELECTOR", "{\"no-such\":\"node\"}"}, {"UNSCHEDULABLE_TIMEOUT", "3s"}, {"TIMEOUT", "10m"}}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot start: Unschedulable"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("node_selector"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 60s);
  expect_nothing_left(ns.name());
}

TEST(K8sProxy, ImagePullFailureFailsFast) {
  ScopedNamespace ns("sg-proxy-pull");
  auto r = run_proxy(step_env(ns.name(), {{"ANNOTATIONS", "{\"spotguide.test/waiting-reason\":\"ErrImagePull\"}"},
                                          {"ORIGINAL_IMAGE", "registry.invalid/nope:1"}}),
                     60s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot start: ErrImagePull"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("original_image"), std::string::npos) << r.err;
  expect_nothing_left(ns.name());
}

TEST(K8sProxy, SigtermDeletesJobPodAndSecret) {
  ScopedNamespace ns("sg-proxy-sigterm");
  util::Process p({bin_dir() + "/k8s-proxy"},
                  step_env(ns.name(), {{"ANNOTATIONS", annotations(0, "working", "forever")}, {"SOME_SETTING", "v"}}));
  ASSERT_TRUE(p.wait_for_output("working", 60s));
  auto start = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  auto r = p.wait(60s);
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 25s);
  expect_nothing_left(ns.name());
}

TEST(K8sProxy, TimeoutFailsTheStep) {
  ScopedNamespace ns("sg-proxy-timeout");
  auto r = run_proxy(step_env(ns.name(), {{"ANNOTATIONS", annotations(0, "slow", "forever")}, {"TIMEOUT", "3s"}}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(r.err.find("DeadlineExceeded") != std::string::npos || r.err.find("timed out") != std::string::npos)
      << r.err;
  expect_nothing_left(ns.name());
}

TEST(K8sProxy, WorkspaceClaimIsCreatedAndCleanedUp) {
  ScopedNamespace ns("sg-proxy-ws");
  auto c = KubeEnv::get().admin();
  auto pv_name = ns.name() + "-pv";
  // The test cluster has no provisioner: a matching volume lets the claim bind.
  c.create(res::persistentvolumes, "",
           {{"apiVersion", "v1"},
            {"kind", "PersistentVolume"},
            {"metadata", {{"name", pv_name}}},
            {"spec",
             {{"capacity", {{"storage", "3Gi"}}},
              {"accessModes", {"ReadWriteOnce"}},
              {"hostPath", {{"path", "/tmp/" + pv_name}}},
              {"storageClassName", ""},
              {"persistentVolumeReclaimPolicy", "Delete"}}}});
  auto env = step_env(ns.name(), {{"ANNOTATIONS", annotations(0, "in the workspace")},
                                  {"WORKSPACE", "true"},
                                  {"WORKSPACE_STORAGE_CLASS", ""},
                                  {"WORKSPACE_CLEANUP", "always"}});
  env["DRONE_WORKSPACE"] = "/drone/src/github.com/acme/app";
  auto r = run_proxy(env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("created workspace claim acme-app-7-workspace"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("deleted workspace claim"), std::string::npos) << r.err;
  c.remove(res::persistentvolumes, "", pv_name);
}

TEST(K8sProxy, LimitedRbacGivesAClearError) {
  const auto& kenv = KubeEnv::get();
  auto env = step_env(kenv.limited_namespace(), {{"ANNOTATIONS", annotations(0, "x")}});
  env["PLUGIN_KUBECONFIG_PATH"] = kenv.limited_kubeconfig();
  auto r = run_proxy(env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Forbidden"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("RoleBinding"), std::string::npos) << r.err;
}

// On the real node (a kubelet with containerd and runc): the commands really
// run, in order, with set -e, each echoed first.
namespace {

// The settings that put the step on the real node, in namespace `ns`.
std::map<std::string, std::string> real_node_env(const std::string& ns, std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> s{
      {"ORIGINAL_IMAGE", KubeEnv::get().value("SPOTGUIDE_KUBE_REAL_NODE_IMAGE")},
      {"PULL_POLICY", "Never"},
      {"NODE_SELECTOR", "{\"spotguide.test/real-node\":\"true\"}"},
      {"TOLERATIONS", "[{\"key\":\"spotguide.test/real-node\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]"}};
  for (auto& [k, v] : extra)
    s[k] = v;
  return step_env(ns, s);
}

}  // namespace

TEST(K8sProxy, RealNodeRunsTheCommandListAndStopsAtTheFirstFailure) {
  ScopedNamespace ns("sg-proxy-real");
  auto real = [&](std::map<std::string, std::string> extra) { return real_node_env(ns.name(), std::move(extra)); };
  auto r = run_proxy(real({{"ORIGINAL_COMMANDS", "[\"echo one\", \"echo a,b\", \"false\", \"echo never\"]"}}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("+ echo one\none\n+ echo a,b\na,b\n+ false\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("never"), std::string::npos) << r.out;
  auto three = run_proxy(
      real({{"ORIGINAL_COMMANDS", "[\"echo $PLUGIN_GREETING from $DRONE_REPO\", \"exit 3\"]"}, {"GREETING", "hello"}}));
  EXPECT_EQ(three.exit_code, 3) << three.err;
  EXPECT_NE(three.out.find("hello from acme/app"), std::string::npos) << three.out;
  expect_nothing_left(ns.name());
}

// A step whose PID 1 ignores SIGTERM (a shell waiting on sleep; PID 1 has
// no default signal actions) on the real kubelet: a cancelled run must not
// wait out the pod's 30 s grace period, and its last word on the cleanup
// must match what the cluster shows.
TEST(K8sProxy, RealNodeSigtermRemovesAStepThatIgnoresSigterm) {
  ScopedNamespace ns("sg-proxy-real-term");
  util::Process p({bin_dir() + "/k8s-proxy"},
                  real_node_env(ns.name(), {{"ORIGINAL_COMMANDS", "[\"echo step-is-running\", \"sleep 300\"]"}}));
  ASSERT_TRUE(p.wait_for_output("step-is-running", 90s));
  auto start = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  auto r = p.wait(30s);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_LT(took, 7s) << r.out << r.err;
  std::cerr << "SIGTERM to exit: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  auto c = KubeEnv::get().admin();
  bool gone = c.list(res::jobs, ns.name()).items.empty() && c.list(res::pods, ns.name()).items.empty();
  // The report's line about the cleanup is the last it prints before the
  // outputs; it must say what the cluster shows right now.
  bool claims_done = r.out.find("cleanup finished") != std::string::npos;
  bool admits_not_done = r.out.find("cleanup NOT finished") != std::string::npos;
  EXPECT_TRUE(claims_done || admits_not_done) << r.out;
  if (claims_done) {
    EXPECT_TRUE(gone) << "claimed a finished cleanup, but the Job or pod is still there";
  }
  std::string left;
  for (const auto& pod : c.list(res::pods, ns.name()).items)
    left += pod["metadata"].value("name", "") + " deleting since " + pod["metadata"].value("deletionTimestamp", "-") +
            " phase " + pod["status"].value("phase", "-") + "; ";
  EXPECT_TRUE(gone) << "the pod of a step that ignores SIGTERM outlived the plugin: " << left << r.out << r.err;
  expect_nothing_left(ns.name());
}

}  // namespace sg::testing
