#include "plugin.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "cluster.hpp"
#include "executor.hpp"
#include "failure_clock.hpp"
#include "log/log.hpp"
#include "planner.hpp"
#include "runtime/error.hpp"
#include "settings.hpp"
#include "settings/parse.hpp"
#include "settings/values.hpp"

namespace sg::kafka_rebalance {
namespace {

using json = nlohmann::json;
using settings::Values;

void write_file(const std::string& path, const std::string& text, const std::string& what) {
  std::ofstream f(path, std::ios::trunc);
  if (!f) throw Error("cannot write " + what + " to " + path, "check that the directory exists and is writable");
  f << text << "\n";
}

Goal goal_from(const std::string& s) {
  if (s == "remove-brokers") return Goal::RemoveBrokers;
  if (s == "add-brokers") return Goal::AddBrokers;
  if (s == "rebalance") return Goal::Rebalance;
  return Goal::Heal;
}

std::string human_bytes(std::int64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

std::vector<PendingMove> pending_from(const Topology& t, const Plan& plan) {
  std::vector<PendingMove> out;
  for (const auto& m : plan.moves) {
    const auto& p = t.partitions[m.partition];
    out.push_back({t.topic_name(p), p.index, m.before, m.after});
  }
  return out;
}

// The plan summary every planning mode prints, and its files and outputs.
void report_plan(Context& ctx, const Topology& t, const Plan& plan, bool sizes_known) {
  const auto& v = ctx.settings;
  auto& r = ctx.report;
  auto proposed = to_reassignment_json(plan.assignments(t));
  auto rollback = to_reassignment_json(plan.rollback(t));
  r.line(std::string("kafka-rebalance ") + goal_name(plan.goal) + ": " + std::to_string(plan.moves.size()) +
         " partitions to change, " + std::to_string(plan.replicas_moved) + " replicas to move" +
         (plan.replicas_moved
              ? ", about " + human_bytes(plan.bytes_moved) + (sizes_known ? "" : " (sizes partly unknown)")
              : "") +
         (plan.rack_aware ? " (rack-aware)" : ""));
  for (const auto& s : plan.skipped) {
    const auto& p = t.partitions[s.partition];
    r.line("  skipped " + t.topic_name(p) + "-" + std::to_string(p.index) + ": " + s.reason);
    spdlog::warn("skipped {}-{}: {}", t.topic_name(p), p.index, s.reason);
  }
  for (const auto& n : plan.notes)
    r.line("  note: " + n);
  r.line("  broker  replicas before -> after   leaders before -> after");
  auto brokers = json::array();
  for (const auto& b : plan.brokers) {
    char row[160];
    std::snprintf(row, sizeof row, "  %6d  %8d -> %-8d        %6d -> %-6d%s", b.id, b.replicas_before, b.replicas_after,
                  b.leaders_before, b.leaders_after, b.alive ? "" : "  (dead)");
    r.line(row);
    brokers.push_back({{"id", b.id},
                       {"alive", b.alive},
                       {"replicas_before", b.replicas_before},
                       {"replicas_after", b.replicas_after},
                       {"leaders_before", b.leaders_before},
                       {"leaders_after", b.leaders_after},
                       {"bytes_before", b.bytes_before},
                       {"bytes_after", b.bytes_after}});
  }
  auto skipped = json::array();
  for (const auto& s : plan.skipped) {
    const auto& p = t.partitions[s.partition];
    skipped.push_back({{"topic", t.topic_name(p)}, {"partition", p.index}, {"reason", s.reason}});
  }
  r.data()["goal"] = goal_name(plan.goal);
  r.data()["replicas_moved"] = plan.replicas_moved;
  r.data()["bytes_moved"] = plan.bytes_moved;
  r.data()["sizes_known"] = sizes_known;
  r.data()["rack_aware"] = plan.rack_aware;
  r.data()["brokers"] = brokers;
  r.data()["skipped"] = skipped;
  r.data()["notes"] = plan.notes;
  r.data()["plan"] = json::parse(proposed);
  r.data()["rollback"] = json::parse(rollback);
  r.set("REPLICAS_MOVED", std::to_string(plan.replicas_moved));
  r.set("BYTES_MOVED", std::to_string(plan.bytes_moved));
  r.set("PARTITIONS_SKIPPED", std::to_string(plan.skipped.size()));
  if (v.has("plan_file_out")) {
    write_file(v.str("plan_file_out"), proposed, "the plan");
    r.set("PLAN_FILE", v.str("plan_file_out"));
  }
  if (v.has("rollback_file_out")) {
    write_file(v.str("rollback_file_out"), rollback, "the rollback plan");
    r.set("ROLLBACK_FILE", v.str("rollback_file_out"));
  }
  // Kafka's own tool prints both documents under these headings; keep the
  // same so people can copy them into kafka-reassign-partitions.sh.
  if (r.format() == output::Format::Text) {
    log::print("Current partition replica assignment\n" + rollback +
               "\n\nProposed partition reassignment configuration\n" + proposed + "\n\n");
  }
}

// max_file_mib, the cap on every file a setting names.
std::size_t file_cap(const Values& v) {
  return static_cast<std::size_t>(v.integer("max_file_mib")) << 20;
}

// The file a Path setting names, at most max_file_mib of it. A regular file
// over the cap is refused before reading, with the setting that raises it.
std::string read_capped(const Values& v, std::string_view name) {
  std::error_code ec;
  const auto& path = v.str(name);
  auto cap = file_cap(v);
  if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) > cap && !ec) {
    throw SettingsError(std::string(name) + " " + path + " is larger than max_file_mib (" +
                            std::to_string(v.integer("max_file_mib")) + " MiB)",
                        "raise max_file_mib for a file this large");
  }
  return settings::read_setting_file(v, name, cap);
}

ExecutionOptions execution_options(const Values& v) {
  ExecutionOptions o;
  o.limits = {static_cast<int>(v.integer("max_moves_per_broker")), static_cast<int>(v.integer("max_moves"))};
  o.throttle = v.integer("throttle");
  o.wait = v.flag("wait");
  o.timeout = v.duration("timeout").count() > 0 ? v.duration("timeout") : std::chrono::hours(24 * 365);
  o.elect_leaders = v.flag("elect_leaders");
  return o;
}

int report_execution(Context& ctx, const ExecutionResult& res, bool waited) {
  auto& r = ctx.report;
  r.line("executed: " + std::to_string(res.submitted) + " submitted, " + std::to_string(res.completed) +
         " completed, " + std::to_string(res.resumed) + " resumed from an earlier run, " +
         std::to_string(res.already_done) + " already done, " + std::to_string(res.replanned) + " re-planned");
  for (const auto& f : res.failures) {
    r.line("  failed: " + f);
    spdlog::error("{}", f);
  }
  for (const auto& s : res.still_in_flight)
    r.line("  in flight: " + s);
  r.data()["execution"] = {{"submitted", res.submitted},       {"completed", res.completed}, {"resumed", res.resumed},
                           {"already_done", res.already_done}, {"replanned", res.replanned}, {"failures", res.failures},
                           {"in_flight", res.still_in_flight}, {"timed_out", res.timed_out}};
  r.set("MOVES_COMPLETED", std::to_string(res.completed));
  if (!res.failures.empty()) throw Error(std::to_string(res.failures.size()) + " partition move(s) failed; see above");
  if (res.timed_out) {
    throw Error("timed out with " + std::to_string(res.still_in_flight.size()) + " moves still in flight",
                "the moves continue in the cluster; run this step again (it resumes) or mode: verify / cancel");
  }
  if (!waited && !res.still_in_flight.empty()) r.line("not waiting (wait: false); run mode: verify to follow up");
  return 0;
}

// The brokers to heal now: dead for at least the grace period, as recorded
// in the state file (so consecutive runs share one clock).
std::set<BrokerId> due_for_heal(Context& ctx, const std::set<BrokerId>& dead) {
  const auto& v = ctx.settings;
  auto failures = FailureClock::load(v.str("state_file"), file_cap(v));
  auto now = std::chrono::system_clock::now();
  auto due = failures.observe(dead, now, v.duration("grace_period"));
  failures.save(v.str("state_file"));
  for (auto b : dead) {
    if (due.count(b)) continue;
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - failures.first_seen().at(b));
    ctx.report.line("broker " + std::to_string(b) + " is dead for " + settings::format_duration(since) +
                    "; it is healed once dead for grace_period " +
                    settings::format_duration(v.duration("grace_period")));
  }
  return due;
}

// One planning pass on the live cluster: observe, pick the goal's targets,
// guard against outages, plan, report. Returns nullopt when nothing is due.
struct LivePlan {
  Observation obs;
  Plan plan;
};

std::optional<LivePlan> plan_live(Context& ctx, kafka::AdminClient& admin, Goal goal) {
  const auto& v = ctx.settings;
  auto obs = observe(admin, TopicFilter::from(v), parse_broker_ids(v.list("expected_broker_ids")), true);
  if (!obs.in_flight.empty()) {
    ctx.report.line(std::to_string(obs.in_flight.size()) + " reassignments already in flight");
  }
  PlanOptions po{.goal = goal, .broker_ids = parse_broker_ids(v.list("broker_ids"))};
  if (v.str("rack_aware") != "auto") po.rack_aware = v.str("rack_aware") == "true";
  if (goal == Goal::Heal) {
    std::string dead_list;
    for (auto b : obs.dead)
      dead_list += (dead_list.empty() ? "" : ",") + std::to_string(b);
    ctx.report.set("DEAD_BROKERS", dead_list);
    auto total = obs.topology.brokers.size();
    auto verdict = judge_outage(obs.dead.size(), total, static_cast<int>(v.integer("max_dead_brokers")),
                                static_cast<int>(v.integer("max_dead_percent")));
    if (verdict.refuse) {
      throw Error("ALERT: refusing to heal: " + verdict.reason,
                  "bring the brokers back; moving their data now would overload the survivors. Raise "
                  "max_dead_brokers/max_dead_percent only if this is really a permanent loss");
    }
    po.dead = due_for_heal(ctx, obs.dead);
    if (po.dead->empty()) {
      ctx.report.line(obs.dead.empty() ? "no dead brokers: nothing to heal"
                                       : "no dead broker is past its grace period yet");
      return std::nullopt;
    }
  }
  auto plan = make_plan(obs.topology, po);
  report_plan(ctx, obs.topology, plan, obs.sizes_known);
  return LivePlan{std::move(obs), std::move(plan)};
}

int run_goal(Context& ctx, kafka::AdminClient& admin, Goal goal, bool execute) {
  auto lp = plan_live(ctx, admin, goal);
  if (!lp || !execute) return 0;
  if (lp->plan.moves.empty() && lp->obs.in_flight.empty()) {
    ctx.report.line("nothing to move");
    return 0;
  }
  auto moves = pending_from(lp->obs.topology, lp->plan);
  // Moves an earlier run left in flight (it was stopped or timed out) are
  // part of the job: wait for them too, so one successful run means done.
  auto filter = TopicFilter::from(ctx.settings);
  for (const auto& r : lp->obs.in_flight) {
    if (!filter.matches(r.topic)) continue;
    bool planned = std::any_of(moves.begin(), moves.end(),
                               [&](const PendingMove& m) { return m.topic == r.topic && m.partition == r.partition; });
    if (planned) continue;
    PendingMove m{r.topic, r.partition, {}, {}};
    for (auto b : r.replicas) {
      if (std::find(r.removing_replicas.begin(), r.removing_replicas.end(), b) == r.removing_replicas.end())
        m.after.push_back(b);
    }
    moves.push_back(std::move(m));
  }
  auto opts = execution_options(ctx.settings);
  auto res = kafka_rebalance::execute(admin, moves, opts, ctx.cancel);
  return report_execution(ctx, res, opts.wait);
}

// The plan file is a setting: anything wrong in it is exit 2, found before
// the cluster is touched.
std::vector<Assignment> read_plan_file(const Values& v) {
  auto text = read_capped(v, "plan_file");
  try {
    return parse_reassignment_json(text, file_cap(v));
  } catch (const Error& e) {
    throw SettingsError("plan_file " + v.str("plan_file") + ": " + e.what(), e.hint());
  }
}

int run_plan_file(Context& ctx, kafka::AdminClient& admin, const std::vector<Assignment>& assignments) {
  const auto& v = ctx.settings;
  std::vector<PendingMove> moves;
  for (const auto& a : assignments)
    moves.push_back({a.topic, a.partition, {}, a.replicas});
  ctx.report.line("plan_file " + v.str("plan_file") + ": " + std::to_string(moves.size()) + " partitions");
  if (v.flag("dry_run")) {
    log::print(to_reassignment_json(assignments) + "\n");
    return 0;
  }
  auto opts = execution_options(v);
  return report_execution(ctx, kafka_rebalance::execute(admin, moves, opts, ctx.cancel), opts.wait);
}

int run_verify(Context& ctx, kafka::AdminClient& admin) {
  const auto& v = ctx.settings;
  auto deadline = std::chrono::steady_clock::now() + v.duration("timeout");
  while (true) {
    auto in_flight = admin.list_reassignments();
    if (in_flight.empty()) break;
    if (!v.flag("wait") || std::chrono::steady_clock::now() >= deadline) {
      for (const auto& r : in_flight)
        ctx.report.line("  still moving " + r.topic + "-" + std::to_string(r.partition));
      throw Error(std::to_string(in_flight.size()) + " reassignments are still in progress",
                  "run verify again later, or cancel them");
    }
    if (!ctx.cancel.sleep_for(std::chrono::seconds(1))) throw Cancelled(ctx.cancel.exit_code());
  }
  clear_throttles(admin, {});
  ctx.report.line("no reassignment in progress; replication throttles removed");
  return 0;
}

int run_cancel(Context& ctx, kafka::AdminClient& admin) {
  const auto& v = ctx.settings;
  auto md = admin.metadata(std::vector<std::string>{});
  std::set<BrokerId> live;
  for (const auto& b : md.brokers)
    live.insert(b.id);
  std::vector<kafka::ReassignmentTarget> targets;
  int refused = 0;
  for (const auto& r : admin.list_reassignments()) {
    // Cancelling puts back the original replicas: if one of them is offline
    // the partition would lose a live copy for a dead one.
    std::vector<BrokerId> offline;
    for (auto b : r.removing_replicas) {
      if (!live.count(b)) offline.push_back(b);
    }
    if (!offline.empty()) {
      ++refused;
      ctx.report.line("  not cancelling " + r.topic + "-" + std::to_string(r.partition) +
                      ": its original replicas include offline broker(s); letting it finish");
      continue;
    }
    targets.push_back({r.topic, r.partition, std::nullopt});
  }
  if (v.flag("dry_run")) {
    ctx.report.line("dry run: would cancel " + std::to_string(targets.size()) + " reassignments");
    return 0;
  }
  if (!targets.empty()) {
    for (const auto& res : admin.alter_reassignments(targets)) {
      if (!res.ok() && res.error != kafka::errc::kNoReassignmentInProgress) {
        throw kafka::partition_error(res, "cancelling the reassignment");
      }
    }
  }
  ctx.report.line("cancelled " + std::to_string(targets.size()) + " reassignments" +
                  (refused ? ", left " + std::to_string(refused) + " running" : ""));
  ctx.report.set("CANCELLED", std::to_string(targets.size()));
  if (refused == 0) {
    // Throttles only go once nothing of ours is moving any more.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!admin.list_reassignments().empty() && std::chrono::steady_clock::now() < deadline) {
      if (!ctx.cancel.sleep_for(std::chrono::milliseconds(500))) throw Cancelled(ctx.cancel.exit_code());
    }
    clear_throttles(admin, {});
  }
  return 0;
}

int run_monitor(Context& ctx, kafka::AdminClient& admin) {
  const auto& v = ctx.settings;
  auto timeout = v.duration("timeout");
  auto deadline = timeout.count() > 0 ? std::optional(std::chrono::steady_clock::now() + timeout) : std::nullopt;
  int rounds = 0;
  ctx.report.stream_lines(true);
  while (true) {
    ++rounds;
    try {
      run_goal(ctx, admin, Goal::Heal, !v.flag("dry_run"));
    } catch (const Cancelled&) {
      throw;
    } catch (const kafka::TransportError& e) {
      // A monitor outlives blips: log and try again next round.
      spdlog::warn("monitor round {}: {}", rounds, e.what());
    }
    if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
    if (!ctx.cancel.sleep_for(v.duration("interval"))) break;
  }
  ctx.report.line("monitor stopped after " + std::to_string(rounds) + " rounds");
  return ctx.cancel.cancelled() ? ctx.cancel.exit_code() : 0;
}

int exec(Context& ctx) {
  const auto& v = ctx.settings;
  const auto& mode = v.str("mode");
  if (v.has("topology_file")) {
    auto t = parse_topology(read_capped(v, "topology_file"), file_cap(v));
    auto filter = TopicFilter::from(v);
    if (filter.include || filter.exclude) {
      std::erase_if(t.partitions, [&](const Partition& p) { return !filter.matches(t.topic_name(p)); });
    }
    PlanOptions po{.goal = goal_from(v.str("goal")), .broker_ids = parse_broker_ids(v.list("broker_ids"))};
    if (v.str("rack_aware") != "auto") po.rack_aware = v.str("rack_aware") == "true";
    bool sizes =
        std::all_of(t.partitions.begin(), t.partitions.end(), [](const Partition& p) { return p.size_bytes >= 0; });
    report_plan(ctx, t, make_plan(t, po), sizes);
    return 0;
  }
  std::optional<std::vector<Assignment>> plan_file;
  if (mode == "execute" && v.has("plan_file")) plan_file = read_plan_file(v);
  auto admin = connect(v, ctx.cancel);
  if (mode == "verify") return run_verify(ctx, *admin);
  if (mode == "cancel") return run_cancel(ctx, *admin);
  if (mode == "monitor") return run_monitor(ctx, *admin);
  if (plan_file) return run_plan_file(ctx, *admin, *plan_file);
  bool execute = mode != "plan" && !v.flag("dry_run");
  auto goal = mode == "plan" || mode == "execute" ? goal_from(v.str("goal")) : goal_from(mode);
  return run_goal(ctx, *admin, goal, execute);
}

}  // namespace

Plugin plugin() {
  return {schema(), exec};
}

}  // namespace sg::kafka_rebalance
