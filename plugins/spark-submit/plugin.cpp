#include "plugin.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <pwd.h>
#include <spdlog/spdlog.h>

#include "driver_builder.hpp"
#include "driver_status.hpp"
#include "kube/access.hpp"
#include "kube/client.hpp"
#include "kube/logs.hpp"
#include "kube/validate.hpp"
#include "kube/watch.hpp"
#include "log/log.hpp"
#include "log/redactor.hpp"
#include "operator_app.hpp"
#include "runtime/error.hpp"
#include "settings.hpp"
#include "settings/parse.hpp"
#include "util/strings.hpp"

namespace sg::spark_submit {
namespace {

namespace res = kube::resources;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

const kube::Resource kSparkApplications{"sparkoperator.k8s.io", "v1beta2", "sparkapplications", true,
                                        "SparkApplication"};

std::string read_file(const std::string& what, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw SettingsError(what + ": cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

SubmissionInput submission_input(const settings::Values& v) {
  SubmissionInput in;
  if (v.has("spark_submit_options")) in.options = v.map("spark_submit_options");
  if (v.has("spark_submit_configs")) in.configs = v.map("spark_submit_configs");
  in.app_args = v.list("spark_submit_app_args");
  in.main_resource = v.str("main_resource");
  in.compat_banzai = v.str("compat") == "banzai";
  auto opt = [&](const char* setting, const char* option) {
    if (v.has(setting)) in.first_class_options[option] = v.str(setting);
  };
  opt("class", "class");
  opt("app_name", "name");
  opt("driver_cores", "driver-cores");
  opt("driver_memory", "driver-memory");
  opt("executor_cores", "executor-cores");
  opt("executor_memory", "executor-memory");
  opt("master", "master");
  if (v.has("executor_instances"))
    in.first_class_options["num-executors"] = std::to_string(v.integer("executor_instances"));
  auto joined = [&](const char* setting, const char* option) {
    if (!v.list(setting).empty()) in.first_class_options[option] = util::join(v.list(setting), ",");
  };
  joined("jars", "jars");
  joined("files", "files");
  joined("py_files", "py-files");
  auto conf = [&](const char* setting, const char* key) {
    if (v.has(setting)) in.first_class_confs[key] = v.str(setting);
  };
  conf("spark_namespace", "spark.kubernetes.namespace");
  conf("image", "spark.kubernetes.container.image");
  conf("service_account", "spark.kubernetes.authenticate.driver.serviceAccountName");
  // Spark's driver puts spark.kubernetes.node.selector.* on its own pod and
  // on every executor pod it creates, so one conf per label covers both.
  if (v.has("node_selector"))
    for (const auto& [key, value] : v.map("node_selector").items())
      in.first_class_confs["spark.kubernetes.node.selector." + key] = kube::validate::scalar_text(value);
  return in;
}

bool access_set(const settings::Values& v) {
  for (const char* s : {"kubeconfig", "kubeconfig_path", "kube_server", "kube_token", "kube_client_cert"})
    if (v.is_set(s)) return true;
  return false;
}

// The cluster to submit to. Explicit access settings win; otherwise a
// k8s:// master with Spark's own submission credentials
// (spark.kubernetes.authenticate.submission.*), as spark-submit uses them;
// otherwise the usual kubeconfig search.
kube::Config cluster_config(const settings::Values& v, const ci::Metadata& ci, const SparkConf& conf) {
  auto master_it = conf.find("spark.master");
  if (access_set(v) || master_it == conf.end()) return kube::config_from_settings(v, ci);
  const std::string p = "spark.kubernetes.authenticate.submission.";
  auto get = [&](const std::string& k) {
    auto it = conf.find(p + k);
    return it == conf.end() ? std::string() : it->second;
  };
  bool has_creds = !get("oauthToken").empty() || !get("oauthTokenFile").empty() || !get("clientCertFile").empty();
  if (!has_creds) {
    auto c = kube::config_from_settings(v, ci);
    c.server = master_it->second.substr(6);
    return c;
  }
  kube::Config c;
  c.source = "spark.master and spark.kubernetes.authenticate.submission.*";
  c.server = master_it->second.substr(6);
  if (!get("caCertFile").empty()) c.ca_pem = read_file(p + "caCertFile", get("caCertFile"));
  if (!get("clientCertFile").empty()) {
    c.client_cert_pem = read_file(p + "clientCertFile", get("clientCertFile"));
    c.client_key_pem = read_file(p + "clientKeyFile", get("clientKeyFile"));
  }
  c.token = get("oauthToken");
  c.token_file = get("oauthTokenFile");
  return c;
}

// Spark's Utils.getCurrentUserName: $SPARK_USER, else the OS user.
std::string spark_user(const settings::Environment& env) {
  if (auto it = env.find("SPARK_USER"); it != env.end() && !it->second.empty()) return it->second;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  return std::to_string(getuid());
}

std::string ms_since(clock_type::time_point t0) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count());
}

// Status and kill: by submission id (namespace:pod) or by app id (label).
std::vector<json> find_drivers(kube::Client& c, const std::string& id, const std::string& ns) {
  if (auto colon = id.find(':'); colon != std::string::npos) {
    auto p = c.try_get(res::pods, id.substr(0, colon), id.substr(colon + 1));
    return p ? std::vector<json>{*p} : std::vector<json>{};
  }
  auto l = c.list(res::pods, ns, {.label_selector = "spark-role=driver,spark-app-selector=" + id});
  return l.items;
}

int status_or_kill(Context& ctx, kube::Client& c, const std::string& mode, const std::string& ns) {
  const auto& id = ctx.settings.str("app_id");
  auto pods = find_drivers(c, id, ns);
  if (pods.empty())
    throw Error("no driver pod for " + id + " in namespace " + ns,
                "app_id is spark-<32 hex> (searched in spark_namespace) or namespace:driver-pod");
  for (const auto& p : pods) {
    auto pns = p["metadata"].value("namespace", ns);
    auto name = p["metadata"].value("name", "");
    auto container = p["spec"]["containers"][0].value("name", "spark-kubernetes-driver");
    auto st = driver_state(p, container);
    if (mode == "status") {
      std::string line = pns + ":" + name + " phase " + st.phase;
      if (st.exit_code) line += ", exit code " + std::to_string(*st.exit_code);
      if (!st.reason.empty()) line += " (" + st.reason + ")";
      ctx.report.line(line);
      ctx.report.set("DRIVER_PHASE", st.phase);
    } else {
      c.remove(res::pods, pns, name);
      ctx.report.line("deleted driver pod " + pns + ":" + name);
    }
  }
  return 0;
}

int watch_driver(Context& ctx, kube::Client& c, const DriverSpec& d) {
  auto deadline = c.deadline().value_or(clock_type::now() + ctx.settings.duration("timeout"));
  std::string last;
  DriverState st;
  bool gone = false;
  // Watches the pod, printing each phase (and waiting reason) change, until
  // `done` says so; false when the pod went away.
  auto watch_until = [&](const std::function<bool(const DriverState&)>& done) {
    kube::Watcher w(c, res::pods, d.ns, {.field_selector = "metadata.name=" + d.pod_name});
    bool seen = false;
    auto end = w.run(
        [&](const kube::WatchEvent& e) {
          if (e.type == "DELETED") return false;
          seen = true;
          st = driver_state(e.object, d.container_name);
          auto now = st.phase + (st.reason.empty() ? "" : " (" + st.reason + ")");
          if (now != last) {
            spdlog::info("driver {}:{} phase {}", d.ns, d.pod_name, now);
            last = now;
          }
          return !done(st);
        },
        deadline, [&] { return seen; });
    if (!seen || (end == kube::WatchEnd::Stopped && !done(st))) gone = true;
    return end;
  };
  auto timed_out = [&] {
    return Error("timed out after " + settings::format_duration(ctx.settings.duration("timeout")) +
                     " waiting for driver " + d.ns + ":" + d.pod_name + " (it keeps running)",
                 "raise timeout, or use wait: false and mode: status");
  };
  if (watch_until([](const DriverState& s) { return s.phase != "Pending" || s.finished; }) == kube::WatchEnd::Deadline)
    throw timed_out();
  if (!gone) {
    log::LineWriter out;
    auto end = kube::follow_logs(c, d.ns, d.pod_name,
                                 [&](std::string_view line) {
                                   out.write(line);
                                   out.write("\n");
                                   return true;
                                 },
                                 {.container = d.container_name, .deadline = deadline});
    out.flush();
    if (end == kube::LogEnd::Deadline) throw timed_out();
    // The log ends when the container terminates; the pod's phase follows.
    if (watch_until([](const DriverState& s) { return s.finished; }) == kube::WatchEnd::Deadline) throw timed_out();
  }
  if (gone) throw Error("driver pod " + d.ns + ":" + d.pod_name + " was deleted before it finished");
  int code = driver_exit_code(st);
  ctx.report.set("EXIT_CODE", std::to_string(code));
  if (code == 0) {
    ctx.report.line("driver " + d.ns + ":" + d.pod_name + " succeeded");
  } else {
    std::string why = st.reason.empty() ? "" : " (" + st.reason + ")";
    ctx.report.line("driver " + d.ns + ":" + d.pod_name + " failed with exit code " + std::to_string(code) + why);
  }
  return code;
}

// How long a cancelled application's pods get between SIGTERM and SIGKILL
// (spark.kubernetes.appKillPodDeletionGracePeriod overrides it), and how
// long the plugin waits for them to be gone before it says they are not.
constexpr int kCancelGraceSeconds = 1;
constexpr auto kCancelWait = std::chrono::milliseconds(5000);

// After a signal: the driver and its executors are deleted with a short grace
// period (their own 30 s would outlive a CI host's patience); the Service,
// ConfigMap and Secrets follow the driver by their ownerReferences. The last
// line says whether the pods are gone.
void cancel_application(Context& ctx, const kube::Client& c, const DriverSpec& d) {
  kube::ClientOptions quiet;
  quiet.cancel = nullptr;  // cleanup must run after the signal
  quiet.deadline = clock_type::now() + kCancelWait + std::chrono::seconds(1);
  kube::Client cleanup(c.config(), quiet);
  int grace = kCancelGraceSeconds;
  if (auto it = d.properties.find("spark.kubernetes.appKillPodDeletionGracePeriod"); it != d.properties.end()) {
    try {
      grace = static_cast<int>(std::max<std::int64_t>(0, settings::parse_duration(it->second).count() / 1000));
    } catch (const std::exception&) {
      spdlog::warn("spark.kubernetes.appKillPodDeletionGracePeriod={} is not a duration; using {} s", it->second,
                   grace);
    }
  }
  spdlog::warn("cancelled: deleting driver {}:{} and its executors (grace period {} s)", d.ns, d.pod_name, grace);
  auto started = clock_type::now();
  kube::ListOptions pods{.label_selector = "spark-app-selector=" + d.app_id};
  bool gone = false;
  try {
    // Executors first: deleting the driver first would have the garbage
    // collector delete them with their own 30 s grace period, which a kubelet
    // that started that kill does not shorten. Every round, for executors
    // the driver started meanwhile.
    while (true) {
      auto items = cleanup.list(res::pods, d.ns, pods).items;
      if ((gone = items.empty()) || clock_type::now() - started >= kCancelWait) break;
      for (const auto& p : items) {
        const auto& name = p["metadata"]["name"].get_ref<const std::string&>();
        if (name != d.pod_name && p["metadata"].value("deletionGracePeriodSeconds", grace + 1) > grace)
          cleanup.remove(res::pods, d.ns, name, kube::Propagation::Background, grace);
      }
      for (const auto& p : items) {
        if (p["metadata"]["name"] == d.pod_name && p["metadata"].value("deletionGracePeriodSeconds", grace + 1) > grace)
          cleanup.remove(res::pods, d.ns, d.pod_name, kube::Propagation::Background, grace);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  } catch (const Error& e) {
    spdlog::warn("cleanup of application {} was incomplete: {}", d.app_id, e.what());
  }
  auto ms = ms_since(started);
  if (gone) {
    ctx.report.line("cancelled; cleanup finished in " + ms + " ms: driver " + d.ns + ":" + d.pod_name +
                    " and its executors are gone");
  } else {
    ctx.report.line("cancelled; cleanup NOT finished after " + ms + " ms: pods of " + d.app_id +
                    " are still terminating in namespace " + d.ns + " (deletion was requested)");
  }
}

int submit_native(Context& ctx, kube::Client& c, DriverSpec& d, bool wait) {
  auto t0 = clock_type::now();
  // The pod reads the conf Secret at start, so it exists first; the pod
  // then owns it, as it owns Spark's ConfigMap.
  bool conf_secret = !d.conf_secret.empty();
  if (conf_secret) c.create(res::secrets, d.ns, d.conf_secret);
  std::string secret_name = conf_secret ? d.conf_secret["metadata"]["name"].get<std::string>() : "";
  json created;
  try {
    created = c.create(res::pods, d.ns, d.pod);
  } catch (...) {
    if (conf_secret) {
      try {
        c.remove(res::secrets, d.ns, secret_name);
      } catch (const Error& e) {
        spdlog::warn("could not delete secret {} after the failure: {}", secret_name, e.what());
      }
    }
    throw;
  }
  spdlog::debug("driver pod created {} ms after the request", ms_since(t0));
  std::string uid = created["metadata"]["uid"];
  try {
    if (conf_secret) {
      json owner = d.conf_secret;
      set_owner(owner, d.pod_name, uid);
      c.patch(res::secrets, d.ns, secret_name,
              {{"metadata", {{"ownerReferences", owner["metadata"]["ownerReferences"]}}}}, kube::PatchType::Merge);
    }
    set_owner(d.service, d.pod_name, uid);
    set_owner(d.config_map, d.pod_name, uid);
    c.create(res::services, d.ns, d.service);
    c.create(res::configmaps, d.ns, d.config_map);
    for (auto& r : d.resources) {
      set_owner(r, d.pod_name, uid);
      const auto& kind = r["kind"].get_ref<const std::string&>();
      const auto& resource = kind == "Secret"                  ? res::secrets
                             : kind == "PersistentVolumeClaim" ? res::pvcs
                                                               : res::configmaps;
      c.create(resource, d.ns, r);
    }
  } catch (...) {
    // As spark-submit does: a half-created application is removed.
    try {
      c.remove(res::pods, d.ns, d.pod_name);
    } catch (const Error& e) {
      spdlog::warn("could not delete driver pod {} after the failure: {}", d.pod_name, e.what());
    }
    throw;
  }
  std::string sid = d.ns + ":" + d.pod_name;
  ctx.report.set("APP_ID", d.app_id);
  ctx.report.set("SUBMISSION_ID", sid);
  spdlog::info("submitted {} as {} (submission id {})", d.properties.at("spark.app.name"), d.app_id, sid);
  if (!wait) {
    ctx.report.line(d.app_id);
    ctx.report.line("submission id " + sid + " (status: mode: status, app_id: " + sid + ")");
    return 0;
  }
  try {
    return watch_driver(ctx, c, d);
  } catch (const Cancelled&) {
    cancel_application(ctx, c, d);
    throw;
  }
}

int submit_operator(Context& ctx, kube::Client& c, const json& app, bool wait) {
  const std::string ns = app["metadata"]["namespace"];
  const std::string name = app["metadata"]["name"];
  c.create(kSparkApplications, ns, app);
  ctx.report.set("APP_NAME", name);
  spdlog::info("created SparkApplication {}/{}", ns, name);
  if (!wait) {
    ctx.report.line("SparkApplication " + ns + "/" + name);
    return 0;
  }
  auto deadline = c.deadline().value_or(clock_type::now() + ctx.settings.duration("timeout"));
  AppState st;
  std::string last;
  kube::Watcher w(c, kSparkApplications, ns, {.field_selector = "metadata.name=" + name});
  auto end = w.run(
      [&](const kube::WatchEvent& e) {
        if (e.type == "DELETED") throw Error("SparkApplication " + ns + "/" + name + " was deleted");
        st = spark_application_state(e.object);
        if (st.state != last) {
          spdlog::info("SparkApplication {}/{}: {}", ns, name, st.state.empty() ? "(no state yet)" : st.state);
          last = st.state;
        }
        return !st.finished;
      },
      deadline);
  if (end == kube::WatchEnd::Deadline)
    throw Error("timed out waiting for SparkApplication " + ns + "/" + name, "is the Spark operator running?");
  ctx.report.set("EXIT_CODE", std::to_string(st.exit_code));
  ctx.report.line("SparkApplication " + ns + "/" + name + " " + st.state +
                  (st.message.empty() ? "" : ": " + st.message));
  return st.exit_code;
}

// Properties that carry credentials (an OAuth token, a storage account key)
// travel in the conf Secret; their values are masked in every log line too
// (the driver's log, an API error echoing the Secret). Values pulled in by
// {{ .PLUGIN_X }} templates from CI secrets are masked by the runtime already.
void hide_secret_properties(const SparkConf& conf) {
  for (const auto& [k, v] : conf) {
    if (is_secret_conf(k, v)) log::redactor().add_secret(v);
  }
}

// The conf Secret as a dry run shows it: every key, no value.
json masked_secret(json secret) {
  for (auto& [k, v] : secret["stringData"].items())
    v = "<redacted>";
  return secret;
}

// `timeout` bounds the whole run, every retry of every request included.
kube::ClientOptions bounded(clock_type::time_point deadline) {
  kube::ClientOptions o;
  o.deadline = deadline;
  return o;
}

int run(Context& ctx, clock_type::time_point deadline) {
  const auto& v = ctx.settings;
  const auto& mode = v.str("mode");
  if (mode != "submit") {
    auto config = kube::config_from_settings(v, ctx.ci);
    kube::Client c(config, bounded(deadline));
    return status_or_kill(ctx, c, mode, v.has("spark_namespace") ? v.str("spark_namespace") : config.namespace_);
  }

  auto sub = resolve_submission(submission_input(v));
  hide_secret_properties(sub.conf);
  for (const auto& w : sub.warnings)
    spdlog::warn("{}", w);
  bool dry = v.flag("dry_run");
  // Spark's own switch counts when the setting is not given.
  auto wait_conf = sub.conf.find("spark.kubernetes.submission.waitAppCompletion");
  bool wait = (v.is_set("wait") || wait_conf == sub.conf.end()) ? v.flag("wait") : wait_conf->second != "false";

  BuildInput in;
  std::optional<kube::Config> config;
  if (!dry) {
    config = cluster_config(v, ctx.ci, sub.conf);
    in.default_namespace = config->namespace_;
    in.master = "k8s://" + config->server;
  } else {
    in.master = "k8s://https://kubernetes.default.svc";
  }
  for (const auto& path : referenced_files(sub))
    in.files[path] = read_file("a file named in spark_submit_configs", path);
  in.submission = sub;
  in.spark_user = spark_user(ctx.env);
  in.ids = draw_randomness();

  if (v.str("backend") == "operator") {
    // The operator runs spark-submit itself, which writes every property
    // into its ConfigMap: a credential could not stay in a Secret.
    for (const auto& [k, val] : sub.conf) {
      if (is_secret_conf(k, val))
        throw SettingsError("spark property " + k +
                                " carries a credential, which backend: operator would put into "
                                "the SparkApplication and its ConfigMap",
                            "use backend: native (it passes credentials through a Secret), or reference a Secret "
                            "with spark.kubernetes.driver.secretKeyRef.<ENV>=<secret>:<key>");
    }
    // Validate as the native path would, then hand the properties over.
    auto d = build_driver(in);
    auto app = spark_application({sub, util::replace_all(d.pod_name, "-driver", ""), d.ns});
    if (dry) {
      log::print(app.dump(2) + "\n");
      ctx.report.data()["sparkApplication"] = app;
      ctx.report.line("dry run: nothing was created");
      return 0;
    }
    kube::Client c(*config, bounded(deadline));
    return submit_operator(ctx, c, app, wait);
  }

  auto d = build_driver(in);
  for (const auto& w : d.warnings)
    spdlog::warn("{}", w);
  if (dry) {
    json objects = {{"pod", d.pod}, {"configMap", d.config_map}, {"service", d.service}, {"others", d.resources}};
    if (!d.conf_secret.empty()) objects["confSecret"] = masked_secret(d.conf_secret);
    ctx.report.data()["objects"] = objects;
    if (ctx.report.format() == output::Format::Text) {
      for (const auto& [k, o] : objects.items())
        if (!o.empty()) log::print("# " + k + "\n" + o.dump(2) + "\n");
    }
    ctx.report.line("dry run: nothing was created (app id " + d.app_id + ")");
    return 0;
  }
  kube::Client c(*config, bounded(deadline));
  return submit_native(ctx, c, d, wait);
}

int exec(Context& ctx) {
  const auto& timeout = ctx.settings.duration("timeout");
  try {
    return run(ctx, clock_type::now() + timeout);
  } catch (const http::DeadlineExceeded& e) {
    throw Error(
        "timed out after " + settings::format_duration(timeout) + " (the whole run, retries included): " + e.what(),
        e.hint() + " (an application already submitted keeps running)");
  }
}

}  // namespace

Plugin plugin() {
  return {schema(), exec};
}

}  // namespace sg::spark_submit
