#pragma once
// A small, correct Kubernetes REST client on common/http: JSON in and out,
// typed errors from Status objects, pagination, every patch flavour,
// propagation policies, and re-authentication after a 401.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "kube/config.hpp"
#include "kube/credentials.hpp"
#include "kube/errors.hpp"

namespace sg::kube {

using json = nlohmann::json;

struct Resource {
  std::string group;  // "" for the core API
  std::string version;
  std::string plural;
  bool namespaced = true;
  std::string kind;  // for messages and generated manifests
};

namespace resources {
inline const Resource pods{"", "v1", "pods", true, "Pod"};
inline const Resource secrets{"", "v1", "secrets", true, "Secret"};
inline const Resource configmaps{"", "v1", "configmaps", true, "ConfigMap"};
inline const Resource services{"", "v1", "services", true, "Service"};
inline const Resource pvcs{"", "v1", "persistentvolumeclaims", true, "PersistentVolumeClaim"};
inline const Resource serviceaccounts{"", "v1", "serviceaccounts", true, "ServiceAccount"};
inline const Resource events{"", "v1", "events", true, "Event"};
inline const Resource podtemplates{"", "v1", "podtemplates", true, "PodTemplate"};
inline const Resource namespaces{"", "v1", "namespaces", false, "Namespace"};
inline const Resource nodes{"", "v1", "nodes", false, "Node"};
inline const Resource persistentvolumes{"", "v1", "persistentvolumes", false, "PersistentVolume"};
inline const Resource jobs{"batch", "v1", "jobs", true, "Job"};
inline const Resource deployments{"apps", "v1", "deployments", true, "Deployment"};
inline const Resource statefulsets{"apps", "v1", "statefulsets", true, "StatefulSet"};
inline const Resource crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false,
                           "CustomResourceDefinition"};
}  // namespace resources

// /api/v1/namespaces/ns/pods/name/sub, /apis/batch/v1/jobs, ...
std::string resource_path(const Resource& r, const std::string& ns, const std::string& name = {},
                          const std::string& subresource = {});
// "pods \"x\" in namespace \"y\"" for messages.
std::string describe(const Resource& r, const std::string& ns, const std::string& name = {});

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 500;  // page size; every page is fetched
  // A server that keeps sending pages cannot grow the result without end.
  std::size_t max_items = 100'000;
  std::string resource_version;
};

struct ListResult {
  std::vector<json> items;
  std::string resource_version;
};

enum class PatchType { Merge, Strategic, Json, Apply };
enum class Propagation { Background, Foreground, Orphan };

struct ClientOptions {
  // Per attempt; cut to what is left of `deadline`.
  std::chrono::milliseconds request_timeout{30'000};
  // The caller's whole time limit: every request, retry and stream of this
  // client ends by then (see set_deadline).
  http::Deadline deadline;
  // Caps on one response body and on one line of a watch or log stream;
  // over them a request throws http::ResponseTooLarge. Lists allow at least
  // 64 MiB per page.
  std::size_t max_body_bytes = http::default_max_body_bytes();
  std::size_t max_line_bytes = http::default_max_line_bytes;
  // The settings behind `deadline` and the caps, for error hints.
  std::string deadline_setting = "timeout";
  std::string size_setting = http::kMaxBodySetting;
  http::RetryPolicy retry;
  const CancelToken* cancel = &process_cancel_token();
  std::string user_agent = "spotguide-plugins";
};

class Client {
 public:
  explicit Client(Config config, ClientOptions options = {});

  json get(const Resource& r, const std::string& ns, const std::string& name);
  // nullopt on 404.
  std::optional<json> try_get(const Resource& r, const std::string& ns, const std::string& name);
  ListResult list(const Resource& r, const std::string& ns, const ListOptions& opts = {});
  json create(const Resource& r, const std::string& ns, const json& object);
  json replace(const Resource& r, const std::string& ns, const std::string& name, const json& object);
  json patch(const Resource& r, const std::string& ns, const std::string& name, const json& patch, PatchType type,
             const std::string& field_manager = {}, bool force = false);
  // Server-side apply (fieldManager required; `force` takes over conflicting fields).
  json apply(const Resource& r, const std::string& ns, const json& object, const std::string& field_manager,
             bool force = false);
  // False when it was already gone.
  bool remove(const Resource& r, const std::string& ns, const std::string& name,
              Propagation propagation = Propagation::Background, std::optional<int> grace_seconds = {});

  // GET returning text (e.g. /version, /readyz).
  std::string get_text(const std::string& path);
  // GET streaming lines (watches, log follows); `timeout` 0 = none. Returns the
  // response (status, and the body only when it was not a success). The
  // stream ends by `deadline` or the client's deadline, whichever is first
  // (http::DeadlineExceeded). A line over max_line_bytes fails the stream
  // (http::ResponseTooLarge) unless `split_long_lines`.
  http::Response stream(const std::string& path_and_query, const std::function<bool(std::string_view)>& on_line,
                        std::chrono::milliseconds timeout, http::Deadline deadline = {}, bool split_long_lines = false);

  const Config& config() const { return config_; }
  const std::string& default_namespace() const { return config_.namespace_; }
  const CancelToken* cancel() const { return options_.cancel; }
  const ClientOptions& options() const { return options_; }
  // Moves the time limit of every later request (a cleanup gets its own,
  // short one, after the run's has passed).
  void set_deadline(http::Deadline deadline);
  http::Deadline deadline() const;

 private:
  http::Response send(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& content_type, std::optional<bool> idempotent = {},
                      const std::function<bool(std::string_view)>* on_line = nullptr,
                      std::optional<std::chrono::milliseconds> timeout = {},
                      std::optional<std::size_t> max_body_bytes = {}, http::Deadline deadline = {},
                      bool split_long_lines = false);
  json expect_json(const http::Response& resp, const std::string& verb, const std::string& what);
  std::shared_ptr<http::Client> transport();

  Config config_;
  ClientOptions options_;
  std::shared_ptr<Credentials> credentials_;
  mutable std::mutex transport_mu_;
  std::shared_ptr<http::Client> transport_;
  std::uint64_t transport_generation_ = 0;
};

// Builds a config from the first source that is available:
// inline kubeconfig, server+token(+CA), explicit kubeconfig path(s),
// $KUBECONFIG, ~/.kube/config, in-cluster.
struct ConfigSources {
  std::string inline_kubeconfig;  // raw YAML or base64
  std::string server;
  std::string token;
  std::string ca;  // PEM, base64 PEM, or a path
  std::string client_cert;
  std::string client_key;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::vector<std::string> kubeconfig_paths;  // tried in order, e.g. $DRONE_WORKSPACE/.kube/config
  std::string context;
  std::string namespace_;
};
Config resolve_config(const ConfigSources& sources);

}  // namespace sg::kube
