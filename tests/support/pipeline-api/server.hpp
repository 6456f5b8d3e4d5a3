#pragma once
// A stateful fake of Banzai Cloud's Pipeline REST API, for pipeline-client's
// tests and the end-to-end demo. The real server no longer runs anywhere, so
// this one reproduces its documented behaviour (tests/fixtures/pipeline-api/
// pipeline-api-notes.md): both API generations, clusters that are created
// (HEAD 400) and then run after a delay, Tiller readiness, Helm releases that
// end DEPLOYED or FAILED (HEAD answers 200 for both), LoadBalancers pending
// (202) then ready, tokens that expire, 403 outside the token's orgs. Every
// request is checked against the OpenAPI contract (contract.hpp) and each
// mismatch is recorded as a violation, which the tests assert to be none.
//
// Tests drive it in-process (Server) or as the `pipeline-api-server`
// executable, through a control API under /_test/ (see README.md).
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "contract.hpp"

namespace sg::testing::pipeline_api {

struct Org {
  std::int64_t id = 0;
  std::string name;
};

struct Token {
  std::string token;
  bool expired = false;
  std::vector<std::string> orgs;  // org names it has a role in; empty: all
};

// What the server does; every field can be changed at run time with
// POST /_test/config (a JSON object with any of these keys).
struct Behaviour {
  std::string generation = "orgs";         // "orgs" (/orgs/{org}/clusters) or "0.3.0" (/clusters)
  std::int64_t cluster_create_ms = 300;    // CREATING (HEAD 400) this long, then RUNNING
  std::int64_t cluster_delete_ms = 200;    // DELETING this long, then gone (404)
  std::int64_t helm_ready_ms = 100;        // Tiller answers this long after the cluster runs
  std::int64_t release_ready_ms = 100;     // PENDING_INSTALL/PENDING_UPGRADE this long
  std::int64_t lb_pending_ms = 200;        // endpoints answer 202 this long after a release is deployed
  std::string kubeconfig_format = "json";  // json ({"data": yaml}), base64 ({"data": base64}), yaml (text/plain)
  // The kubeconfig every cluster hands out; empty: a made-up one per cluster.
  // The demo sets the local test cluster's, so the steps after
  // pipeline-client reach a real API server.
  std::string kubeconfig;
  std::vector<std::string> stuck_clusters;             // never leave CREATING
  std::map<std::string, std::string> error_clusters;   // end in status ERROR with this message
  std::map<std::string, std::string> failed_releases;  // end FAILED with this Helm error
  std::string release_failure_mode = "sync";           // sync: the POST/PUT answers the error; async: later
  std::vector<std::string> no_endpoint_releases;       // endpoints answer 404 for them
  std::vector<Org> orgs = {{1, "acme"}};
  std::vector<Token> tokens = {{"test-token", false, {}}};
  std::map<std::string, std::vector<std::string>> secrets;   // org name -> secret ids; none listed: any accepted
  std::map<std::string, std::vector<std::string>> profiles;  // org name -> cluster profile names
};

nlohmann::json to_json(const Behaviour& b);
// Applies the keys present in `patch`; throws std::invalid_argument on an
// unknown key or a wrong type.
void apply(Behaviour& b, const nlohmann::json& patch);

// Failure injection, applied before the request reaches the fake's logic
// (the request is still recorded and contract-checked).
struct Fault {
  std::string method;  // empty: any
  std::string path;    // a substring of the path below the API root; empty: any
  int status = 0;      // answer this status (with `body`) instead of the real reply
  std::string body;
  std::int64_t delay_ms = 0;  // wait this long first: a slow response
  bool reset = false;         // drop the connection without answering (a TCP reset)
  int count = 1;              // how many matching requests it hits; -1: every one
  int skip = 0;               // let this many matching requests through first
};

nlohmann::json to_json(const Fault& f);
Fault fault_from(const nlohmann::json& j);

struct Recorded {
  std::uint64_t seq = 0;
  std::string method;
  std::string target;                          // path and query, as received
  std::string path;                            // below the base path, e.g. /api/v1/orgs/1/clusters
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int status = 0;     // 0: no reply (connection reset)
  std::string fault;  // the injected fault, if any
  std::vector<std::string> violations;
  double started_ms = 0;   // since the server started, when the request was read
  double finished_ms = 0;  // when the reply began (the client cannot have sent its next request before)
};

nlohmann::json to_json(const Recorded& r);

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                         // 0: any free port
  std::string base_path = "/pipeline";  // the API is at <base_path>/api/v1
  std::string contract = default_contract_path();
  Behaviour behaviour;
  int max_threads = 16;
};

class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  std::string url() const;       // http://127.0.0.1:port
  std::string endpoint() const;  // url + base path + /api/v1: what pipeline-client's `endpoint` takes

  void configure(const nlohmann::json& patch);
  Behaviour behaviour() const;
  void add_fault(const Fault& f);
  void clear_faults();
  // Pre-creates a cluster, e.g. one still CREATING that a create would duplicate.
  void seed_cluster(const std::string& org, const std::string& name, const std::string& status,
                    const std::string& cloud = "amazon");

  std::vector<Recorded> requests() const;
  std::vector<std::string> violations() const;
  // Clusters and their releases, with the create bodies and release values
  // exactly as received.
  nlohmann::json state() const;
  // Forgets clusters, requests, violations and faults; keeps the behaviour.
  void reset();

  struct Impl;  // public so the Poco handler classes can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg::testing::pipeline_api
