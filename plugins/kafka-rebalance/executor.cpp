#include "executor.hpp"

#include <chrono>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "planner.hpp"
#include "runtime/error.hpp"

namespace sg::kafka_rebalance {
namespace {

using Key = std::pair<std::string, std::int32_t>;
using clock = std::chrono::steady_clock;

constexpr const char* kLeaderThrottle = "leader.replication.throttled.replicas";
constexpr const char* kFollowerThrottle = "follower.replication.throttled.replicas";
constexpr const char* kLeaderRate = "leader.replication.throttled.rate";
constexpr const char* kFollowerRate = "follower.replication.throttled.rate";

std::string name(const Key& k) {
  return k.first + "-" + std::to_string(k.second);
}

std::string ids(const std::vector<BrokerId>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

// The target of an in-flight reassignment: its replica list without the
// replicas being removed, in order.
std::vector<BrokerId> target_of(const kafka::OngoingReassignment& r) {
  std::vector<BrokerId> out;
  for (auto b : r.replicas) {
    if (std::find(r.removing_replicas.begin(), r.removing_replicas.end(), b) == r.removing_replicas.end()) {
      out.push_back(b);
    }
  }
  return out;
}

std::set<std::string> topics_of(const std::vector<PendingMove>& moves) {
  std::set<std::string> t;
  for (const auto& m : moves)
    t.insert(m.topic);
  return t;
}

class Runner {
 public:
  Runner(kafka::AdminClient& admin, const ExecutionOptions& o, const CancelToken& cancel)
      : admin_(admin), o_(o), cancel_(cancel) {}

  ExecutionResult run(const std::vector<PendingMove>& moves) {
    auto deadline = clock::now() + o_.timeout;
    topics_ = topics_of(moves);
    refresh();
    std::map<Key, kafka::OngoingReassignment> in_flight;
    for (const auto& r : admin_.list_reassignments())
      in_flight[{r.topic, r.partition}] = r;
    std::vector<PendingMove> pending;
    for (auto m : moves) {
      Key k{m.topic, m.partition};
      auto current = replicas(k);
      if (!current) {
        result_.failures.push_back("partition " + name(k) + " does not exist (deleted since the plan was made?)");
        continue;
      }
      if (*current == m.after) {
        ++result_.already_done;
        continue;
      }
      if (auto it = in_flight.find(k); it != in_flight.end()) {
        auto target = target_of(it->second);
        if (target == m.after) {
          m.before = *current;
          ++result_.resumed;
          flying_[k] = m;
          continue;
        }
        result_.failures.push_back("partition " + name(k) + " is already being moved to " + ids(target) + ", not " +
                                   ids(m.after) + "; wait for it, or run mode: cancel first");
        continue;
      }
      m.before = *current;
      pending.push_back(m);
    }
    if (pending.empty() && flying_.empty()) return finish({});

    set_broker_rates(pending);
    for (const auto& [k, m] : flying_)
      throttle_topic_entries({m}, kafka::ConfigOperation::kAppend);

    std::vector<Key> completed;
    while (!pending.empty() || !flying_.empty()) {
      cancel_.throw_if_cancelled();
      if (!pending.empty()) submit(pending);
      if (!o_.wait) break;
      if (clock::now() >= deadline) {
        result_.timed_out = true;
        break;
      }
      if (!cancel_.sleep_for(o_.poll)) throw Cancelled(cancel_.exit_code());
      poll(completed);
    }
    return finish(completed);
  }

 private:
  void refresh() {
    md_ = admin_.metadata(std::vector<std::string>(topics_.begin(), topics_.end()));
    live_.clear();
    for (const auto& b : md_.brokers)
      live_.insert(b.id);
  }

  std::optional<std::vector<BrokerId>> replicas(const Key& k) const {
    const auto* t = md_.topic(k.first);
    if (!t || t->error != kafka::errc::kNone) return std::nullopt;
    const auto* p = t->partition(k.second);
    if (!p) return std::nullopt;
    return p->replicas;
  }

  void set_broker_rates(const std::vector<PendingMove>& pending) {
    if (o_.throttle <= 0) return;
    std::vector<PendingMove> all = pending;
    for (const auto& [k, m] : flying_)
      all.push_back(m);
    auto plan = throttles_for(all, live_);
    auto rate = std::to_string(o_.throttle);
    for (auto b : plan.brokers) {
      admin_.incremental_alter_configs(
          kafka::ResourceType::kBroker, std::to_string(b),
          {{kLeaderRate, kafka::ConfigOperation::kSet, rate}, {kFollowerRate, kafka::ConfigOperation::kSet, rate}});
      rate_brokers_.insert(b);
    }
    spdlog::info("replication throttle {} B/s set on brokers {}", o_.throttle,
                 ids(std::vector<BrokerId>(plan.brokers.begin(), plan.brokers.end())));
  }

  void throttle_topic_entries(const std::vector<PendingMove>& moves, kafka::ConfigOperation op) {
    if (o_.throttle <= 0) return;
    auto plan = throttles_for(moves, live_);
    for (const auto& [topic, t] : plan.topics) {
      std::vector<kafka::ConfigOp> ops;
      if (!t.leader.empty()) ops.push_back({kLeaderThrottle, op, join_throttle_list(t.leader)});
      if (!t.follower.empty()) ops.push_back({kFollowerThrottle, op, join_throttle_list(t.follower)});
      if (ops.empty()) continue;
      try {
        admin_.incremental_alter_configs(kafka::ResourceType::kTopic, topic, ops);
      } catch (const Error& e) {
        // Removing throttles must not abort the run; a verify cleans up later.
        if (op != kafka::ConfigOperation::kSubtract) throw;
        spdlog::warn("could not remove throttled replicas of topic {}: {}", topic, e.what());
      }
    }
  }

  void submit(std::vector<PendingMove>& pending) {
    std::vector<PendingMove> flying;
    for (const auto& [k, m] : flying_)
      flying.push_back(m);
    auto batch = next_batch(pending, flying, o_.limits);
    if (batch.empty()) return;
    std::vector<PendingMove> chosen;
    for (auto i : batch)
      chosen.push_back(pending[i]);
    throttle_topic_entries(chosen, kafka::ConfigOperation::kAppend);
    std::vector<kafka::ReassignmentTarget> targets;
    for (const auto& m : chosen)
      targets.push_back({m.topic, m.partition, m.after});
    auto results = admin_.alter_reassignments(targets);
    std::map<Key, const kafka::PartitionResult*> by_key;
    for (const auto& r : results)
      by_key[{r.topic, r.partition}] = &r;
    for (const auto& m : chosen) {
      Key k{m.topic, m.partition};
      auto it = by_key.find(k);
      if (it == by_key.end() || it->second->ok()) {
        flying_[k] = m;
        ++result_.submitted;
        spdlog::info("moving {}: {} -> {}", name(k), ids(m.before), ids(m.after));
      } else {
        result_.failures.push_back(kafka::partition_error(*it->second, "AlterPartitionReassignments").what());
        throttle_topic_entries({m}, kafka::ConfigOperation::kSubtract);
      }
    }
    std::vector<PendingMove> rest;
    std::set<std::size_t> taken(batch.begin(), batch.end());
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (!taken.count(i)) rest.push_back(pending[i]);
    }
    pending = std::move(rest);
  }

  void poll(std::vector<Key>& completed) {
    std::set<Key> still;
    for (const auto& r : admin_.list_reassignments())
      still.insert({r.topic, r.partition});
    refresh();
    for (auto it = flying_.begin(); it != flying_.end();) {
      const auto& [k, m] = *it;
      if (!still.count(k)) {
        auto now = replicas(k);
        if (now && *now == m.after) {
          ++result_.completed;
          completed.push_back(k);
          spdlog::info("moved {} to {}", name(k), ids(m.after));
          settling_.erase(k);
        } else if (settling(k)) {
          // The controller has finished the move, but the broker that
          // answered Metadata may not have applied it yet: poll again.
          ++it;
          continue;
        } else {
          result_.failures.push_back("partition " + name(k) + " ended with replicas " + (now ? ids(*now) : "?") +
                                     " instead of " + ids(m.after) + " (cancelled by someone else?)");
        }
        throttle_topic_entries({m}, kafka::ConfigOperation::kSubtract);
        it = flying_.erase(it);
        continue;
      }
      std::vector<BrokerId> dead_targets;
      for (auto b : m.after) {
        if (std::find(m.before.begin(), m.before.end(), b) == m.before.end() && !live_.count(b))
          dead_targets.push_back(b);
      }
      if (!dead_targets.empty()) replan(it->second, dead_targets);
      ++it;
    }
  }

  // A destination died mid-move: keep the rest of the target and pick new
  // brokers for the dead ones, with the planner's own rules.
  void replan(PendingMove& m, const std::vector<BrokerId>& dead_targets) {
    Topology t;
    for (const auto& b : md_.brokers)
      t.brokers.push_back({b.id, b.rack, true});
    for (auto d : dead_targets)
      t.brokers.push_back({d, std::nullopt, false});
    std::size_t ours = 0;
    for (const auto& topic : md_.topics) {
      auto ti = t.intern(topic.name);
      for (const auto& p : topic.partitions) {
        Partition part{ti, p.index, p.replicas, {}, p.leader, -1};
        bool is_ours = topic.name == m.topic && p.index == m.partition;
        if (is_ours) {
          part.replicas = m.after;
          ours = t.partitions.size();
        }
        for (auto r : p.isr) {
          if (live_.count(r)) part.isr.push_back(r);
        }
        t.partitions.push_back(std::move(part));
      }
    }
    // Brokers this move empties (remove-brokers) must not be picked again:
    // they count as gone too; they are not in the target, so nothing else moves.
    std::set<BrokerId> gone(dead_targets.begin(), dead_targets.end());
    for (auto b : m.before) {
      if (std::find(m.after.begin(), m.after.end(), b) == m.after.end()) gone.insert(b);
    }
    auto plan = make_plan(t, {.goal = Goal::Heal, .dead = gone});
    for (const auto& mv : plan.moves) {
      if (mv.partition != ours) continue;
      auto results = admin_.alter_reassignments({{m.topic, m.partition, mv.after}});
      if (!results.empty() && !results[0].ok()) {
        result_.failures.push_back(kafka::partition_error(results[0], "re-planning").what());
        return;
      }
      spdlog::warn("destination broker(s) {} of {} died mid-move; moving to {} instead", ids(dead_targets),
                   m.topic + "-" + std::to_string(m.partition), ids(mv.after));
      PendingMove updated = m;
      updated.after = mv.after;
      throttle_topic_entries({updated}, kafka::ConfigOperation::kAppend);
      m = updated;
      ++result_.replanned;
      return;
    }
    result_.failures.push_back("destination of " + m.topic + "-" + std::to_string(m.partition) +
                               " died and no other broker can take the replica");
  }

  ExecutionResult finish(const std::vector<Key>& completed) {
    for (const auto& [k, m] : flying_)
      result_.still_in_flight.push_back(name(k) + " -> " + ids(m.after));
    bool done = flying_.empty();
    // Rates stay while moves are still running, so they keep being throttled;
    // `verify` removes them once Kafka reports nothing in flight. When the
    // whole cluster is quiet, also sweep what an interrupted earlier run left.
    if (done && admin_.list_reassignments().empty()) {
      clear_throttles(admin_, std::vector<std::string>(topics_.begin(), topics_.end()));
      rate_brokers_.clear();
    }
    if (done) {
      for (auto b : rate_brokers_) {
        if (!live_.count(b)) continue;
        try {
          admin_.incremental_alter_configs(kafka::ResourceType::kBroker, std::to_string(b),
                                           {{kLeaderRate, kafka::ConfigOperation::kDelete, std::nullopt},
                                            {kFollowerRate, kafka::ConfigOperation::kDelete, std::nullopt}});
        } catch (const Error& e) {
          spdlog::warn("could not remove the throttle rate from broker {}: {}", b, e.what());
        }
      }
    }
    if (o_.elect_leaders && !completed.empty()) {
      std::map<std::string, std::vector<std::int32_t>> by_topic;
      for (const auto& k : completed)
        by_topic[k.first].push_back(k.second);
      std::vector<kafka::TopicPartitions> parts;
      for (auto& [t, ps] : by_topic)
        parts.push_back({t, ps});
      for (const auto& r : admin_.elect_leaders(kafka::ElectionType::kPreferred, parts)) {
        if (!r.ok()) spdlog::warn("{}", kafka::partition_error(r, "preferred leader election").what());
      }
    }
    return result_;
  }

  kafka::AdminClient& admin_;
  const ExecutionOptions& o_;
  const CancelToken& cancel_;
  std::set<std::string> topics_;
  kafka::ClusterMetadata md_;
  std::set<BrokerId> live_;
  std::map<Key, PendingMove> flying_;
  // When a finished move was first seen with stale replicas (see settling()).
  std::map<Key, std::chrono::steady_clock::time_point> settling_;

  // Metadata comes from any broker and lags the controller's reassignment
  // list by up to a metadata propagation round; give it that long.
  bool settling(const Key& k) {
    auto now = std::chrono::steady_clock::now();
    auto [it, fresh] = settling_.try_emplace(k, now);
    if (now - it->second < std::chrono::seconds(15)) return true;
    settling_.erase(it);
    return false;
  }
  std::set<BrokerId> rate_brokers_;
  ExecutionResult result_;
};

}  // namespace

ExecutionResult execute(kafka::AdminClient& admin, const std::vector<PendingMove>& moves,
                        const ExecutionOptions& options, const CancelToken& cancel) {
  return Runner(admin, options, cancel).run(moves);
}

void clear_throttles(kafka::AdminClient& admin, const std::vector<std::string>& topics) {
  auto md = admin.metadata(topics.empty() ? std::nullopt : std::optional(topics));
  for (const auto& b : md.brokers) {
    auto entries = admin.describe_configs(kafka::ResourceType::kBroker, std::to_string(b.id),
                                          std::vector<std::string>{kLeaderRate, kFollowerRate});
    std::vector<kafka::ConfigOp> ops;
    for (const auto& e : entries) {
      if (e.source == static_cast<std::int8_t>(kafka::ConfigSource::kDynamicBroker)) {
        ops.push_back({e.name, kafka::ConfigOperation::kDelete, std::nullopt});
      }
    }
    if (!ops.empty()) {
      admin.incremental_alter_configs(kafka::ResourceType::kBroker, std::to_string(b.id), ops);
      spdlog::info("removed the replication throttle rate from broker {}", b.id);
    }
  }
  for (const auto& t : md.topics) {
    if (t.error != kafka::errc::kNone) continue;
    auto entries = admin.describe_configs(kafka::ResourceType::kTopic, t.name,
                                          std::vector<std::string>{kLeaderThrottle, kFollowerThrottle});
    std::vector<kafka::ConfigOp> ops;
    for (const auto& e : entries) {
      // SUBTRACT leaves an empty list behind; delete that too.
      if (e.source == static_cast<std::int8_t>(kafka::ConfigSource::kTopic)) {
        ops.push_back({e.name, kafka::ConfigOperation::kDelete, std::nullopt});
      }
    }
    if (!ops.empty()) {
      admin.incremental_alter_configs(kafka::ResourceType::kTopic, t.name, ops);
      spdlog::info("removed throttled replicas from topic {}", t.name);
    }
  }
}

}  // namespace sg::kafka_rebalance
