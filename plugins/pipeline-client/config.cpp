#include "config.hpp"

#include <cctype>

namespace sg::pipeline_client {

std::string to_string(ApiVersion v) {
  switch (v) {
    case ApiVersion::Auto:
      return "auto";
    case ApiVersion::Orgs:
      return "orgs";
    case ApiVersion::V030:
      return "0.3.0";
  }
  return "auto";
}

std::string to_string(Provider p) {
  switch (p) {
    case Provider::Amazon:
      return "amazon";
    case Provider::Azure:
      return "azure";
    case Provider::Google:
      return "google";
  }
  return "amazon";
}

std::string default_location(Provider p) {
  switch (p) {
    case Provider::Amazon:
      return "eu-west-1";
    case Provider::Azure:
      return "eastus";
    case Provider::Google:
      return "us-central1-a";
  }
  return "eu-west-1";
}

namespace {

ApiVersion api_from(const std::string& s) {
  if (s == "orgs") return ApiVersion::Orgs;
  if (s == "0.3.0") return ApiVersion::V030;
  return ApiVersion::Auto;
}

Provider provider_from(const std::string& s) {
  if (s == "azure") return Provider::Azure;
  if (s == "google") return Provider::Google;
  return Provider::Amazon;
}

std::string strip_trailing_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

}  // namespace

Config config_from(const settings::Values& v, const std::string& workspace, const std::string& repo_owner) {
  Config c;
  c.endpoint = strip_trailing_slashes(v.str("endpoint"));
  c.token = v.str("token");
  c.api = api_from(v.str("api_version"));
  c.org = v.has("org") ? v.str("org") : repo_owner;
  c.skip_tls_verify = v.flag("skip_tls_verify");
  c.ca_cert = v.str("ca_cert");
  c.request_timeout = v.duration("request_timeout");
  c.resource_timeout = v.duration("resource_timeout");
  c.poll_interval = v.duration("poll_interval");
  c.poll_max_interval = v.duration("poll_max_interval");
  c.dry_run = v.flag("dry_run");
  c.workspace = v.has("path") ? v.str("path") : workspace;

  auto& k = c.cluster;
  k.name = v.str("cluster_name");
  k.provider = provider_from(v.str("cluster_provider"));
  k.location = v.has("cluster_location") ? v.str("cluster_location") : default_location(k.provider);
  k.secret_id = v.str("secret_id");
  k.profile_name = v.str("profile_name");
  k.amazon = {.node_instance_type = v.str("amazon_node_instance_type"),
              .master_instance_type = v.str("amazon_master_instance_type"),
              .node_image = v.str("amazon_node_image"),
              .master_image = v.str("amazon_master_image"),
              .spot_price = v.str("amazon_node_spot_price"),
              .min_count = v.integer("amazon_node_min_count"),
              .max_count = v.integer("amazon_node_max_count")};
  k.azure = {.resource_group = v.str("azure_resource_group"),
             .node_instance_type = v.str("azure_node_instance_type"),
             .kubernetes_version = v.str("azure_kubernetes_version"),
             .pool_name = v.str("azure_agent_name"),
             .node_count = v.integer("azure_node_count")};
  k.google = {.project = v.str("google_project"),
              .gke_version = v.str("google_gke_version"),
              .node_instance_type = v.str("google_node_instance_type"),
              .service_account = v.str("google_service_account"),
              .node_count = v.integer("google_node_count")};
  c.cluster_wanted = v.str("cluster_state") == "created";
  c.delete_wait = v.flag("cluster_delete_wait");
  c.delete_force = v.flag("cluster_delete_force");

  if (v.has("deployment_name") || v.has("deployment_release_name")) {
    DeploymentSpec d;
    d.chart = v.str("deployment_name");
    d.release = v.str("deployment_release_name");
    d.version = v.str("deployment_version");
    d.reuse_values = v.flag("deployment_reuse_values");
    if (v.has("deployment_values")) d.values = v.map("deployment_values");
    d.wanted = v.str("deployment_state") == "created";
    c.deployment = std::move(d);
  }
  return c;
}

std::vector<std::string> validate(const Config& c) {
  std::vector<std::string> errors;
  const auto& name = c.cluster.name;
  if (name.empty()) {
    errors.push_back(
        "cluster_name is required: set it (PLUGIN_CLUSTER_NAME), or run this step after one that names the "
        "cluster, which shares it through the workspace's .env file. Example: `cluster_name: spark-pi`.");
  } else {
    bool bad = name.size() > 255;
    for (char ch : name) {
      auto u = static_cast<unsigned char>(ch);
      if (std::iscntrl(u) || std::isspace(u) || ch == '/') bad = true;
    }
    if (bad) {
      errors.push_back("cluster_name \"" + name +
                       "\" is not a valid cluster name: use at most 255 characters, without spaces, control "
                       "characters or slashes");
    }
  }
  if (c.cluster_wanted && c.cluster.provider == Provider::Azure && c.cluster.azure.resource_group.empty()) {
    errors.push_back(
        "azure_resource_group is required to create an azure cluster (Pipeline rejects AKS clusters "
        "without one). Example: `azure_resource_group: spotguides`.");
  }
  if (c.api == ApiVersion::Orgs && c.org.empty()) {
    errors.push_back(
        "org is required: the Pipeline organization could not be taken from the repository owner "
        "(no DRONE_REPO_OWNER or equivalent). Example: `org: acme`.");
  }
  return errors;
}

}  // namespace sg::pipeline_client
