#pragma once
// The objects Spark 4.0's Kubernetes submission client creates for a
// cluster-mode application, built the same way (feature step by feature
// step) from the resolved properties. Pure: every random part (ids, the
// submit time, the local-dir UUID) and every file the properties name are
// inputs, so the same input gives the same objects. The runner creates them;
// tests compare them with what the real spark-submit created.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "submission.hpp"

namespace sg::spark_submit {

using json = nlohmann::json;

// The Spark line whose objects this builds (the goldens were captured with it).
inline constexpr const char* kSparkVersion = "4.0.5";

struct Randomness {
  std::string unique_id;      // KubernetesUtils.uniqueID() for the resource-name prefix
  std::string cm_unique_id;   // ... for the spark-conf ConfigMap name
  std::string svc_unique_id;  // ... for the service name when the prefix is too long
  std::string app_id;         // spark-<32 hex>
  std::string local_dir_uuid;
  std::int64_t submit_time_ms = 0;
  std::string date_comment;  // java.util.Date#toString of now, for spark.properties
};

// Fresh random values the way Spark draws them.
Randomness draw_randomness();

struct BuildInput {
  Submission submission;
  std::string default_namespace = "default";  // when spark.kubernetes.namespace is unset
  std::string master;                         // k8s://https://...; used when spark.master is unset
  std::string spark_user;                     // SPARK_USER of the driver
  // Contents of local files the properties name (pod templates, driver
  // credential files), by path as written in the property.
  std::map<std::string, std::string> files;
  Randomness ids;
};

struct DriverSpec {
  std::string ns;
  std::string app_id;
  std::string pod_name;
  std::string container_name;
  json pod;
  json config_map;              // spark-drv-...-conf-map
  json service;                 // headless driver service
  std::vector<json> resources;  // further objects owned by the pod (secrets, PVCs, template ConfigMap)
  // The Secret holding the properties that carry credentials (empty when
  // none do); created before the pod, which reads it, and owned by it.
  json conf_secret;
  SparkConf properties;  // what spark.properties holds
  std::vector<std::string> warnings;
};

// True for a property whose value is a credential (is_credential_conf_key)
// and must not appear in spark.properties, a ConfigMap or the pod spec;
// false for properties whose value only names a Secret or a file.
bool is_secret_conf(const std::string& key, const std::string& value);

// Throws SettingsError for properties it cannot honour (never ignores one
// silently) and for a missing image.
DriverSpec build_driver(const BuildInput& in);

// Local files the properties of `s` refer to (so the runner can read them).
std::vector<std::string> referenced_files(const Submission& s);

// java.util.Properties#store text (Writer form: no \u escapes for non-ASCII).
std::string properties_text(const SparkConf& props, const std::string& comment, const std::string& date);

// Sets the single controller ownerReference to the driver pod.
void set_owner(json& object, const std::string& pod_name, const std::string& pod_uid);

// "2g" -> 2048 (MiB), as Spark's byteStringAsMb with the default unit MiB.
std::int64_t memory_mib(const std::string& text);

}  // namespace sg::spark_submit
