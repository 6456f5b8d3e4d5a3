#include "settings.hpp"

#include "http/pem_rule.hpp"
#include "kube/access.hpp"
#include "kube/validate.hpp"
#include "settings/values.hpp"

namespace sg::tidb_scale {
namespace {

using settings::Schema;
using settings::Type;
using settings::Values;

Schema build() {
  Schema s{.plugin = "tidb-scale",
           .summary =
               "Scales, heals and rebalances a TiDB cluster (PD, TiKV, TiDB) through TiDB Operator or PD's "
               "API, refusing every step that could lose data or quorum."};
  s.settings = {
      {.name = "mode",
       .type = Type::Enum,
       .default_value = "status",
       .description = "status: report PD members, stores, region health and TiDB. scale: reach pd_replicas, "
                      "tikv_replicas, tidb_replicas. heal: act on Down stores (Disconnected only warns). "
                      "rebalance: make sure PD balances, evict leaders of hot or draining stores.",
       .example = "scale",
       .choices = {"status", "scale", "heal", "rebalance"}},
      {.name = "backend",
       .type = Type::Enum,
       .default_value = "operator",
       .description = "operator: patch the TidbCluster (pingcap.com/v1alpha1) and let TiDB Operator act. pd: call "
                      "PD's HTTP API directly, for clusters without the operator (tiup-style); new instances are "
                      "then started by your deployment tool and the plugin waits for them.",
       .example = "pd",
       .choices = {"operator", "pd"}},
      {.name = "pd_url",
       .type = Type::List,
       .aliases = {"pd_endpoints"},
       .description = "PD client URLs; any member will do, the others are tried when one fails. Default with the "
                      "operator backend: http://<cluster>-pd.<namespace>:2379.",
       .example = "[http://pd-0:2379, http://pd-1:2379]"},
      {.name = "pd_tls_ca", .type = Type::String, .description = "CA of PD's certificate: PEM, base64 PEM, or a path."},
      {.name = "pd_tls_cert",
       .type = Type::String,
       .description = "Client certificate for PD with cluster TLS: PEM, base64 PEM, or a path."},
      {.name = "pd_tls_key",
       .type = Type::Secret,
       .description = "Client key for PD with cluster TLS: PEM, base64 PEM, or a path.",
       .example = "{from_secret: pd_client_key}"},
      {.name = "pd_tls_skip_verify",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Do not verify PD's certificate. Dangerous; logs a warning."},
      {.name = "pd_replicas",
       .type = Type::Int,
       .description = "scale: the PD member count wanted. Kept odd and at least 3 unless allow_even_pd.",
       .example = "3",
       .min = 1,
       .max = 99},
      {.name = "tikv_replicas",
       .type = Type::Int,
       .description = "scale: the TiKV store count wanted (stores not Offline or Tombstone). Never below what PD's "
                      "max-replicas allows.",
       .example = "4",
       .min = 1,
       .max = 999},
      {.name = "tidb_replicas",
       .type = Type::Int,
       .description = "scale: the TiDB instance count wanted (operator backend only).",
       .example = "2",
       .min = 0,
       .max = 999},
      {.name = "min_tidb_healthy",
       .type = Type::Int,
       .default_value = "2",
       .description = "TiDB scale-in keeps at least this many healthy instances.",
       .min = 0,
       .max = 999},
      {.name = "allow_even_pd",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Allow an even PD member count or fewer than 3 (no fault tolerance)."},
      {.name = "max_failover",
       .type = Type::Int,
       .default_value = "3",
       .description = "heal: the most Down stores replaced in total (the operator's failover count included); "
                      "beyond it the plugin alerts and exits non-zero.",
       .min = 0,
       .max = 999},
      {.name = "force",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Allow a forced store removal (PD's ?force, data loss if no other replica exists), and only "
                      "for stores listed in confirmed_gone_stores that are not Up."},
      {.name = "confirmed_gone_stores",
       .type = Type::List,
       .description = "Store ids whose machines are confirmed physically gone (needed with force).",
       .example = "[7]"},
      {.name = "tidb_status_urls",
       .type = Type::List,
       .description = "pd backend: TiDB status endpoints (http://host:10080); each GET /status must answer 200 "
                      "for the instance to count as healthy.",
       .example = "[http://tidb-0:10080]"},
      {.name = "cluster",
       .type = Type::String,
       .aliases = {"tidb_cluster"},
       .description = "operator backend: the TidbCluster's name.",
       .example = "basic"},
      {.name = "namespace",
       .type = Type::String,
       .description = "operator backend: the TidbCluster's namespace. Default: the kubeconfig's namespace.",
       .example = "tidb"},
      {.name = "state_file",
       .type = Type::Path,
       .description = "Offline planning (dry_run only): a JSON observation replaces the live cluster, e.g. "
                      "{\"max_replicas\":3,\"pd\":[{\"name\":\"pd-0\",\"healthy\":true,\"leader\":true}],"
                      "\"stores\":[{\"id\":1,\"address\":\"tikv-0:20160\",\"state\":\"Up\",\"region_count\":120,"
                      "\"leader_count\":40}],\"regions\":{\"miss_peer\":0,\"down_peer\":0,\"offline_peer\":0},"
                      "\"tidb\":[{\"name\":\"tidb-0\",\"healthy\":true}]}.",
       .example = "cluster-state.json",
       .must_exist = true},
      {.name = "plan_file_out",
       .type = Type::Path,
       .description = "Write the plan here as {\"steps\":[{\"component\",\"action\",\"target\"}]}, in execution "
                      "order (also on a refusal, with \"refused\")."},
      {.name = "dry_run",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Print exactly the plan the mode would execute, and change nothing."},
      {.name = "timeout",
       .type = Type::Duration,
       .default_value = "30m",
       .description = "Give up waiting (for Tombstone, new stores, members) after this long in total. What was "
                      "started continues in the cluster; a re-run resumes it.",
       .example = "2h"},
      {.name = "leader_wait",
       .type = Type::Duration,
       .default_value = "30s",
       .description = "How long to wait for PD to elect a leader and for a healthy majority before refusing (rules "
                      "pd-leader, pd-quorum); also how long a mass outage must last before the alert (stores look "
                      "Down for a moment after a PD leader change); after an election, stores not yet Up are "
                      "believed Down only once they stayed so for a 10 s store heartbeat interval.",
       .allow_zero = true},
      {.name = "evict_leader_timeout",
       .type = Type::Duration,
       .default_value = "5m",
       .description = "How long to wait for an evicted store to lose its leaders before deleting it anyway (PD "
                      "moves the rest while the store drains), as TiDB Operator does.",
       .allow_zero = true},
      {.name = "poll_interval",
       .type = Type::Duration,
       .default_value = "2s",
       .description = "Time between two looks at PD (and the TidbCluster) while waiting."},
      {.name = "request_timeout",
       .type = Type::Duration,
       .default_value = "10s",
       .description = "Time allowed for one request to PD, TiDB or Kubernetes."},
  };
  for (auto& k : kube::access_settings()) {
    k.description = "operator backend: " + k.description;
    s.settings.push_back(std::move(k));
  }
  s.rules.push_back(http::pem_rule({"pd_tls_ca", "pd_tls_cert", "pd_tls_key"}));
  s.rules.push_back(kube::validate::access_rule());
  s.rules.push_back([](const Values& v, std::vector<std::string>& errors) {
    bool offline = v.has("state_file");
    if (offline && !v.flag("dry_run")) {
      errors.push_back("state_file replaces the live cluster, so it only works with dry_run: true");
    }
    const auto& mode = v.str("mode");
    const auto& backend = v.str("backend");
    if (mode == "scale" && !v.has("pd_replicas") && !v.has("tikv_replicas") && !v.has("tidb_replicas")) {
      errors.push_back("mode scale needs at least one of pd_replicas, tikv_replicas, tidb_replicas");
    }
    if (!offline && backend == "pd" && v.list("pd_url").empty()) {
      errors.push_back("backend pd needs pd_url (or state_file with dry_run for offline planning)");
    }
    if (!offline && backend == "operator" && !v.has("cluster")) {
      errors.push_back("backend operator needs cluster, the TidbCluster's name");
    }
    if (backend == "pd" && v.has("tidb_replicas")) {
      errors.push_back("tidb_replicas needs backend operator: without it the plugin cannot start or stop TiDB");
    }
    for (const auto& id : v.list("confirmed_gone_stores")) {
      // 19 digits always fit a 64-bit store id.
      if (id.empty() || id.size() > 19 || id.find_first_not_of("0123456789") != std::string::npos) {
        errors.push_back("confirmed_gone_stores must list numeric store ids; \"" + id + "\" is not one");
      }
    }
    if (v.flag("force") && v.list("confirmed_gone_stores").empty()) {
      errors.push_back("force needs confirmed_gone_stores: the stores whose machines are known to be gone");
    }
    for (const auto& u : v.list("pd_url")) {
      if (!u.starts_with("http://") && !u.starts_with("https://")) {
        errors.push_back("pd_url \"" + u + "\" must start with http:// or https://");
      }
    }
  });
  return s.with_common();
}

}  // namespace

const settings::Schema& schema() {
  static const Schema s = build();
  return s;
}

}  // namespace sg::tidb_scale
