#include "settings.hpp"

#include "http/pem_rule.hpp"
#include "settings/values.hpp"
#include "topic_filter.hpp"
#include "topology.hpp"

namespace sg::kafka_rebalance {
namespace {

using settings::Schema;
using settings::Setting;
using settings::Type;
using settings::Values;

void broker_id_list(const Values& v, const char* name, std::vector<std::string>& errors) {
  for (const auto& item : v.list(name)) {
    if (!parse_broker_id(item)) {
      errors.push_back(std::string(name) + " must list broker ids (integers from 0 to 2147483647); \"" + item +
                       "\" is not one");
    }
  }
}

Schema build() {
  Schema s{.plugin = "kafka-rebalance",
           .summary =
               "Detects dead Kafka brokers and plans and runs partition reassignments that move only what must "
               "move, rack-aware and throttled."};
  s.settings = {
      {.name = "mode",
       .type = Type::Enum,
       .default_value = "plan",
       .description = "plan: print the plan only. execute: apply plan_file (or the plan for `goal`). heal, "
                      "remove-brokers, add-brokers, rebalance: plan and apply that goal. monitor: heal in a loop. "
                      "verify/cancel: check or cancel in-flight reassignments and clean up throttles.",
       .example = "heal",
       .choices = {"plan", "execute", "heal", "remove-brokers", "add-brokers", "rebalance", "monitor", "verify",
                   "cancel"}},
      {.name = "goal",
       .type = Type::Enum,
       .default_value = "heal",
       .description = "What `plan` (and `execute` without plan_file) plans for.",
       .example = "rebalance",
       .choices = {"heal", "remove-brokers", "add-brokers", "rebalance"}},
      {.name = "bootstrap_servers",
       .type = Type::List,
       .aliases = {"brokers", "bootstrap"},
       .description = "Brokers to bootstrap from, host:port. Not needed with topology_file.",
       .example = "[kafka-0.kafka:9092, kafka-1.kafka:9092]"},
      {.name = "broker_ids",
       .type = Type::List,
       .description = "The brokers remove-brokers empties, or add-brokers spreads load onto.",
       .example = "[4, 5]"},
      {.name = "expected_broker_ids",
       .type = Type::List,
       .description = "Brokers that should exist. One missing from the cluster counts as dead even if it never "
                      "registered (e.g. a pod that never started).",
       .example = "[1, 2, 3, 4]"},
      {.name = "security_protocol",
       .type = Type::Enum,
       .default_value = "PLAINTEXT",
       .description = "How to talk to the brokers, as Kafka's security.protocol.",
       .example = "SASL_SSL",
       .choices = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}},
      {.name = "sasl_mechanism",
       .type = Type::Enum,
       .default_value = "SCRAM-SHA-512",
       .description = "SASL mechanism for SASL_PLAINTEXT and SASL_SSL.",
       .example = "SCRAM-SHA-256",
       .choices = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}},
      {.name = "sasl_username",
       .type = Type::String,
       .env_names = {"KAFKA_USERNAME"},
       .description = "SASL user name.",
       .example = "admin"},
      {.name = "sasl_password",
       .type = Type::Secret,
       .env_names = {"KAFKA_PASSWORD"},
       .description = "SASL password.",
       .example = "{from_secret: kafka_password}"},
      {.name = "tls_ca",
       .type = Type::String,
       .description = "CA certificate for SSL/SASL_SSL: PEM, base64 PEM, or a file path. Default: the system store.",
       .example = "/etc/kafka/ca.crt"},
      {.name = "tls_cert",
       .type = Type::String,
       .description = "Client certificate for mutual TLS: PEM, base64 PEM, or a file path."},
      {.name = "tls_key",
       .type = Type::Secret,
       .description = "Client key for mutual TLS: PEM, base64 PEM, or a file path.",
       .example = "{from_secret: kafka_client_key}"},
      {.name = "tls_skip_verify",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Do not verify the brokers' certificates. Dangerous; logs a warning."},
      {.name = "tls_server_name",
       .type = Type::String,
       .description = "Verify broker certificates against this name instead of each broker's host."},
      {.name = "topics_include",
       .type = Type::String,
       .description =
           "Only partitions of topics matching this regular expression (RE2 syntax, searched anywhere in the "
           "name) are planned.",
       .example = "^orders\\..*"},
      {.name = "topics_exclude",
       .type = Type::String,
       .description = "Partitions of topics matching this regular expression (RE2 syntax) are left alone.",
       .example = "^__"},
      {.name = "rack_aware",
       .type = Type::Enum,
       .default_value = "auto",
       .description = "Keep replicas of a partition on distinct racks. auto: on when the brokers report racks.",
       .choices = {"auto", "true", "false"}},
      {.name = "throttle",
       .type = Type::Int,
       .default_value = "0",
       .description = "Replication throttle in bytes/s for moving replicas, set on the live brokers involved and "
                      "removed when the moves finish or are cancelled. 0: no throttle.",
       .example = "50000000",
       .min = 0},
      {.name = "max_moves_per_broker",
       .type = Type::Int,
       .default_value = "5",
       .description = "Partition moves in flight at once per broker.",
       .min = 1,
       .max = 100000},
      {.name = "max_moves",
       .type = Type::Int,
       .default_value = "50",
       .description = "Partition moves in flight at once in the whole cluster.",
       .min = 1,
       .max = 1000000},
      {.name = "grace_period",
       .type = Type::Duration,
       .default_value = "5m",
       .description = "How long a broker must be dead before heal and monitor move its replicas.",
       .example = "10m",
       .allow_zero = true},
      {.name = "max_dead_brokers",
       .type = Type::Int,
       .default_value = "1",
       .description = "Refuse to heal (alert and exit non-zero) when more brokers than this are dead.",
       .min = 0,
       .max = 100000},
      {.name = "max_dead_percent",
       .type = Type::Int,
       .default_value = "34",
       .description = "Refuse to heal when more than this share of the brokers is dead.",
       .min = 0,
       .max = 100},
      {.name = "dry_run",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Print exactly the plan the mode would execute, and change nothing."},
      {.name = "wait",
       .type = Type::Bool,
       .default_value = "true",
       .description = "Wait until the reassignments finish (and leaders are elected)."},
      {.name = "timeout",
       .type = Type::Duration,
       .default_value = "1h",
       .description = "Give up waiting after this long (monitor: stop after this long; 0 means forever). The "
                      "reassignments continue in the cluster; run verify or cancel later.",
       .example = "30m",
       .allow_zero = true},
      {.name = "elect_leaders",
       .type = Type::Bool,
       .default_value = "true",
       .description = "Run a preferred leader election for the moved partitions at the end."},
      {.name = "plan_file",
       .type = Type::Path,
       .description = "execute: a plan in Kafka's reassignment JSON format to apply instead of computing one.",
       .must_exist = true},
      {.name = "plan_file_out",
       .type = Type::Path,
       .description = "Write the plan here (Kafka's reassignment JSON) instead of stdout only."},
      {.name = "rollback_file_out",
       .type = Type::Path,
       .description = "Write the current assignment of the moved partitions here, in the same format."},
      {.name = "topology_file",
       .type = Type::Path,
       .description = "Offline planning: a JSON topology replaces the live cluster as the observed state "
                      "(plan mode only). Brokers with alive=false are dead at once.",
       .example = "topology.json",
       .must_exist = true},
      {.name = "max_file_mib",
       .type = Type::Int,
       .default_value = "64",
       .description = "The largest topology_file, plan_file or state_file read, in MiB. A topology of a million "
                      "partitions is about 90 MB: raise this for one that large.",
       .example = "256",
       .min = 1,
       .max = 4096},
      {.name = "state_file",
       .type = Type::Path,
       .default_value = ".kafka-rebalance/state.json",
       .description = "monitor: where the first-seen time of each failure is kept, so a restart does not reset "
                      "the grace period."},
      {.name = "interval",
       .type = Type::Duration,
       .default_value = "30s",
       .description = "monitor: time between two observations."},
      {.name = "request_timeout",
       .type = Type::Duration,
       .default_value = "30s",
       .description = "Time allowed for one broker request."},
  };
  s.rules.push_back(http::pem_rule({"tls_ca", "tls_cert", "tls_key"}));
  s.rules.push_back([](const Values& v, std::vector<std::string>& errors) {
    broker_id_list(v, "broker_ids", errors);
    broker_id_list(v, "expected_broker_ids", errors);
    const auto& mode = v.str("mode");
    bool offline = v.has("topology_file");
    if (offline && mode != "plan") {
      errors.push_back("topology_file only works with mode: plan (a topology file cannot be changed by executing)");
    }
    if (!offline && v.list("bootstrap_servers").empty()) {
      errors.push_back("bootstrap_servers is required (or topology_file for offline planning)");
    }
    auto goal = mode == "plan" || mode == "execute" ? v.str("goal") : mode;
    if ((goal == "remove-brokers" || goal == "add-brokers") && v.list("broker_ids").empty() &&
        !(mode == "execute" && v.has("plan_file"))) {
      errors.push_back("broker_ids is required for " + goal);
    }
    if (v.has("plan_file") && mode != "execute") errors.push_back("plan_file is only read by mode: execute");
    auto proto = v.str("security_protocol");
    if ((proto == "SASL_PLAINTEXT" || proto == "SASL_SSL") && (!v.has("sasl_username") || !v.has("sasl_password"))) {
      errors.push_back("security_protocol " + proto + " needs sasl_username and sasl_password");
    }
    for (const char* re : {"topics_include", "topics_exclude"}) {
      if (!v.has(re)) continue;
      if (auto why = topic_pattern_error(v.str(re))) {
        errors.push_back(std::string(re) +
                         " is not a valid regular expression (RE2 syntax: no backreferences or "
                         "look-around): " +
                         *why);
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

}  // namespace sg::kafka_rebalance
