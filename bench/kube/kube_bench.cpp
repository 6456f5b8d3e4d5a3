// Benchmarks the Kubernetes client against kubectl on the same cluster.
//
//   kube-bench setup NS N        create N pods in NS (kwok runs them)
//   kube-bench teardown NS       delete them again
//   kube-bench run NS N          measure and print a table (ratios vs kubectl)
//   kube-bench list NS | watch NS N | first-event NS   (the measured subjects)
//
// CPU time and peak RSS come from each subject's rusage (wait4), so both
// tools are measured the same way, as separate processes.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "kube/client.hpp"
#include "kube/watch.hpp"
#include "util/process.hpp"

namespace {

using namespace sg;
using clock_type = std::chrono::steady_clock;
using bench::median;

kube::Client client() {
  const char* kc = std::getenv("KUBECONFIG");
  if (!kc) {
    std::cerr << "set KUBECONFIG (eval \"$(scripts/testenv kube env)\"; export KUBECONFIG=$SPOTGUIDE_KUBECONFIG)\n";
    std::exit(2);
  }
  return kube::Client(kube::load_kubeconfig_files(kube::split_kubeconfig_env(kc)));
}

int setup(const std::string& ns, int n) {
  auto c = client();
  if (!c.try_get(kube::resources::namespaces, "", ns)) {
    c.create(kube::resources::namespaces, "",
             {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  }
  auto existing = c.list(kube::resources::pods, ns).items.size();
  for (auto i = static_cast<int>(existing); i < n; ++i) {
    c.create(kube::resources::pods, ns,
             {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "bench-" + std::to_string(i)}, {"labels", {{"app", "bench"}}}}},
              {"spec", {{"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}});
  }
  std::cout << "namespace " << ns << " has " << n << " pods\n";
  return 0;
}

// The pods fill the fake nodes (1,000 pods each): remove them afterwards.
int teardown(const std::string& ns) {
  auto c = client();
  for (const auto& n : {ns, ns + "-first"})
    c.remove(kube::resources::namespaces, "", n);
  std::cout << "deleting namespaces " << ns << " and " << ns << "-first\n";
  return 0;
}

int list(const std::string& ns) {
  auto c = client();
  auto r = c.list(kube::resources::pods, ns);
  std::cout << r.items.size() << "\n";
  return 0;
}

// Watch from resourceVersion 0: the server sends the current state as
// ADDED events, then changes. Stops after n events.
int watch(const std::string& ns, int n) {
  auto c = client();
  int seen = 0;
  c.stream(
      kube::resource_path(kube::resources::pods, ns) + "?watch=1&resourceVersion=0&allowWatchBookmarks=true",
      [&](std::string_view line) {
        auto e = kube::parse_watch_line(line);
        if (e.type != "BOOKMARK") ++seen;
        return seen < n;
      },
      std::chrono::seconds(120));
  std::cout << seen << "\n";
  return 0;
}

int first_event(const std::string& ns) {
  auto c = client();
  kube::Watcher w(c, kube::resources::pods, ns, {.label_selector = "app=bench"});
  w.run([&](const kube::WatchEvent& e) {
    std::cout << e.type << " " << e.object["metadata"].value("name", "") << std::endl;
    return false;
  });
  return 0;
}

struct Sample {
  double cpu_s = 0;
  long rss_kb = 0;
  double first_output_ms = 0;
  double wall_s = 0;
  bool ok = false;
};

// Runs argv, stops it once `stop_after_lines` lines were printed (0: let it
// finish), and returns its rusage-based CPU time and peak RSS.
Sample measure(const std::vector<std::string>& argv, int stop_after_lines) {
  int out[2];
  if (pipe(out) != 0) std::exit(1);
  auto start = clock_type::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<char*> a;
    for (const auto& s : argv)
      a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  close(out[1]);
  Sample s;
  char buf[65536];
  int lines = 0;
  bool first = true;
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) {
    if (first) {
      s.first_output_ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
      first = false;
    }
    lines += static_cast<int>(std::count(buf, buf + n, '\n'));
    if (stop_after_lines && lines >= stop_after_lines) {
      kill(pid, SIGTERM);
      break;
    }
  }
  close(out[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  s.wall_s = std::chrono::duration<double>(clock_type::now() - start).count();
  s.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  s.rss_kb = ru.ru_maxrss;
  s.ok = stop_after_lines ? lines >= stop_after_lines : WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return s;
}

// A paginated list can hit an etcd compaction between two pages (the
// continue token expires); such a run is repeated rather than counted.
Sample measure_ok(const std::vector<std::string>& argv, int stop_after_lines) {
  for (int attempt = 0;; ++attempt) {
    auto s = measure(argv, stop_after_lines);
    if (s.ok || attempt == 3) return s;
    std::cerr << "retrying failed sample of " << argv[0] << "\n";
  }
}

int run(const std::string& self, const std::string& ns, int n, int rounds) {
  const char* kubectl = std::getenv("SPOTGUIDE_KUBECTL");
  if (!kubectl) {
    std::cerr << "set SPOTGUIDE_KUBECTL (scripts/testenv kube env)\n";
    return 2;
  }
  struct Case {
    std::string name;
    std::vector<std::string> ours, theirs;
    int stop_ours, stop_theirs;
  };
  std::vector<Case> cases = {
      {"list " + std::to_string(n) + " pods",
       {self, "list", ns},
       {kubectl, "get", "pods", "-n", ns, "-o", "json", "--chunk-size=500"},
       0,
       0},
      {"watch " + std::to_string(n) + " pods",
       {self, "watch", ns, std::to_string(n)},
       {kubectl, "get", "pods", "-n", ns, "--watch", "-o", "name"},
       0,
       n},
      // In a namespace holding one pod: process start to the first event,
      // so start-up, TLS and the list+watch set-up are what is measured.
      {"time to first event",
       {self, "first-event", ns + "-first"},
       {kubectl, "get", "pods", "-n", ns + "-first", "-l", "app=bench", "--watch", "-o", "name"},
       0,
       1},
  };
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  setup(ns + "-first", 1);
  std::printf("%-24s %10s %10s %8s   %10s %10s %8s\n", "case (median of rounds)", "ours cpu", "kubectl", "ratio",
              "ours rss", "kubectl", "ratio");
  for (const auto& c : cases) {
    std::vector<double> oc, tc, orss, trss, ofirst, tfirst;
    for (int i = 0; i < rounds; ++i) {
      auto o = measure_ok(c.ours, c.stop_ours);
      auto t = measure_ok(c.theirs, c.stop_theirs);
      oc.push_back(o.cpu_s);
      tc.push_back(t.cpu_s);
      orss.push_back(static_cast<double>(o.rss_kb));
      trss.push_back(static_cast<double>(t.rss_kb));
      ofirst.push_back(o.first_output_ms);
      tfirst.push_back(t.first_output_ms);
    }
    if (c.name == "time to first event") {
      std::printf("%-24s %8.1fms %8.1fms %7.1fx\n", c.name.c_str(), median(ofirst), median(tfirst),
                  median(tfirst) / median(ofirst));
    } else {
      std::printf("%-24s %9.3fs %9.3fs %7.1fx   %8.0fKB %8.0fKB %7.1fx\n", c.name.c_str(), median(oc), median(tc),
                  median(tc) / std::max(median(oc), 1e-3), median(orss), median(trss), median(trss) / median(orss));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() >= 3 && a[0] == "setup") return setup(a[1], std::stoi(a[2]));
    if (a.size() >= 3 && a[0] == "run") return run(argv[0], a[1], std::stoi(a[2]), a.size() > 3 ? std::stoi(a[3]) : 5);
    if (a.size() >= 2 && a[0] == "list") return list(a[1]);
    if (a.size() >= 2 && a[0] == "teardown") return teardown(a[1]);
    if (a.size() >= 3 && a[0] == "watch") return watch(a[1], std::stoi(a[2]));
    if (a.size() >= 2 && a[0] == "first-event") return first_event(a[1]);
  } catch (const std::exception& e) {
    std::cerr << "kube-bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: kube-bench setup|run NS N [ROUNDS] | teardown NS | list NS | watch NS N | first-event NS\n";
  return 2;
}
