#include "driver_builder.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <random>
#include <set>

#include <yaml-cpp/yaml.h>

#include "runtime/error.hpp"
#include "settings/secret_rule.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace sg::spark_submit {
namespace {

constexpr const char* kConfVolume = "spark-conf-volume-driver";
constexpr const char* kConfDir = "/opt/spark/conf";
constexpr const char* kPropertiesFile = "spark.properties";
constexpr const char* kDriverContainer = "spark-kubernetes-driver";
constexpr const char* kExecTemplateVolume = "pod-template-volume";
constexpr const char* kExecTemplateDir = "/opt/spark/pod-template";
constexpr const char* kExecTemplateKey = "podspec-configmap-key";
constexpr const char* kCredentialsDir = "/mnt/secrets/spark-kubernetes-credentials";
constexpr std::size_t kDnsLabelMax = 63;

std::string get(const SparkConf& c, const std::string& key, const std::string& fallback = {}) {
  auto it = c.find(key);
  return it == c.end() ? fallback : it->second;
}
bool has(const SparkConf& c, const std::string& key) {
  return c.count(key) != 0;
}

// Entries under `prefix` with the prefix removed (Spark's getAllWithPrefix).
std::map<std::string, std::string> with_prefix(const SparkConf& c, const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (auto it = c.lower_bound(prefix); it != c.end() && it->first.starts_with(prefix); ++it)
    out[it->first.substr(prefix.size())] = it->second;
  return out;
}

// Lower-case, [^a-z0-9-] -> '-', runs of '-' collapsed (KubernetesConf).
std::string dns_sanitise(const std::string& s) {
  std::string out;
  for (char c : util::to_lower(util::trim(s))) {
    char d = (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '-';
    if (d == '-' && !out.empty() && out.back() == '-') continue;
    out += d;
  }
  return out;
}

std::string hex(std::uint64_t v, int digits) {
  static constexpr char h[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4)
    s[static_cast<std::size_t>(i)] = h[v & 15];
  return s;
}

std::string java_double(double d) {
  // Double.toString for the short decimals users write (0.1, 0.25, 1.0).
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

double parse_double(const std::string& key, const std::string& text) {
  try {
    std::size_t used = 0;
    double d = std::stod(text, &used);
    if (used != text.size() || !(d > 0)) throw std::invalid_argument(text);
    return d;
  } catch (const std::exception&) {
    throw SettingsError(key + "=" + text + " is not a positive number");
  }
}

}  // namespace

bool is_secret_conf(const std::string& key, const std::string& value) {
  if (value.empty()) return false;
  // Values that name a Secret, a key in one or a file are not credentials;
  // Spark's own driver credentials already travel in a Secret of Spark's.
  static const char* const kReferences[] = {"spark.kubernetes.driver.secretKeyRef.",
                                            "spark.kubernetes.executor.secretKeyRef.",
                                            "spark.kubernetes.driver.secrets.", "spark.kubernetes.executor.secrets.",
                                            "spark.kubernetes.authenticate.driver."};
  for (const char* p : kReferences) {
    if (key.starts_with(p)) return false;
  }
  auto lower = util::to_lower(key);
  if (lower.ends_with("file") || lower.ends_with("path")) return false;
  return settings::is_credential_conf_key(key);
}

namespace {

json env_var(const std::string& name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

struct Builder {
  const BuildInput& in;
  const Submission& sub;
  SparkConf conf;  // the resolved properties, growing as steps add system properties
  DriverSpec spec;
  json container = json::object();
  json pod = json::object();
  std::string prefix;
  std::map<std::string, std::string> labels;

  explicit Builder(const BuildInput& input) : in(input), sub(input.submission), conf(input.submission.conf) {
    // Credentials leave the properties before any step sees them, so no
    // object built below (spark.properties, the ConfigMap, the pod) can
    // carry one.
    for (auto it = conf.begin(); it != conf.end();) {
      if (is_secret_conf(it->first, it->second)) {
        secret_confs.emplace(it->first, it->second);
        it = conf.erase(it);
      } else {
        ++it;
      }
    }
  }
  SparkConf secret_confs;  // what the conf Secret carries

  void add_env(json e) {
    auto& env = container["env"];
    if (!env.is_array()) env = json::array();
    env.push_back(std::move(e));
  }
  void add_volume(json v) {
    auto& vols = pod["spec"]["volumes"];
    if (!vols.is_array()) vols = json::array();
    vols.push_back(std::move(v));
  }
  void add_mount(json m) {
    auto& mounts = container["volumeMounts"];
    if (!mounts.is_array()) mounts = json::array();
    mounts.push_back(std::move(m));
  }

  const std::string& file(const std::string& key, const std::string& path) {
    auto it = in.files.find(path);
    if (it == in.files.end()) throw SettingsError(key + ": cannot read " + path);
    return it->second;
  }

  // KubernetesDriverBuilder: the initial pod is the template, if any.
  void initial_pod() {
    pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", json::object()}, {"spec", json::object()}};
    if (!has(conf, "spark.kubernetes.driver.podTemplateFile")) return;
    const auto& path = conf.at("spark.kubernetes.driver.podTemplateFile");
    json tmpl;
    try {
      YAML::Node node = YAML::Load(file("spark.kubernetes.driver.podTemplateFile", path));
      tmpl = yaml_to_json(node);
    } catch (const YAML::Exception& e) {
      throw SettingsError("spark.kubernetes.driver.podTemplateFile " + path + " is not valid YAML: " + e.what());
    }
    if (!tmpl.is_object()) throw SettingsError("spark.kubernetes.driver.podTemplateFile " + path + " is not a Pod");
    for (const char* k : {"metadata", "spec"})
      if (tmpl.contains(k)) pod[k] = tmpl[k];
    // Spark picks the container named by podTemplateContainerName, else the
    // first; the others stay as they are.
    auto& containers = pod["spec"]["containers"];
    if (!containers.is_array() || containers.empty()) {
      pod["spec"].erase("containers");
      return;
    }
    std::string want = get(conf, "spark.kubernetes.driver.podTemplateContainerName");
    std::size_t idx = 0;
    if (!want.empty()) {
      for (std::size_t i = 0; i < containers.size(); ++i)
        if (containers[i].value("name", "") == want) idx = i;
    }
    container = containers[idx];
    containers.erase(containers.begin() + static_cast<std::ptrdiff_t>(idx));
    if (containers.empty()) pod["spec"].erase("containers");
  }

  static json yaml_to_json(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map: {
        json o = json::object();
        for (const auto& kv : n)
          o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
        return o;
      }
      case YAML::NodeType::Sequence: {
        json a = json::array();
        for (const auto& v : n)
          a.push_back(yaml_to_json(v));
        return a;
      }
      case YAML::NodeType::Scalar: {
        const auto& s = n.Scalar();
        if (n.Tag() == "!") return s;  // quoted
        if (s == "true" || s == "false") return s == "true";
        if (s == "null" || s == "~") return nullptr;
        if (!s.empty() && s.find_first_not_of("-0123456789") == std::string::npos && s != "-") {
          try {
            return std::stoll(s);
          } catch (const std::exception&) {
          }
        }
        return s;
      }
      default:
        return nullptr;
    }
  }

  void names() {
    std::string app_name = get(conf, "spark.app.name");
    prefix = dns_sanitise(app_name + "-" + in.ids.unique_id);
    while (prefix.starts_with("-"))
      prefix.erase(0, 1);
    spec.pod_name = get(conf, "spark.kubernetes.driver.pod.name", prefix + "-driver");
    spec.app_id = in.ids.app_id;
    spec.ns = get(conf, "spark.kubernetes.namespace", in.default_namespace);
  }

  void basic_step() {
    auto image = get(conf, "spark.kubernetes.driver.container.image", get(conf, "spark.kubernetes.container.image"));
    if (image.empty())
      throw SettingsError("no container image for the driver",
                          "set image (spark.kubernetes.container.image), e.g. apache/spark:4.0.5");
    // Memory: the JVM heap plus the overhead, both requested and limited.
    // A size that does not parse names its property.
    auto conf_mib = [&](const std::string& key, const std::string& fallback) {
      try {
        return memory_mib(get(conf, key, fallback));
      } catch (const SettingsError& e) {
        throw SettingsError(key + ": " + e.what(), e.hint());
      }
    };
    std::int64_t mem = conf_mib("spark.driver.memory", "1g");
    bool jvm = sub.resource_type == ResourceType::Java;
    double default_factor = 0.1;
    if (has(conf, "spark.kubernetes.memoryOverheadFactor"))
      default_factor =
          parse_double("spark.kubernetes.memoryOverheadFactor", conf.at("spark.kubernetes.memoryOverheadFactor"));
    else if (!jvm)
      default_factor = 0.4;
    double factor =
        has(conf, "spark.driver.memoryOverheadFactor")
            ? parse_double("spark.driver.memoryOverheadFactor", conf.at("spark.driver.memoryOverheadFactor"))
            : default_factor;
    std::int64_t min_overhead = conf_mib("spark.driver.minMemoryOverhead", "384m");
    std::int64_t overhead = has(conf, "spark.driver.memoryOverhead")
                                ? conf_mib("spark.driver.memoryOverhead", "")
                                : std::max(static_cast<std::int64_t>(factor * static_cast<double>(mem)), min_overhead);
    std::string memory = std::to_string(mem + overhead) + "Mi";
    std::string cores = get(conf, "spark.driver.cores", "1");
    if (cores.empty() || cores.find_first_not_of("0123456789") != std::string::npos)
      throw SettingsError("spark.driver.cores=" + cores + " is not a whole number",
                          "use spark.kubernetes.driver.request.cores for fractional CPU requests");
    cores = std::to_string(std::stoll(cores));

    auto port = [&](const std::string& key, const std::string& fallback_key, int dflt) {
      std::string v = get(conf, key, fallback_key.empty() ? "" : get(conf, fallback_key));
      if (v.empty()) return dflt;
      try {
        return std::stoi(v);
      } catch (const std::exception&) {
        throw SettingsError(key + "=" + v + " is not a port number");
      }
    };
    int driver_port = port("spark.driver.port", "", 7078);
    int bm_port = port("spark.driver.blockManager.port", "spark.blockManager.port", 7079);
    int ui_port = port("spark.ui.port", "", 4040);

    if (!container.contains("name")) container["name"] = kDriverContainer;
    spec.container_name = container["name"];
    container["image"] = image;
    container["imagePullPolicy"] = get(conf, "spark.kubernetes.container.image.pullPolicy", "IfNotPresent");
    auto& ports = container["ports"];
    if (!ports.is_array()) ports = json::array();
    ports.push_back({{"name", "driver-rpc-port"}, {"containerPort", driver_port}, {"protocol", "TCP"}});
    ports.push_back({{"name", "blockmanager"}, {"containerPort", bm_port}, {"protocol", "TCP"}});
    ports.push_back({{"name", "spark-ui"}, {"containerPort", ui_port}, {"protocol", "TCP"}});
    add_env(env_var("SPARK_USER", in.spark_user));
    add_env(env_var("SPARK_APPLICATION_ID", spec.app_id));
    for (const auto& [k, v] : with_prefix(conf, "spark.kubernetes.driverEnv."))
      add_env(env_var(k, v));
    add_env({{"name", "SPARK_DRIVER_BIND_ADDRESS"},
             {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "status.podIP"}}}}}});
    auto& resources = container["resources"];
    if (!resources.is_object()) resources = json::object();
    resources["requests"]["cpu"] = get(conf, "spark.kubernetes.driver.request.cores", cores);
    if (has(conf, "spark.kubernetes.driver.limit.cores"))
      resources["limits"]["cpu"] = conf.at("spark.kubernetes.driver.limit.cores");
    resources["requests"]["memory"] = memory;
    resources["limits"]["memory"] = memory;
    // Custom resources: spark.driver.resource.<name>.{amount,vendor}.
    std::set<std::string> custom;
    for (const auto& [k, v] : with_prefix(conf, "spark.driver.resource.")) {
      auto dot = k.find('.');
      if (dot != std::string::npos) custom.insert(k.substr(0, dot));
    }
    for (const auto& r : custom) {
      auto amount = get(conf, "spark.driver.resource." + r + ".amount");
      auto vendor = get(conf, "spark.driver.resource." + r + ".vendor");
      if (amount.empty()) continue;
      if (vendor.empty())
        throw SettingsError("spark.driver.resource." + r + ".vendor is required with .amount on Kubernetes");
      resources["limits"][vendor + "/" + r] = amount;
    }

    auto& meta = pod["metadata"];
    meta["name"] = spec.pod_name;
    for (const auto& [k, v] : labels)
      meta["labels"][k] = v;
    for (const auto& [k, v] : with_prefix(conf, "spark.kubernetes.driver.annotation."))
      meta["annotations"][k] =
          util::replace_all(util::replace_all(v, "{{APP_ID}}", spec.app_id), "{{EXECUTOR_ID}}", "");
    auto& podspec = pod["spec"];
    podspec["restartPolicy"] = "Never";
    for (const auto& [k, v] : with_prefix(conf, "spark.kubernetes.node.selector."))
      podspec["nodeSelector"][k] = v;
    for (const auto& [k, v] : with_prefix(conf, "spark.kubernetes.driver.node.selector."))
      podspec["nodeSelector"][k] = v;
    for (const auto& s : util::split(get(conf, "spark.kubernetes.container.image.pullSecrets"), ',')) {
      auto name = util::trim(s);
      if (name.empty()) continue;
      auto& ps = podspec["imagePullSecrets"];
      if (!ps.is_array()) ps = json::array();
      ps.push_back({{"name", name}});
    }
    auto scheduler = get(conf, "spark.kubernetes.driver.scheduler.name", get(conf, "spark.kubernetes.scheduler.name"));
    if (!scheduler.empty()) podspec["schedulerName"] = scheduler;

    // System properties (getAdditionalPodSystemProperties).
    conf["spark.kubernetes.driver.pod.name"] = spec.pod_name;
    conf["spark.app.id"] = spec.app_id;
    conf["spark.kubernetes.submitInDriver"] = "true";
    conf["spark.kubernetes.memoryOverheadFactor"] = java_double(default_factor);
    for (const char* key : {"spark.jars", "spark.files", "spark.archives", "spark.submit.pyFiles"}) {
      for (const auto& uri : util::split(get(conf, key), ',')) {
        auto u = util::trim(uri);
        bool local = !u.empty() && (u.find("://") == std::string::npos || u.starts_with("file:"));
        if (local)
          throw SettingsError(std::string(key) + " names the local file " + u +
                                  ", which spark-submit would upload through spark.kubernetes.file.upload.path; "
                                  "this plugin does not upload",
                              "put the file into the image and write local:///path, or serve it over https://");
      }
    }
  }

  void labels_step() {
    for (const auto& [k, v] : with_prefix(conf, "spark.kubernetes.driver.label.")) {
      if (k == "spark-app-selector" || k == "spark-role" || k == "spark-app-name" || k == "spark-version")
        throw SettingsError("spark.kubernetes.driver.label." + k + " is reserved by Spark",
                            "choose another label name");
      labels[k] = util::replace_all(util::replace_all(v, "{{APP_ID}}", in.ids.app_id), "{{EXECUTOR_ID}}", "");
    }
    labels["spark-version"] = kSparkVersion;
    labels["spark-app-selector"] = in.ids.app_id;
    std::string name_label = dns_sanitise(get(conf, "spark.app.name"));
    if (name_label.size() > kDnsLabelMax) name_label.resize(kDnsLabelMax);
    labels["spark-app-name"] = name_label;
    labels["spark-role"] = "driver";
  }

  // DriverKubernetesCredentialsFeatureStep: credentials for the driver's
  // own API calls travel in a Secret mounted into the pod; the properties
  // then point at the mounted files and never carry the token itself.
  void credentials_step() {
    static const std::vector<std::pair<std::string, std::string>> files = {
        {"oauthTokenFile", "oauth-token"},
        {"caCertFile", "ca-cert"},
        {"clientKeyFile", "client-key"},
        {"clientCertFile", "client-cert"},
    };
    const std::string p = "spark.kubernetes.authenticate.driver.";
    json data = json::object();
    if (has(conf, p + "oauthToken")) {
      data["oauth-token"] = util::base64_encode(conf.at(p + "oauthToken"));
      conf[p + "oauthToken"] = "<present_but_redacted>";
    }
    for (const auto& [key, secret_key] : files) {
      if (!has(conf, p + key)) continue;
      data[secret_key] = util::base64_encode(file(p + key, conf.at(p + key)));
    }
    if (data.empty()) {
      auto sa = get(conf, p + "serviceAccountName");
      if (!sa.empty() && !pod["spec"].contains("serviceAccount")) {
        pod["spec"]["serviceAccount"] = sa;
        pod["spec"]["serviceAccountName"] = sa;
      }
      return;
    }
    for (const auto& [key, secret_key] : files) {
      if (data.contains(secret_key)) conf[p + "mounted." + key] = std::string(kCredentialsDir) + "/" + secret_key;
    }
    std::string name = prefix + "-kubernetes-credentials";
    spec.resources.push_back({{"apiVersion", "v1"},
                              {"kind", "Secret"},
                              {"type", "Opaque"},
                              {"immutable", true},
                              {"metadata", {{"name", name}, {"namespace", spec.ns}}},
                              {"data", data}});
    add_volume({{"name", "kubernetes-credentials"}, {"secret", {{"secretName", name}}}});
    add_mount({{"name", "kubernetes-credentials"}, {"mountPath", kCredentialsDir}});
  }

  void service_step() {
    std::string name = prefix + "-driver-svc";
    if (name.size() > kDnsLabelMax) name = "spark-" + in.ids.svc_unique_id + "-driver-svc";
    int driver_port = std::stoi(get(conf, "spark.driver.port", "7078"));
    int bm_port = std::stoi(get(conf, "spark.driver.blockManager.port", get(conf, "spark.blockManager.port", "7079")));
    int ui_port = std::stoi(get(conf, "spark.ui.port", "4040"));
    json svc = {
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata", {{"name", name}, {"namespace", spec.ns}}},
        {"spec",
         {{"clusterIP", "None"},
          {"ipFamilyPolicy", get(conf, "spark.kubernetes.driver.service.ipFamilyPolicy", "SingleStack")},
          {"selector", labels},
          {"ports", json::array({{{"name", "driver-rpc-port"}, {"port", driver_port}, {"targetPort", driver_port}},
                                 {{"name", "blockmanager"}, {"port", bm_port}, {"targetPort", bm_port}},
                                 {{"name", "spark-ui"}, {"port", ui_port}, {"targetPort", ui_port}}})}}}};
    json families = json::array();
    for (const auto& f : util::split(get(conf, "spark.kubernetes.driver.service.ipFamilies", "IPv4"), ','))
      if (!util::trim(f).empty()) families.push_back(util::trim(f));
    svc["spec"]["ipFamilies"] = families;
    svc["metadata"]["labels"]["spark-app-selector"] = spec.app_id;
    for (const auto& [k, v] : with_prefix(conf, "spark.kubernetes.driver.service.label."))
      svc["metadata"]["labels"][k] = v;
    for (const auto& [k, v] : with_prefix(conf, "spark.kubernetes.driver.service.annotation."))
      svc["metadata"]["annotations"][k] = util::replace_all(v, "{{APP_ID}}", spec.app_id);
    spec.service = std::move(svc);
    conf["spark.driver.host"] = name + "." + spec.ns + ".svc";
    conf["spark.driver.port"] = std::to_string(driver_port);
    conf["spark.driver.blockManager.port"] = std::to_string(bm_port);
  }

  void secrets_step() {
    for (const auto& [name, path] : with_prefix(conf, "spark.kubernetes.driver.secrets.")) {
      add_volume({{"name", name + "-volume"}, {"secret", {{"secretName", name}}}});
      add_mount({{"name", name + "-volume"}, {"mountPath", path}});
    }
    for (const auto& [env, ref] : with_prefix(conf, "spark.kubernetes.driver.secretKeyRef.")) {
      auto colon = ref.find(':');
      if (colon == std::string::npos)
        throw SettingsError("spark.kubernetes.driver.secretKeyRef." + env + "=" + ref + " is not secret:key");
      add_env({{"name", env},
               {"valueFrom", {{"secretKeyRef", {{"name", ref.substr(0, colon)}, {"key", ref.substr(colon + 1)}}}}}});
    }
  }

  void volumes_step() {
    const std::string p = "spark.kubernetes.driver.volumes.";
    // type.name.{mount.path,mount.readOnly,mount.subPath,options.*,label.*}
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> vols;
    std::vector<std::pair<std::string, std::string>> order;
    for (const auto& [k, v] : with_prefix(conf, p)) {
      auto d1 = k.find('.');
      auto d2 = d1 == std::string::npos ? d1 : k.find('.', d1 + 1);
      if (d2 == std::string::npos) throw SettingsError(p + k + " is not " + p + "<type>.<name>.<field>");
      auto key = std::make_pair(k.substr(0, d1), k.substr(d1 + 1, d2 - d1 - 1));
      if (!vols.count(key)) order.push_back(key);
      vols[key][k.substr(d2 + 1)] = v;
    }
    std::set<std::string> paths;
    int index = 0;
    for (const auto& key : order) {
      const auto& [type, name] = key;
      auto& f = vols[key];
      auto field = [&](const std::string& n) { return f.count(n) ? f.at(n) : std::string(); };
      auto path = field("mount.path");
      if (path.empty()) throw SettingsError(p + type + "." + name + ".mount.path is required");
      if (!paths.insert(path).second) throw SettingsError("two driver volumes mount " + path);
      bool read_only = field("mount.readOnly") == "true";
      json mount = {{"name", name}, {"mountPath", path}};
      if (read_only) mount["readOnly"] = true;
      if (!field("mount.subPath").empty()) mount["subPath"] = field("mount.subPath");
      if (!field("mount.subPathExpr").empty()) mount["subPathExpr"] = field("mount.subPathExpr");
      json vol = {{"name", name}};
      std::set<std::string> known = {"mount.path", "mount.readOnly", "mount.subPath", "mount.subPathExpr"};
      if (type == "hostPath") {
        vol["hostPath"] = {{"path", field("options.path")}, {"type", field("options.type")}};
        known.insert({"options.path", "options.type"});
      } else if (type == "emptyDir") {
        vol["emptyDir"] = json::object();
        if (!field("options.medium").empty()) vol["emptyDir"]["medium"] = field("options.medium");
        if (!field("options.sizeLimit").empty()) vol["emptyDir"]["sizeLimit"] = field("options.sizeLimit");
        known.insert({"options.medium", "options.sizeLimit"});
      } else if (type == "persistentVolumeClaim") {
        auto claim = field("options.claimName");
        if (claim.empty()) throw SettingsError(p + type + "." + name + ".options.claimName is required");
        claim = util::replace_all(claim, "OnDemand", prefix + "-driver-pvc-" + std::to_string(index));
        vol["persistentVolumeClaim"] = {{"claimName", claim}};
        if (read_only) vol["persistentVolumeClaim"]["readOnly"] = true;
        known.insert({"options.claimName", "options.storageClass", "options.sizeLimit"});
        if (!field("options.storageClass").empty() && !field("options.sizeLimit").empty()) {
          json pvc = {{"apiVersion", "v1"},
                      {"kind", "PersistentVolumeClaim"},
                      {"metadata", {{"name", claim}, {"namespace", spec.ns}}},
                      {"spec",
                       {{"storageClassName", field("options.storageClass")},
                        {"accessModes", json::array({"ReadWriteOncePod"})},
                        {"resources", {{"requests", {{"storage", field("options.sizeLimit")}}}}}}}};
          for (const auto& [fk, fv] : f)
            if (fk.starts_with("label.")) pvc["metadata"]["labels"][fk.substr(6)] = fv;
          pvc["metadata"]["labels"]["spark-app-selector"] = spec.app_id;
          spec.resources.push_back(std::move(pvc));
        }
        for (const auto& [fk, fv] : f)
          if (fk.starts_with("label.")) known.insert(fk);
      } else if (type == "nfs") {
        vol["nfs"] = {{"path", field("options.path")}, {"server", field("options.server")}};
        known.insert({"options.path", "options.server"});
      } else {
        throw SettingsError(p + type + "." + name + ": volume type " + type + " is not supported",
                            "use hostPath, emptyDir, persistentVolumeClaim or nfs, or a pod template");
      }
      for (const auto& [fk, fv] : f)
        if (!known.count(fk)) throw SettingsError(p + type + "." + name + "." + fk + " is not supported");
      add_volume(std::move(vol));
      add_mount(std::move(mount));
      ++index;
    }
  }

  // The credential confs travel in a Secret. The driver gets each as an
  // environment variable from a secretKeyRef, and the pod's args pass it to
  // the image's entrypoint as `--conf key=$(VAR)`: the kubelet expands
  // $(VAR) from the container's environment, and the entrypoint hands its
  // arguments to spark-submit, so the running driver's SparkConf holds the
  // value while the pod spec holds only the variable's name.
  json secret_conf_args() {
    json args = json::array();
    if (secret_confs.empty()) return args;
    std::string name = prefix + "-conf-secrets";
    if (name.size() > 253) name = "spark-drv-" + in.ids.cm_unique_id + "-conf-secrets";
    json data = json::object();
    std::size_t i = 0;
    for (const auto& [key, value] : secret_confs) {
      // Secret keys allow [-._a-zA-Z0-9]; so do Spark's property names.
      if (key.empty() || key.size() > 253 ||
          key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789-._") != std::string::npos)
        throw SettingsError("spark property " + util::quote_for_message(key) +
                            " carries a credential but its name cannot be a Secret key (only letters, digits, '-', "
                            "'.' and '_')");
      std::string var = "SPOTGUIDE_SECRET_CONF_" + std::to_string(i++);
      data[key] = value;
      add_env({{"name", var}, {"valueFrom", {{"secretKeyRef", {{"name", name}, {"key", key}}}}}});
      args.push_back("--conf");
      args.push_back(key + "=$(" + var + ")");
    }
    spec.conf_secret = {{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"type", "Opaque"},
                        {"immutable", true},
                        {"metadata", {{"name", name}, {"namespace", spec.ns}}},
                        {"stringData", data}};
    return args;
  }

  void command_step() {
    json args = json::array({"driver"});
    for (auto& a : secret_conf_args())
      args.push_back(std::move(a));
    for (const auto& a : {std::string("--properties-file"), std::string(kConfDir) + "/" + kPropertiesFile,
                          std::string("--class"), sub.main_class, sub.main_resource})
      args.push_back(a);
    for (const auto& a : sub.app_args)
      args.push_back(a);
    container["args"] = std::move(args);
    if (sub.resource_type == ResourceType::Python) {
      if (has(conf, "spark.pyspark.python")) add_env(env_var("PYSPARK_PYTHON", conf.at("spark.pyspark.python")));
      auto drv = get(conf, "spark.pyspark.driver.python", get(conf, "spark.pyspark.python"));
      if (!drv.empty()) add_env(env_var("PYSPARK_DRIVER_PYTHON", drv));
    }
  }

  void executor_template_step() {
    if (!has(conf, "spark.kubernetes.executor.podTemplateFile")) return;
    const auto& path = conf.at("spark.kubernetes.executor.podTemplateFile");
    std::string cm = prefix + "-driver-podspec-conf-map";
    add_volume(
        {{"name", kExecTemplateVolume},
         {"configMap",
          {{"name", cm}, {"items", json::array({{{"key", kExecTemplateKey}, {"path", "pod-spec-template.yml"}}})}}}});
    add_mount({{"name", kExecTemplateVolume}, {"mountPath", kExecTemplateDir}});
    spec.resources.push_back({{"apiVersion", "v1"},
                              {"kind", "ConfigMap"},
                              {"immutable", true},
                              {"metadata", {{"name", cm}, {"namespace", spec.ns}}},
                              {"data", {{kExecTemplateKey, file("spark.kubernetes.executor.podTemplateFile", path)}}}});
    conf["spark.kubernetes.executor.podTemplateFile"] = std::string(kExecTemplateDir) + "/pod-spec-template.yml";
  }

  void local_dirs_step() {
    std::string dirs = get(conf, "spark.local.dir");
    std::vector<std::string> list;
    if (dirs.empty()) {
      list.push_back("/var/data/spark-" + in.ids.local_dir_uuid);
    } else {
      for (const auto& d : util::split(dirs, ','))
        if (!util::trim(d).empty()) list.push_back(util::trim(d));
    }
    bool tmpfs = get(conf, "spark.kubernetes.local.dirs.tmpfs") == "true";
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string name = "spark-local-dir-" + std::to_string(i + 1);
      json ed = json::object();
      if (tmpfs) ed["medium"] = "Memory";
      add_volume({{"name", name}, {"emptyDir", ed}});
      add_mount({{"name", name}, {"mountPath", list[i]}});
    }
    add_env(env_var("SPARK_LOCAL_DIRS", util::join(list, ",")));
  }

  void config_map_step() {
    std::string cm_name = "spark-drv-" + in.ids.cm_unique_id + "-conf-map";
    add_env(env_var("SPARK_CONF_DIR", kConfDir));
    add_mount({{"name", kConfVolume}, {"mountPath", kConfDir}});
    add_volume({{"name", kConfVolume},
                {"configMap",
                 {{"name", cm_name},
                  {"items", json::array({{{"key", kPropertiesFile}, {"path", kPropertiesFile}, {"mode", 420}}})}}}});
    spec.properties = conf;
    spec.config_map = {
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"immutable", true},
        {"metadata", {{"name", cm_name}, {"namespace", spec.ns}}},
        {"data",
         {{kPropertiesFile,
           properties_text(conf, "Java properties built from Kubernetes config map with name: " + cm_name,
                           in.ids.date_comment)},
          {"spark.kubernetes.namespace", spec.ns}}}};
  }

  DriverSpec build() {
    // SparkSubmit's own additions.
    if (!has(conf, "spark.master")) conf["spark.master"] = in.master;
    conf["spark.submit.deployMode"] = "cluster";
    conf["spark.app.submitTime"] = std::to_string(in.ids.submit_time_ms);
    conf["spark.kubernetes.resource.type"] = sub.resource_type == ResourceType::Python ? "python" : "java";
    if (!has(conf, "spark.app.name")) {
      auto slash = sub.main_resource.find_last_of('/');
      conf["spark.app.name"] = sub.resource_type == ResourceType::Python
                                   ? sub.main_resource.substr(slash == std::string::npos ? 0 : slash + 1)
                                   : sub.main_class;
    }
    if (sub.resource_type == ResourceType::Java) {
      auto jars = get(conf, "spark.jars");
      conf["spark.jars"] = jars.empty() ? sub.main_resource : jars + "," + sub.main_resource;
    }
    if (!has(conf, "spark.submit.pyFiles")) conf["spark.submit.pyFiles"] = "";

    check_supported(conf);
    names();
    initial_pod();
    labels_step();
    basic_step();
    credentials_step();
    service_step();
    secrets_step();
    volumes_step();
    command_step();
    executor_template_step();
    local_dirs_step();
    config_map_step();
    pod["metadata"]["namespace"] = spec.ns;
    auto& containers = pod["spec"]["containers"];
    if (!containers.is_array()) containers = json::array();
    // Spark appends the driver after the template's other containers.
    containers.push_back(container);
    spec.pod = std::move(pod);
    return std::move(spec);
  }

  void check_supported(const SparkConf& c);
};

// Every spark.kubernetes.* property either shapes what is built here, is read
// later by the driver or the executors, or is refused: none is dropped.
void Builder::check_supported(const SparkConf& c) {
  static const std::set<std::string> exact = {
      "spark.kubernetes.namespace",
      "spark.kubernetes.container.image",
      "spark.kubernetes.driver.container.image",
      "spark.kubernetes.container.image.pullPolicy",
      "spark.kubernetes.container.image.pullSecrets",
      "spark.kubernetes.driver.pod.name",
      "spark.kubernetes.driver.request.cores",
      "spark.kubernetes.driver.limit.cores",
      "spark.kubernetes.memoryOverheadFactor",
      "spark.kubernetes.authenticate.driver.serviceAccountName",
      "spark.kubernetes.driver.podTemplateFile",
      "spark.kubernetes.driver.podTemplateContainerName",
      "spark.kubernetes.executor.podTemplateFile",
      "spark.kubernetes.local.dirs.tmpfs",
      "spark.kubernetes.scheduler.name",
      "spark.kubernetes.driver.scheduler.name",
      "spark.kubernetes.resource.type",
      "spark.kubernetes.submitInDriver",
      "spark.kubernetes.driver.service.ipFamilyPolicy",
      "spark.kubernetes.driver.service.ipFamilies",
      "spark.kubernetes.submission.waitAppCompletion",
      "spark.kubernetes.report.interval",
      "spark.kubernetes.appKillPodDeletionGracePeriod",
      "spark.kubernetes.authenticate.driver.oauthToken",
      "spark.kubernetes.authenticate.driver.oauthTokenFile",
      "spark.kubernetes.authenticate.driver.caCertFile",
      "spark.kubernetes.authenticate.driver.clientKeyFile",
      "spark.kubernetes.authenticate.driver.clientCertFile",
      // Read by the driver or the executors, not by the submission.
      "spark.kubernetes.driver.master",
      "spark.kubernetes.driver.reusePersistentVolumeClaim",
      "spark.kubernetes.driver.ownPersistentVolumeClaim",
      "spark.kubernetes.driver.waitToReusePersistentVolumeClaim",
      "spark.kubernetes.driver.connectionTimeout",
      "spark.kubernetes.driver.requestTimeout",
      "spark.kubernetes.driver.service.deleteOnTermination",
      "spark.kubernetes.configMap.maxSize",
      "spark.kubernetes.jars.avoidDownloadSchemes",
      "spark.kubernetes.decommission.script",
      "spark.kubernetes.context",
      "spark.kubernetes.file.upload.path",
      "spark.kubernetes.driver.pod.excludedFeatureSteps",
  };
  static const std::vector<std::string> prefixes = {
      "spark.kubernetes.driver.label.",
      "spark.kubernetes.driver.annotation.",
      "spark.kubernetes.driver.service.label.",
      "spark.kubernetes.driver.service.annotation.",
      "spark.kubernetes.node.selector.",
      "spark.kubernetes.driver.node.selector.",
      "spark.kubernetes.driverEnv.",
      "spark.kubernetes.driver.secrets.",
      "spark.kubernetes.driver.secretKeyRef.",
      "spark.kubernetes.driver.volumes.",
      "spark.kubernetes.authenticate.submission.",
      // Executors and their allocation are the driver's business.
      "spark.kubernetes.executor.",
      "spark.kubernetes.allocation.",
      "spark.kubernetes.dynamicAllocation.",
  };
  static const std::map<std::string, std::string> refused = {
      {"spark.kubernetes.hadoop.configMapName", "Hadoop configuration ConfigMaps are not supported"},
      {"spark.kubernetes.kerberos.", "Kerberos is not supported"},
      {"spark.kubernetes.driver.pod.featureSteps", "custom feature steps run Scala code on the submitting side"},
      {"spark.kubernetes.driver.podGroupTemplateFile", "pod groups (Volcano/YuniKorn) are not supported"},
  };
  for (const auto& [k, v] : c) {
    if (!k.starts_with("spark.kubernetes.")) continue;
    for (const auto& [r, why] : refused)
      if (k == r || (r.back() == '.' && k.starts_with(r)))
        throw SettingsError(k + " is not supported: " + why, "remove it, or use backend: operator");
    if (exact.count(k)) continue;
    bool ok = false;
    for (const auto& p : prefixes)
      ok = ok || k.starts_with(p);
    if (ok) continue;
    throw SettingsError(k + " is not a Spark 4.0 Kubernetes property this plugin knows",
                        "check the spelling against Spark's running-on-kubernetes docs; properties that change "
                        "the driver's objects are refused rather than ignored");
  }
  if (get(c, "spark.kubernetes.driver.pod.excludedFeatureSteps") != "")
    throw SettingsError("spark.kubernetes.driver.pod.excludedFeatureSteps is not supported");
}

}  // namespace

std::int64_t memory_mib(const std::string& text) {
  // JavaUtils.byteStringAs with MiB as the unit of a bare number.
  std::string t = util::to_lower(util::trim(text));
  auto invalid = [&](const std::string& why) {
    return SettingsError(util::quote_for_message(text) + " is not a memory size" + why + " (e.g. 512m, 2g)");
  };
  std::size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits])))
    ++digits;
  if (digits == 0) throw invalid("");
  std::string unit = t.substr(digits);
  static const std::map<std::string, double> to_mib = {
      {"", 1},     {"m", 1},     {"mb", 1},      {"k", 1.0 / 1024}, {"kb", 1.0 / 1024},  {"b", 1.0 / 1048576},
      {"g", 1024}, {"gb", 1024}, {"t", 1048576}, {"tb", 1048576},   {"p", 1073741824.0}, {"pb", 1073741824.0}};
  auto it = to_mib.find(unit);
  if (it == to_mib.end()) throw invalid("");
  // Far above any machine, far below where the pod's request (MiB plus the
  // overhead, in a 64-bit quantity) or the JVM's -Xmx could overflow.
  constexpr double kMaxMib = 1024.0 * 1024 * 1024;  // 1 PiB
  if (digits > 18) throw invalid(": too large");
  double mib = static_cast<double>(std::stoll(t.substr(0, digits))) * it->second;
  if (mib > kMaxMib) throw invalid(": more than 1 PiB");
  return static_cast<std::int64_t>(mib);
}

std::string properties_text(const SparkConf& props, const std::string& comment, const std::string& date) {
  std::string out = "#" + comment + "\n#" + date + "\n";
  for (const auto& [k, v] : props)
    out += util::properties_escape(k, true) + "=" + util::properties_escape(v, false) + "\n";
  return out;
}

void set_owner(json& object, const std::string& pod_name, const std::string& pod_uid) {
  object["metadata"]["ownerReferences"] = json::array(
      {{{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", pod_name}, {"uid", pod_uid}, {"controller", true}}});
}

Randomness draw_randomness() {
  static std::mt19937_64 rng{std::random_device{}()};
  auto now = std::chrono::system_clock::now();
  std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto unique = [&] {
    // KubernetesUtils.uniqueID: 3 random bytes, then the low 40 bits of the
    // clock in hex without leading zeros.
    std::uint64_t low = static_cast<std::uint64_t>(ms) & 0xFFFFFFFFFFULL;
    std::string t;
    for (std::uint64_t v = low; v; v >>= 4)
      t.insert(t.begin(), "0123456789abcdef"[v & 15]);
    return hex(rng() & 0xFFFFFF, 6) + (t.empty() ? "0" : t);
  };
  Randomness r;
  r.unique_id = unique();
  r.cm_unique_id = unique();
  r.svc_unique_id = unique();
  r.app_id = "spark-" + hex(rng(), 16) + hex(rng(), 16);
  std::uint64_t a = rng(), b = rng();
  std::string u = hex(a, 16) + hex(b, 16);
  r.local_dir_uuid = u.substr(0, 8) + "-" + u.substr(8, 4) + "-4" + u.substr(13, 3) + "-" +
                     std::string(1, "89ab"[b & 3]) + u.substr(17, 3) + "-" + u.substr(20, 12);
  r.submit_time_ms = ms;
  std::time_t tt = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  r.date_comment = buf;
  return r;
}

std::vector<std::string> referenced_files(const Submission& s) {
  std::vector<std::string> out;
  for (const char* key :
       {"spark.kubernetes.driver.podTemplateFile", "spark.kubernetes.executor.podTemplateFile",
        "spark.kubernetes.authenticate.driver.oauthTokenFile", "spark.kubernetes.authenticate.driver.caCertFile",
        "spark.kubernetes.authenticate.driver.clientKeyFile", "spark.kubernetes.authenticate.driver.clientCertFile"}) {
    if (auto it = s.conf.find(key); it != s.conf.end() && !it->second.empty()) out.push_back(it->second);
  }
  return out;
}

DriverSpec build_driver(const BuildInput& in) {
  return Builder(in).build();
}

}  // namespace sg::spark_submit
