#include "settings.hpp"

#include <cstdint>
#include <limits>

#include "driver_builder.hpp"
#include "kube/access.hpp"
#include "kube/validate.hpp"
#include "runtime/error.hpp"
#include "settings/values.hpp"
#include "util/strings.hpp"

namespace sg::spark_submit {
namespace {

using settings::Schema;
using settings::Type;
namespace validate = kube::validate;

// Spark's own rule for a memory size (JavaUtils.byteStringAs), bounded.
settings::Rule memory_rule(std::vector<std::string> names) {
  return [names = std::move(names)](const settings::Values& v, std::vector<std::string>& errors) {
    for (const auto& name : names) {
      if (!v.has(name)) continue;
      try {
        (void)memory_mib(v.str(name));
      } catch (const Error& e) {
        errors.push_back(v.source(name) + " (setting " + name + "): " + e.what());
      }
    }
  };
}

// A whole, positive number of cores, as spark.driver.cores and
// spark.executor.cores are read.
settings::Rule cores_rule(std::vector<std::string> names) {
  return [names = std::move(names)](const settings::Values& v, std::vector<std::string>& errors) {
    for (const auto& name : names) {
      if (!v.has(name)) continue;
      const auto& text = v.str(name);
      bool ok = !text.empty() && text.size() <= 6 && text.find_first_not_of("0123456789") == std::string::npos &&
                std::stoi(text) > 0;
      if (!ok)
        errors.push_back(v.source(name) + "=" + util::quote_for_message(text) + " (setting " + name +
                         "): expected a whole number of cores, such as 2 (fractional requests: "
                         "spark.kubernetes.driver.request.cores)");
    }
  };
}

// app_id: spark-<id> (a label value) or <namespace>:<driver pod>.
std::string app_id_problem(const std::string& id) {
  if (auto colon = id.find(':'); colon != std::string::npos) {
    if (!validate::dns_label_problem(id.substr(0, colon)).empty() ||
        !validate::dns_subdomain_problem(id.substr(colon + 1)).empty())
      return "namespace:driver-pod with a valid namespace and pod name, such as "
             "spark-jobs:spark-pi-0a1b2c3d4e5f6a7b-driver";
    return {};
  }
  if (id.empty() || !validate::label_value_problem(id).empty())
    return "an application id such as spark-0123456789abcdef0123456789abcdef (a label value), or "
           "namespace:driver-pod";
  return {};
}

Schema build() {
  Schema s{.plugin = "spark-submit",
           .summary =
               "Submits a Spark application to Kubernetes natively, creating exactly what Spark 4.0's "
               "spark-submit creates, streams the driver's log and exits with the driver's exit code."};
  s.settings = {
      // The original plugin's three sections, kept as they were.
      {.name = "spark_submit_options",
       .type = Type::Map,
       .description = "spark-submit options: each entry becomes `--<key> <value>` (class, name, driver-memory, "
                      "jars, ...). Unknown or non-Kubernetes options are refused.",
       .example = "{class: org.apache.spark.examples.SparkPi, driver-memory: 2g}"},
      {.name = "spark_submit_configs",
       .type = Type::Map,
       .description = "Spark properties: each entry becomes `--conf <key>=<value>`.",
       .example = "{spark.executor.instances: \"2\"}"},
      {.name = "spark_submit_app_args",
       .type = Type::List,
       .description = "Application arguments, passed through exactly (no shell). Without main_resource the first "
                      "item is the application resource, as in the original plugin.",
       .example = "[local:///opt/spark/examples/jars/spark-examples.jar, \"1000\"]"},
      // First-class settings for the common cases; they win over the maps.
      {.name = "class",
       .type = Type::String,
       .aliases = {"main_class"},
       .description = "Main class of a JVM application (--class).",
       .example = "org.apache.spark.examples.SparkPi"},
      {.name = "app_name",
       .type = Type::String,
       .description = "Application name (--name, spark.app.name); also the driver pod's name prefix.",
       .example = "spark-pi"},
      {.name = "main_resource",
       .type = Type::String,
       .aliases = {"application"},
       .description = "The application's jar, .py or .R file; `local://` paths are inside the image.",
       .example = "local:///opt/spark/examples/jars/spark-examples.jar"},
      {.name = "jars", .type = Type::List, .description = "Extra jars (spark.jars)."},
      {.name = "files", .type = Type::List, .description = "Files for the working directory (spark.files)."},
      {.name = "py_files", .type = Type::List, .description = "Python files (spark.submit.pyFiles)."},
      {.name = "driver_cores",
       .type = Type::String,
       .description = "Driver cores (spark.driver.cores), a whole number.",
       .example = "2"},
      {.name = "driver_memory",
       .type = Type::String,
       .description = "Driver JVM memory (spark.driver.memory, a Spark size such as 512m or 2g); the pod asks for "
                      "this plus the overhead.",
       .example = "2g"},
      {.name = "executor_cores",
       .type = Type::String,
       .description = "Executor cores (spark.executor.cores), a whole number."},
      {.name = "executor_memory",
       .type = Type::String,
       .description = "Executor memory (spark.executor.memory, a Spark size such as 4g)."},
      {.name = "executor_instances",
       .type = Type::Int,
       .description = "Number of executors (spark.executor.instances).",
       .min = 0,
       .max = std::numeric_limits<std::int32_t>::max()},
      {.name = "spark_namespace",
       .type = Type::String,
       .aliases = {"namespace"},
       .description = "Namespace of the driver (spark.kubernetes.namespace, a DNS-1123 label). Default: the "
                      "kubeconfig's."},
      {.name = "image",
       .type = Type::String,
       .description = "Container image of driver and executors (spark.kubernetes.container.image), an image "
                      "reference.",
       .example = "apache/spark:4.0.5"},
      {.name = "service_account",
       .type = Type::String,
       .description = "Driver service account (spark.kubernetes.authenticate.driver.serviceAccountName).",
       .example = "spark"},
      {.name = "node_selector",
       .type = Type::Map,
       .description = "Node labels the driver and every executor must run on (label keys and values); each entry "
                      "becomes spark.kubernetes.node.selector.<key>, which Spark applies to both.",
       .example = "{disktype: ssd}"},
      {.name = "master",
       .type = Type::String,
       .description = "Master URL, k8s://https://host:port. Default: the server of the cluster access below.",
       .example = "k8s://https://kubernetes.default.svc"},
      // How to run.
      {.name = "mode",
       .type = Type::Enum,
       .default_value = "submit",
       .description = "submit: create the driver; status: print an application's driver state; kill: delete "
                      "its driver.",
       .choices = {"submit", "status", "kill"}},
      {.name = "app_id",
       .type = Type::String,
       .description = "For status and kill: the application id (spark-...) or the submission id "
                      "(namespace:driver-pod).",
       .example = "spark-pi:spark-pi-0a1b2c3d4e5f6a7b-driver"},
      {.name = "wait",
       .type = Type::Bool,
       .default_value = "true",
       .description = "Wait for the driver, streaming its log, and exit with its exit code. false: print the "
                      "application id and return. Unset: spark.kubernetes.submission.waitAppCompletion decides."},
      {.name = "timeout",
       .type = Type::Duration,
       .default_value = "24h",
       .description = "Time limit of the whole run, every retry of every request to the API server included; "
                      "a submitted application keeps running when it passes."},
      {.name = "backend",
       .type = Type::Enum,
       .default_value = "native",
       .description = "native: create the driver pod like spark-submit. operator: create a SparkApplication "
                      "(sparkoperator.k8s.io/v1beta2) for a cluster running the Spark operator.",
       .choices = {"native", "operator"}},
      {.name = "compat",
       .type = Type::Enum,
       .default_value = "none",
       .description = "banzai: split app args shell-style, as the original plugin's `bash -c` did "
                      "(`--dataPath \"gs://x\"` becomes two arguments).",
       .choices = {"none", "banzai"}},
      {.name = "dry_run",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Print the objects that would be created; needs no cluster."},
  };
  for (auto& a : kube::access_settings())
    s.settings.push_back(std::move(a));
  // Everything the API server or Spark would refuse is refused here, before
  // anything is created.
  using validate::Kind;
  s.rules = {
      validate::rule(Kind::DnsLabel, {"spark_namespace"}),
      validate::rule(Kind::Image, {"image"}),
      validate::rule(Kind::DnsSubdomain, {"service_account"}),
      validate::labels_rule("node_selector"),
      memory_rule({"driver_memory", "executor_memory"}),
      cores_rule({"driver_cores", "executor_cores"}),
      validate::access_rule(),
      [](const settings::Values& v, std::vector<std::string>& errors) {
        const auto& mode = v.str("mode");
        if ((mode == "status" || mode == "kill") && !v.has("app_id"))
          errors.push_back("mode " + mode + " needs app_id (spark-... or namespace:driver-pod)");
        if (v.has("app_id")) {
          if (auto p = app_id_problem(v.str("app_id")); !p.empty())
            errors.push_back(v.source("app_id") + "=" + util::quote_for_message(v.str("app_id")) +
                             " (setting app_id): expected " + p);
        }
        if (v.has("master") && (!v.str("master").starts_with("k8s://") || v.str("master").size() == 6))
          errors.push_back(v.source("master") + "=" + util::quote_for_message(v.str("master")) +
                           " (setting master): expected k8s://https://host:port");
      },
  };
  return s.with_common();
}

}  // namespace

const settings::Schema& schema() {
  static const Schema s = build();
  return s;
}

}  // namespace sg::spark_submit
