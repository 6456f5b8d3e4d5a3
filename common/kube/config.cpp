#include "kube/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "http/client.hpp"
#include "runtime/error.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"
#include "yaml/bounded.hpp"

namespace sg::kube {
namespace {

namespace fs = std::filesystem;

// A kubeconfig is a few KiB, a few hundred with many clusters; the cap keeps
// a path naming /dev/zero or a log file from being read whole, and the YAML
// limits keep an alias bomb from being walked.
constexpr std::size_t kMaxKubeconfigBytes = std::size_t{4} << 20;
const yaml::Limits kKubeconfigLimits{.max_bytes = kMaxKubeconfigBytes, .max_depth = 32, .max_nodes = 200'000};

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot read " + what + " " + path, "check the path and the file's permissions");
  try {
    return yaml::read_file(path, kMaxKubeconfigBytes, "a kubeconfig is a few KiB; point the setting at the right file");
  } catch (const yaml::YamlError& e) {
    throw Error("cannot read " + what + ": " + e.what());
  }
}

std::string resolve_path(const std::string& p, const std::string& base_dir) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).string();
}

// Only a map has keys: yaml-cpp throws on n[key] for a scalar or a list, and
// a kubeconfig with `user: oops` must be a missing field, not a crash.
std::string scalar(const YAML::Node& n, const char* key) {
  if (!n.IsMap()) return {};
  auto v = n[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string{};
}

bool flag(const YAML::Node& n, const char* key) {
  if (!n.IsMap()) return false;
  auto v = n[key];
  if (!v || !v.IsScalar()) return false;
  auto s = util::to_lower(v.as<std::string>());
  return s == "true" || s == "1" || s == "yes";
}

// PEM from a "-data" field (base64) or a file field, as kubeconfig allows.
std::string pem_from(const YAML::Node& n, const char* data_key, const char* file_key, const std::string& base_dir,
                     const std::string& what) {
  auto data = scalar(n, data_key);
  if (!data.empty()) {
    auto decoded = util::base64_decode(data);
    if (!decoded) throw Error(what + " (" + data_key + ") is not valid base64", "re-export the kubeconfig");
    return *decoded;
  }
  auto file = scalar(n, file_key);
  if (!file.empty()) return http::load_pem(resolve_path(file, base_dir), what + " (" + file_key + ")");
  return {};
}

// Entries of a named list (clusters, users, contexts), first one wins, as in
// kubectl's merge of several files.
using Named = std::map<std::string, std::pair<YAML::Node, std::string>>;  // name -> (node, base_dir)

void collect(const YAML::Node& root, const char* list, const char* inner, const std::string& base_dir, Named& out) {
  auto seq = root[list];
  if (!seq || !seq.IsSequence()) return;
  for (const auto& item : seq) {
    auto name = scalar(item, "name");
    if (name.empty() || out.count(name)) continue;
    auto node = item[inner];
    out[name] = {node && node.IsMap() ? node : YAML::Node(YAML::NodeType::Map), base_dir};
  }
}

struct Merged {
  Named clusters, users, contexts;
  std::string current_context;
  std::string sources;
};

void merge(const std::string& text, const std::string& base_dir, const std::string& source, Merged& m) {
  YAML::Node root;
  try {
    root = yaml::load(text, source, kKubeconfigLimits);
  } catch (const yaml::YamlError& e) {
    throw Error(source + " is not valid YAML: " + e.what(), "check the kubeconfig; `kubectl config view` shows it");
  }
  if (!root || !root.IsMap()) throw Error(source + " is not a kubeconfig (expected a YAML mapping)");
  collect(root, "clusters", "cluster", base_dir, m.clusters);
  collect(root, "users", "user", base_dir, m.users);
  collect(root, "contexts", "context", base_dir, m.contexts);
  if (m.current_context.empty()) m.current_context = scalar(root, "current-context");
  m.sources += (m.sources.empty() ? "" : ", ") + source;
}

Config build(const Merged& m, const std::string& context_override) {
  Config c;
  std::string ctx_name = context_override.empty() ? m.current_context : context_override;
  if (ctx_name.empty()) {
    if (m.contexts.size() != 1) {
      throw Error(m.sources + " has no current-context", "set the context setting to one of its contexts");
    }
    ctx_name = m.contexts.begin()->first;
  }
  auto ctx_it = m.contexts.find(ctx_name);
  if (ctx_it == m.contexts.end()) {
    std::vector<std::string> names;
    for (const auto& [n, _] : m.contexts)
      names.push_back(n);
    throw Error("context \"" + ctx_name + "\" is not in " + m.sources,
                "available contexts: " + (names.empty() ? std::string("none") : util::join(names, ", ")));
  }
  const auto& ctx = ctx_it->second.first;
  c.context = ctx_name;
  c.source = m.sources + ", context " + ctx_name;
  if (auto ns = scalar(ctx, "namespace"); !ns.empty()) c.namespace_ = ns;

  auto cluster_name = scalar(ctx, "cluster");
  auto cl_it = m.clusters.find(cluster_name);
  if (cl_it == m.clusters.end())
    throw Error("context " + ctx_name + " refers to cluster \"" + cluster_name + "\", which is not defined in " +
                m.sources);
  const auto& [cluster, cluster_dir] = cl_it->second;
  c.server = scalar(cluster, "server");
  if (c.server.empty()) throw Error("cluster " + cluster_name + " in " + m.sources + " has no server");
  c.insecure_skip_tls_verify = flag(cluster, "insecure-skip-tls-verify");
  c.tls_server_name = scalar(cluster, "tls-server-name");
  c.ca_pem = pem_from(cluster, "certificate-authority-data", "certificate-authority", cluster_dir,
                      "the CA of cluster " + cluster_name);

  auto user_name = scalar(ctx, "user");
  if (!user_name.empty()) {
    auto u_it = m.users.find(user_name);
    if (u_it == m.users.end())
      throw Error("context " + ctx_name + " refers to user \"" + user_name + "\", which is not defined in " +
                  m.sources);
    const auto& [user, user_dir] = u_it->second;
    c.token = scalar(user, "token");
    c.token_file = resolve_path(scalar(user, "tokenFile"), user_dir);
    c.username = scalar(user, "username");
    c.password = scalar(user, "password");
    c.client_cert_pem = pem_from(user, "client-certificate-data", "client-certificate", user_dir,
                                 "the client certificate of user " + user_name);
    c.client_key_pem = pem_from(user, "client-key-data", "client-key", user_dir, "the client key of user " + user_name);
    if (auto ex = user["exec"]; ex && ex.IsMap()) {
      ExecConfig e;
      if (auto v = scalar(ex, "apiVersion"); !v.empty()) e.api_version = v;
      e.command = scalar(ex, "command");
      // A relative command with a slash is relative to the kubeconfig (client-go does the same).
      if (e.command.find('/') != std::string::npos) e.command = resolve_path(e.command, user_dir);
      if (auto args = ex["args"]; args && args.IsSequence()) {
        for (const auto& a : args) {
          if (!a.IsScalar()) throw Error("user " + user_name + " has an exec argument that is not a string");
          e.args.push_back(a.Scalar());
        }
      }
      if (auto env = ex["env"]; env && env.IsSequence()) {
        for (const auto& kv : env)
          e.env.emplace_back(scalar(kv, "name"), scalar(kv, "value"));
      }
      e.provide_cluster_info = flag(ex, "provideClusterInfo");
      e.install_hint = scalar(ex, "installHint");
      if (e.command.empty()) throw Error("user " + user_name + " has an exec section without a command");
      c.exec = e;
    }
    if (user.IsMap() && user["auth-provider"]) {
      throw Error("user " + user_name + " uses an auth-provider plugin, which Kubernetes removed in 1.26",
                  "switch the kubeconfig to an exec credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin)");
    }
  }
  return c;
}

}  // namespace

std::vector<std::string> split_kubeconfig_env(const std::string& value) {
  std::vector<std::string> out;
  for (auto& p : util::split(value, ':')) {
    if (!p.empty()) out.push_back(p);
  }
  return out;
}

Config parse_kubeconfig(const std::string& yaml_text, const std::string& context, const std::string& base_dir,
                        const std::string& source) {
  Merged m;
  merge(yaml_text, base_dir, source, m);
  return build(m, context);
}

Config load_kubeconfig_files(const std::vector<std::string>& paths, const std::string& context) {
  Merged m;
  bool any = false;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) continue;  // kubectl ignores missing entries of a list
    merge(read_text(p, "kubeconfig"), fs::absolute(p).parent_path().string(), "kubeconfig " + p, m);
    any = true;
  }
  if (!any)
    throw Error("no kubeconfig found at " + util::join(paths, ", "),
                "provide a kubeconfig or the server and token settings");
  return build(m, context);
}

Config kubeconfig_from_inline(const std::string& value, const std::string& context) {
  auto text = value;
  if (text.find("apiVersion") == std::string::npos && text.find("clusters") == std::string::npos) {
    auto decoded = util::base64_decode(util::trim(value));
    if (!decoded) throw Error("the inline kubeconfig is neither YAML nor base64-encoded YAML");
    text = *decoded;
  }
  return parse_kubeconfig(text, context, {}, "inline kubeconfig");
}

bool in_cluster_available(const std::string& sa_dir) {
  return std::getenv("KUBERNETES_SERVICE_HOST") && fs::exists(fs::path(sa_dir) / "token");
}

Config in_cluster_config(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw Error("not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST/PORT are unset)",
                "provide a kubeconfig or the server and token settings");
  }
  Config c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = "https://" + h + ":" + port;
  c.in_cluster = true;
  c.source = "in-cluster service account";
  c.token_file = (fs::path(sa_dir) / "token").string();
  c.ca_pem = read_text((fs::path(sa_dir) / "ca.crt").string(), "service-account CA");
  std::error_code ec;
  if (fs::exists(fs::path(sa_dir) / "namespace", ec)) {
    c.namespace_ = util::trim(read_text((fs::path(sa_dir) / "namespace").string(), "namespace file"));
  }
  return c;
}

}  // namespace sg::kube
