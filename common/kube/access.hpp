#pragma once
// The settings every Kubernetes-facing plugin declares for cluster access,
// and their resolution into a kube::Config. Declared once here so k8s-proxy,
// spark-submit and tidb-scale accept exactly the same forms.
#include <string>
#include <vector>

#include "ci/metadata.hpp"
#include "kube/config.hpp"
#include "settings/setting.hpp"
#include "settings/values.hpp"

namespace sg::kube {

// kubeconfig (inline, raw or base64), kubeconfig_path, kube_context,
// kube_server + kube_token + kube_ca, kube_client_cert/key,
// kube_skip_tls_verify, kube_tls_server_name.
std::vector<settings::Setting> access_settings();

// First available: inline kubeconfig; server+token/cert; kubeconfig_path;
// $WORKSPACE/.kube/config (where pipeline-client writes it); $KUBECONFIG;
// ~/.kube/config; the pod's service account.
Config config_from_settings(const settings::Values& v, const ci::Metadata& ci);

}  // namespace sg::kube
