#include "planner.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "runtime/error.hpp"

namespace sg::kafka_rebalance {

const char* goal_name(Goal g) {
  switch (g) {
    case Goal::Heal:
      return "heal";
    case Goal::RemoveBrokers:
      return "remove-brokers";
    case Goal::AddBrokers:
      return "add-brokers";
    case Goal::Rebalance:
      return "rebalance";
  }
  return "?";
}

namespace {

bool contains(const std::vector<BrokerId>& v, BrokerId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

std::string ids_text(const std::vector<BrokerId>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

// Per-broker load used to pick destinations: fewest replicas first, then
// fewest preferred leaderships, then fewest bytes, then lowest id.
struct Load {
  int replicas = 0;
  int leaders = 0;
  std::int64_t bytes = 0;
};

class LoadIndex {
 public:
  using Key = std::tuple<int, int, std::int64_t, BrokerId>;
  void add_broker(BrokerId id) { loads_[id] = {}; }
  // Adds initial load without keeping the order; call build() afterwards.
  void add_initial(BrokerId id, int replicas, int leaders, std::int64_t bytes) {
    auto it = loads_.find(id);
    if (it == loads_.end()) return;
    it->second.replicas += replicas;
    it->second.leaders += leaders;
    it->second.bytes += bytes;
  }
  void build() {
    order_.clear();
    for (const auto& [id, l] : loads_)
      order_.insert(key(id));
  }
  bool has(BrokerId id) const { return loads_.count(id) != 0; }
  const Load& get(BrokerId id) const { return loads_.at(id); }
  void change(BrokerId id, int replicas, int leaders, std::int64_t bytes) {
    auto it = loads_.find(id);
    if (it == loads_.end()) return;  // not a destination candidate
    order_.erase(key(id));
    it->second.replicas += replicas;
    it->second.leaders += leaders;
    it->second.bytes += bytes;
    order_.insert(key(id));
  }
  const std::set<Key>& order() const { return order_; }

 private:
  Key key(BrokerId id) const {
    const auto& l = loads_.at(id);
    return {l.replicas, l.leaders, l.bytes, id};
  }
  std::unordered_map<BrokerId, Load> loads_;
  std::set<Key> order_;
};

class Planner {
 public:
  Planner(const Topology& t, const PlanOptions& o) : t_(t), o_(o) {
    for (const auto& b : t_.brokers) {
      alive_[b.id] = b.alive;
      if (b.rack) rack_[b.id] = *b.rack;
    }
    current_.reserve(t_.partitions.size());
    for (const auto& p : t_.partitions)
      current_.push_back(p.replicas);
    order_.resize(t_.partitions.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    // Rank topics by name once, so sorting a million partitions compares
    // integers rather than strings.
    std::vector<std::uint32_t> by_name(t_.topics.size());
    std::iota(by_name.begin(), by_name.end(), 0u);
    std::sort(by_name.begin(), by_name.end(), [&](auto a, auto b) { return t_.topics[a] < t_.topics[b]; });
    topic_rank_.resize(t_.topics.size());
    for (std::size_t r = 0; r < by_name.size(); ++r)
      topic_rank_[by_name[r]] = static_cast<std::uint32_t>(r);
    std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return before(a, b); });
    bool all_live_have_racks = true;
    std::set<std::string> racks;
    for (const auto& b : t_.brokers) {
      if (!b.alive) continue;
      if (b.rack)
        racks.insert(*b.rack);
      else
        all_live_have_racks = false;
    }
    rack_aware_ = o_.rack_aware.value_or(all_live_have_racks && !racks.empty());
    if (rack_aware_ && !all_live_have_racks) {
      plan_.notes.push_back("rack awareness is on but some live brokers report no rack; they count as one rack \"\"");
    }
  }

  Plan run() {
    plan_.goal = o_.goal;
    plan_.rack_aware = rack_aware_;
    switch (o_.goal) {
      case Goal::Heal:
      case Goal::RemoveBrokers:
        evacuate();
        break;
      case Goal::AddBrokers:
      case Goal::Rebalance:
        balance_replicas();
        balance_leaders();
        break;
    }
    finish();
    return std::move(plan_);
  }

 private:
  bool alive(BrokerId id) const {
    auto it = alive_.find(id);
    return it != alive_.end() && it->second;
  }
  std::string rack(BrokerId id) const {
    auto it = rack_.find(id);
    return it == rack_.end() ? std::string{} : it->second;
  }
  std::int64_t size(std::size_t p) const { return std::max<std::int64_t>(0, t_.partitions[p].size_bytes); }
  bool in_isr(std::size_t p, BrokerId id) const { return contains(t_.partitions[p].isr, id); }

  std::size_t distinct_racks(const std::vector<BrokerId>& replicas) const {
    std::set<std::string> r;
    for (auto b : replicas)
      r.insert(rack(b));
    return r.size();
  }

  // Puts a live in-sync replica first: the one already first if it
  // qualifies, else the current leader, else the first in-sync survivor.
  void fix_preferred_leader(std::size_t p, std::vector<BrokerId>& replicas, const std::set<BrokerId>& excluded) const {
    auto ok = [&](BrokerId b) { return alive(b) && in_isr(p, b) && !excluded.count(b); };
    if (!replicas.empty() && ok(replicas[0])) return;
    auto leader = t_.partitions[p].leader;
    auto it = std::find(replicas.begin(), replicas.end(), leader);
    if (it == replicas.end() || !ok(leader)) it = std::find_if(replicas.begin(), replicas.end(), ok);
    if (it != replicas.end()) std::rotate(replicas.begin(), it, it + 1);
  }

  // heal and remove-brokers: move exactly the replicas on `gone` brokers.
  void evacuate() {
    std::set<BrokerId> gone;
    if (o_.goal == Goal::RemoveBrokers) {
      gone = o_.broker_ids;
      if (gone.empty()) throw SettingsError("remove-brokers needs broker_ids: the brokers to empty");
    } else if (o_.dead) {
      gone = *o_.dead;
    } else {
      for (const auto& b : t_.brokers) {
        if (!b.alive) gone.insert(b.id);
      }
      for (const auto& p : t_.partitions) {
        for (auto r : p.replicas) {
          if (!alive_.count(r)) gone.insert(r);  // referenced but never seen alive
        }
      }
    }
    LoadIndex loads;
    for (const auto& b : t_.brokers) {
      if (b.alive && !gone.count(b.id)) loads.add_broker(b.id);
    }
    for (std::size_t p = 0; p < t_.partitions.size(); ++p) {
      for (std::size_t i = 0; i < current_[p].size(); ++i) {
        loads.add_initial(current_[p][i], 1, i == 0 ? 1 : 0, size(p));
      }
    }
    loads.build();
    for (auto p : order_) {
      const auto& before = current_[p];
      std::vector<BrokerId> survivors;
      int affected = 0;
      for (auto r : before) {
        if (gone.count(r))
          ++affected;
        else
          survivors.push_back(r);
      }
      if (!affected) continue;
      bool has_source = std::any_of(before.begin(), before.end(), [&](BrokerId r) { return alive(r) && in_isr(p, r); });
      if (!has_source) {
        skip(p, "no live in-sync replica holds the data (replicas " + ids_text(before) + ", isr " +
                    ids_text(t_.partitions[p].isr) + "); it cannot be moved until one of them is back");
        continue;
      }
      std::vector<BrokerId> chosen;
      std::map<std::string, int> used;
      for (auto r : survivors)
        ++used[rack(r)];
      for (int k = 0; k < affected; ++k) {
        BrokerId best = -1;
        int best_rack_use = 1 << 30;
        for (const auto& key : loads.order()) {
          auto b = std::get<3>(key);
          if (contains(survivors, b) || contains(chosen, b)) continue;
          int use = rack_aware_ ? used[rack(b)] : 0;
          if (use < best_rack_use) {
            best = b;
            best_rack_use = use;
            if (use == 0) break;  // least loaded broker on an unused rack
          }
        }
        if (best < 0) break;
        chosen.push_back(best);
        ++used[rack(best)];
      }
      if (static_cast<int>(chosen.size()) < affected) {
        skip(p, "only " + std::to_string(loads.order().size()) + " live brokers can hold replicas, not enough for " +
                    std::to_string(before.size()) + " distinct replicas; the replication factor is never reduced");
        continue;
      }
      auto after = survivors;
      after.insert(after.end(), chosen.begin(), chosen.end());
      fix_preferred_leader(p, after, gone);
      for (auto b : chosen)
        loads.change(b, 1, 0, size(p));
      if (!before.empty() && before[0] != after[0]) {
        loads.change(before[0], 0, -1, 0);
        loads.change(after[0], 0, 1, 0);
      }
      current_[p] = std::move(after);
    }
  }

  // rebalance and add-brokers: move replicas from brokers above their target
  // count to brokers below it; every move removes one unit of excess, so the
  // number of moves is the minimum whenever racks allow.
  void balance_replicas() {
    std::vector<BrokerId> live;
    for (const auto& b : t_.brokers) {
      if (b.alive) live.push_back(b.id);
    }
    std::sort(live.begin(), live.end());
    if (o_.goal == Goal::AddBrokers) {
      if (o_.broker_ids.empty())
        throw SettingsError("add-brokers needs broker_ids: the new brokers to spread load onto");
      for (auto id : o_.broker_ids) {
        if (!alive(id)) {
          throw Error("broker " + std::to_string(id) + " is not a live broker of the cluster",
                      "start the new broker first; add-brokers only moves data onto brokers that are up");
        }
      }
    }
    if (live.empty()) return;
    std::vector<bool> eligible(t_.partitions.size(), true);
    bool any_dead = false;
    for (std::size_t p = 0; p < t_.partitions.size(); ++p) {
      for (auto r : current_[p]) {
        if (!alive(r)) eligible[p] = false;
      }
      if (!eligible[p]) {
        any_dead = true;
        skip(p, "has replicas on dead brokers " + ids_text(current_[p]) + "; run heal first");
      }
    }
    if (any_dead)
      plan_.notes.push_back("some partitions have replicas on dead brokers and were left alone; heal first");

    std::unordered_map<BrokerId, int> count;
    for (auto b : live)
      count[b] = 0;
    long total = 0;
    for (std::size_t p = 0; p < t_.partitions.size(); ++p) {
      for (auto r : current_[p]) {
        if (count.count(r)) {
          ++count[r];
          ++total;
        }
      }
    }
    auto n = static_cast<long>(live.size());
    int base = static_cast<int>(total / n);
    long extra = total % n;
    // The brokers that already hold the most keep the extra replica: that
    // needs the fewest moves.
    auto by_count = live;
    std::stable_sort(by_count.begin(), by_count.end(), [&](BrokerId a, BrokerId b) { return count[a] > count[b]; });
    std::unordered_map<BrokerId, int> target;
    for (std::size_t i = 0; i < by_count.size(); ++i) {
      target[by_count[i]] = base + (static_cast<long>(i) < extra ? 1 : 0);
    }
    // Candidate partitions per broker: followers before preferred leaders
    // (moving a leader shifts traffic), small before large, then by name.
    std::unordered_map<BrokerId, std::vector<std::size_t>> on;
    for (auto p : order_) {
      if (!eligible[p]) continue;
      for (auto r : current_[p])
        on[r].push_back(p);
    }
    for (auto& [b, list] : on) {
      BrokerId broker = b;
      std::stable_sort(list.begin(), list.end(), [&](std::size_t x, std::size_t y) {
        bool lx = current_[x][0] == broker, ly = current_[y][0] == broker;
        if (lx != ly) return !lx;
        return size(x) < size(y);
      });
    }
    auto excess = [&](BrokerId b) { return count[b] - target[b]; };
    std::set<std::pair<int, BrokerId>> sources;  // (-excess, id)
    for (auto b : live) {
      if (excess(b) > 0) sources.insert({-excess(b), b});
    }
    std::set<std::tuple<int, int, BrokerId>> sinks;  // (excess (negative), is_added ? 0 : 1, id)
    auto sink_key = [&](BrokerId b) { return std::make_tuple(excess(b), o_.broker_ids.count(b) ? 0 : 1, b); };
    for (auto b : live) {
      if (excess(b) < 0) sinks.insert(sink_key(b));
    }
    std::unordered_map<BrokerId, std::size_t> cursor;
    bool stuck_any = false;
    while (!sources.empty() && !sinks.empty()) {
      auto src = sources.begin()->second;
      bool moved = false;
      auto& list = on[src];
      auto& cur = cursor[src];
      for (std::size_t i = cur; i < list.size() && !moved; ++i) {
        auto p = list[i];
        auto& replicas = current_[p];
        if (!contains(replicas, src)) {
          if (i == cur) ++cur;
          continue;
        }
        // The preferred leader must stay in sync: never take away the only
        // in-sync replica, unless it is the only replica at all (RF 1 can
        // only move by copying, and its copy leads once it caught up).
        bool other_in_sync =
            std::any_of(replicas.begin(), replicas.end(), [&](BrokerId r) { return r != src && in_isr(p, r); });
        if (replicas.size() > 1 && !other_in_sync) continue;
        std::vector<BrokerId> others;
        for (auto r : replicas) {
          if (r != src) others.push_back(r);
        }
        for (const auto& sk : sinks) {
          auto dst = std::get<2>(sk);
          if (contains(replicas, dst)) continue;
          if (rack_aware_) {
            auto with = others;
            with.push_back(dst);
            if (distinct_racks(with) < distinct_racks(replicas)) continue;
          }
          sources.erase({-excess(src), src});
          sinks.erase(sink_key(dst));
          --count[src];
          ++count[dst];
          if (excess(src) > 0) sources.insert({-excess(src), src});
          if (excess(dst) < 0) sinks.insert(sink_key(dst));
          auto after = others;
          after.push_back(dst);
          std::set<BrokerId> none;
          fix_preferred_leader(p, after, none);
          replicas = std::move(after);
          if (i == cur) ++cur;
          moved = true;
          break;
        }
      }
      if (!moved) {
        sources.erase(sources.begin());
        stuck_any = true;
      }
    }
    if (stuck_any) {
      plan_.notes.push_back(
          "rack placement prevents a replica spread of 1: some brokers cannot give away more replicas without two "
          "replicas of a partition sharing a rack");
    }
  }

  // Evens out preferred leaderships by reordering replicas that are already
  // in sync: no data moves, only the preferred leader changes.
  void balance_leaders() {
    std::vector<BrokerId> live;
    for (const auto& b : t_.brokers) {
      if (b.alive) live.push_back(b.id);
    }
    if (live.empty()) return;
    std::unordered_map<BrokerId, int> leaders;
    for (auto b : live)
      leaders[b] = 0;
    long total = 0;
    for (std::size_t p = 0; p < t_.partitions.size(); ++p) {
      if (current_[p].empty() || !leaders.count(current_[p][0])) continue;
      ++leaders[current_[p][0]];
      ++total;
    }
    auto n = static_cast<long>(live.size());
    auto base = static_cast<int>(total / n);
    long extra = total % n;
    auto by_count = live;
    std::sort(by_count.begin(), by_count.end());
    std::stable_sort(by_count.begin(), by_count.end(), [&](BrokerId a, BrokerId b) { return leaders[a] > leaders[b]; });
    std::unordered_map<BrokerId, int> target;
    for (std::size_t i = 0; i < by_count.size(); ++i) {
      target[by_count[i]] = base + (static_cast<long>(i) < extra ? 1 : 0);
    }
    for (auto p : order_) {
      auto& replicas = current_[p];
      if (replicas.size() < 2 || !leaders.count(replicas[0])) continue;
      auto lead = replicas[0];
      if (leaders[lead] <= target[lead]) continue;
      // Only replicas that are in sync now may lead; a replica this plan
      // adds is not in sync until its move completes.
      BrokerId best = -1;
      for (std::size_t i = 1; i < replicas.size(); ++i) {
        auto r = replicas[i];
        if (!alive(r) || !in_isr(p, r) || !contains(t_.partitions[p].replicas, r)) continue;
        if (leaders[r] < target[r] && (best < 0 || leaders[r] - target[r] < leaders[best] - target[best])) best = r;
      }
      if (best < 0) continue;
      auto it = std::find(replicas.begin(), replicas.end(), best);
      std::rotate(replicas.begin(), it, it + 1);
      --leaders[lead];
      ++leaders[best];
    }
  }

  void skip(std::size_t p, std::string reason) { plan_.skipped.push_back({p, std::move(reason)}); }

  void finish() {
    plan_.sizes_known = true;
    for (auto p : order_) {
      const auto& before = t_.partitions[p].replicas;
      const auto& after = current_[p];
      if (before == after) continue;
      Move m{p, before, after, 0, 0};
      for (auto r : after) {
        if (!contains(before, r)) ++m.replicas_moved;
      }
      if (m.replicas_moved > 0 && t_.partitions[p].size_bytes < 0) plan_.sizes_known = false;
      m.bytes_moved = size(p) * m.replicas_moved;
      plan_.replicas_moved += m.replicas_moved;
      plan_.bytes_moved += m.bytes_moved;
      plan_.moves.push_back(std::move(m));
    }
    std::map<BrokerId, BrokerCounts> counts;
    for (const auto& b : t_.brokers)
      counts[b.id] = {b.id, b.alive};
    for (std::size_t p = 0; p < t_.partitions.size(); ++p) {
      const auto& part = t_.partitions[p];
      for (auto r : part.replicas) {
        auto& c = counts.try_emplace(r, BrokerCounts{r, false}).first->second;
        ++c.replicas_before;
        c.bytes_before += size(p);
      }
      if (part.leader >= 0)
        ++counts.try_emplace(part.leader, BrokerCounts{part.leader, false}).first->second.leaders_before;
      for (auto r : current_[p]) {
        auto& c = counts.try_emplace(r, BrokerCounts{r, false}).first->second;
        ++c.replicas_after;
        c.bytes_after += size(p);
      }
      if (!current_[p].empty())
        ++counts.try_emplace(current_[p][0], BrokerCounts{current_[p][0], false}).first->second.leaders_after;
    }
    for (auto& [id, c] : counts)
      plan_.brokers.push_back(c);
    std::sort(plan_.skipped.begin(), plan_.skipped.end(),
              [&](const Skipped& a, const Skipped& b) { return before(a.partition, b.partition); });
  }

  bool before(std::size_t a, std::size_t b) const {
    const auto& pa = t_.partitions[a];
    const auto& pb = t_.partitions[b];
    if (pa.topic != pb.topic) return topic_rank_[pa.topic] < topic_rank_[pb.topic];
    return pa.index < pb.index;
  }

  const Topology& t_;
  const PlanOptions& o_;
  std::vector<std::uint32_t> topic_rank_;
  std::unordered_map<BrokerId, bool> alive_;
  std::unordered_map<BrokerId, std::string> rack_;
  std::vector<std::vector<BrokerId>> current_;
  std::vector<std::size_t> order_;
  bool rack_aware_ = false;
  Plan plan_;
};

}  // namespace

std::vector<Assignment> Plan::assignments(const Topology& t) const {
  std::vector<Assignment> out;
  out.reserve(moves.size());
  for (const auto& m : moves)
    out.push_back({t.topic_name(t.partitions[m.partition]), t.partitions[m.partition].index, m.after});
  return out;
}

std::vector<Assignment> Plan::rollback(const Topology& t) const {
  std::vector<Assignment> out;
  out.reserve(moves.size());
  for (const auto& m : moves)
    out.push_back({t.topic_name(t.partitions[m.partition]), t.partitions[m.partition].index, m.before});
  return out;
}

int Plan::replica_spread_after(const std::set<BrokerId>& emptied) const {
  int lo = 1 << 30, hi = 0;
  for (const auto& b : brokers) {
    if (!b.alive || emptied.count(b.id)) continue;
    lo = std::min(lo, b.replicas_after);
    hi = std::max(hi, b.replicas_after);
  }
  return hi >= lo ? hi - lo : 0;
}

Plan make_plan(const Topology& topology, const PlanOptions& options) {
  return Planner(topology, options).run();
}

}  // namespace sg::kafka_rebalance
