#include "settings.hpp"

#include <cstdint>
#include <limits>

#include "kube/access.hpp"
#include "kube/validate.hpp"
#include "settings/resolve.hpp"
#include "settings/values.hpp"

namespace sg::k8s_proxy {
namespace {

using settings::Schema;
using settings::Type;
namespace validate = kube::validate;

// Job fields such as backoffLimit are int32: a larger value would wrap.
constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();

Schema build() {
  Schema s{.plugin = "k8s-proxy",
           .summary =
               "Runs a pipeline step (its image and commands) as a Job in a Kubernetes cluster, streams its "
               "log and exits with the step's exit code."};
  // The proxied step's own settings (PLUGIN_*) are forwarded to it, so keys
  // this plugin does not know are expected, not typos.
  s.forward_unknown = true;
  s.settings = {
      {.name = "original_image",
       .type = Type::String,
       .required = true,
       .description = "The image the step runs: an image reference ([registry/]path[:tag][@digest]).",
       .example = "maven:3-eclipse-temurin-17"},
      {.name = "original_commands",
       .type = Type::List,
       .description = "Commands run in order in a shell with set -e, each echoed first as `+ cmd`, like a Drone "
                      "step. A comma inside a command needs `\\,` (Drone joins lists with bare commas).",
       .example = "[mvn -q package, ls target]"},
      {.name = "original_entrypoint",
       .type = Type::List,
       .description = "Overrides the image's entrypoint (with commands: the interpreter that runs them).",
       .example = "[/bin/bash, -c]"},
      {.name = "environment",
       .type = Type::Map,
       .secret = true,
       .description = "Extra environment for the step. Travels in a Secret, never as plain env in the Job.",
       .example = "{MAVEN_OPTS: -Xmx1g}"},
      {.name = "forward_env",
       .type = Type::List,
       .description = "Names of further variables of this step to forward (in the Secret). DRONE_* and CI_* "
                      "metadata and the step's other PLUGIN_* settings are always forwarded.",
       .example = "[AWS_REGION]"},
      {.name = "job_namespace",
       .type = Type::String,
       .aliases = {"namespace"},
       .description = "Namespace for the Job, its Secret and the workspace claim (a DNS-1123 label). Default: the "
                      "kubeconfig's."},
      {.name = "proxy_service_account",
       .type = Type::String,
       .aliases = {"service_account", "pod_service_account"},
       .description = "Service account the step's pod runs as.",
       .example = "spark"},
      {.name = "cpu_request",
       .type = Type::String,
       .description = "CPU request of the step (a Kubernetes quantity).",
       .example = "500m"},
      {.name = "memory_request",
       .type = Type::String,
       .description = "Memory request of the step (a Kubernetes quantity).",
       .example = "1Gi"},
      {.name = "cpu_limit", .type = Type::String, .description = "CPU limit of the step (a Kubernetes quantity)."},
      {.name = "memory_limit",
       .type = Type::String,
       .description = "Memory limit of the step (a Kubernetes quantity).",
       .example = "2Gi"},
      {.name = "node_selector",
       .type = Type::Map,
       .description = "Node labels the pod must run on (string values).",
       .example = "{disktype: ssd}"},
      {.name = "tolerations",
       .type = Type::String,
       .description = "Pod tolerations, as a JSON array (a YAML list of maps arrives so); each entry has only "
                      "key, operator (Exists, Equal), value, effect and tolerationSeconds.",
       .example = "[{key: dedicated, operator: Equal, value: ci, effect: NoSchedule}]"},
      {.name = "image_pull_secrets", .type = Type::List, .description = "Names of Secrets for pulling the image."},
      {.name = "pull_policy",
       .type = Type::Enum,
       .default_value = "IfNotPresent",
       .description = "When the image is pulled.",
       .choices = {"IfNotPresent", "Always", "Never"}},
      {.name = "workspace",
       .type = Type::Bool,
       .default_value = "true",
       .description = "Mount the build's shared workspace claim, so every step of a build sees the same files."},
      {.name = "workspace_pvc",
       .type = Type::String,
       .description = "Name of the workspace claim (a DNS-1123 subdomain). Default: derived from the repository "
                      "and build number."},
      {.name = "workspace_path",
       .type = Type::String,
       .description = "Where the workspace is mounted and the step runs (an absolute path). Default: the CI "
                      "workspace path, or /drone/src."},
      {.name = "workspace_size",
       .type = Type::String,
       .default_value = "3Gi",
       .description = "Size of a new workspace claim (a Kubernetes quantity)."},
      {.name = "workspace_storage_class",
       .type = Type::String,
       .description = "Storage class of a new workspace claim. Default: the cluster's."},
      {.name = "workspace_access_mode",
       .type = Type::Enum,
       .default_value = "ReadWriteOnce",
       .description = "Access mode of a new workspace claim.",
       .choices = {"ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"}},
      {.name = "workspace_cleanup",
       .type = Type::Enum,
       .default_value = "keep",
       .description = "Delete the workspace claim after this step: keep (later steps use it), on-success, or "
                      "always (set it on a build's last step).",
       .choices = {"keep", "on-success", "always"}},
      {.name = "timeout",
       .type = Type::Duration,
       .default_value = "1h",
       .description = "The step's time limit, enforced as the Job's activeDeadlineSeconds and by the plugin, "
                      "for the whole run: every retry of every request to the API server is included."},
      {.name = "unschedulable_timeout",
       .type = Type::Duration,
       .default_value = "30s",
       .description = "Fail when the scheduler cannot place the pod for this long, instead of waiting for "
                      "timeout."},
      {.name = "backoff_limit",
       .type = Type::Int,
       .default_value = "0",
       .description = "Retries of a failed pod. 0: the step fails on its first failure, as a CI step should.",
       .min = 0,
       .max = kMaxInt32},
      {.name = "ttl_seconds_after_finished",
       .type = Type::Int,
       .description = "Let Kubernetes delete a kept Job this many seconds after it finished.",
       .min = 0,
       .max = kMaxInt32},
      {.name = "labels",
       .type = Type::Map,
       .description = "Extra labels on the Job and its pod (valid label keys and "
                      "values)."},
      {.name = "annotations",
       .type = Type::Map,
       .description = "Extra annotations on the Job and its pod (scalar values)."},
      {.name = "keep_on_failure",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Keep a failed step's Job, pod and Secret for debugging."},
      {.name = "dry_run",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Print the Job, Secret (keys only) and claim manifests; needs no cluster."},
  };
  for (auto& a : kube::access_settings())
    s.settings.push_back(std::move(a));
  // Everything the API server would refuse is refused here, before the
  // workspace claim or the Secret exist.
  using validate::Kind;
  s.rules = {
      validate::rule(Kind::Image, {"original_image"}),
      validate::rule(Kind::DnsLabel, {"job_namespace"}),
      validate::rule(Kind::DnsSubdomain, {"proxy_service_account", "workspace_pvc", "workspace_storage_class"}),
      validate::rule(Kind::Quantity, {"cpu_request", "memory_request", "cpu_limit", "memory_limit", "workspace_size"}),
      validate::rule(Kind::AbsolutePath, {"workspace_path"}),
      validate::subdomain_items_rule("image_pull_secrets"),
      validate::scalar_map_rule("node_selector"),
      validate::labels_rule("labels"),
      validate::annotations_rule("annotations"),
      validate::tolerations_rule("tolerations"),
      validate::access_rule(),
      [](const settings::Values& v, std::vector<std::string>& errors) {
        if (v.duration("timeout").count() < 1000) errors.push_back("timeout must be at least 1s");
      },
  };
  return s.with_common();
}

}  // namespace

const settings::Schema& schema() {
  static const Schema s = build();
  return s;
}

std::string near_miss(const settings::Schema& schema, std::string_view var) {
  auto key = var.substr(var.starts_with("PLUGIN_") ? 7 : 0);
  // Very short keys are a few edits from many names (a step's PLUGIN_TAG
  // is not a misspelt `ca`).
  if (key.size() < 4) return {};
  return settings::suggest(schema, std::string(key));
}

}  // namespace sg::k8s_proxy
