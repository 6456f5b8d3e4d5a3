#pragma once
// How to reach and authenticate to a Kubernetes API server: kubeconfig files
// ($KUBECONFIG lists merged, first file wins per entry), contexts, inline or
// file CA/cert/key, tokens and token files, basic auth, exec credential
// plugins, in-cluster service accounts, and the plugin-setting forms.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sg::kube {

struct ExecConfig {
  std::string api_version = "client.authentication.k8s.io/v1";
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string install_hint;
};

struct Config {
  std::string source;  // where this came from, for messages ("kubeconfig /x, context y")
  std::string context;
  std::string server;
  std::string ca_pem;  // empty: system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string namespace_ = "default";
  // Credentials (at most one family is used: exec, cert, token, basic).
  std::string token;
  std::string token_file;  // re-read when it rotates (bound service-account tokens)
  std::string username;
  std::string password;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<ExecConfig> exec;
  bool in_cluster = false;
};

// Parses kubeconfig YAML text. `base_dir` resolves relative file paths (they
// are relative to the kubeconfig's own location). Empty `context` means the
// file's current-context.
Config parse_kubeconfig(const std::string& yaml_text, const std::string& context = {}, const std::string& base_dir = {},
                        const std::string& source = "kubeconfig");

// Loads and merges files as kubectl does for a $KUBECONFIG list.
Config load_kubeconfig_files(const std::vector<std::string>& paths, const std::string& context = {});

// A kubeconfig given inline as a setting: raw YAML or base64 of it.
Config kubeconfig_from_inline(const std::string& value, const std::string& context = {});

// The pod's service account (KUBERNETES_SERVICE_HOST/PORT and the token, CA
// and namespace files under `sa_dir`).
Config in_cluster_config(const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");
bool in_cluster_available(const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Splits a $KUBECONFIG value on ':' dropping empty entries.
std::vector<std::string> split_kubeconfig_env(const std::string& value);

}  // namespace sg::kube
