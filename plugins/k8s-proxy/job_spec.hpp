#pragma once
// The pure half of k8s-proxy: from the step's settings and build metadata to
// the exact objects it creates (Job, Secret, workspace PVC). dry_run prints
// these; the runner creates them. No I/O here.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg::k8s_proxy {

using json = nlohmann::json;

struct JobRequest {
  // What runs.
  std::string image;
  std::vector<std::string> commands;    // run in order with set -e, each echoed as "+ cmd"
  std::vector<std::string> entrypoint;  // overrides the image's entrypoint
  std::string shell = "/bin/sh";
  // Where and how.
  std::string namespace_ = "default";
  std::string service_account;
  std::map<std::string, std::string> requests;  // cpu, memory
  std::map<std::string, std::string> limits;
  json node_selector = json::object();
  json tolerations = json::array();
  std::vector<std::string> image_pull_secrets;
  std::string pull_policy = "IfNotPresent";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::int64_t timeout_seconds = 3600;
  int backoff_limit = 0;
  std::optional<std::int64_t> ttl_seconds_after_finished;
  // Workspace volume shared by the steps of a build.
  bool workspace = true;
  std::string workspace_pvc;  // empty: derived from repo and build
  std::string workspace_path = "/drone/src";
  std::string workspace_size = "3Gi";
  std::string workspace_storage_class;
  std::string workspace_access_mode = "ReadWriteOnce";
  // Identity of the step.
  std::string repo;  // owner/name
  std::string build;
  std::string step;
  std::string attempt;  // distinguishes re-runs of the same step
  // Environment: plain build metadata, and values that must travel in a Secret.
  std::map<std::string, std::string> plain_env;
  std::map<std::string, std::string> secret_env;
};

// A DNS-1123 label (lower case, [a-z0-9-], at most `max` chars, starting and
// ending with an alphanumeric). Long inputs keep a hash suffix so distinct
// inputs stay distinct.
std::string dns_label(const std::string& text, std::size_t max = 63);
// A label value (<= 63 chars of [A-Za-z0-9._-]), hashed when too long.
std::string label_value(const std::string& text);

struct Names {
  std::string job;  // also the container and Secret name stem
  std::string secret;
  std::string pvc;
  std::string run_id;  // label value unique to this run
};
Names names_for(const JobRequest& r);

// The shell script for `commands`: set -e semantics, each command echoed
// first with "+ ", exactly as a Drone step prints it.
std::string command_script(const std::vector<std::string>& commands);

json labels_for(const JobRequest& r, const Names& n);
json job_manifest(const JobRequest& r, const Names& n);
json secret_manifest(const JobRequest& r, const Names& n);
json pvc_manifest(const JobRequest& r, const Names& n);
// The same Secret with its values replaced, for dry runs and logs.
json redacted(const json& secret);

}  // namespace sg::k8s_proxy
