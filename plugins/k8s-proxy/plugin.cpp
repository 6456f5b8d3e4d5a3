#include "plugin.hpp"

#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "job_spec.hpp"
#include "kube/access.hpp"
#include "kube/client.hpp"
#include "kube/logs.hpp"
#include "kube/validate.hpp"
#include "log/log.hpp"
#include "pod_status.hpp"
#include "runtime/error.hpp"
#include "settings.hpp"
#include "settings/parse.hpp"
#include "settings/secret_rule.hpp"

namespace sg::k8s_proxy {
namespace {

namespace res = kube::resources;
using clock_type = std::chrono::steady_clock;

std::string random_attempt() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 5; ++i)
    s += hex[rng() % 16];
  return s;
}

// Variables that describe the host, not the build: forwarding them would
// point the step at files that do not exist in the pod.
bool host_only(const std::string& name) {
  return name == "DRONE_OUTPUT" || name == "DRONE_CARD_PATH" || name == "DRONE_ENV" || name == "CI_WORKSPACE" ||
         name == "DRONE_WORKSPACE";
}

// True for PLUGIN_* variables that are k8s-proxy's own settings, in any
// spelling; everything else belongs to the proxied step.
bool ours(const settings::Schema& schema, const std::string& var) {
  auto key = settings::canonical_key(std::string_view(var).substr(7));
  for (const auto& s : schema.settings) {
    if (settings::canonical_key(s.name) == key) return true;
    for (const auto& a : s.aliases) {
      if (settings::canonical_key(a) == key) return true;
    }
  }
  return false;
}

JobRequest build_request(const Context& ctx) {
  const auto& v = ctx.settings;
  JobRequest r;
  r.image = v.str("original_image");
  r.commands = v.list("original_commands");
  r.entrypoint = v.list("original_entrypoint");
  r.namespace_ = v.has("job_namespace") ? v.str("job_namespace") : "default";
  r.service_account = v.str("proxy_service_account");
  if (v.has("cpu_request")) r.requests["cpu"] = v.str("cpu_request");
  if (v.has("memory_request")) r.requests["memory"] = v.str("memory_request");
  if (v.has("cpu_limit")) r.limits["cpu"] = v.str("cpu_limit");
  if (v.has("memory_limit")) r.limits["memory"] = v.str("memory_limit");
  r.node_selector = v.map("node_selector");
  // Validated by the schema's rule already, which parsed it the same way.
  if (v.has("tolerations")) r.tolerations = settings::parse_json_strict(v.str("tolerations"));
  r.image_pull_secrets = v.list("image_pull_secrets");
  r.pull_policy = v.str("pull_policy");
  for (const auto& [k, val] : v.map("labels").items())
    r.labels[k] = kube::validate::scalar_text(val);
  for (const auto& [k, val] : v.map("annotations").items())
    r.annotations[k] = kube::validate::scalar_text(val);
  r.timeout_seconds = std::max<std::int64_t>(1, v.duration("timeout").count() / 1000);
  r.backoff_limit = static_cast<int>(v.integer("backoff_limit"));
  if (v.has("ttl_seconds_after_finished")) r.ttl_seconds_after_finished = v.integer("ttl_seconds_after_finished");
  r.workspace = v.flag("workspace");
  r.workspace_pvc = v.str("workspace_pvc");
  bool ci_workspace = ctx.ci.sources.count("workspace") && ctx.ci.sources.at("workspace") != "cwd" &&
                      ctx.ci.sources.at("workspace") != "git";
  r.workspace_path = v.has("workspace_path") ? v.str("workspace_path") : ci_workspace ? ctx.ci.workspace : "/drone/src";
  r.workspace_size = v.str("workspace_size");
  r.workspace_storage_class = v.str("workspace_storage_class");
  r.workspace_access_mode = v.str("workspace_access_mode");
  r.repo = ctx.ci.repo_slug().empty() ? "repo" : ctx.ci.repo_slug();
  r.build = ctx.ci.build_number.empty() ? "0" : ctx.ci.build_number;
  r.step = ctx.ci.step_name.empty() ? "step" : ctx.ci.step_name;
  r.attempt = random_attempt();

  const auto& schema = *v.schema();
  for (const auto& [name, value] : ctx.env) {
    if (value.empty() || host_only(name)) continue;
    bool metadata = name.starts_with("DRONE_") || name.starts_with("CI_") || name == "CI";
    if (metadata) {
      // Build metadata is not secret, except the clone credentials and
      // whatever else the one secret rule marks.
      (settings::is_secret_variable(name) ? r.secret_env : r.plain_env)[name] = value;
    } else if (name.starts_with("PLUGIN_") && !ours(schema, name)) {
      // A plugin cannot tell which settings came from CI secrets, so all of
      // the proxied step's settings travel in the Secret.
      r.secret_env[name] = value;
      if (auto guess = near_miss(schema, name); !guess.empty()) {
        spdlog::warn("{} is not a k8s-proxy setting and is forwarded to the step; did you mean `{}` ({})?", name, guess,
                     settings::env_name(guess));
      }
    }
  }
  for (const auto& name : v.list("forward_env")) {
    if (auto it = ctx.env.find(name); it != ctx.env.end()) r.secret_env[name] = it->second;
  }
  for (const auto& [k, val] : v.map("environment").items()) {
    r.secret_env[k] = val.is_string() ? val.get<std::string>() : val.dump();
  }
  if (r.workspace) {
    r.plain_env["DRONE_WORKSPACE"] = r.workspace_path;
    r.plain_env["CI_WORKSPACE"] = r.workspace_path;
  }
  return r;
}

std::string pretty(const nlohmann::json& j) {
  return j.dump(2);
}

struct Run {
  Context& ctx;
  JobRequest req;
  Names names;
  kube::Client& client;
  kube::Client& cleanup;  // never cancelled: cleanup must run after a signal
  std::string pod;
  bool created_job = false;
  bool created_secret = false;
};

// After the step ended: nothing runs any more, so no grace period matters.
void delete_step_objects(Run& run) {
  auto& c = run.cleanup;
  const auto& ns = run.req.namespace_;
  try {
    if (run.created_job) c.remove(res::jobs, ns, run.names.job, kube::Propagation::Foreground, 0);
    if (run.created_secret) c.remove(res::secrets, ns, run.names.secret);
  } catch (const Error& e) {
    spdlog::warn("cleanup of job {} in namespace {} was incomplete: {}", run.names.job, ns, e.what());
  }
}

// How long a cancelled step's processes get between SIGTERM and SIGKILL. A
// step whose PID 1 ignores SIGTERM (a shell waiting on sleep) would hold its
// pod for the pod's default 30 s, long after the CI host gave up on us.
constexpr int kCancelGraceSeconds = 1;
// How long a cancelled run waits for its pods to be gone before it says
// they are not.
constexpr auto kCancelWait = std::chrono::milliseconds(5000);

// After a signal: the Job first (so its controller creates no new pod), then
// its pods with a short grace period, then the Secret. True when all of them
// are gone.
bool cancel_step(Run& run) {
  auto& c = run.cleanup;
  const auto& ns = run.req.namespace_;
  auto until = clock_type::now() + kCancelWait;
  kube::ListOptions mine{.label_selector = "spotguide.io/run-id=" + run.names.run_id};
  try {
    // Orphan: the garbage collector would delete the pods with their own
    // 30 s grace period, and a kubelet that started that kill does not
    // shorten it for a later request. The pods are deleted here instead.
    if (run.created_job) c.remove(res::jobs, ns, run.names.job, kube::Propagation::Orphan);
    if (run.created_secret) c.remove(res::secrets, ns, run.names.secret);
    while (true) {
      bool job_gone = !run.created_job || !c.try_get(res::jobs, ns, run.names.job);
      auto pods = run.created_job ? c.list(res::pods, ns, mine).items : std::vector<nlohmann::json>{};
      // Every round, not once: a Job controller that saw the pod end before
      // it saw the Job go may have started a replacement.
      for (const auto& p : pods) {
        if (p["metadata"].value("deletionGracePeriodSeconds", kCancelGraceSeconds + 1) > kCancelGraceSeconds)
          c.remove(res::pods, ns, p["metadata"]["name"].get<std::string>(), kube::Propagation::Background,
                   kCancelGraceSeconds);
      }
      if (job_gone && pods.empty()) return true;
      if (clock_type::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  } catch (const Error& e) {
    spdlog::warn("cleanup of job {} in namespace {} was incomplete: {}", run.names.job, ns, e.what());
    return false;
  }
}

void cleanup_workspace(Run& run, bool success) {
  const auto& policy = run.ctx.settings.str("workspace_cleanup");
  if (!run.req.workspace || policy == "keep" || (policy == "on-success" && !success)) return;
  try {
    run.cleanup.remove(res::pvcs, run.req.namespace_, run.names.pvc);
    spdlog::info("deleted workspace claim {}", run.names.pvc);
  } catch (const Error& e) {
    spdlog::warn("could not delete workspace claim {}: {}", run.names.pvc, e.what());
  }
}

// Waits until the step's pod runs or has finished; throws on a stuck pod.
nlohmann::json wait_for_start(Run& run, clock_type::time_point deadline) {
  auto& c = run.client;
  const auto& ns = run.req.namespace_;
  auto limit = std::chrono::duration_cast<std::chrono::seconds>(run.ctx.settings.duration("unschedulable_timeout"));
  // Zero means "not unschedulable"; an optional here trips GCC's
  // maybe-uninitialized analysis under -Werror.
  clock_type::time_point unschedulable_since{};
  clock_type::time_point last_touch{};
  int touches = 0;
  std::string last_phase;
  while (true) {
    run.ctx.cancel.throw_if_cancelled();
    if (clock_type::now() >= deadline) return nullptr;
    auto pods = c.list(res::pods, ns, {.label_selector = "spotguide.io/run-id=" + run.names.run_id});
    if (!pods.items.empty()) {
      const auto& p = pods.items.front();
      run.pod = p["metadata"]["name"].get<std::string>();
      if (unschedulable(p)) {
        if (unschedulable_since == clock_type::time_point{}) unschedulable_since = clock_type::now();
        // A busy scheduler can try the pod before its informer has the claim
        // we just created and then park the pod as unresolvable. An update
        // of that claim is an event the scheduler requeues the pod on, and
        // unlike replacing the pod it costs nothing against backoff_limit.
        if (run.req.workspace && waits_for_claim(p, run.names.pvc) &&
            clock_type::now() - last_touch >= std::chrono::seconds(5)) {
          last_touch = clock_type::now();
          ++touches;
          c.patch(res::pvcs, ns, run.names.pvc,
                  {{"metadata", {{"annotations", {{"spotguide.io/scheduler-retry", std::to_string(touches)}}}}}},
                  kube::PatchType::Merge);
          spdlog::info("the scheduler has not seen workspace claim {} yet; touched it so pod {} is retried",
                       run.names.pvc, run.pod);
        }
      } else {
        unschedulable_since = {};
      }
      auto pending = unschedulable_since == clock_type::time_point{}
                         ? std::chrono::seconds(0)
                         : std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - unschedulable_since);
      auto v = judge_pod(p, pending, limit);
      auto phase = p["status"].value("phase", "Pending");
      if (phase != last_phase) {
        spdlog::info("pod {}: {}", run.pod, phase);
        last_phase = phase;
      }
      if (v.state == StepState::Stuck) {
        std::string hint = v.reason == "Unschedulable"
                               ? "no node fits the pod: check node_selector, tolerations and resource requests"
                           : v.reason.find("Image") != std::string::npos || v.reason == "ErrImagePull"
                               ? "check original_image and image_pull_secrets"
                               : "check the pod's secrets, config maps and environment";
        throw Error("the step cannot start: " + v.reason + (v.message.empty() ? "" : ": " + v.message) + " (pod " +
                        run.pod + " in namespace " + ns + ")",
                    hint);
      }
      if (v.state != StepState::Starting) return p;
    } else if (auto job = c.try_get(res::jobs, ns, run.names.job)) {
      if (auto jv = judge_job(*job)) {
        throw Error("job " + run.names.job + " failed before its pod started: " + jv->reason + ": " + jv->message);
      }
    }
    if (!run.ctx.cancel.sleep_for(std::chrono::milliseconds(200))) throw Cancelled(run.ctx.cancel.exit_code());
  }
}

int run_step(Run& run) {
  auto& ctx = run.ctx;
  auto& c = run.client;
  const auto& ns = run.req.namespace_;
  auto started = clock_type::now();
  // The client ends every request, retry and stream by the same time.
  auto deadline = run.client.deadline().value_or(started + ctx.settings.duration("timeout"));

  if (run.req.workspace) {
    try {
      c.create(res::pvcs, ns, pvc_manifest(run.req, run.names));
      spdlog::info("created workspace claim {}", run.names.pvc);
    } catch (const kube::ApiError& e) {
      if (!e.already_exists()) throw;
    }
  }
  if (!run.req.secret_env.empty()) {
    c.create(res::secrets, ns, secret_manifest(run.req, run.names));
    run.created_secret = true;
  }
  auto job = c.create(res::jobs, ns, job_manifest(run.req, run.names));
  run.created_job = true;
  spdlog::info("created job {} in namespace {} ({} ms after start)", run.names.job, ns,
               std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started).count());
  if (run.created_secret) {
    // The Job owns the Secret: if this process dies, garbage collection
    // still removes the step's secrets with the Job.
    nlohmann::json owner = {{"apiVersion", "batch/v1"},
                            {"kind", "Job"},
                            {"name", run.names.job},
                            {"uid", job["metadata"]["uid"]},
                            {"blockOwnerDeletion", false}};
    c.patch(res::secrets, ns, run.names.secret, {{"metadata", {{"ownerReferences", {owner}}}}}, kube::PatchType::Merge);
  }
  ctx.report.set("JOB_NAME", run.names.job);

  auto pod = wait_for_start(run, deadline);
  if (pod.is_null())
    throw Error("timed out after " + settings::format_duration(ctx.settings.duration("timeout")) +
                " before the step started");
  ctx.report.set("POD_NAME", run.pod);

  log::LineWriter out;
  auto end = kube::follow_logs(c, ns, run.pod,
                               [&](std::string_view line) {
                                 out.write(line);
                                 out.write("\n");
                                 return true;
                               },
                               {.container = "step", .deadline = deadline});
  out.flush();
  if (end == kube::LogEnd::Deadline) {
    throw Error("timed out after " + settings::format_duration(ctx.settings.duration("timeout")),
                "raise timeout, or make the step faster");
  }
  auto finished = clock_type::now();
  Verdict v;
  if (auto p = c.try_get(res::pods, ns, run.pod)) {
    v = judge_pod(*p, std::chrono::seconds(0), std::chrono::hours(1));
  } else {
    v = {StepState::Failed, std::nullopt, "PodDeleted", "the pod was deleted before the step finished"};
  }
  if (v.state == StepState::Failed && !v.exit_code) {
    // The pod went away without an exit code (deadline, eviction): the Job's
    // condition names the reason, shortly after.
    for (int i = 0; i < 25; ++i) {
      if (auto j = c.try_get(res::jobs, ns, run.names.job); j && judge_job(*j)) {
        v = *judge_job(*j);
        break;
      }
      if (!ctx.cancel.sleep_for(std::chrono::milliseconds(200))) throw Cancelled(ctx.cancel.exit_code());
    }
  }
  spdlog::debug("step finished; result read {} ms after the log ended",
                std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - finished).count());
  int code = v.exit_code.value_or(v.state == StepState::Succeeded ? 0 : 1);
  ctx.report.set("EXIT_CODE", std::to_string(code));
  if (code == 0) {
    ctx.report.line("step succeeded (job " + run.names.job + ")");
  } else {
    std::string why = v.reason.empty() ? "" : " (" + v.reason + (v.message.empty() ? "" : ": " + v.message) + ")";
    ctx.report.line("step failed with exit code " + std::to_string(code) + why + " (job " + run.names.job + ")");
    spdlog::error("step failed with exit code {}{}", code, why);
  }
  return code;
}

int exec(Context& ctx) {
  const auto& v = ctx.settings;
  auto req = build_request(ctx);
  if (v.flag("dry_run")) {
    auto names = names_for(req);
    nlohmann::json manifests = {{"job", job_manifest(req, names)}};
    if (!req.secret_env.empty()) manifests["secret"] = redacted(secret_manifest(req, names));
    if (req.workspace) manifests["persistentVolumeClaim"] = pvc_manifest(req, names);
    ctx.report.data()["manifests"] = manifests;
    if (ctx.report.format() == output::Format::Text) {
      for (const auto& [kind, m] : manifests.items())
        log::print("# " + kind + "\n" + pretty(m) + "\n");
    }
    ctx.report.line("dry run: nothing was created");
    return 0;
  }
  auto config = kube::config_from_settings(v, ctx.ci);
  if (!v.has("job_namespace")) req.namespace_ = config.namespace_;
  // `timeout` bounds the whole run, every retry of every request included.
  kube::ClientOptions bounded;
  bounded.deadline = clock_type::now() + v.duration("timeout");
  kube::Client client(config, bounded);
  kube::ClientOptions quiet;
  quiet.cancel = nullptr;
  kube::Client cleanup(config, quiet);
  Run run{ctx, req, names_for(req), client, cleanup, {}};
  // The cleanup runs after the run's deadline or a signal, so it has its
  // own short limit: an API server that stopped answering must not hold
  // the step for the requests' timeouts times their retries.
  auto limit_cleanup = [&](std::chrono::milliseconds allowed) { cleanup.set_deadline(clock_type::now() + allowed); };
  int code = 1;
  try {
    try {
      code = run_step(run);
    } catch (const http::DeadlineExceeded& e) {
      throw Error("timed out after " + settings::format_duration(v.duration("timeout")) +
                      " (the whole run, retries included): " + e.what(),
                  e.hint());
    }
  } catch (const Cancelled&) {
    limit_cleanup(kCancelWait + std::chrono::seconds(1));
    spdlog::warn("cancelled: deleting job {}, its pod and its secret (grace period {} s)", run.names.job,
                 kCancelGraceSeconds);
    auto started = clock_type::now();
    bool done = cancel_step(run);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started).count();
    // The last word is whether the cluster is clean, measured, not assumed.
    if (!run.created_job && !run.created_secret) {
      ctx.report.line("cancelled before anything was created in namespace " + run.req.namespace_);
    } else if (done) {
      ctx.report.line("cancelled; cleanup finished in " + std::to_string(ms) + " ms: job " + run.names.job +
                      ", its pod and its secret are gone from namespace " + run.req.namespace_);
    } else {
      ctx.report.line("cancelled; cleanup NOT finished after " + std::to_string(ms) + " ms: job " + run.names.job +
                      " or its pod is still terminating in namespace " + run.req.namespace_ +
                      " (deletion was requested; Kubernetes completes it)");
    }
    throw;
  } catch (...) {
    limit_cleanup(std::chrono::seconds(15));
    if (!v.flag("keep_on_failure")) delete_step_objects(run);
    cleanup_workspace(run, false);
    throw;
  }
  limit_cleanup(std::chrono::seconds(15));
  if (code == 0 || !v.flag("keep_on_failure")) {
    delete_step_objects(run);
  } else {
    ctx.report.line("kept job " + run.names.job + " and its secret for debugging (keep_on_failure)");
  }
  cleanup_workspace(run, code == 0);
  return code;
}

}  // namespace

Plugin plugin() {
  return {schema(), exec};
}

}  // namespace sg::k8s_proxy
