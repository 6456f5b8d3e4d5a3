#pragma once
// What spark-submit makes of its command line: the resolved Spark properties,
// the main class, the application resource and its arguments. Pure: the
// settings go in, a Submission (or a SettingsError) comes out, so the rules
// are unit-tested without a cluster.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg::spark_submit {

using SparkConf = std::map<std::string, std::string>;

enum class ResourceType { Java, Python, R };

struct SubmissionInput {
  nlohmann::json options = nlohmann::json::object();  // spark_submit_options
  nlohmann::json configs = nlohmann::json::object();  // spark_submit_configs
  std::vector<std::string> app_args;                  // spark_submit_app_args
  // First-class settings already translated to spark-submit options
  // ("class", "name", "driver-memory", ...) or properties; they win.
  std::map<std::string, std::string> first_class_options;
  SparkConf first_class_confs;
  std::string main_resource;  // empty: the first app arg (the original plugin's layout)
  bool compat_banzai = false;
};

struct Submission {
  SparkConf conf;  // every property spark-submit hands to the Kubernetes client
  std::string main_class;
  std::string main_resource;
  ResourceType resource_type = ResourceType::Java;
  std::vector<std::string> app_args;
  std::vector<std::string> warnings;
};

// Throws SettingsError for options spark-submit on Kubernetes cannot honour
// (--packages, --proxy-user, ...) and for a missing resource or class.
Submission resolve_submission(const SubmissionInput& in);

// "k8s://host:port" -> "k8s://https://host:port", as Spark normalises it.
// Throws SettingsError for a master that is not k8s://.
std::string normalise_master(const std::string& master);

// Shell-style word splitting without any expansion: quotes group, backslash
// escapes, whitespace separates. What `bash -c` did to the original plugin's
// arguments (apart from expansions, which it never did on purpose).
std::vector<std::string> shell_split(const std::string& text);

// The value of a JSON map entry as spark-submit would see it: strings as is,
// other scalars printed (YAML `true` arrives as a JSON bool).
std::string scalar_text(const nlohmann::json& value);

}  // namespace sg::spark_submit
