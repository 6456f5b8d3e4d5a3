#include "job_spec.hpp"

#include <cctype>
#include <cstdio>

namespace sg::k8s_proxy {
namespace {

// FNV-1a: a stable short hash for name suffixes (not for security).
std::string short_hash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char ch : text) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(h & 0xffffffffULL));
  return buf;
}

std::string trim_dashes(std::string s, const std::string& also = "") {
  auto bad = [&](char c) { return c == '-' || also.find(c) != std::string::npos; };
  while (!s.empty() && bad(s.front()))
    s.erase(0, 1);
  while (!s.empty() && bad(s.back()))
    s.pop_back();
  return s;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// Environment variable names must be C identifiers for envFrom to load them.
std::string env_key(const std::string& k) {
  std::string out;
  for (char c : k)
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  return out;
}

}  // namespace

std::string dns_label(const std::string& text, std::size_t max) {
  std::string s;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    char l = static_cast<char>(std::tolower(u));
    if (std::isalnum(static_cast<unsigned char>(l)))
      s += l;
    else if (!s.empty() && s.back() != '-')
      s += '-';
  }
  s = trim_dashes(s);
  if (s.empty()) s = "step";
  if (s.size() > max) s = trim_dashes(s.substr(0, max - 9)) + "-" + short_hash(text);
  return s;
}

std::string label_value(const std::string& text) {
  std::string s;
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    s += ok ? c : '.';
  }
  s = trim_dashes(s, "._");
  if (s.size() > 63) s = trim_dashes(s.substr(0, 54), "._") + "-" + short_hash(text);
  return s;
}

Names names_for(const JobRequest& r) {
  Names n;
  auto slash = r.repo.find('/');
  std::string name = slash == std::string::npos ? r.repo : r.repo.substr(slash + 1);
  // The attempt goes last so that truncation keeps it: it is what makes
  // two runs of the same step distinct.
  auto suffix = "-" + dns_label(r.attempt, 12);
  n.job = dns_label(name + "-" + r.build + "-" + r.step, 63 - suffix.size()) + suffix;
  n.secret = n.job + "-env";
  if (n.secret.size() > 63) n.secret = dns_label(n.job, 58) + "-env";
  n.pvc = r.workspace_pvc.empty() ? dns_label(r.repo + "-" + r.build + "-workspace", 63) : r.workspace_pvc;
  n.run_id = label_value(n.job);
  return n;
}

std::string command_script(const std::vector<std::string>& commands) {
  std::string s = "set -e\n";
  for (const auto& c : commands) {
    s += "printf '%s\\n' " + shell_quote("+ " + c) + "\n";
    s += c + "\n";
  }
  return s;
}

json labels_for(const JobRequest& r, const Names& n) {
  json l = json::object();
  for (const auto& [k, v] : r.labels)
    l[k] = v;
  l["app.kubernetes.io/managed-by"] = "spotguide-k8s-proxy";
  l["spotguide.io/repo"] = label_value(r.repo);
  l["spotguide.io/build"] = label_value(r.build);
  l["spotguide.io/step"] = label_value(r.step);
  l["spotguide.io/run-id"] = n.run_id;
  return l;
}

json job_manifest(const JobRequest& r, const Names& n) {
  json container = {{"name", "step"}, {"image", r.image}, {"imagePullPolicy", r.pull_policy}};
  if (!r.commands.empty()) {
    container["command"] = r.entrypoint.empty() ? json::array({r.shell, "-c"}) : json(r.entrypoint);
    container["args"] = json::array({command_script(r.commands)});
  } else if (!r.entrypoint.empty()) {
    container["command"] = r.entrypoint;
  }
  auto env = json::array();
  for (const auto& [k, v] : r.plain_env)
    env.push_back({{"name", k}, {"value", v}});
  container["env"] = env;
  if (!r.secret_env.empty()) container["envFrom"] = json::array({{{"secretRef", {{"name", n.secret}}}}});
  json resources = json::object();
  if (!r.requests.empty()) resources["requests"] = r.requests;
  if (!r.limits.empty()) resources["limits"] = r.limits;
  container["resources"] = resources;
  json pod_spec = {{"restartPolicy", "Never"}, {"containers", json::array()}};
  if (r.workspace) {
    container["workingDir"] = r.workspace_path;
    container["volumeMounts"] = json::array({{{"name", "workspace"}, {"mountPath", r.workspace_path}}});
    pod_spec["volumes"] = json::array({{{"name", "workspace"}, {"persistentVolumeClaim", {{"claimName", n.pvc}}}}});
  }
  pod_spec["containers"].push_back(container);
  if (!r.service_account.empty()) pod_spec["serviceAccountName"] = r.service_account;
  if (!r.node_selector.empty()) pod_spec["nodeSelector"] = r.node_selector;
  if (!r.tolerations.empty()) pod_spec["tolerations"] = r.tolerations;
  if (!r.image_pull_secrets.empty()) {
    auto ips = json::array();
    for (const auto& s : r.image_pull_secrets)
      ips.push_back({{"name", s}});
    pod_spec["imagePullSecrets"] = ips;
  }
  auto labels = labels_for(r, n);
  json annotations = r.annotations;
  if (annotations.is_null()) annotations = json::object();
  json spec = {{"backoffLimit", r.backoff_limit},
               {"activeDeadlineSeconds", r.timeout_seconds},
               {"template", {{"metadata", {{"labels", labels}, {"annotations", annotations}}}, {"spec", pod_spec}}}};
  if (r.ttl_seconds_after_finished) spec["ttlSecondsAfterFinished"] = *r.ttl_seconds_after_finished;
  return {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", n.job}, {"namespace", r.namespace_}, {"labels", labels}, {"annotations", annotations}}},
      {"spec", spec}};
}

json secret_manifest(const JobRequest& r, const Names& n) {
  json data = json::object();
  for (const auto& [k, v] : r.secret_env)
    data[env_key(k)] = v;
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "Opaque"},
          {"metadata", {{"name", n.secret}, {"namespace", r.namespace_}, {"labels", labels_for(r, n)}}},
          {"stringData", data}};
}

json pvc_manifest(const JobRequest& r, const Names& n) {
  json spec = {{"accessModes", {r.workspace_access_mode}},
               {"resources", {{"requests", {{"storage", r.workspace_size}}}}}};
  if (!r.workspace_storage_class.empty()) spec["storageClassName"] = r.workspace_storage_class;
  json labels = {{"app.kubernetes.io/managed-by", "spotguide-k8s-proxy"},
                 {"spotguide.io/repo", label_value(r.repo)},
                 {"spotguide.io/build", label_value(r.build)}};
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"metadata", {{"name", n.pvc}, {"namespace", r.namespace_}, {"labels", labels}}},
          {"spec", spec}};
}

json redacted(const json& secret) {
  auto out = secret;
  for (auto& [k, v] : out["stringData"].items())
    v = "<redacted>";
  return out;
}

}  // namespace sg::k8s_proxy
