#include "kube/access.hpp"

#include "kube/client.hpp"

namespace sg::kube {

std::vector<settings::Setting> access_settings() {
  using settings::Type;
  return {
      {.name = "kubeconfig",
       .type = Type::Secret,
       .env_names = {"KUBECONFIG_CONTENT"},
       .description = "A kubeconfig as text or base64. Default: kubeconfig_path, $DRONE_WORKSPACE/.kube/config, "
                      "$KUBECONFIG, ~/.kube/config, then the pod's service account.",
       .example = "{from_secret: kubeconfig}",
       .max_bytes = 1024 * 1024},
      {.name = "kubeconfig_path", .type = Type::Path, .description = "A kubeconfig file to use.", .must_exist = true},
      {.name = "kube_context",
       .type = Type::String,
       .aliases = {"context"},
       .description = "The kubeconfig context to use instead of its current-context."},
      {.name = "kube_server",
       .type = Type::String,
       .aliases = {"server"},
       .description = "API server URL, used with kube_token (or a client certificate) instead of a kubeconfig.",
       .example = "https://10.0.0.1:6443"},
      {.name = "kube_token",
       .type = Type::Secret,
       .aliases = {"token"},
       .env_names = {"KUBERNETES_TOKEN"},
       .description = "Bearer token for kube_server.",
       .example = "{from_secret: kube_token}"},
      {.name = "kube_ca",
       .type = Type::String,
       .aliases = {"ca"},
       .env_names = {"KUBERNETES_CA"},
       .description = "CA certificate of kube_server: PEM, base64 PEM, or a file path."},
      {.name = "kube_client_cert",
       .type = Type::String,
       .description = "Client certificate for kube_server: PEM, base64 PEM, or a file path."},
      {.name = "kube_client_key",
       .type = Type::Secret,
       .description = "Client key for kube_server: PEM, base64 PEM, or a file path."},
      {.name = "kube_skip_tls_verify",
       .type = Type::Bool,
       .default_value = "false",
       .description = "Do not verify the API server's certificate. Dangerous; logs a warning."},
      {.name = "kube_tls_server_name",
       .type = Type::String,
       .description = "Verify the API server's certificate against this name."},
  };
}

Config config_from_settings(const settings::Values& v, const ci::Metadata& ci) {
  ConfigSources s;
  s.inline_kubeconfig = v.str("kubeconfig");
  s.server = v.str("kube_server");
  s.token = v.str("kube_token");
  s.ca = v.str("kube_ca");
  s.client_cert = v.str("kube_client_cert");
  s.client_key = v.str("kube_client_key");
  s.insecure_skip_tls_verify = v.flag("kube_skip_tls_verify");
  s.tls_server_name = v.str("kube_tls_server_name");
  s.context = v.str("kube_context");
  if (v.has("kubeconfig_path")) s.kubeconfig_paths.push_back(v.str("kubeconfig_path"));
  if (!ci.workspace.empty()) s.kubeconfig_paths.push_back(ci.workspace + "/.kube/config");
  return resolve_config(s);
}

}  // namespace sg::kube
