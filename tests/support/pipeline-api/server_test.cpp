// The fake Pipeline API: its state machine, its quirks (the ones the notes
// document for the real server), failure injection, contract recording, and
// the executable with its control API.
#include "server.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "http/client.hpp"
#include "server_process.hpp"
#include "test_paths.hpp"
#include "util/base64.hpp"

namespace sg::testing::pipeline_api {
namespace {

using std::chrono::milliseconds;

class Api {
 public:
  explicit Api(std::string endpoint, std::string token = "test-token")
      : endpoint_(std::move(endpoint)), token_(std::move(token)), client_(options()) {}

  http::Response send(const std::string& method, const std::string& path, const std::string& body = {},
                      const std::string& accept = "application/json") {
    http::Request r;
    r.method = method;
    r.url = endpoint_ + path;
    r.headers.emplace_back("Accept", accept);
    if (!token_.empty()) r.headers.emplace_back("Authorization", "Bearer " + token_);
    if (!body.empty()) {
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = body;
    }
    return client_.send(r);
  }
  nlohmann::json json(const std::string& method, const std::string& path, const std::string& body = {}) {
    return nlohmann::json::parse(send(method, path, body).body);
  }

 private:
  static http::Options options() {
    http::Options o;
    o.total_timeout = std::chrono::seconds(5);
    o.retry.max_attempts = 1;  // the tests look at every reply
    return o;
  }
  std::string endpoint_;
  std::string token_;
  http::Client client_;
};

const char* kCreateAmazon =
    R"({"name":"c1","location":"eu-west-1","cloud":"amazon","secret_id":"s1",
        "properties":{"amazon":{"master":{"instanceType":"m4.xlarge","image":"ami-1"},
        "nodePools":{"pool1":{"instanceType":"m4.xlarge","spotPrice":"0.2","minCount":1,"maxCount":1,"image":"ami-1"}}}}})";

void wait_for(const std::function<bool()>& ready, milliseconds limit = milliseconds(5000)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!ready() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(milliseconds(20));
}

ServerOptions fast() {
  ServerOptions o;
  o.behaviour.cluster_create_ms = 150;
  o.behaviour.cluster_delete_ms = 100;
  o.behaviour.helm_ready_ms = 50;
  o.behaviour.release_ready_ms = 50;
  o.behaviour.lb_pending_ms = 100;
  return o;
}

}  // namespace

TEST(PipelineApiServer, AuthAndOrganizations) {
  ServerOptions o = fast();
  o.behaviour.orgs = {{1, "acme"}, {2, "other"}};
  o.behaviour.tokens = {{"test-token", false, {"acme"}}, {"old", true, {}}};
  Server s(o);
  auto orgs = Api(s.endpoint()).json("GET", "/orgs");
  ASSERT_EQ(orgs.size(), 1U);
  EXPECT_EQ(orgs[0]["name"], "acme");
  EXPECT_EQ(orgs[0]["id"], 1);

  auto expired = Api(s.endpoint(), "old").send("GET", "/orgs");
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("Token is expired"), std::string::npos);
  EXPECT_EQ(Api(s.endpoint(), "").send("GET", "/orgs").status, 401);
  EXPECT_EQ(Api(s.endpoint(), "bogus").send("GET", "/orgs").status, 401);
  // An org the token has no role in.
  EXPECT_EQ(Api(s.endpoint()).send("HEAD", "/orgs/2/clusters/c1?field=name").status, 403);
  // gin answers 404 for an unknown route before authenticating.
  EXPECT_EQ(Api(s.endpoint(), "").send("GET", "/nothing").status, 404);
  // The missing token was a contract violation; the others conform.
  auto v = s.violations();
  ASSERT_EQ(v.size(), 2U);  // GET /orgs without a token, GET /nothing
}

TEST(PipelineApiServer, ClusterLifecycleInTheOrgsEra) {
  Server s(fast());
  Api api(s.endpoint());
  EXPECT_EQ(api.send("HEAD", "/orgs/1/clusters/c1?field=name").status, 404);
  auto created = api.send("POST", "/orgs/1/clusters", kCreateAmazon);
  EXPECT_EQ(created.status, 202);
  EXPECT_EQ(nlohmann::json::parse(created.body)["name"], "c1");
  // Being created: HEAD answers 400 (banzaicloud/pipeline#522), a second
  // create of the same name 400 "duplicate entry" (#498).
  EXPECT_EQ(api.send("HEAD", "/orgs/1/clusters/c1?field=name").status, 400);
  auto dup = api.send("POST", "/orgs/1/clusters", kCreateAmazon);
  EXPECT_EQ(dup.status, 400);
  EXPECT_NE(dup.body.find("duplicate entry"), std::string::npos);
  EXPECT_EQ(api.json("GET", "/orgs/1/clusters/c1?field=name")["status"], "CREATING");
  EXPECT_EQ(api.send("GET", "/orgs/1/clusters/c1/config?field=name").status, 400);
  wait_for([&] { return api.send("HEAD", "/orgs/1/clusters/c1?field=name").status == 200; });
  EXPECT_EQ(api.send("HEAD", "/orgs/1/clusters/c1?field=name").status, 200);
  EXPECT_EQ(api.send("HEAD", "/orgs/1/clusters/1").status, 200);  // by id too

  auto config = api.json("GET", "/orgs/1/clusters/c1/config?field=name");
  EXPECT_EQ(config["status"], 200);
  EXPECT_NE(config["data"].get<std::string>().find("clusters:"), std::string::npos);
  // Without Accept: application/json the real server answered raw YAML.
  auto raw = api.send("GET", "/orgs/1/clusters/c1/config?field=name", "", "text/plain");
  EXPECT_EQ(raw.body, config["data"]);
  EXPECT_EQ(raw.header("content-type"), "text/plain");
  s.configure({{"kubeconfig_format", "base64"}});
  auto b64 = api.json("GET", "/orgs/1/clusters/c1/config?field=name");
  EXPECT_EQ(util::base64_decode(b64["data"].get<std::string>()), config["data"].get<std::string>());

  EXPECT_EQ(api.send("DELETE", "/orgs/1/clusters/c1?field=name").status, 202);
  EXPECT_EQ(api.json("GET", "/orgs/1/clusters/c1?field=name")["status"], "DELETING");
  wait_for([&] { return api.send("HEAD", "/orgs/1/clusters/c1?field=name").status == 404; });
  EXPECT_EQ(api.send("HEAD", "/orgs/1/clusters/c1?field=name").status, 404);
  EXPECT_EQ(api.send("DELETE", "/orgs/1/clusters/c1?field=name").status, 404);
  // The one request without Accept: application/json breaks the notes' rule.
  auto v = s.violations();
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("Accept must include application/json"), std::string::npos) << v[0];
}

TEST(PipelineApiServer, ReleasesDeployedFailedAndEndpoints) {
  auto o = fast();
  o.behaviour.failed_releases = {{"broken", "hook pre-install failed: job failed: BackoffLimitExceeded"}};
  Server s(o);
  s.seed_cluster("acme", "c1", "RUNNING");
  Api api(s.endpoint());
  const std::string base = "/orgs/1/clusters/c1/deployments";
  EXPECT_EQ(api.send("HEAD", base + "?field=name").status, 200);  // Tiller is up
  EXPECT_EQ(api.send("GET", base + "?field=name").body, "null");  // a nil slice, as the real server
  EXPECT_EQ(api.send("HEAD", base + "/r1?field=name").status, 404);

  std::string values = R"({"name":"banzaicloud-stable/spark","release_name":"r1","values":{"k":"a+b&c\"d\\e"}})";
  auto installed = api.send("POST", base + "?field=name", values);
  EXPECT_EQ(installed.status, 201);
  EXPECT_EQ(nlohmann::json::parse(installed.body)["release_name"], "r1");
  EXPECT_EQ(api.json("GET", base + "?field=name")[0]["status"], "PENDING_INSTALL");
  EXPECT_EQ(api.send("GET", "/orgs/1/clusters/c1/endpoints?field=name&releaseName=r1").status, 202);
  wait_for([&] { return api.send("GET", "/orgs/1/clusters/c1/endpoints?field=name&releaseName=r1").status == 200; });
  auto eps = api.json("GET", "/orgs/1/clusters/c1/endpoints?field=name&releaseName=r1");
  EXPECT_EQ(eps["endpoints"][0]["urls"][0]["helmreleasename"], "r1");
  EXPECT_EQ(api.json("GET", base + "?field=name")[0]["status"], "DEPLOYED");
  auto state = s.state()["clusters"][0]["releases"]["r1"];
  EXPECT_EQ(state["body"], values);  // byte for byte
  EXPECT_EQ(state["values"]["k"], "a+b&c\"d\\e");

  // Upgrade answers 201, not the spec's 501; reuse_values merges.
  auto up = api.send("PUT", base + "/r1?field=name",
                     R"({"name":"banzaicloud-stable/spark","release_name":"r1","reuse_values":true,"values":{"x":1}})");
  EXPECT_EQ(up.status, 201);
  state = s.state()["clusters"][0]["releases"]["r1"];
  EXPECT_EQ(state["revision"], 2);
  EXPECT_EQ(state["values"]["k"], "a+b&c\"d\\e");
  EXPECT_EQ(state["values"]["x"], 1);

  // A FAILED release: the install answers 400, HEAD still 200.
  auto failed = api.send("POST", base + "?field=name", R"({"name":"stable/broken","release_name":"broken"})");
  EXPECT_EQ(failed.status, 400);
  EXPECT_NE(failed.body.find("BackoffLimitExceeded"), std::string::npos);
  EXPECT_EQ(api.send("HEAD", base + "/broken?field=name").status, 200);
  bool seen = false;
  for (const auto& r : api.json("GET", base + "?field=name")) {
    if (r["name"] == "broken") {
      EXPECT_EQ(r["status"], "FAILED");
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(api.send("GET", "/orgs/1/clusters/c1/endpoints?field=name&releaseName=broken").status, 404);

  EXPECT_EQ(api.send("DELETE", base + "/r1?field=name").status, 200);
  EXPECT_EQ(api.send("HEAD", base + "/r1?field=name").status, 404);
  EXPECT_EQ(api.send("DELETE", base + "/r1?field=name").status, 400);
  auto v = s.violations();
  EXPECT_TRUE(v.empty()) << v.front();
}

TEST(PipelineApiServer, TillerNotReadyAnswers400) {
  auto o = fast();
  o.behaviour.helm_ready_ms = 60'000;
  Server s(o);
  s.seed_cluster("acme", "c1", "CREATING");
  Api api(s.endpoint());
  wait_for([&] { return api.send("HEAD", "/orgs/1/clusters/c1?field=name").status == 200; });
  EXPECT_EQ(api.send("HEAD", "/orgs/1/clusters/c1/deployments?field=name").status, 400);
}

TEST(PipelineApiServer, SynchronousCreateAndNoOrgsIn030) {
  auto o = fast();
  o.behaviour.generation = "0.3.0";
  Server s(o);
  Api api(s.endpoint());
  EXPECT_EQ(api.send("GET", "/orgs").status, 404);
  std::string body = R"({"name":"g1","location":"us-central1-a","cloud":"google","secret_id":"",
      "properties":{"google":{"nodeVersion":"1.9","master":{"version":"1.9"},
      "nodePools":{"agentpool1":{"count":2,"nodeInstanceType":"n1-standard-4"}}}}})";
  auto t0 = std::chrono::steady_clock::now();
  auto created = api.send("POST", "/clusters", body);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(140));  // synchronous
  EXPECT_EQ(created.status, 200);
  EXPECT_EQ(nlohmann::json::parse(created.body)["status"], "RUNNING");
  EXPECT_EQ(api.send("HEAD", "/clusters/g1?field=name").status, 200);
  // Master and node versions must match.
  auto bad = nlohmann::json::parse(body);
  bad["name"] = "g2";
  bad["properties"]["google"]["master"]["version"] = "1.10";
  EXPECT_EQ(api.send("POST", "/clusters", bad.dump()).status, 400);
  auto v = s.violations();
  EXPECT_TRUE(v.empty()) << v.front();
}

TEST(PipelineApiServer, FaultInjection) {
  Server s(fast());
  Api api(s.endpoint());
  s.add_fault({.method = "GET", .path = "/orgs", .status = 503, .body = "upstream down", .count = 2});
  EXPECT_EQ(api.send("GET", "/orgs").status, 503);
  EXPECT_EQ(api.send("GET", "/orgs").status, 503);
  EXPECT_EQ(api.send("GET", "/orgs").status, 200);

  s.add_fault({.path = "/orgs", .delay_ms = 300});
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(api.send("GET", "/orgs").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(290));

  s.add_fault({.method = "GET", .reset = true, .skip = 1});
  EXPECT_EQ(api.send("GET", "/orgs").status, 200);  // skipped
  EXPECT_THROW(api.send("GET", "/orgs"), http::TransportError);
  EXPECT_EQ(api.send("GET", "/orgs").status, 200);

  auto recs = s.requests();
  ASSERT_EQ(recs.size(), 7U);
  EXPECT_EQ(recs[0].fault, "status 503");
  EXPECT_EQ(recs[3].fault, "delay 300 ms");
  EXPECT_EQ(recs[5].fault, "reset");
  EXPECT_EQ(recs[5].status, 0);
  EXPECT_THROW(fault_from({{"path", "/x"}}), std::invalid_argument);
  EXPECT_THROW(fault_from({{"status", 500}, {"stauts", 1}}), std::invalid_argument);
}

TEST(PipelineApiServer, RecordsViolationsPerRequest) {
  Server s(fast());
  Api api(s.endpoint());
  api.send("POST", "/orgs/1/clusters/c1/deployments?field=name", R"({"name":"x","releasename":"r"})");
  api.send("HEAD", "/orgs/1/clusters/c1");  // a name without field=name
  auto recs = s.requests();
  ASSERT_EQ(recs.size(), 2U);
  ASSERT_EQ(recs[0].violations.size(), 1U);
  EXPECT_NE(recs[0].violations[0].find("releasename"), std::string::npos);
  ASSERT_EQ(recs[1].violations.size(), 1U);
  EXPECT_EQ(s.violations().size(), 2U);
  s.reset();
  EXPECT_TRUE(s.violations().empty());
}

TEST(PipelineApiServer, BehaviourRejectsUnknownKeys) {
  Server s(fast());
  EXPECT_THROW(s.configure({{"cluster_create_msec", 1}}), std::invalid_argument);
  EXPECT_THROW(s.configure({{"generation", "0.4"}}), std::invalid_argument);
  s.configure({{"generation", "0.3.0"}, {"stuck_clusters", {"a"}}});
  EXPECT_EQ(s.behaviour().generation, "0.3.0");
  auto round = to_json(s.behaviour());
  Behaviour b;
  pipeline_api::apply(b, round);
  EXPECT_EQ(to_json(b), round);
}

TEST(PipelineApiServer, ExecutableWithControlApi) {
  ServerProcess p(bin_dir() + "/pipeline-api-server",
                  {"--api", "orgs", "--org", "acme=5", "--token", "t1", "--fail-on-violations"});
  auto info = p.control("GET", "/_test/contract");
  EXPECT_EQ(info["version"], "0.3.0");
  EXPECT_FALSE(info["corrections"].empty());
  Api api(p.endpoint(), "t1");
  EXPECT_EQ(api.json("GET", "/orgs")[0]["id"], 5);
  p.control("POST", "/_test/clusters", {{"name", "c1"}});
  EXPECT_EQ(api.send("HEAD", "/orgs/5/clusters/c1?field=name").status, 200);
  p.control("POST", "/_test/faults", {{"status", 502}, {"count", 1}});
  EXPECT_EQ(api.send("GET", "/orgs").status, 502);
  p.control("POST", "/_test/config", {{"kubeconfig_format", "yaml"}});
  EXPECT_NE(api.send("GET", "/orgs/5/clusters/c1/config?field=name").body.find("apiVersion: v1"), std::string::npos);
  EXPECT_EQ(p.requests().size(), 4U);
  EXPECT_TRUE(p.violations().empty());
  api.send("GET", "/orgs/5/clusters/c1/config");  // a name without field=name: a violation
  EXPECT_EQ(p.violations().size(), 1U);
  EXPECT_THROW(p.control("POST", "/_test/config", {{"nope", 1}}), std::runtime_error);
  auto r = p.stop();
  EXPECT_EQ(r.exit_code, 3) << r.err;  // --fail-on-violations
  EXPECT_NE(r.err.find("1 contract violations"), std::string::npos) << r.err;
}

}  // namespace sg::testing::pipeline_api
