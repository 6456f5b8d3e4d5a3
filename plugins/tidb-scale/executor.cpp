#include "executor.hpp"

#include <spdlog/spdlog.h>

#include "runtime/error.hpp"
#include "settings/parse.hpp"

namespace sg::tidb_scale {
namespace {

using Clock = std::chrono::steady_clock;

class Executor {
 public:
  Executor(Cluster& c, const ExecOptions& o, const CancelToken& cancel, output::Report& r)
      : c_(c), o_(o), cancel_(cancel), r_(r), deadline_(Clock::now() + o.timeout) {}

  void run(const Plan& plan) {
    int n = 0;
    for (const auto& s : plan.steps) {
      ++n;
      cancel_.throw_if_cancelled();
      auto t0 = Clock::now();
      auto label = "step " + std::to_string(n) + "/" + std::to_string(plan.steps.size()) + " " + s.component + " " +
                   s.action + " " + s.target;
      r_.line(label + " ...");
      perform(s);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
      r_.line(label + " done in " + settings::format_duration(ms));
    }
  }

 private:
  static std::uint64_t store_id(const Step& s) { return std::stoull(s.target); }

  // Waits until `done` says so, observing PD every poll interval. False
  // when the step's own limit `until` passed first (the run's timeout throws).
  template <typename F>
  bool wait(const std::string& what, F done, std::optional<Clock::time_point> until = std::nullopt) {
    auto limit = until ? std::min(*until, deadline_) : deadline_;
    while (true) {
      auto s = c_.observe();
      if (done(s)) return true;
      if (Clock::now() >= limit) {
        if (until && *until < deadline_) return false;
        throw Error("timed out waiting for " + what,
                    "what was started goes on in the cluster; run the step again (it resumes), or raise timeout");
      }
      if (!cancel_.sleep_for(o_.poll)) throw Cancelled(cancel_.exit_code());
    }
  }

  // The planner's rules, on a fresh observation, before anything destructive.
  ClusterState recheck() {
    auto s = c_.observe_with_leader(o_.leader_wait, o_.poll, cancel_);
    if (auto r = check_cluster(s)) throw RefusedError(*r, "nothing more was changed; re-run when the cluster recovers");
    return s;
  }

  void perform(const Step& s) {
    auto& pd = c_.pd();
    if (s.action == "evict-leaders") {
      auto id = store_id(s);
      pd.evict_leaders(id);
      bool evicted = wait(
          "store " + s.target + " to lose its leaders",
          [&](const ClusterState& st) {
            const auto* x = st.store(id);
            return !x || x->leader_count == 0 || x->state != StoreState::Up;
          },
          Clock::now() + o_.evict_leader_timeout);
      if (!evicted) {
        r_.line("  store " + s.target +
                " still leads regions after evict_leader_timeout; going on, PD moves the "
                "rest while it drains");
      }
    } else if (s.action == "delete-store" || s.action == "delete-store-force") {
      auto id = store_id(s);
      auto st = recheck();
      const auto* x = st.store(id);
      if (x && (x->state == StoreState::Offline || x->state == StoreState::Tombstone)) {
        r_.line("  store " + s.target + " is already " + std::string(store_state_name(x->state)));
        return;
      }
      if (auto r = check_store_removal(st, id, o_.goal == Goal::Scale)) {
        throw RefusedError(*r, "nothing more was changed; the plan was made on an older observation");
      }
      bool force = s.action == "delete-store-force";
      if (force) spdlog::warn("deleting store {} with force: it is confirmed gone and force was opted in", id);
      pd.delete_store(id, force);
    } else if (s.action == "wait-tombstone") {
      auto id = store_id(s);
      std::int64_t last = -1;
      wait("store " + s.target + " to become Tombstone", [&](const ClusterState& st) {
        if (st.stores.empty() && !st.pd_leader()) return false;  // PD between leaders: look again
        const auto* x = st.store(id);
        if (!x || x->state == StoreState::Tombstone) return true;
        if (x->region_count != last) {
          r_.line("  store " + s.target + " " + std::string(store_state_name(x->state)) + ", " +
                  std::to_string(x->region_count) + " regions left");
          last = x->region_count;
        }
        return false;
      });
    } else if (s.action == "remove-evict-leader") {
      pd.remove_evict_leader(store_id(s));
    } else if (s.action == "remove-tombstone") {
      pd.remove_tombstones();
    } else if (s.action == "wait-stores-up") {
      int want = std::stoi(s.target);
      wait(s.target + " TiKV stores Up", [&](const ClusterState& st) { return st.up_stores() >= want; });
    } else if (s.action == "wait-members") {
      auto want = static_cast<std::size_t>(std::stoi(s.target));
      wait(s.target + " healthy PD members with a leader", [&](const ClusterState& st) {
        return st.pd.size() == want && st.pd_leader() &&
               std::all_of(st.pd.begin(), st.pd.end(), [](const PdMember& m) { return m.healthy; });
      });
    } else if (s.action == "wait-ready") {
      auto want = static_cast<std::size_t>(std::stoi(s.target));
      wait(s.target + " healthy TiDB instances", [&](const ClusterState& st) {
        return static_cast<std::size_t>(std::count_if(st.tidb.begin(), st.tidb.end(),
                                                      [](const TidbInstance& t) { return t.healthy; })) >= want &&
               st.tidb.size() == want;
      });
    } else if (s.action == "set-replicas") {
      const auto* tc = c_.tc();
      if (!tc) throw Error("set-replicas needs the operator backend");
      bool shrinking = false;
      if (auto cur = tc->spec_replicas(s.component)) shrinking = std::stoi(s.target) < *cur;
      if (shrinking && s.component != "tidb") recheck();
      tc->set_replicas(s.component, std::stoi(s.target));
    } else if (s.action == "transfer-leader") {
      auto to = s.target.substr(s.target.find("->") + 2);
      recheck();
      pd.transfer_leader(to);
      wait("the PD leadership to move to " + to, [&](const ClusterState& st) {
        const auto* l = st.pd_leader();
        return l && l->name == to;
      });
    } else if (s.action == "delete-member") {
      auto st = recheck();
      if (const auto* l = st.pd_leader(); l && l->name == s.target) {
        throw RefusedError({"pd-leader-transfer", "member " + s.target + " is the PD leader; it must hand over first"},
                           "re-run: the new plan transfers the leadership first");
      }
      pd.delete_member(s.target);
    } else if (s.action == "add-scheduler") {
      pd.add_scheduler(s.target);
    } else {
      throw Error("unknown plan action " + s.action);
    }
  }

  Cluster& c_;
  const ExecOptions& o_;
  const CancelToken& cancel_;
  output::Report& r_;
  Clock::time_point deadline_;
};

}  // namespace

void execute(Cluster& cluster, const Plan& plan, const ExecOptions& options, const CancelToken& cancel,
             output::Report& report) {
  Executor(cluster, options, cancel, report).run(plan);
}

}  // namespace sg::tidb_scale
