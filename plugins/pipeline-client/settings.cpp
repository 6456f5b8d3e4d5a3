#include "settings.hpp"

#include "settings/values.hpp"

namespace sg::pipeline_client {
namespace {

using settings::Schema;
using settings::Type;

Schema build() {
  Schema s{.plugin = "pipeline-client",
           .summary =
               "Creates or reuses a Kubernetes cluster through Banzai Cloud Pipeline's REST API, writes its "
               "kubeconfig to the workspace, and installs, upgrades or deletes a Helm release on it."};
  s.settings = {
      // --- The Pipeline API ------------------------------------------------
      {.name = "endpoint",
       .type = Type::String,
       .required = true,
       .env_names = {"ENDPOINT"},
       .description = "The Pipeline API root; request paths are appended to it. In Drone 0.8 pipelines it came "
                      "from the plugin_endpoint secret.",
       .example = "https://pipeline.example.com/pipeline/api/v1"},
      {.name = "token",
       .type = Type::Secret,
       .env_names = {"TOKEN"},
       .description = "Pipeline API token, sent as a bearer token. Never written to the workspace. In Drone 0.8 "
                      "pipelines it came from the plugin_token secret.",
       .example = "{from_secret: pipeline_token}"},
      {.name = "api_version",
       .type = Type::Enum,
       .default_value = "auto",
       .description = "Which API generation the server speaks: orgs (/orgs/{org}/clusters/..., mid-2018 and "
                      "later) or 0.3.0 (/clusters/...). auto asks GET /orgs: a 404 means 0.3.0.",
       .choices = {"auto", "orgs", "0.3.0"}},
      {.name = "org",
       .type = Type::String,
       .aliases = {"organization"},
       .description = "The Pipeline organization, by name (or numeric id). Default: the repository owner, as the "
                      "original plugin did. Not used by 0.3.0 servers.",
       .example = "acme"},
      {.name = "skip_tls_verify",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Do not verify the Pipeline server's certificate. Dangerous; logs a warning."},
      {.name = "ca_cert",
       .type = Type::String,
       .description = "CA certificate for a Pipeline server with a private CA: PEM, base64 PEM, or a file path."},
      {.name = "request_timeout",
       .type = Type::Duration,
       .default_value = "1m",
       .description = "Time limit of each API request attempt. A synchronous 0.3.0 cluster creation may take up to "
                      "resource_timeout instead."},

      // --- The cluster ------------------------------------------------------
      {.name = "cluster_name",
       .type = Type::String,
       .description = "Name of the cluster to create or reuse. Later steps of the same build may omit it: the "
                      "step that names it shares it through the workspace's .env file.",
       .example = "spark-pi"},
      {.name = "cluster_state",
       .type = Type::Enum,
       .default_value = "created",
       .description = "created: create the cluster unless it exists, and wait until it is ready. deleted: delete "
                      "it (the deployment settings are then ignored).",
       .choices = {"created", "deleted"}},
      {.name = "cluster_provider",
       .type = Type::Enum,
       .default_value = "amazon",
       .description = "Cloud of a new cluster. Later steps may omit it (shared through .env).",
       .choices = {"amazon", "azure", "google"}},
      {.name = "cluster_location",
       .type = Type::String,
       .description = "Region or zone of a new cluster. Default by provider: eu-west-1, eastus, us-central1-a."},
      {.name = "secret_id",
       .type = Type::String,
       .description = "Id of the Pipeline secret holding the cloud credentials for a new cluster (orgs era).",
       .example = "62bc3c75-91fb-4670-bad4-24b401a9deac"},
      {.name = "profile_name",
       .type = Type::String,
       .description = "Pipeline cluster profile to create the cluster from (orgs era)."},
      {.name = "resource_timeout",
       .type = Type::Duration,
       .default_value = "2h",
       .description = "How long to wait for each resource: the cluster to be ready (or gone), Helm to be ready, "
                      "the release to be deployed, its LoadBalancers to get addresses. Bare numbers are seconds, "
                      "as in the original.",
       .example = "45m"},
      {.name = "poll_interval",
       .type = Type::Duration,
       .default_value = "5s",
       .description = "First pause between two status checks; it grows by half each time, up to "
                      "poll_max_interval. Checks never overlap."},
      {.name = "poll_max_interval",
       .type = Type::Duration,
       .default_value = "30s",
       .description = "Longest pause between two status checks."},
      {.name = "cluster_delete_wait",
       .type = Type::Bool,
       .default_value = "true",
       .description = "With cluster_state: deleted, wait until the cluster is gone (the original did not wait)."},
      {.name = "cluster_delete_force",
       .type = Type::Bool,
       .default_value = "false",
       .description = "With cluster_state: deleted, ask Pipeline to force the deletion (force=true)."},

      // --- Amazon -----------------------------------------------------------
      {.name = "amazon_node_instance_type",
       .type = Type::String,
       .default_value = "m4.xlarge",
       .description = "EC2 instance type of the nodes."},
      {.name = "amazon_master_instance_type",
       .type = Type::String,
       .default_value = "m4.xlarge",
       .description = "EC2 instance type of the master."},
      {.name = "amazon_node_image",
       .type = Type::String,
       .default_value = "ami-16bfeb6f",
       .description = "AMI of the nodes."},
      {.name = "amazon_master_image",
       .type = Type::String,
       .default_value = "ami-16bfeb6f",
       .description = "AMI of the master."},
      {.name = "amazon_node_min_count",
       .type = Type::Int,
       .default_value = "1",
       .description = "Minimum number of nodes.",
       .min = 0},
      {.name = "amazon_node_max_count",
       .type = Type::Int,
       .default_value = "1",
       .description = "Maximum number of nodes.",
       .min = 0},
      {.name = "amazon_node_spot_price",
       .type = Type::String,
       .default_value = "0.2",
       .description = "Spot price bid for the nodes, in USD; 0 for on-demand nodes.",
       .example = "0.3"},

      // --- Azure ------------------------------------------------------------
      {.name = "azure_resource_group",
       .type = Type::String,
       .description = "Resource group of a new AKS cluster; required for azure.",
       .example = "spotguides"},
      {.name = "azure_node_instance_type",
       .type = Type::String,
       .default_value = "Standard_B4ms",
       .description = "VM size of the nodes."},
      {.name = "azure_node_count",
       .type = Type::Int,
       .default_value = "1",
       .description = "Number of nodes.",
       .min = 1},
      {.name = "azure_kubernetes_version",
       .type = Type::String,
       .default_value = "1.9.2",
       .description = "Kubernetes version of a new AKS cluster."},
      {.name = "azure_agent_name",
       .type = Type::String,
       .default_value = "agentpool1",
       .description = "Name of the AKS node pool (the original accepted it but never sent it)."},

      // --- Google -----------------------------------------------------------
      {.name = "google_project",
       .type = Type::String,
       .description = "GCP project of a new GKE cluster.",
       .example = "my-project-123"},
      {.name = "google_gke_version",
       .type = Type::String,
       .default_value = "1.9.4-gke.1",
       .description = "GKE version, used for both the master and the nodes (Pipeline requires them equal). "
                      "Quote it in YAML: 1.10 unquoted is the number 1.1.",
       .example = "\"1.9\""},
      {.name = "google_node_count",
       .type = Type::Int,
       .default_value = "1",
       .description = "Number of nodes.",
       .min = 1},
      {.name = "google_node_instance_type",
       .type = Type::String,
       .default_value = "n1-standard-4",
       .aliases = {"google_instance_type"},
       .description = "Machine type of the nodes."},
      {.name = "google_service_account", .type = Type::String, .description = "Service account of the GKE nodes."},

      // --- The Helm release -------------------------------------------------
      {.name = "deployment_name",
       .type = Type::String,
       .description = "The Helm chart to install or upgrade. Without it (and without deployment_release_name) "
                      "the step only ensures the cluster.",
       .example = "banzaicloud-stable/spark"},
      {.name = "deployment_release_name",
       .type = Type::String,
       .description = "The Helm release name; required with deployment_name.",
       .example = "release-1"},
      {.name = "deployment_state",
       .type = Type::Enum,
       .default_value = "created",
       .description = "created: install the release, or upgrade it when it exists, then wait until it is "
                      "deployed (a FAILED release fails the step). deleted: delete it.",
       .choices = {"created", "deleted"}},
      {.name = "deployment_version",
       .type = Type::String,
       .description = "Chart version. Default: the latest.",
       .example = "0.1.2"},
      {.name = "deployment_reuse_values",
       .type = Type::Bool,
       .default_value = "false",
       .description = "On upgrade, reuse the release's current values and merge deployment_values over them."},
      {.name = "deployment_values",
       .type = Type::Map,
       .description = "Chart values. {{ .PLUGIN_X }} references are replaced as plain text: no HTML escaping, "
                      "backslashes kept, and substituted secrets stay redacted in every log.",
       .example = "{historyServer: {enabled: true}}"},

      // --- Workspace and mode -----------------------------------------------
      {.name = "path",
       .type = Type::String,
       .aliases = {"workspace"},
       .description = "Workspace root: the kubeconfig goes to <path>/.kube/config (mode 0600) and the shared "
                      "non-secret settings to <path>/.env. Default: the CI workspace."},
      {.name = "dry_run",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Print the requests the step would send (the token redacted) and send none."},
  };
  s.rules.push_back([](const settings::Values& v, std::vector<std::string>& errors) {
    const auto& endpoint = v.str("endpoint");
    if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
      errors.push_back(
          "endpoint must be an http:// or https:// URL, such as "
          "https://pipeline.example.com/pipeline/api/v1");
    }
    bool release = v.has("deployment_release_name");
    bool chart = v.has("deployment_name");
    if (chart && !release) {
      errors.push_back(
          "deployment_release_name is required with deployment_name (the release to install or "
          "upgrade); example: `deployment_release_name: release-1`");
    }
    if (release && !chart && v.str("deployment_state") == "created") {
      errors.push_back("deployment_name (the chart) is required to install or upgrade release " +
                       v.str("deployment_release_name") + "; example: `deployment_name: banzaicloud-stable/spark`");
    }
    if (v.integer("amazon_node_min_count") > v.integer("amazon_node_max_count")) {
      errors.push_back("amazon_node_min_count (" + std::to_string(v.integer("amazon_node_min_count")) +
                       ") is larger than amazon_node_max_count (" + std::to_string(v.integer("amazon_node_max_count")) +
                       ")");
    }
    if (v.duration("resource_timeout").count() < 1000) errors.push_back("resource_timeout must be at least 1s");
    if (v.duration("request_timeout").count() < 1000) errors.push_back("request_timeout must be at least 1s");
    if (v.duration("poll_interval").count() < 10) errors.push_back("poll_interval must be at least 10ms");
    if (v.duration("poll_max_interval") < v.duration("poll_interval")) {
      errors.push_back("poll_max_interval must not be shorter than poll_interval");
    }
    if (v.has("deployment_values") && !v.map("deployment_values").is_object()) {
      errors.push_back("deployment_values must be a map of chart values");
    }
  });
  return s.with_common();
}

}  // namespace

const settings::Schema& schema() {
  static const Schema s = build();
  return s;
}

const std::vector<std::pair<std::string, std::string>>& shared_settings() {
  static const std::vector<std::pair<std::string, std::string>> keys = {
      {"cluster_name", "PLUGIN_CLUSTER_NAME"},
      {"cluster_provider", "PLUGIN_CLUSTER_PROVIDER"},
      {"org", "PLUGIN_ORG"},
      {"api_version", "PLUGIN_API_VERSION"},
  };
  return keys;
}

}  // namespace sg::pipeline_client
