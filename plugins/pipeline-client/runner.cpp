#include "runner.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "api.hpp"
#include "http/client.hpp"
#include "log/redactor.hpp"
#include "poller.hpp"
#include "runtime/error.hpp"
#include "settings/parse.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"
#include "workspace.hpp"

namespace sg::pipeline_client {
namespace {

using std::chrono::milliseconds;

std::string status_text(const http::Response& r) {
  auto msg = server_message(r.body);
  return "HTTP " + std::to_string(r.status) + (msg.empty() ? "" : ": " + msg);
}

http::Options client_options(const Config& c, const Context& ctx) {
  http::Options o;
  o.tls.verify = !c.skip_tls_verify;
  o.tls.ca = c.ca_cert;
  o.total_timeout = c.request_timeout;
  o.retry.max_attempts = 4;
  o.retry.initial_backoff = milliseconds(250);
  o.retry.max_backoff = milliseconds(5'000);
  o.user_agent = "spotguide-plugins/pipeline-client";
  o.cancel = &ctx.cancel;
  return o;
}

class Runner {
 public:
  Runner(Context& ctx, const Config& c) : ctx_(ctx), c_(c), client_(client_options(c, ctx)) {}

  void run() {
    resolve_api();
    if (!c_.cluster_wanted) {
      delete_cluster();
      if (c_.deployment) spdlog::info("cluster_state is deleted: the deployment settings are ignored");
      return;
    }
    ensure_cluster();
    share();
    fetch_kubeconfig();
    if (c_.deployment) deploy(*c_.deployment);
  }

 private:
  // --- Sending ------------------------------------------------------------

  http::Request to_http(const ApiRequest& r, milliseconds timeout) const {
    http::Request req;
    req.method = r.method;
    req.url = c_.endpoint + r.path;
    req.headers.emplace_back("Accept", "application/json");
    if (!c_.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + c_.token);
    if (!r.body.empty()) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = r.body;
    }
    req.timeout = timeout;
    return req;
  }

  std::string reach_hint() const {
    return "check `endpoint` (" + c_.endpoint + ") and that the Pipeline API is reachable from this step";
  }

  // Throws sg::Error when no reply came (after the client's retries).
  http::Response send(const ApiRequest& r, milliseconds timeout) {
    try {
      return client_.send(to_http(r, timeout));
    } catch (const http::TransportError& e) {
      throw Error("could not " + r.what + ": " + e.what(), e.hint().empty() ? reach_hint() : e.hint());
    }
  }
  http::Response send(const ApiRequest& r) { return send(r, c_.request_timeout); }

  // For polls: no reply is one more "not yet", not the end of the step.
  std::optional<http::Response> try_send(const ApiRequest& r, Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    auto timeout = std::clamp(left, milliseconds(1'000), c_.request_timeout);
    try {
      return client_.send(to_http(r, timeout));
    } catch (const http::TransportError& e) {
      spdlog::warn("could not {} ({}); trying again", r.what, e.what());
      return std::nullopt;
    }
  }

  std::string where() const {
    return generation_ == Generation::Orgs && !org_name_.empty() ? " in organization " + org_name_ : "";
  }

  [[noreturn]] void fail(const ApiRequest& r, const http::Response& resp, const std::string& hint = {}) const {
    auto detail = status_text(resp);
    if (resp.status == 401) {
      throw Error("the Pipeline API rejected the token (" + detail + ") when trying to " + r.what,
                  c_.token.empty() ? "no token was given: set `token` (the plugin_token secret in Drone 0.8 pipelines)"
                                   : "the token is invalid or has expired: create a new one in Pipeline and update "
                                     "the secret behind `token` (plugin_token in Drone 0.8 pipelines)");
    }
    if (resp.status == 403) {
      auto org = org_name_.empty() ? c_.org : org_name_;
      throw Error("the token has no access" + (org.empty() ? std::string() : " to organization " + org) + " (" +
                      detail + ") when trying to " + r.what,
                  "give the token's user a role in that organization, or set `org` to one it belongs to");
    }
    throw Error("could not " + r.what + where() + " (" + detail + ")", hint);
  }

  bool poll(const std::function<bool()>& check, Clock::time_point deadline) {
    PollHooks hooks;
    hooks.sleep = [this](milliseconds d) {
      if (!ctx_.cancel.sleep_for(d)) throw Cancelled(ctx_.cancel.exit_code());
    };
    return poll_until(check, deadline, Backoff(c_.poll_interval, c_.poll_max_interval), hooks);
  }

  Clock::time_point deadline() const { return Clock::now() + c_.resource_timeout; }
  std::string timeout_text() const { return settings::format_duration(c_.resource_timeout); }

  // --- The API generation and the organization ----------------------------

  void resolve_api() {
    if (c_.api == ApiVersion::V030) {
      generation_ = Generation::V030;
    } else {
      auto r = Api::list_orgs();
      auto resp = send(r);
      if (resp.status == 404 && c_.api == ApiVersion::Auto) {
        generation_ = Generation::V030;
        spdlog::info("the server has no /orgs: it speaks the 0.3.0 API (/clusters/...)");
      } else if (resp.status == 404) {
        throw Error("the server answered 404 to GET " + c_.endpoint + "/orgs, but api_version is orgs",
                    "set api_version to 0.3.0 (or auto), and check that `endpoint` is the API root "
                    "(.../pipeline/api/v1)");
      } else {
        if (!resp.ok()) fail(r, resp);
        generation_ = Generation::Orgs;
        find_organization(resp);
      }
    }
    api_.emplace(generation_, org_id_, c_.cluster.name);
    ctx_.report.set("PIPELINE_API", to_string(generation_));
  }

  void find_organization(const http::Response& resp) {
    if (c_.org.empty()) {
      throw SettingsError("org is required: the server has organizations and the repository owner is unknown",
                          "set `org` to the Pipeline organization, e.g. `org: acme`");
    }
    auto list = parse_reply(resp.body);
    if (!list.is_array()) {
      throw Error(
          "GET " + c_.endpoint + "/orgs did not answer a list of organizations: " + log::peer_text(resp.body, 200),
          "check that `endpoint` is the Pipeline API root (.../pipeline/api/v1)");
    }
    std::optional<Org> org;
    std::vector<std::string> names;
    try {
      org = find_org(list, c_.org);
      if (!org) names = org_names(list);
    } catch (const util::JsonError& e) {
      throw Error("GET " + c_.endpoint + "/orgs answered an organization of the wrong shape: " + e.what(),
                  "check that `endpoint` is the Pipeline API root (.../pipeline/api/v1)");
    }
    if (!org) {
      throw Error("organization " + c_.org + " not found (404): the token can see " +
                      (names.empty() ? std::string("no organization") : util::join(names, ", ")),
                  "set `org` to one of them; by default it is the repository owner, as in the original plugin");
    }
    org_id_ = org->id;
    org_name_ = org->name;
    spdlog::info("organization {} has id {}", org_name_, org_id_);
    ctx_.report.set("ORG_ID", std::to_string(org_id_));
  }

  // --- The cluster ----------------------------------------------------------

  const std::string& cluster() const { return c_.cluster.name; }

  void ensure_cluster() {
    auto r = api_->cluster_status();
    auto resp = send(r);
    switch (cluster_probe(resp.status)) {
      case ClusterProbe::Ready:
        spdlog::info("reusing cluster {}: it exists and is ready", cluster());
        ctx_.report.line("reused cluster " + cluster() + where());
        break;
      case ClusterProbe::NotReady:
        spdlog::info("cluster {} exists and is still being created or bootstrapping; waiting for it", cluster());
        wait_cluster_ready();
        ctx_.report.line("cluster " + cluster() + where() + " is ready");
        break;
      case ClusterProbe::Missing:
        create_cluster();
        wait_cluster_ready();
        ctx_.report.line("created cluster " + cluster() + where() + " (" + to_string(c_.cluster.provider) + ", " +
                         c_.cluster.location + ")");
        break;
      case ClusterProbe::Unexpected:
        fail(r, resp);
    }
    ctx_.report.set("CLUSTER_NAME", cluster());
  }

  bool cluster_exists() {
    auto resp = try_send(api_->cluster_status(), Clock::now() + c_.request_timeout);
    if (!resp) return false;
    auto p = cluster_probe(resp->status);
    return p == ClusterProbe::Ready || p == ClusterProbe::NotReady;
  }

  void create_cluster() {
    auto r = api_->create_cluster(c_.cluster);
    // 0.3.0 created clusters synchronously: the reply comes when it is up.
    auto timeout = generation_ == Generation::V030 ? c_.resource_timeout : c_.request_timeout;
    Backoff pause(c_.poll_interval, c_.poll_max_interval);
    for (int attempt = 1;; ++attempt) {
      std::optional<http::Response> resp;
      std::string failure;
      spdlog::info("creating cluster {} ({} in {})", cluster(), to_string(c_.cluster.provider), c_.cluster.location);
      try {
        resp = client_.send(to_http(r, timeout));
      } catch (const http::TransportError& e) {
        failure = e.what();
      }
      if (resp && resp->status < 500) {
        if (resp->status == 401 || resp->status == 403) fail(r, *resp);
        switch (create_outcome(resp->status, resp->body)) {
          case CreateOutcome::Accepted:
            return;
          case CreateOutcome::AlreadyCreating:
            spdlog::info("a creation of cluster {} is already under way ({}); waiting for it", cluster(),
                         status_text(*resp));
            return;
          case CreateOutcome::Rejected:
            throw Error(
                "Pipeline rejected the creation of cluster " + cluster() + where() + " (" + status_text(*resp) + ")",
                "check cluster_name, the cluster_provider settings (" + to_string(c_.cluster.provider) +
                    "_*), cluster_location and secret_id (the cloud credentials)");
          case CreateOutcome::UnknownProfile:
            if (!c_.cluster.profile_name.empty()) {
              throw Error("cluster profile " + c_.cluster.profile_name + " not found" + where() + " (" +
                              status_text(*resp) + ")",
                          "check profile_name, or leave it out");
            }
            fail(r, *resp, "check that `endpoint` is the Pipeline API root (.../pipeline/api/v1)");
          case CreateOutcome::Unexpected:
            fail(r, *resp);
        }
      }
      // No reply, or a 5xx: the cluster may have been created anyway, and
      // POST is not idempotent. Look before sending it again.
      if (failure.empty()) failure = status_text(*resp);
      if (cluster_exists()) {
        spdlog::warn("creating cluster {} seemed to fail ({}), but the cluster exists: waiting for it", cluster(),
                     failure);
        return;
      }
      if (attempt >= 3) {
        throw Error("could not create cluster " + cluster() + where() + ": " + failure,
                    resp ? "the Pipeline API keeps failing; try again later" : reach_hint());
      }
      spdlog::warn("creating cluster {} failed ({}) and the cluster does not exist; trying again", cluster(), failure);
      if (!ctx_.cancel.sleep_for(pause.next())) throw Cancelled(ctx_.cancel.exit_code());
    }
  }

  void wait_cluster_ready() {
    auto until = deadline();
    std::string last = "no reply yet";
    std::string last_status;
    bool ok = poll(
        [&] {
          auto r = api_->cluster_status();
          auto resp = try_send(r, until);
          if (!resp) {
            last = "no reply";
            return false;
          }
          switch (cluster_probe(resp->status)) {
            case ClusterProbe::Ready:
              return true;
            case ClusterProbe::Missing:
              last = "HEAD answered 404";
              return false;
            case ClusterProbe::NotReady:
              last = "HEAD answered " + std::to_string(resp->status) + ": still being created or bootstrapping";
              break;
            case ClusterProbe::Unexpected:
              if (resp->status >= 500) {
                last = status_text(*resp);
                return false;
              }
              fail(r, *resp);
          }
          read_cluster_status(until, last_status, last);
          return false;
        },
        until);
    if (!ok) {
      throw Error("cluster " + cluster() + where() + " is still not ready after " + timeout_text() + " (" + last + ")",
                  "raise resource_timeout, or look at the cluster in Pipeline: it may be stuck");
    }
    spdlog::info("cluster {} is ready", cluster());
  }

  // The status and message behind a 400, for the log and for a timeout's
  // message. Informative only, except an ERROR status, which ends the wait.
  void read_cluster_status(Clock::time_point until, std::string& last_status, std::string& last) {
    auto resp = try_send(api_->cluster_details(), until);
    if (!resp || resp->status != 200) return;
    auto details = read_cluster_details(parse_reply(resp->body));
    if (!details) return;
    const auto& status = details->status;
    const auto& message = details->message;
    last = "status " + status + (message.empty() ? "" : ": " + message);
    if (status != last_status) spdlog::info("cluster {}: {}", cluster(), last);
    last_status = status;
    if (util::to_upper(status) == "ERROR") {
      throw Error("cluster " + cluster() + where() + " failed: " + (message.empty() ? status : message),
                  "see the cluster in Pipeline; delete it (cluster_state: deleted) before creating it again");
    }
  }

  void delete_cluster() {
    auto r = api_->cluster_status();
    auto resp = send(r);
    auto probe = cluster_probe(resp.status);
    if (probe == ClusterProbe::Missing) {
      spdlog::info("cluster {} does not exist; nothing to delete", cluster());
      ctx_.report.line("cluster " + cluster() + where() + " does not exist; nothing to delete");
      return;
    }
    if (probe == ClusterProbe::Unexpected) fail(r, resp);
    auto d = api_->delete_cluster(c_.delete_force);
    auto dr = send(d);
    if (dr.status == 404) {
      ctx_.report.line("cluster " + cluster() + where() + " was already gone");
      return;
    }
    if (dr.status != 200 && dr.status != 202)
      fail(d, dr,
           "look at the cluster in Pipeline; cluster_delete_force "
           "asks Pipeline to delete it regardless");
    spdlog::info("cluster {} is being deleted", cluster());
    if (!c_.delete_wait) {
      ctx_.report.line("deletion of cluster " + cluster() + where() + " started (cluster_delete_wait is off)");
      return;
    }
    auto until = deadline();
    bool ok = poll(
        [&] {
          auto h = api_->cluster_status();
          auto hr = try_send(h, until);
          if (!hr) return false;
          if (hr->status == 404) return true;
          if (hr->status == 401 || hr->status == 403) fail(h, *hr);
          return false;
        },
        until);
    if (!ok) {
      throw Error("cluster " + cluster() + where() + " still exists " + timeout_text() + " after its deletion started",
                  "look at the cluster in Pipeline; cluster_delete_force asks Pipeline to delete it regardless");
    }
    ctx_.report.line("deleted cluster " + cluster() + where());
  }

  // --- What the later steps get --------------------------------------------

  void share() {
    std::map<std::string, std::string> shared;
    auto add = [&](const std::string& var, const std::string& value) {
      if (value.empty()) return;
      if (log::redact(value) != value) {
        spdlog::warn("{} is not shared through .env: its value contains a secret", var);
        return;
      }
      shared[var] = value;
    };
    add("PLUGIN_CLUSTER_NAME", cluster());
    add("PLUGIN_CLUSTER_PROVIDER", to_string(c_.cluster.provider));
    if (generation_ == Generation::Orgs) add("PLUGIN_ORG", org_name_);
    add("PLUGIN_API_VERSION", to_string(generation_));
    if (workspace::share(c_.workspace, shared)) {
      spdlog::info("shared the cluster name, provider and API settings with the later steps through {}",
                   workspace::dotenv_path(c_.workspace));
    }
  }

  void fetch_kubeconfig() {
    auto r = api_->cluster_config();
    auto resp = send(r);
    if (resp.status == 404) {
      throw Error("cluster " + cluster() + " not found" + where() + " when fetching its kubeconfig (HTTP 404)",
                  "another build may have deleted it; run the step again to create it");
    }
    if (!resp.ok()) fail(r, resp);
    std::string why;
    auto kubeconfig = decode_kubeconfig(resp.body, &why);
    if (!kubeconfig) {
      throw Error("the kubeconfig of cluster " + cluster() + " could not be read: " + why,
                  "check that `endpoint` is the Pipeline API root (.../pipeline/api/v1)");
    }
    for (const auto& s : kubeconfig_secrets(*kubeconfig))
      log::redactor().add_secret(s);
    auto path = workspace::kubeconfig_path(c_.workspace);
    workspace::write_atomic(path, *kubeconfig, 0600, false);
    spdlog::info("kubeconfig of cluster {} written to {} (mode 0600)", cluster(), path);
    ctx_.report.set("KUBECONFIG", path);
  }

  // --- The Helm release -------------------------------------------------------

  void wait_helm() {
    auto until = deadline();
    std::string last = "no reply yet";
    bool ok = poll(
        [&] {
          auto r = api_->helm_status();
          auto resp = try_send(r, until);
          if (!resp) return false;
          switch (helm_probe(resp->status)) {
            case HelmProbe::Ready:
              return true;
            case HelmProbe::NotReady:
              last = status_text(*resp);
              return false;
            case HelmProbe::Unexpected:
              if (resp->status >= 500) {
                last = status_text(*resp);
                return false;
              }
              if (resp->status == 404) {
                throw Error("cluster " + cluster() + " not found" + where() + " when waiting for Helm (HTTP 404)",
                            "another build may have deleted it; run the step again to create it");
              }
              fail(r, *resp);
          }
          return false;
        },
        until);
    if (!ok) {
      throw Error(
          "Helm (Tiller) on cluster " + cluster() + " is still not ready after " + timeout_text() + " (" + last + ")",
          "raise resource_timeout, or look at the tiller-deploy pod in kube-system");
    }
    spdlog::info("Helm is ready on cluster {}", cluster());
  }

  // true: exists (any Helm status, FAILED included); false: 404.
  bool release_exists(const std::string& release) {
    auto r = api_->release_status(release);
    auto resp = send(r);
    if (resp.status == 200) return true;
    if (resp.status == 404 || resp.status == 204) return false;
    fail(r, resp);
  }

  void deploy(const DeploymentSpec& d) {
    wait_helm();
    ctx_.report.set("RELEASE_NAME", d.release);
    switch (deployment_action(d.wanted, release_exists(d.release))) {
      case DeploymentAction::Install:
        install(d);
        wait_deployed(d, "installed");
        show_endpoints(d);
        break;
      case DeploymentAction::Upgrade:
        upgrade(d);
        wait_deployed(d, "upgraded");
        show_endpoints(d);
        break;
      case DeploymentAction::Delete:
        uninstall(d);
        break;
      case DeploymentAction::Nothing:
        spdlog::info("release {} does not exist on cluster {}; nothing to delete", d.release, cluster());
        ctx_.report.line("release " + d.release + " does not exist on cluster " + cluster() + "; nothing to delete");
        break;
    }
  }

  void install(const DeploymentSpec& d) {
    auto r = api_->install(d);
    Backoff pause(c_.poll_interval, c_.poll_max_interval);
    for (int attempt = 1;; ++attempt) {
      spdlog::info("installing release {} (chart {}{}) on cluster {}", d.release, d.chart,
                   d.version.empty() ? "" : " " + d.version, cluster());
      std::optional<http::Response> resp;
      std::string failure;
      try {
        resp = client_.send(to_http(r, c_.request_timeout));
      } catch (const http::TransportError& e) {
        failure = e.what();
      }
      if (resp && resp->status < 500) {
        if (resp->status == 200 || resp->status == 201) return;
        if (resp->status == 400) {
          install_error_ = server_message(resp->body);
          // Helm records a release that failed to install as FAILED: the
          // wait reports it, with this message.
          if (release_exists(d.release)) return;
          throw Error("Pipeline could not install release " + d.release + " (chart " + d.chart + ") on cluster " +
                          cluster() + " (" + status_text(*resp) + ")",
                      "check deployment_name, deployment_version and deployment_values");
        }
        if (resp->status == 404) {
          throw Error(
              "cluster " + cluster() + " not found" + where() + " when installing release " + d.release + " (HTTP 404)",
              "another build may have deleted it; run the step again to create it");
        }
        fail(r, *resp);
      }
      if (failure.empty()) failure = status_text(*resp);
      if (release_exists(d.release)) {
        spdlog::warn("installing release {} seemed to fail ({}), but the release exists: waiting for it", d.release,
                     failure);
        return;
      }
      if (attempt >= 3) {
        throw Error("could not install release " + d.release + " on cluster " + cluster() + ": " + failure,
                    resp ? "the Pipeline API keeps failing; try again later" : reach_hint());
      }
      spdlog::warn("installing release {} failed ({}) and the release does not exist; trying again", d.release,
                   failure);
      if (!ctx_.cancel.sleep_for(pause.next())) throw Cancelled(ctx_.cancel.exit_code());
    }
  }

  void upgrade(const DeploymentSpec& d) {
    spdlog::info("release {} exists: upgrading it (chart {}{}{})", d.release, d.chart,
                 d.version.empty() ? "" : " " + d.version, d.reuse_values ? ", reusing its values" : "");
    auto r = api_->upgrade(d);
    auto resp = send(r);
    if (resp.status == 200 || resp.status == 201) return;
    if (resp.status == 404) {
      throw Error("release " + d.release + " not found on cluster " + cluster() + " when upgrading it (HTTP 404)",
                  "it may have been deleted meanwhile; run the step again to install it");
    }
    if (resp.status == 401 || resp.status == 403) fail(r, resp);
    install_error_ = server_message(resp.body);
    throw Error(
        "the upgrade of release " + d.release + " on cluster " + cluster() + " failed (" + status_text(resp) + ")",
        "check deployment_name, deployment_version and deployment_values; a release whose only revision "
        "FAILED cannot be upgraded: delete it (deployment_state: deleted) first");
  }

  void wait_deployed(const DeploymentSpec& d, const std::string& verb) {
    auto until = deadline();
    std::string last = "not listed yet";
    std::optional<Release> seen;
    bool ok = poll(
        [&] {
          auto h = api_->release_status(d.release);
          auto hr = try_send(h, until);
          if (!hr) return false;
          if (hr->status == 404) return false;
          if (hr->status != 200) {
            if (hr->status >= 500) return false;
            fail(h, *hr);
          }
          // HEAD answers 200 for a FAILED release too: the status is in the list.
          auto l = api_->list_releases();
          auto lr = try_send(l, until);
          if (!lr) return false;
          if (!lr->ok()) {
            if (lr->status >= 500) return false;
            fail(l, *lr);
          }
          auto rel = find_release(parse_reply(lr->body), d.release);
          if (!rel) return false;
          if (rel->status != last) spdlog::info("release {}: {}", d.release, rel->status);
          last = rel->status;
          seen = rel;
          switch (judge_release(rel->status)) {
            case ReleaseVerdict::Deployed:
              return true;
            case ReleaseVerdict::Pending:
              return false;
            case ReleaseVerdict::Failed:
              ctx_.report.set("RELEASE_STATUS", rel->status);
              throw Error("Helm release " + d.release + " (chart " + (rel->chart.empty() ? d.chart : rel->chart) +
                              ", revision " + std::to_string(rel->revision) + ") on cluster " + cluster() + " is " +
                              rel->status + (install_error_.empty() ? "" : ": " + install_error_),
                          "look at the release's pods and events with the kubeconfig in " +
                              workspace::kubeconfig_path(c_.workspace) +
                              "; fix the chart or deployment_values and run the step again (an existing release "
                              "is upgraded)");
          }
          return false;
        },
        until);
    if (!ok) {
      throw Error(
          "release " + d.release + " on cluster " + cluster() + " is still " + last + " after " + timeout_text(),
          "raise resource_timeout, or look at the release's pods: they may not start");
    }
    ctx_.report.set("RELEASE_STATUS", last);
    ctx_.report.line(verb + " release " + d.release + " (chart " + (seen ? seen->chart : d.chart) + ", revision " +
                     std::to_string(seen ? seen->revision : 0) + ") on cluster " + cluster() + ": " + last);
  }

  void show_endpoints(const DeploymentSpec& d) {
    auto until = deadline();
    bool pending_said = false;
    bool none = false;
    std::vector<Endpoint> endpoints;
    bool ok = poll(
        [&] {
          auto r = api_->endpoints(d.release);
          auto resp = try_send(r, until);
          if (!resp) return false;
          switch (resp->status) {
            case 200:
              endpoints = parse_endpoints(parse_reply(resp->body), d.release);
              return true;
            case 202:
              if (!pending_said) {
                spdlog::info("waiting for the LoadBalancers of release {} to get an address", d.release);
                pending_said = true;
              }
              return false;
            case 404:
              none = true;
              return true;
            default:
              if (resp->status >= 500) return false;
              fail(r, *resp);
          }
        },
        until);
    if (!ok) {
      throw Error("the LoadBalancers of release " + d.release + " are still pending after " + timeout_text(),
                  "look at the release's LoadBalancer Services and the cloud's load balancer quota");
    }
    std::vector<std::string> urls;
    for (const auto& e : endpoints) {
      for (const auto& u : e.urls)
        urls.push_back(u);
    }
    if (none || endpoints.empty()) {
      spdlog::info("release {} has no public endpoint", d.release);
      return;
    }
    ctx_.report.line("The available endpoints are the following:");
    for (const auto& e : endpoints) {
      ctx_.report.line("  " + e.name + (e.host.empty() ? "" : ": " + e.host));
      for (const auto& u : e.urls)
        ctx_.report.line("    " + u);
    }
    if (!urls.empty()) ctx_.report.set("ENDPOINTS", util::join(urls, ","));
  }

  void uninstall(const DeploymentSpec& d) {
    auto r = api_->uninstall(d.release);
    auto resp = send(r);
    if (resp.status != 200 && resp.status != 404) {
      if (resp.status == 400 && !release_exists(d.release)) {
        ctx_.report.line("release " + d.release + " was already gone");
        return;
      }
      fail(r, resp);
    }
    auto until = deadline();
    bool ok = poll(
        [&] {
          auto h = api_->release_status(d.release);
          auto hr = try_send(h, until);
          return hr && hr->status == 404;
        },
        until);
    if (!ok) {
      throw Error("release " + d.release + " still exists on cluster " + cluster() + " " + timeout_text() +
                      " after its deletion",
                  "look at the release with helm; its resources may block the deletion");
    }
    ctx_.report.set("RELEASE_STATUS", "DELETED");
    ctx_.report.line("deleted release " + d.release + " on cluster " + cluster());
  }

  Context& ctx_;
  const Config& c_;
  http::Client client_;
  Generation generation_ = Generation::Orgs;
  std::int64_t org_id_ = -1;
  std::string org_name_;
  std::optional<Api> api_;
  std::string install_error_;
};

}  // namespace

void run(Context& ctx, const Config& config) {
  Runner(ctx, config).run();
}

}  // namespace sg::pipeline_client
