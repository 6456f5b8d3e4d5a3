#include "settings.hpp"

#include <nlohmann/json.hpp>

#include "kube/access.hpp"
#include "settings/values.hpp"

namespace sg::k8s_proxy {
namespace {

using settings::Schema;
using settings::Type;

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
       .description = "The image the step runs.",
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
       .description = "Namespace for the Job, its Secret and the workspace claim. Default: the kubeconfig's."},
      {.name = "proxy_service_account",
       .type = Type::String,
       .aliases = {"service_account", "pod_service_account"},
       .description = "Service account the step's pod runs as.",
       .example = "spark"},
      {.name = "cpu_request", .type = Type::String, .description = "CPU request of the step.", .example = "500m"},
      {.name = "memory_request", .type = Type::String, .description = "Memory request of the step.", .example = "1Gi"},
      {.name = "cpu_limit", .type = Type::String, .description = "CPU limit of the step."},
      {.name = "memory_limit", .type = Type::String, .description = "Memory limit of the step.", .example = "2Gi"},
      {.name = "node_selector",
       .type = Type::Map,
       .description = "Node labels the pod must run on.",
       .example = "{disktype: ssd}"},
      {.name = "tolerations",
       .type = Type::String,
       .description = "Pod tolerations, as a JSON array (a YAML list of maps arrives so).",
       .example = "[{key: dedicated, operator: Equal, value: ci, effect: NoSchedule}]"},
      {.name = "image_pull_secrets", .type = Type::List, .description = "Secrets for pulling the image."},
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
       .description = "Name of the workspace claim. Default: derived from the repository and build number."},
      {.name = "workspace_path",
       .type = Type::String,
       .description = "Where the workspace is mounted and the step runs. Default: the CI workspace path, or "
                      "/drone/src."},
      {.name = "workspace_size",
       .type = Type::String,
       .default_value = "3Gi",
       .description = "Size of a new workspace claim."},
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
       .description = "The step's time limit, enforced as the Job's activeDeadlineSeconds and by the plugin."},
      {.name = "unschedulable_timeout",
       .type = Type::Duration,
       .default_value = "30s",
       .description = "Fail when the scheduler cannot place the pod for this long, instead of waiting for "
                      "timeout."},
      {.name = "backoff_limit",
       .type = Type::Int,
       .default_value = "0",
       .description = "Retries of a failed pod. 0: the step fails on its first failure, as a CI step should.",
       .min = 0},
      {.name = "ttl_seconds_after_finished",
       .type = Type::Int,
       .description = "Let Kubernetes delete a kept Job this long after it finished.",
       .min = 0},
      {.name = "labels", .type = Type::Map, .description = "Extra labels on the Job and its pod."},
      {.name = "annotations", .type = Type::Map, .description = "Extra annotations on the Job and its pod."},
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
  s.rules.push_back([](const settings::Values& v, std::vector<std::string>& errors) {
    if (v.has("tolerations")) {
      auto t = nlohmann::json::parse(v.str("tolerations"), nullptr, false);
      if (!t.is_array()) errors.push_back("tolerations must be a JSON array of toleration objects");
    }
    if (v.duration("timeout").count() < 1000) errors.push_back("timeout must be at least 1s");
  });
  return s.with_common();
}

}  // namespace

const settings::Schema& schema() {
  static const Schema s = build();
  return s;
}

}  // namespace sg::k8s_proxy
