#include "submission.hpp"

#include "runtime/error.hpp"
#include "util/strings.hpp"

namespace sg::spark_submit {
namespace {

// spark-submit options that only set a property (SparkSubmit's OptionAssigner
// table for Kubernetes cluster mode).
const std::map<std::string, std::string>& option_properties() {
  static const std::map<std::string, std::string> m = {
      {"name", "spark.app.name"},
      {"driver-memory", "spark.driver.memory"},
      {"driver-cores", "spark.driver.cores"},
      {"driver-java-options", "spark.driver.extraJavaOptions"},
      {"driver-library-path", "spark.driver.extraLibraryPath"},
      {"driver-class-path", "spark.driver.extraClassPath"},
      {"executor-memory", "spark.executor.memory"},
      {"executor-cores", "spark.executor.cores"},
      {"num-executors", "spark.executor.instances"},
      {"jars", "spark.jars"},
      {"files", "spark.files"},
      {"archives", "spark.archives"},
      {"py-files", "spark.submit.pyFiles"},
      {"master", "spark.master"},
      {"deploy-mode", "spark.submit.deployMode"},
  };
  return m;
}

// Options spark-submit has but that cannot work for a Kubernetes cluster-mode
// submission without a JVM on this side, with the reason.
const std::map<std::string, std::string>& refused_options() {
  static const std::map<std::string, std::string> m = {
      {"packages",
       "it resolves Maven coordinates with Ivy on the submitting machine; build them into the image "
       "or list the jars in `jars`"},
      {"exclude-packages", "it belongs to --packages, which is not supported"},
      {"repositories", "it belongs to --packages, which is not supported"},
      {"properties-file", "put the properties in spark_submit_configs"},
      {"proxy-user", "impersonation needs Hadoop on the submitting side"},
      {"principal", "Kerberos is not supported"},
      {"keytab", "Kerberos is not supported"},
      {"total-executor-cores", "it applies to standalone clusters only"},
      {"queue", "it applies to YARN only"},
      {"supervise", "it applies to standalone clusters only"},
      {"kill", "use mode: kill with app_id"},
      {"status", "use mode: status with app_id"},
      {"remote", "Spark Connect is not a Kubernetes submission"},
  };
  return m;
}

// Properties of the 2018 apache-spark-on-k8s fork (Banzai's Spark 2.2
// images). Renamed ones are translated; the rest have no counterpart.
struct ForkConf {
  const char* key;
  const char* renamed_to;  // nullptr: dropped
  const char* why;
};
const std::vector<ForkConf>& fork_confs() {
  static const std::vector<ForkConf> v = {
      {"spark.kubernetes.driver.docker.image", "spark.kubernetes.driver.container.image", ""},
      {"spark.kubernetes.executor.docker.image", "spark.kubernetes.executor.container.image", ""},
      {"spark.kubernetes.docker.image.pullPolicy", "spark.kubernetes.container.image.pullPolicy", ""},
      {"spark.kubernetes.initcontainer.docker.image", nullptr, "Spark 3+ has no init-container"},
      {"spark.kubernetes.initContainer.image", nullptr, "Spark 3+ has no init-container"},
      {"spark.kubernetes.resourceStagingServer.uri", nullptr,
       "the resource staging server is gone; use spark.kubernetes.file.upload.path or local:// files"},
      {"spark.kubernetes.resourceStagingServer.internal.uri", nullptr,
       "the resource staging server is gone; use spark.kubernetes.file.upload.path or local:// files"},
      {"spark.kubernetes.shuffle.namespace", nullptr,
       "the external shuffle service of the fork is gone; Spark 3+ uses shuffle tracking "
       "(spark.dynamicAllocation.shuffleTracking.enabled)"},
      {"spark.kubernetes.shuffle.labels", nullptr,
       "the external shuffle service of the fork is gone; Spark 3+ uses shuffle tracking "
       "(spark.dynamicAllocation.shuffleTracking.enabled)"},
  };
  return v;
}

std::string lower_ext(const std::string& path) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return util::to_lower(path.substr(dot + 1));
}

void put_option(Submission& s, std::string key, const std::string& value, std::string& main_class) {
  while (key.starts_with("-"))
    key.erase(0, 1);
  if (key == "class") {
    main_class = value;
    return;
  }
  if (key == "conf" || key == "c") {
    auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0)
      throw SettingsError("spark_submit_options: conf value \"" + value + "\" is not key=value",
                          "put Spark properties in spark_submit_configs");
    s.conf[value.substr(0, eq)] = value.substr(eq + 1);
    return;
  }
  if (key == "verbose" || key == "v") return;  // spark-submit's own chattiness; we always log what we create
  if (key == "kubernetes-namespace") {
    // --kubernetes-namespace existed only in the 2018 fork.
    s.warnings.push_back(
        "spark_submit_options: kubernetes-namespace is an option of the 2018 Spark-on-Kubernetes "
        "fork; using it as spark.kubernetes.namespace (write that in spark_submit_configs)");
    s.conf["spark.kubernetes.namespace"] = value;
    return;
  }
  if (auto it = option_properties().find(key); it != option_properties().end()) {
    s.conf[it->second] = value;
    return;
  }
  if (auto it = refused_options().find(key); it != refused_options().end())
    throw SettingsError("spark_submit_options: --" + key + " is not supported: " + it->second);
  throw SettingsError("spark_submit_options: unknown spark-submit option --" + key,
                      "options are spark-submit's long options without dashes: class, name, driver-memory, "
                      "driver-cores, executor-memory, executor-cores, num-executors, jars, files, py-files, "
                      "archives, driver-java-options, driver-class-path, driver-library-path, master, deploy-mode");
}

void translate_fork_confs(Submission& s) {
  for (const auto& f : fork_confs()) {
    auto it = s.conf.find(f.key);
    if (it == s.conf.end()) continue;
    std::string value = it->second;
    s.conf.erase(it);
    if (f.renamed_to) {
      s.warnings.push_back(std::string(f.key) + " belongs to the 2018 Spark-on-Kubernetes fork; using it as " +
                           f.renamed_to);
      s.conf.emplace(f.renamed_to, value);
    } else {
      s.warnings.push_back(std::string(f.key) +
                           " belongs to the 2018 Spark-on-Kubernetes fork and has no effect "
                           "on Spark 4: " +
                           f.why + "; ignoring it");
    }
  }
}

}  // namespace

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

std::string normalise_master(const std::string& master) {
  if (!master.starts_with("k8s://"))
    throw SettingsError("master " + util::quote_for_message(master) + " is not a Kubernetes master",
                        "write it as k8s://https://host:port, or leave it out to use the cluster access settings");
  auto rest = master.substr(6);
  if (rest.starts_with("http://") || rest.starts_with("https://")) return master;
  return "k8s://https://" + rest;
}

std::vector<std::string> shell_split(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'') {
      in_word = true;
      auto end = text.find('\'', i + 1);
      if (end == std::string::npos)
        throw SettingsError("unterminated ' in app argument " + util::quote_for_message(text));
      cur += text.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      in_word = true;
      ++i;
      for (; i < text.size() && text[i] != '"'; ++i) {
        // Inside double quotes a backslash only escapes these (bash).
        if (text[i] == '\\' && i + 1 < text.size() && std::string_view("\"\\$`").find(text[i + 1]) != std::string::npos)
          ++i;
        cur += text[i];
      }
      if (i >= text.size()) throw SettingsError("unterminated \" in app argument " + util::quote_for_message(text));
    } else if (c == '\\' && i + 1 < text.size()) {
      in_word = true;
      cur += text[++i];
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      in_word = true;
      cur += c;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

Submission resolve_submission(const SubmissionInput& in) {
  Submission s;
  std::string main_class;
  // Properties first; options override them, as in SparkSubmitArguments.
  if (!in.configs.is_null()) {
    if (!in.configs.is_object()) throw SettingsError("spark_submit_configs must be a map of Spark properties");
    for (const auto& [k, v] : in.configs.items()) {
      if (v.is_object() || v.is_array())
        throw SettingsError("spark_submit_configs: " + k + " must be a single value, not a list or map");
      s.conf[k] = scalar_text(v);
    }
  }
  translate_fork_confs(s);
  if (!in.options.is_null()) {
    if (!in.options.is_object()) throw SettingsError("spark_submit_options must be a map of spark-submit options");
    for (const auto& [k, v] : in.options.items()) {
      if (v.is_object()) throw SettingsError("spark_submit_options: " + k + " must be a single value");
      if (v.is_array()) {
        // `conf: [a=b, c=d]` or `jars: [x, y]`: a list is what the option
        // would get several times, or comma-joined.
        std::vector<std::string> items;
        for (const auto& item : v)
          items.push_back(scalar_text(item));
        if (k == "conf" || k == "--conf") {
          for (const auto& item : items)
            put_option(s, k, item, main_class);
        } else {
          put_option(s, k, util::join(items, ","), main_class);
        }
        continue;
      }
      put_option(s, k, scalar_text(v), main_class);
    }
  }
  for (const auto& [k, v] : in.first_class_options)
    put_option(s, k, v, main_class);
  for (const auto& [k, v] : in.first_class_confs)
    s.conf[k] = v;

  // Application arguments, exactly as given unless compat says otherwise.
  std::vector<std::string> args;
  for (const auto& a : in.app_args) {
    if (in.compat_banzai) {
      for (auto& w : shell_split(a))
        args.push_back(std::move(w));
      continue;
    }
    bool space = a.find_first_of(" \t") != std::string::npos;
    bool quote = a.find_first_of("\"'") != std::string::npos;
    if (space && quote) {
      std::size_t words = 0;
      try {
        words = shell_split(a).size();
      } catch (const SettingsError&) {
        words = 0;  // unbalanced quotes: the shell would have failed
      }
      s.warnings.push_back("spark_submit_app_args: " + util::quote_for_message(a) +
                           " is passed as ONE argument, quotes included. The original plugin ran a shell and got " +
                           std::to_string(words) +
                           " arguments from it: write them as separate list items, or set compat: banzai");
    }
    args.push_back(a);
  }
  s.main_resource = in.main_resource;
  if (s.main_resource.empty()) {
    if (args.empty())
      throw SettingsError("no application resource",
                          "set main_resource (e.g. local:///opt/spark/examples/jars/spark-examples.jar), or give it as "
                          "the first item of spark_submit_app_args");
    s.main_resource = args.front();
    args.erase(args.begin());
  }
  s.app_args = std::move(args);

  auto ext = lower_ext(s.main_resource);
  s.resource_type = ext == "py" ? ResourceType::Python : (ext == "r") ? ResourceType::R : ResourceType::Java;
  if (s.resource_type == ResourceType::R)
    throw SettingsError("R applications are not supported (" + s.main_resource + ")");
  if (s.resource_type == ResourceType::Java) {
    if (main_class.empty())
      throw SettingsError("no main class for " + s.main_resource,
                          "set class (or spark_submit_options.class) to the application's main class");
  } else if (!main_class.empty()) {
    s.warnings.push_back("class " + main_class + " is ignored for a Python application (spark-submit ignores it too)");
  }
  s.main_class = s.resource_type == ResourceType::Python ? "org.apache.spark.deploy.PythonRunner" : main_class;

  if (auto it = s.conf.find("spark.submit.deployMode"); it != s.conf.end() && it->second != "cluster")
    throw SettingsError("deploy mode " + it->second + " is not supported: this plugin submits in cluster mode");
  if (auto it = s.conf.find("spark.master"); it != s.conf.end()) it->second = normalise_master(it->second);
  return s;
}

}  // namespace sg::spark_submit
