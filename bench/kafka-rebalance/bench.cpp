// Benchmarks the kafka-rebalance planner on generated topologies:
// 10, 100 and 500 brokers x 10k, 100k and 1M partitions, RF 3, 3 racks.
// Scenario: decommission the highest broker id (remove-brokers), the case
// kafka-reassign-partitions.sh --generate is used for today.
//
//   kafka-rebalance-bench run [--no-reference]   the whole matrix, one child process per case
//   kafka-rebalance-bench case B P               one case: prints plan_ms and replicas moved
//
// Peak memory is each child's ru_maxrss (the generated topology included).
// The reference is Kafka's own AdminUtils.assignReplicasToBrokers (what
// --generate calls), run by scripts/kafka/generate-reference.jsh.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "planner.hpp"

namespace {

using namespace sg::kafka_rebalance;

constexpr int kRf = 3;
constexpr int kRacks = 3;
constexpr int kPartitionsPerTopic = 1000;

// Kafka-like placement: per topic, a random start broker, replicas spread
// round-robin over a rack-alternating broker list with a shifting step.
Topology generate(int brokers, int partitions, unsigned seed) {
  std::mt19937 rng(seed);
  Topology t;
  for (int b = 1; b <= brokers; ++b)
    t.brokers.push_back({b, "r" + std::to_string(b % kRacks), true});
  // Rack-alternating broker list, as Kafka's getRackAlternatedBrokerList.
  std::vector<std::vector<BrokerId>> by_rack(kRacks);
  for (int b = 1; b <= brokers; ++b)
    by_rack[static_cast<std::size_t>(b % kRacks)].push_back(b);
  std::vector<BrokerId> filtered;
  for (std::size_t k = 0; filtered.size() < static_cast<std::size_t>(brokers); ++k) {
    for (const auto& rack : by_rack) {
      if (k < rack.size()) filtered.push_back(rack[k]);
    }
  }
  int topics = std::max(1, partitions / kPartitionsPerTopic);
  for (int ti = 0; ti < topics; ++ti) {
    auto topic = t.intern("topic-" + std::to_string(ti));
    int start = static_cast<int>(rng() % static_cast<unsigned>(brokers));
    int shift = static_cast<int>(rng() % static_cast<unsigned>(brokers));
    int n = std::min(kPartitionsPerTopic, partitions - ti * kPartitionsPerTopic);
    for (int p = 0; p < n; ++p) {
      if (p > 0 && (p + start) % brokers == 0) ++shift;
      Partition part;
      part.topic = topic;
      part.index = p;
      auto first = static_cast<std::size_t>((p + start) % brokers);
      part.replicas.push_back(filtered[first]);
      for (int r = 1; r < kRf; ++r) {
        auto idx =
            (first + static_cast<std::size_t>(1 + (shift + r - 1) % (brokers - 1))) % static_cast<std::size_t>(brokers);
        part.replicas.push_back(filtered[idx]);
      }
      part.isr = part.replicas;
      part.leader = part.replicas[0];
      part.size_bytes = 1 << 20;
      t.partitions.push_back(std::move(part));
    }
  }
  return t;
}

int run_case(int brokers, int partitions, const char* reference_input) {
  auto t = generate(brokers, partitions, 42);
  auto start = std::chrono::steady_clock::now();
  auto plan = make_plan(t, {.goal = Goal::RemoveBrokers, .broker_ids = {brokers}});
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("plan_ms %.1f moved %d spread %d\n", ms, plan.replicas_moved, plan.replica_spread_after({brokers}));
  if (reference_input) {
    std::ofstream f(reference_input);
    f << "brokers";
    for (const auto& b : t.brokers) {
      if (b.id != brokers) f << " " << b.id << ":" << *b.rack;
    }
    f << "\n";
    std::size_t i = 0;
    while (i < t.partitions.size()) {
      auto topic = t.partitions[i].topic;
      std::size_t j = i;
      while (j < t.partitions.size() && t.partitions[j].topic == topic)
        ++j;
      f << t.topics[topic] << " " << (j - i) << " " << kRf << "\n";
      for (; i < j; ++i) {
        const auto& r = t.partitions[i].replicas;
        f << r[0] << "," << r[1] << "," << r[2] << "\n";
      }
    }
  }
  return 0;
}

struct Child {
  std::string out;
  long rss_kb = 0;
};

// Peak RSS comes from util::run_process (wait4's ru_maxrss).
Child spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env_add = {}) {
  auto r = sg::util::run_process(argv, sg::bench::environment_with(env_add), std::chrono::minutes(30));
  if (r.exit_code != 0) std::cerr << argv[0] << " exited with " << r.exit_code << ": " << r.err << "\n";
  return {std::move(r.out), r.max_rss_kb};
}

int run_matrix(const std::string& self, bool reference) {
  std::string libs;
  if (const char* l = std::getenv("SPOTGUIDE_KAFKA_LIBS")) libs = l;
  if (reference && libs.empty()) {
    std::cerr << "set SPOTGUIDE_KAFKA_LIBS (eval \"$(scripts/testenv kafka env)\") or pass --no-reference\n";
    return 2;
  }
  std::string jsh = std::string(SPOTGUIDE_SOURCE_DIR) + "/scripts/kafka/generate-reference.jsh";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("%-8s %-10s %10s %10s %12s %12s %10s %12s\n", "brokers", "partitions", "plan ms", "peak MB", "moved ours",
              "moved kafka", "ratio", "spread o/k");
  for (int brokers : {10, 100, 500}) {
    for (int partitions : {10'000, 100'000, 1'000'000}) {
      std::string input = "/tmp/sg-kr-bench-" + std::to_string(getpid()) + ".txt";
      auto ours = spawn({self, "case", std::to_string(brokers), std::to_string(partitions)});
      double ms = 0;
      int moved = 0, spread = 0;
      std::sscanf(ours.out.c_str(), "plan_ms %lf moved %d spread %d", &ms, &moved, &spread);
      std::string kafka_moved = "-", ratio = "-", kspread = "-";
      if (reference) {
        spawn({self, "case", std::to_string(brokers), std::to_string(partitions), input});
        auto ref = spawn({"jshell", "--class-path", libs + "/*", "-R-Xmx4g", jsh}, {{"SG_REFERENCE_INPUT", input}});
        long km = 0;
        int ks = 0, kms = 0;
        if (std::sscanf(ref.out.c_str(), "%*[^m]moved %ld spread %d ms %d", &km, &ks, &kms) >= 2 ||
            std::sscanf(ref.out.c_str(), "moved %ld spread %d ms %d", &km, &ks, &kms) >= 2) {
          kafka_moved = std::to_string(km);
          char r[32];
          std::snprintf(r, sizeof r, "%.3f", static_cast<double>(moved) / static_cast<double>(km));
          ratio = r;
          kspread = std::to_string(ks);
        }
        std::remove(input.c_str());
      }
      std::printf("%-8d %-10d %10.1f %10.1f %12d %12s %10s %12s\n", brokers, partitions, ms,
                  static_cast<double>(ours.rss_kb) / 1024.0, moved, kafka_moved.c_str(), ratio.c_str(),
                  (std::to_string(spread) + "/" + kspread).c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() >= 3 && a[0] == "case")
    return run_case(std::stoi(a[1]), std::stoi(a[2]), a.size() > 3 ? a[3].c_str() : nullptr);
  if (!a.empty() && a[0] == "run") return run_matrix(argv[0], !(a.size() > 1 && a[1] == "--no-reference"));
  std::cerr << "usage: kafka-rebalance-bench run [--no-reference] | case BROKERS PARTITIONS [REFERENCE_INPUT]\n";
  return 2;
}
