#pragma once
// The step's settings as one typed value, built once from the resolved
// settings (with the values shared by earlier steps already merged in).
// Everything here is pure, so it is table-tested without a server.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "settings/values.hpp"

namespace sg::pipeline_client {

enum class ApiVersion { Auto, Orgs, V030 };
enum class Provider { Amazon, Azure, Google };

std::string to_string(ApiVersion v);
std::string to_string(Provider p);

struct AmazonSpec {
  std::string node_instance_type;
  std::string master_instance_type;
  std::string node_image;
  std::string master_image;
  std::string spot_price;
  std::int64_t min_count = 1;
  std::int64_t max_count = 1;
};

struct AzureSpec {
  std::string resource_group;
  std::string node_instance_type;
  std::string kubernetes_version;
  std::string pool_name;
  std::int64_t node_count = 1;
};

struct GoogleSpec {
  std::string project;
  std::string gke_version;
  std::string node_instance_type;
  std::string service_account;
  std::int64_t node_count = 1;
};

struct ClusterSpec {
  std::string name;
  Provider provider = Provider::Amazon;
  std::string location;
  std::string secret_id;
  std::string profile_name;
  AmazonSpec amazon;
  AzureSpec azure;
  GoogleSpec google;
};

struct DeploymentSpec {
  std::string chart;  // deployment_name
  std::string release;
  std::string version;
  bool reuse_values = false;
  nlohmann::json values = nlohmann::json::object();
  bool wanted = true;  // deployment_state: created (false: deleted)
};

struct Config {
  std::string endpoint;  // without a trailing slash
  std::string token;
  ApiVersion api = ApiVersion::Auto;
  std::string org;  // name or numeric id; empty for 0.3.0 servers
  ClusterSpec cluster;
  bool cluster_wanted = true;  // cluster_state: created (false: deleted)
  bool delete_wait = true;
  bool delete_force = false;
  std::optional<DeploymentSpec> deployment;
  std::chrono::milliseconds resource_timeout{7'200'000};
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds poll_interval{5'000};
  std::chrono::milliseconds poll_max_interval{30'000};
  std::string workspace;
  bool skip_tls_verify = false;
  std::string ca_cert;
  bool dry_run = false;
};

std::string default_location(Provider p);

// `workspace` and `repo_owner` come from the CI metadata.
Config config_from(const settings::Values& v, const std::string& workspace, const std::string& repo_owner);

// Problems only visible once the values shared by earlier steps are merged
// in (a later step may omit cluster_name and the provider). Each message
// names the setting and how to fix it.
std::vector<std::string> validate(const Config& c);

}  // namespace sg::pipeline_client
