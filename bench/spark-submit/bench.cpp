// Submit latency and peak memory of the spark-submit plugin against Spark
// 4.0.5's own spark-submit, submitting the same SparkPi application to the
// real control plane (kwok nodes):
//   latency: process start -> the driver pod exists (seen by a watch here)
//   peak RSS: wait4's ru_maxrss of the process tree (the JVM for Spark)
// Both tools get the same arguments: the test env's master and submission
// credentials (scripts/testenv spark args), waitAppCompletion=false.
// Median of N runs each (default 10).
//
//   eval "$(scripts/testenv kube env)"; eval "$(scripts/testenv spark env)"
//   KUBECONFIG=$SPOTGUIDE_KUBECONFIG build/bin/spark-submit-bench [N]
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

#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "kube/client.hpp"
#include "kube/watch.hpp"
#include "util/process.hpp"

namespace {

using namespace sg;
using clk = std::chrono::steady_clock;
using bench::median;
using bench::ms;

std::vector<std::string> lines_of(const std::string& cmd) {
  std::vector<std::string> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) {
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    out.push_back(s);
  }
  pclose(p);
  return out;
}

struct Result {
  clk::time_point start;
  util::ProcessResult process;
};

Result run(const std::vector<std::string>& argv, std::map<std::string, std::string> env) {
  env["PATH"] = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  Result r;
  r.start = clk::now();
  r.process = util::run_process(argv, env, std::chrono::minutes(5));
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10;
  const char* kubeconfig = std::getenv("KUBECONFIG");
  const char* spark_submit = std::getenv("SPOTGUIDE_SPARK_SUBMIT");
  const char* spark_home = std::getenv("SPOTGUIDE_SPARK_HOME");
  const char* java_home = std::getenv("SPOTGUIDE_SPARK_JAVA_HOME");
  const char* conf_dir = std::getenv("SPOTGUIDE_SPARK_EMPTY_CONF_DIR");
  if (!kubeconfig || !spark_submit || !spark_home || !java_home || !conf_dir) {
    std::fprintf(stderr,
                 "set KUBECONFIG and the spark env: eval \"$(scripts/testenv kube env)\"; "
                 "eval \"$(scripts/testenv spark env)\"; KUBECONFIG=$SPOTGUIDE_KUBECONFIG\n");
    return 2;
  }
  const std::string testenv = std::string(SPOTGUIDE_SOURCE_DIR) + "/scripts/testenv";
  auto pre = lines_of(testenv + " spark args false 2>/dev/null");
  if (pre.empty()) {
    std::fprintf(stderr, "scripts/testenv spark args failed (is the kube env up?)\n");
    return 2;
  }
  kube::Client c(kube::load_kubeconfig_files({kubeconfig}));
  const std::string ns = "spark-submit-bench";
  if (!c.try_get(kube::resources::namespaces, "", ns)) {
    c.create(kube::resources::namespaces, "",
             {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
    std::this_thread::sleep_for(std::chrono::seconds(2));  // its default ServiceAccount
  }
  std::mutex mu;
  std::map<std::string, clk::time_point> created;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    kube::Client wc(kube::load_kubeconfig_files({kubeconfig}));
    kube::Watcher w(wc, kube::resources::pods, ns, {.label_selector = "bench-run"});
    w.run([&](const kube::WatchEvent& e) {
      auto now = clk::now();
      std::lock_guard lock(mu);
      created.emplace(e.object["metadata"]["labels"]["bench-run"].get<std::string>(), now);
      return !stop.load();
    });
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));

  auto app = [&](const std::string& label) {
    std::vector<std::string> args = pre;
    for (const auto& a : {"--name", "spark-pi", "--class", "org.apache.spark.examples.SparkPi", "--conf",
                          "spark.kubernetes.container.image=apache/spark:4.0.5"})
      args.emplace_back(a);
    args.push_back("--conf");
    args.push_back("spark.kubernetes.namespace=" + ns);
    args.push_back("--conf");
    args.push_back("spark.kubernetes.driver.label.bench-run=" + label);
    // The fake node finishes the driver at once.
    args.push_back("--conf");
    args.push_back("spark.kubernetes.driver.annotation.spotguide.test/run-seconds=0");
    args.push_back("local:///opt/spark/examples/jars/spark-examples.jar");
    return args;
  };
  // The plugin gets the same arguments as settings (args_to_settings.py).
  auto settings_for = [&](const std::vector<std::string>& args) {
    std::string cmd = "python3 " + std::string(SPOTGUIDE_SOURCE_DIR) + "/scripts/spark/args_to_settings.py";
    for (const auto& a : args)
      cmd += " '" + a + "'";
    return lines_of(cmd);
  };

  struct Series {
    std::vector<double> latency, rss_mib;
    int failures = 0;
  } ours, theirs;
  auto record = [&](Series& s, const std::string& label, const Result& r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::lock_guard lock(mu);
    if (r.process.exit_code != 0 || !created.count(label)) {
      ++s.failures;
      return;
    }
    s.latency.push_back(ms(created[label] - r.start));
    s.rss_mib.push_back(static_cast<double>(r.process.max_rss_kb) / 1024.0);
  };
  for (int i = 0; i < n; ++i) {
    auto label = "ours-" + std::to_string(i);
    std::map<std::string, std::string> env = {{"SPARK_USER", "bench"}};
    for (const auto& line : settings_for(app(label))) {
      auto eq = line.find('=');
      env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    record(ours, label, run({std::string(SPOTGUIDE_BIN_DIR) + "/spark-submit"}, env));
  }
  for (int i = 0; i < n; ++i) {
    auto label = "spark-" + std::to_string(i);
    std::vector<std::string> cmd = {spark_submit};
    for (auto& a : app(label))
      cmd.push_back(a);
    record(theirs, label,
           run(cmd, {{"JAVA_HOME", java_home},
                     {"SPARK_HOME", spark_home},
                     {"SPARK_CONF_DIR", conf_dir},
                     {"SPARK_USER", "bench"},
                     {"KUBERNETES_AUTH_TRYKUBECONFIG", "false"},
                     {"KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false"},
                     // the test env's ECDSA client key (see scripts/lib/spark.sh)
                     {"KUBERNETES_CERTS_CLIENT_KEY_ALGO", "EC"}}));
  }
  double ol = median(ours.latency), tl = median(theirs.latency);
  double orss = median(ours.rss_mib), trss = median(theirs.rss_mib);
  std::printf("median of %d runs             spark-submit plugin   Spark 4.0.5 spark-submit   ratio\n", n);
  std::printf("start -> driver pod exists   %10.1f ms          %10.1f ms            %6.1fx faster\n", ol, tl,
              ol > 0 ? tl / ol : 0.0);
  std::printf("peak RSS                     %10.1f MiB         %10.1f MiB           %6.1fx less\n", orss, trss,
              orss > 0 ? trss / orss : 0.0);
  std::printf("(samples: %zu ours, %zu Spark; failures: %d ours, %d Spark)\n", ours.latency.size(),
              theirs.latency.size(), ours.failures, theirs.failures);
  stop = true;
  c.remove(kube::resources::namespaces, "", ns);
  std::fflush(stdout);
  std::_Exit(ours.failures + theirs.failures == 0 ? 0 : 1);  // the watch thread blocks in its stream
}
