#include "plugin.hpp"

#include <fstream>
#include <memory>

#include <spdlog/spdlog.h>

#include "cluster.hpp"
#include "executor.hpp"
#include "kube/access.hpp"
#include "planner.hpp"
#include "runtime/error.hpp"
#include "settings.hpp"

namespace sg::tidb_scale {
namespace {

using settings::Values;

Goal goal_from(const std::string& mode) {
  if (mode == "scale") return Goal::Scale;
  if (mode == "heal") return Goal::Heal;
  if (mode == "rebalance") return Goal::Rebalance;
  return Goal::Status;
}

PlanOptions plan_options(const Values& v) {
  PlanOptions o;
  o.goal = goal_from(v.str("mode"));
  o.backend = v.str("backend") == "pd" ? Backend::Pd : Backend::Operator;
  if (v.has("pd_replicas")) o.pd_replicas = static_cast<int>(v.integer("pd_replicas"));
  if (v.has("tikv_replicas")) o.tikv_replicas = static_cast<int>(v.integer("tikv_replicas"));
  if (v.has("tidb_replicas")) o.tidb_replicas = static_cast<int>(v.integer("tidb_replicas"));
  o.min_tidb_healthy = static_cast<int>(v.integer("min_tidb_healthy"));
  o.allow_even_pd = v.flag("allow_even_pd");
  o.max_failover = static_cast<int>(v.integer("max_failover"));
  o.force = v.flag("force");
  for (const auto& id : v.list("confirmed_gone_stores"))
    o.confirmed_gone.insert(std::stoull(id));
  return o;
}

void report_state(output::Report& r, const ClusterState& s) {
  const auto* leader = s.pd_leader();
  std::string members;
  for (const auto& m : s.pd)
    members += (members.empty() ? "" : ", ") + m.name + (m.healthy ? " healthy" : " UNHEALTHY");
  r.line("PD: " + std::to_string(s.pd.size()) + " members, leader " + (leader ? leader->name : "NONE") + ": " +
         members);
  if (!s.observed_all) {
    r.line("stores, regions and max-replicas: not observed (PD has no leader)");
  } else {
    r.line("max-replicas " + std::to_string(s.max_replicas) + "; regions: " + std::to_string(s.regions.miss_peer) +
           " miss-peer, " + std::to_string(s.regions.down_peer) + " down-peer, " +
           std::to_string(s.regions.offline_peer) + " offline-peer");
    for (const auto& st : s.stores) {
      r.line("store " + std::to_string(st.id) + " " + st.address + " " + std::string(store_state_name(st.state)) +
             " regions " + std::to_string(st.region_count) + " leaders " + std::to_string(st.leader_count) +
             (s.evicting.count(st.id) ? " (evicting leaders)" : ""));
    }
  }
  for (const auto& t : s.tidb)
    r.line("tidb " + t.name + (t.healthy ? " healthy" : " UNHEALTHY"));
  r.data()["state"] = to_json(s);
  r.set("PD_LEADER", leader ? leader->name : "");
  r.set("STORES_UP", std::to_string(s.up_stores()));
}

void report_plan(Context& ctx, const Plan& plan) {
  auto& r = ctx.report;
  const auto& v = ctx.settings;
  for (const auto& w : plan.warnings) {
    r.line("warning: " + w);
    spdlog::warn("{}", w);
  }
  if (plan.refusal) {
    r.line("plan: refused by rule " + plan.refusal->rule);
  } else {
    r.line("plan: " + std::to_string(plan.steps.size()) + " steps" + (plan.steps.empty() ? " (nothing to do)" : ""));
  }
  int n = 0;
  for (const auto& s : plan.steps) {
    r.line("  " + std::to_string(++n) + ". " + s.component + " " + s.action + " " + s.target + "  # " + s.reason);
  }
  auto j = plan.to_json();
  r.data()["plan"] = j;
  r.set("PLAN_STEPS", std::to_string(plan.steps.size()));
  if (plan.refusal) r.set("REFUSED_RULE", plan.refusal->rule);
  if (v.has("plan_file_out")) {
    std::ofstream f(v.str("plan_file_out"), std::ios::trunc);
    if (!f) throw Error("cannot write the plan to " + v.str("plan_file_out"), "check that the directory exists");
    f << j.dump(2) << "\n";
    r.set("PLAN_FILE", v.str("plan_file_out"));
  }
}

// Refusals exit non-zero with the rule in the message.
void refuse_if_needed(const Plan& plan) {
  if (!plan.refusal) return;
  const auto& rule = plan.refusal->rule;
  std::string hint = rule == "mass-outage" ? "this needs a human: bring the failed members or stores back"
                     : rule == "pd-quorum" || rule == "pd-leader"
                         ? "nothing was changed; re-run once PD has a healthy majority and a leader"
                         : "nothing was changed; adjust the targets or fix the cluster first";
  throw Error("refused by rule " + rule + ": " + plan.refusal->message, hint);
}

http::Options http_options(const Values& v) {
  http::Options o;
  o.total_timeout = v.duration("request_timeout");
  o.connect_timeout = std::min(o.total_timeout, std::chrono::milliseconds(3000));
  if (v.has("pd_tls_ca")) o.tls.ca = v.str("pd_tls_ca");
  if (v.has("pd_tls_cert")) o.tls.client_cert = v.str("pd_tls_cert");
  if (v.has("pd_tls_key")) o.tls.client_key = v.str("pd_tls_key");
  o.tls.verify = !v.flag("pd_tls_skip_verify");
  return o;
}

int exec(Context& ctx) {
  const auto& v = ctx.settings;
  auto options = plan_options(v);
  // Lines as they come: a scale-in can take long, and CI logs should show it.
  ctx.report.stream_lines(true);
  if (v.has("state_file")) {
    auto state = parse_state(settings::read_setting_file(v, "state_file"));
    report_state(ctx.report, state);
    auto plan = make_plan(state, options);
    report_plan(ctx, plan);
    refuse_if_needed(plan);
    ctx.report.line("dry run (state_file): nothing was changed");
    return 0;
  }

  std::unique_ptr<kube::Client> kube_client;
  std::unique_ptr<TidbClusterRef> tc;
  auto endpoints = v.list("pd_url");
  if (options.backend == Backend::Operator) {
    auto config = kube::config_from_settings(v, ctx.ci);
    kube::ClientOptions ko;
    ko.request_timeout = v.duration("request_timeout");
    kube_client = std::make_unique<kube::Client>(config, ko);
    auto ns = v.has("namespace") ? v.str("namespace") : config.namespace_;
    tc = std::make_unique<TidbClusterRef>(*kube_client, ns, v.str("cluster"));
    tc->get();  // fails early, with the API's message, when it does not exist
    // The operator names PD's client service <cluster>-pd.
    if (endpoints.empty()) endpoints.push_back("http://" + v.str("cluster") + "-pd." + ns + ":2379");
  }
  auto hopts = http_options(v);
  PdClient pd(endpoints, hopts);
  auto tidb_opts = hopts;
  tidb_opts.retry.max_attempts = 1;
  http::Client tidb_http(tidb_opts);
  Cluster cluster(pd, v.list("tidb_status_urls"), tidb_http, tc.get());

  auto state = cluster.observe_with_leader(v.duration("leader_wait"), v.duration("poll_interval"), ctx.cancel);
  report_state(ctx.report, state);
  auto plan = make_plan(state, options);
  report_plan(ctx, plan);
  refuse_if_needed(plan);
  if (!state.observed_all) {
    throw Error("PD has no leader after leader_wait: stores, regions and max-replicas could not be observed",
                "re-run once PD has elected a leader; check its members above");
  }
  if (options.goal == Goal::Status) return 0;
  if (v.flag("dry_run")) {
    ctx.report.line("dry run: nothing was changed");
    return 0;
  }
  if (plan.steps.empty()) return 0;
  ExecOptions eo{.goal = options.goal,
                 .force = options.force,
                 .timeout = v.duration("timeout"),
                 .leader_wait = v.duration("leader_wait"),
                 .evict_leader_timeout = v.duration("evict_leader_timeout"),
                 .poll = v.duration("poll_interval")};
  execute(cluster, plan, eo, ctx.cancel, ctx.report);
  auto after = cluster.observe();
  ctx.report.line("done: " + std::to_string(after.up_stores()) + " TiKV stores Up, " + std::to_string(after.pd.size()) +
                  " PD members");
  return 0;
}

}  // namespace

Plugin plugin() {
  return {schema(), exec};
}

}  // namespace sg::tidb_scale
