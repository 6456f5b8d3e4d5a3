#include "operator_app.hpp"

#include "driver_builder.hpp"
#include "util/strings.hpp"

namespace sg::spark_submit {

nlohmann::json spark_application(const OperatorInput& in) {
  const auto& s = in.submission;
  SparkConf conf = s.conf;
  auto take = [&](const std::string& key) {
    auto it = conf.find(key);
    if (it == conf.end()) return std::string();
    auto v = it->second;
    conf.erase(it);
    return v;
  };
  nlohmann::json spec = {{"type", s.resource_type == ResourceType::Python ? "Python" : "Scala"},
                         {"mode", "cluster"},
                         {"sparkVersion", kSparkVersion},
                         {"mainApplicationFile", s.main_resource},
                         {"arguments", s.app_args},
                         {"restartPolicy", {{"type", "Never"}}}};
  if (s.resource_type == ResourceType::Java) spec["mainClass"] = s.main_class;
  if (auto image = take("spark.kubernetes.container.image"); !image.empty()) spec["image"] = image;
  if (auto p = take("spark.kubernetes.container.image.pullPolicy"); !p.empty()) spec["imagePullPolicy"] = p;
  auto list = [&](const std::string& key, const char* field) {
    auto v = take(key);
    if (v.empty()) return;
    nlohmann::json a = nlohmann::json::array();
    for (const auto& item : util::split(v, ','))
      if (!util::trim(item).empty()) a.push_back(util::trim(item));
    spec["deps"][field] = a;
  };
  list("spark.jars", "jars");
  list("spark.files", "files");
  list("spark.submit.pyFiles", "pyFiles");
  nlohmann::json driver = nlohmann::json::object(), executor = nlohmann::json::object();
  if (auto v = take("spark.driver.cores"); !v.empty()) driver["cores"] = std::stoi(v);
  if (auto v = take("spark.kubernetes.driver.limit.cores"); !v.empty()) driver["coreLimit"] = v;
  if (auto v = take("spark.driver.memory"); !v.empty()) driver["memory"] = v;
  if (auto v = take("spark.kubernetes.authenticate.driver.serviceAccountName"); !v.empty())
    driver["serviceAccount"] = v;
  if (auto v = take("spark.executor.cores"); !v.empty()) executor["cores"] = std::stoi(v);
  if (auto v = take("spark.executor.memory"); !v.empty()) executor["memory"] = v;
  if (auto v = take("spark.executor.instances"); !v.empty()) executor["instances"] = std::stoi(v);
  // Labels and annotations have first-class fields; everything else stays a
  // Spark property, which the operator passes to its own spark-submit.
  for (auto it = conf.begin(); it != conf.end();) {
    const auto& k = it->first;
    if (k.starts_with("spark.kubernetes.driver.label.")) {
      driver["labels"][k.substr(30)] = it->second;
    } else if (k.starts_with("spark.kubernetes.driver.annotation.")) {
      driver["annotations"][k.substr(35)] = it->second;
    } else if (k.starts_with("spark.kubernetes.executor.label.")) {
      executor["labels"][k.substr(32)] = it->second;
    } else if (k.starts_with("spark.kubernetes.authenticate.submission.") || k == "spark.master" ||
               k == "spark.submit.deployMode" || k == "spark.kubernetes.namespace" || k == "spark.app.name") {
      // The operator talks to its own cluster in its own namespace.
    } else {
      ++it;
      continue;
    }
    it = conf.erase(it);
  }
  if (!conf.empty()) spec["sparkConf"] = conf;
  spec["driver"] = driver;
  spec["executor"] = executor;
  return {{"apiVersion", "sparkoperator.k8s.io/v1beta2"},
          {"kind", "SparkApplication"},
          {"metadata", {{"name", in.name}, {"namespace", in.ns}}},
          {"spec", spec}};
}

}  // namespace sg::spark_submit
