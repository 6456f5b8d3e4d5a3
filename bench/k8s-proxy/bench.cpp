// Measures k8s-proxy's two overheads on the real control plane (kwok nodes)
// and kubectl run --rm --attach doing the same step:
//   start:  process start -> the Job (ours) / Pod (kubectl) exists
//   finish: the pod's container terminated -> the process has exited
// Both are timed the same way: a watch in this process records when the
// object appears and when the pod reports termination; process start and
// exit are recorded around util::run_process. Median of N runs (default 20).
//
//   KUBECONFIG=... SPOTGUIDE_KUBECTL=... k8s-proxy-bench [N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "kube/client.hpp"
#include "kube/watch.hpp"

namespace {

using namespace sg;
using clk = std::chrono::steady_clock;
using bench::median;
using bench::ms;

struct Times {
  std::mutex mu;
  std::map<std::string, clk::time_point> created;     // by run label
  std::map<std::string, clk::time_point> terminated;  // by run label
};

std::string run_label(const kube::json& obj) {
  const auto& meta = obj["metadata"];
  if (meta.contains("labels") && meta["labels"].contains("bench-run")) return meta["labels"]["bench-run"];
  if (meta.contains("annotations") && meta["annotations"].contains("bench-run"))
    return meta["annotations"]["bench-run"];
  return {};
}

bool terminated(const kube::json& pod) {
  if (!pod.contains("status") || !pod["status"].contains("containerStatuses")) return false;
  for (const auto& cs : pod["status"]["containerStatuses"]) {
    if (cs.contains("state") && cs["state"].contains("terminated")) return true;
  }
  return false;
}

// Process start and exit as this process sees them; the child's output is
// collected and dropped.
std::pair<clk::time_point, clk::time_point> run(const std::vector<std::string>& argv,
                                                const std::map<std::string, std::string>& env_add) {
  auto env = bench::environment_with(env_add);
  auto start = clk::now();
  util::run_process(argv, env, std::chrono::minutes(5));
  return {start, clk::now()};
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20;
  const char* kubeconfig = std::getenv("KUBECONFIG");
  const char* kubectl = std::getenv("SPOTGUIDE_KUBECTL");
  if (!kubeconfig || !kubectl) {
    std::fprintf(stderr, "set KUBECONFIG and SPOTGUIDE_KUBECTL (scripts/testenv kube env)\n");
    return 2;
  }
  kube::Client c(kube::load_kubeconfig_files({kubeconfig}));
  const std::string ns = "k8s-proxy-bench";
  if (!c.try_get(kube::resources::namespaces, "", ns)) {
    c.create(kube::resources::namespaces, "",
             {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  }
  Times times;
  std::atomic<bool> stop{false};
  auto watch = [&](const kube::Resource& r) {
    return std::thread([&, r] {
      kube::Client wc(kube::load_kubeconfig_files({kubeconfig}));
      kube::Watcher w(wc, r, ns);
      w.run([&](const kube::WatchEvent& e) {
        auto now = clk::now();
        auto label = run_label(e.object);
        if (!label.empty()) {
          std::lock_guard lock(times.mu);
          times.created.emplace(label, now);
          if (r.plural == "pods" && terminated(e.object)) times.terminated.emplace(label, now);
        }
        return !stop.load();
      });
    });
  };
  auto jobs = watch(kube::resources::jobs);
  auto pods = watch(kube::resources::pods);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  const std::string annotations = R"({"spotguide.test/run-seconds":"1","spotguide.test/log-lines":"hello"})";
  std::vector<double> ours_start, ours_finish, theirs_start, theirs_finish;
  for (int i = 0; i < n; ++i) {
    auto label = "ours-" + std::to_string(i);
    auto [t0, t1] =
        run({std::string(SPOTGUIDE_BIN_DIR) + "/k8s-proxy"}, {{"PLUGIN_KUBECONFIG_PATH", kubeconfig},
                                                              {"PLUGIN_JOB_NAMESPACE", ns},
                                                              {"PLUGIN_ORIGINAL_IMAGE", "busybox"},
                                                              {"PLUGIN_WORKSPACE", "false"},
                                                              {"PLUGIN_LABELS", "{\"bench-run\":\"" + label + "\"}"},
                                                              {"PLUGIN_ANNOTATIONS", annotations},
                                                              {"DRONE_REPO", "bench/proxy"},
                                                              {"DRONE_BUILD_NUMBER", std::to_string(i)}});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::lock_guard lock(times.mu);
    if (times.created.count(label)) ours_start.push_back(ms(times.created[label] - t0));
    if (times.terminated.count(label)) ours_finish.push_back(ms(t1 - times.terminated[label]));
  }
  for (int i = 0; i < n; ++i) {
    auto label = "kubectl-" + std::to_string(i);
    auto name = "kubectl-bench-" + std::to_string(i);
    auto [t0, t1] = run({kubectl, "--kubeconfig", kubeconfig, "-n", ns, "run", name, "--rm", "--attach", "--quiet",
                         "--restart=Never", "--image=busybox", "--labels=bench-run=" + label,
                         "--annotations=spotguide.test/run-seconds=1", "--annotations=spotguide.test/log-lines=hello"},
                        {});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::lock_guard lock(times.mu);
    if (times.created.count(label)) theirs_start.push_back(ms(times.created[label] - t0));
    if (times.terminated.count(label)) theirs_finish.push_back(ms(t1 - times.terminated[label]));
  }
  std::printf("median of %d runs          k8s-proxy      kubectl run --rm --attach\n", n);
  std::printf("start -> object created   %8.1f ms   %8.1f ms\n", median(ours_start), median(theirs_start));
  std::printf("pod done -> process exit  %8.1f ms   %8.1f ms\n", median(ours_finish), median(theirs_finish));
  std::printf("(samples: %zu/%zu ours, %zu/%zu kubectl)\n", ours_start.size(), ours_finish.size(), theirs_start.size(),
              theirs_finish.size());
  stop = true;
  c.remove(kube::resources::namespaces, "", ns);
  std::fflush(stdout);
  std::_Exit(0);  // the watch threads block in their streams
}
