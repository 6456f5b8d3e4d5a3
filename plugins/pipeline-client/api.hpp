#pragma once
// The Pipeline REST API as pure functions: which request each step sends
// (per API generation), and what each reply means. The real server's quirks
// (tests/fixtures/pipeline-api/pipeline-api-notes.md) are decided here, in
// one place, and table-tested; the runner only sends and sleeps.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.hpp"

namespace sg::pipeline_client {

enum class Generation { Orgs, V030 };

std::string to_string(Generation g);

struct ApiRequest {
  std::string method;
  std::string path;  // relative to the endpoint, with the query string
  std::string body;  // JSON, or empty
  std::string what;  // for messages: "check whether cluster c1 exists"

  bool idempotent() const { return method != "POST"; }
};

// Where the requests of one step go: the API generation and, for the orgs
// era, the organization's numeric id. A negative org id stands for "not
// known yet" (dry runs print {orgId}).
class Api {
 public:
  Api(Generation generation, std::int64_t org_id, std::string cluster);

  Generation generation() const { return generation_; }

  static ApiRequest list_orgs();
  ApiRequest cluster_status() const;   // HEAD: 200 ready, 400 (or 409) not yet, 404 unknown
  ApiRequest cluster_details() const;  // GET: status and status_message
  ApiRequest create_cluster(const ClusterSpec& spec) const;
  ApiRequest cluster_config() const;
  ApiRequest delete_cluster(bool force) const;
  ApiRequest helm_status() const;  // HEAD .../deployments: 200 when Tiller answers
  ApiRequest release_status(const std::string& release) const;
  ApiRequest list_releases() const;
  ApiRequest install(const DeploymentSpec& d) const;
  ApiRequest upgrade(const DeploymentSpec& d) const;
  ApiRequest uninstall(const std::string& release) const;
  ApiRequest endpoints(const std::string& release) const;

 private:
  std::string clusters() const;
  std::string cluster_path(std::string_view sub, std::string_view extra_query = {}) const;
  Generation generation_;
  std::int64_t org_id_;
  std::string cluster_;
};

// Request bodies. Only the chosen provider's properties are sent: the
// contract's `properties` is a oneOf over the three providers.
nlohmann::json create_cluster_body(const ClusterSpec& spec);
// `release_name`, which the server reads (the contract's `releasename` is
// ignored by it); values are sent as they are, without any escaping.
nlohmann::json deployment_body(const DeploymentSpec& d);

// --- Replies -------------------------------------------------------------

// The server's {"code","message","error"} as one line; the raw body
// (shortened) when it is not that shape.
std::string server_message(std::string_view body);

// A reply as JSON, bounded in size and nesting (util::parse_json): nlohmann's
// own parser recurses once per level, so a reply of a million `[` would end
// the step with a stack overflow. A reply that is not JSON within the limits
// is a discarded value, which every reader here takes as "not the expected
// shape" and reports as such.
nlohmann::json parse_reply(std::string_view body);

enum class ClusterProbe { Ready, NotReady, Missing, Unexpected };
// HEAD on a cluster. 400 (and 409 on later servers) means "still being
// created or bootstrapping" (banzaicloud/pipeline#522, #498).
ClusterProbe cluster_probe(long status);

// GET on a cluster: {"status","status_message"} (CREATING, RUNNING, ERROR...).
// nullopt when the reply holds no string status; a non-string message is none.
struct ClusterDetails {
  std::string status;
  std::string message;
};
std::optional<ClusterDetails> read_cluster_details(const nlohmann::json& reply);

enum class CreateOutcome { Accepted, AlreadyCreating, Rejected, UnknownProfile, Unexpected };
// 200 (0.3.0, synchronous) and 202 (orgs era) are accepted; a duplicate-name
// 400 (or 409) means another create of the same name is under way.
CreateOutcome create_outcome(long status, std::string_view body);

enum class HelmProbe { Ready, NotReady, Unexpected };
HelmProbe helm_probe(long status);

struct Org {
  std::int64_t id = 0;
  std::string name;
};
// GET /orgs lists [{"id","name",...}]. Matches the name exactly, then
// ignoring case (CI hosts and Pipeline may spell a GitHub login
// differently), then a numeric `org` as an id.
std::optional<Org> find_org(const nlohmann::json& orgs, const std::string& wanted);
std::vector<std::string> org_names(const nlohmann::json& orgs);

// The kubeconfig reply in any of its forms: {"data": "<yaml>"} (JSON),
// {"data": "<base64 yaml>"} (releases before March 2018), or raw YAML
// (text/plain). nullopt with `error` set when it is none of them.
std::optional<std::string> decode_kubeconfig(std::string_view body, std::string* error);

// The credentials inside a kubeconfig (users' tokens, passwords, keys,
// exec env values), for the redactor. Registering the whole kubeconfig
// would mask its every line, "clusters:" included.
std::vector<std::string> kubeconfig_secrets(const std::string& kubeconfig);

struct Release {
  std::string name;
  std::string chart;
  std::string status;  // Helm's: DEPLOYED, FAILED, PENDING_INSTALL, ...
  std::int64_t revision = 0;
  std::string updated;
};
// GET .../deployments answers a list, or null when there is no release.
std::optional<Release> find_release(const nlohmann::json& list, const std::string& name);

enum class ReleaseVerdict { Deployed, Pending, Failed };
ReleaseVerdict judge_release(const std::string& helm_status);

enum class DeploymentAction { Install, Upgrade, Delete, Nothing };
DeploymentAction deployment_action(bool wanted, bool exists);

struct Endpoint {
  std::string name;
  std::string host;
  std::vector<std::string> urls;
};
// 200 {"endpoints":[{"name","host","urls":[{"url","helmreleasename"}]}]}.
// Keeps the endpoints of `release` when the server says which release a URL
// belongs to.
std::vector<Endpoint> parse_endpoints(const nlohmann::json& reply, const std::string& release);

}  // namespace sg::pipeline_client
