// The contract checker itself, and pipeline-client's request builders
// against it: every request the client can send must conform to the
// Pipeline OpenAPI contract (with the notes' corrections), and the checker
// must catch the mistakes the original plugin and its users made.
#include "contract.hpp"

#include <gtest/gtest.h>

#include "api.hpp"
#include "plan.hpp"

namespace sg::testing::pipeline_api {
namespace {

namespace pc = sg::pipeline_client;

const Contract& contract() {
  static const Contract c = Contract::load();
  return c;
}

CheckedRequest checked(const pc::ApiRequest& r, bool token = true) {
  CheckedRequest c;
  c.method = r.method;
  std::string path;
  split_target("/api/v1" + r.path, path, c.query);
  c.path = path;
  c.headers["accept"] = "application/json";
  if (token) c.headers["authorization"] = "Bearer t0k3n";
  if (!r.body.empty()) c.headers["content-type"] = "application/json";
  c.body = r.body;
  return c;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += "\n  " + s;
  return out;
}

pc::ClusterSpec spec(pc::Provider p) {
  pc::ClusterSpec s;
  s.name = "spark-pi";
  s.provider = p;
  s.location = pc::default_location(p);
  s.secret_id = "62bc3c75-91fb-4670-bad4-24b401a9deac";
  s.amazon = {"m4.xlarge", "m4.xlarge", "ami-16bfeb6f", "ami-16bfeb6f", "0.2", 1, 3};
  s.azure = {"spotguides", "Standard_B4ms", "1.9.2", "agentpool1", 2};
  s.google = {"my-project", "1.9", "n1-standard-4", "nodes@my-project", 2};
  return s;
}

std::vector<pc::ApiRequest> every_request(pc::Generation g) {
  pc::Api api(g, 7, "spark pi/1");
  pc::DeploymentSpec d{.chart = "banzaicloud-stable/spark", .release = "release-1", .version = "0.0.1"};
  d.values = {{"historyServer", {{"enabled", true}}}, {"key", "a+b&c\"d\\e"}};
  std::vector<pc::ApiRequest> out = {api.cluster_status(),
                                     api.cluster_details(),
                                     api.cluster_config(),
                                     api.delete_cluster(false),
                                     api.delete_cluster(true),
                                     api.helm_status(),
                                     api.release_status("release-1"),
                                     api.list_releases(),
                                     api.install(d),
                                     api.upgrade(d),
                                     api.uninstall("release-1"),
                                     api.endpoints("release-1")};
  for (auto p : {pc::Provider::Amazon, pc::Provider::Azure, pc::Provider::Google}) {
    auto s = spec(p);
    out.push_back(api.create_cluster(s));
    s.profile_name = "small";
    out.push_back(api.create_cluster(s));
  }
  if (g == pc::Generation::Orgs) out.push_back(pc::Api::list_orgs());
  return out;
}

}  // namespace

TEST(PipelineApiContract, LoadsTheVerbatimContract) {
  EXPECT_EQ(contract().version(), "0.3.0");
  EXPECT_GT(contract().operations().size(), 40U);
  bool head_cluster = false, head_release = false;
  for (const auto& op : contract().operations()) {
    head_cluster |= op.method == "HEAD" && op.path == "/api/v1/orgs/{orgId}/clusters/{id}";
    head_release |= op.method == "HEAD" && op.path == "/api/v1/orgs/{orgId}/clusters/{id}/deployments/{name}";
  }
  EXPECT_TRUE(head_cluster);
  EXPECT_TRUE(head_release);
  for (const auto& c : corrections())
    EXPECT_TRUE(c.source.starts_with("notes: ")) << c.what;
}

TEST(PipelineApiContract, EveryRequestOfTheClientConformsInBothGenerations) {
  for (auto g : {pc::Generation::Orgs, pc::Generation::V030}) {
    for (const auto& r : every_request(g)) {
      Match m;
      auto v = contract().check(checked(r), &m);
      EXPECT_TRUE(v.empty()) << pc::to_string(g) << " " << r.method << " " << r.path << joined(v);
      ASSERT_NE(m.operation, nullptr) << r.path;
      if (r.path != "/orgs") {
        EXPECT_EQ(m.generation, pc::to_string(g)) << r.path;
      }
    }
  }
}

TEST(PipelineApiContract, DryRunPlanConforms) {
  // The dry-run plan prints {orgId} until the org is known: the same
  // builders, so the rest of each request must conform.
  pc::Config c;
  c.endpoint = "https://p/api/v1";
  c.api = pc::ApiVersion::V030;
  c.cluster = spec(pc::Provider::Google);
  c.deployment = pc::DeploymentSpec{.chart = "banzaicloud-stable/zeppelin-spark", .release = "release-1"};
  for (const auto& p : pc::plan(c)) {
    auto v = contract().check(checked(p.request));
    EXPECT_TRUE(v.empty()) << p.request.method << " " << p.request.path << joined(v);
  }
}

TEST(PipelineApiContract, CatchesWrongPathsAndMethods) {
  auto r = checked({"GET", "/orgs/1/clusterz", "", ""});
  auto v = contract().check(r);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("no such path"), std::string::npos) << v[0];

  v = contract().check(checked({"PATCH", "/orgs/1/clusters/3", "", ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("has no PATCH"), std::string::npos) << v[0];
}

TEST(PipelineApiContract, ClusterNamesNeedFieldName) {
  auto v = contract().check(checked({"HEAD", "/orgs/1/clusters/spark-pi", "", ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("must be an integer unless the query has field=name"), std::string::npos) << v[0];
  EXPECT_TRUE(contract().check(checked({"HEAD", "/orgs/1/clusters/12", "", ""})).empty());
  v = contract().check(checked({"HEAD", "/orgs/1/clusters/spark-pi?field=label", "", ""}));
  EXPECT_FALSE(v.empty());
  v = contract().check(checked({"HEAD", "/orgs/acme/clusters/12", "", ""}));
  ASSERT_FALSE(v.empty());
  EXPECT_NE(v[0].find("orgId must be an integer"), std::string::npos) << v[0];
}

TEST(PipelineApiContract, CatchesHeaderMistakes) {
  pc::Api api(pc::Generation::Orgs, 1, "c1");
  auto v = contract().check(checked(api.cluster_status(), false));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("bearerAuth"), std::string::npos);

  auto r = checked(api.cluster_config());
  r.headers.erase("accept");
  v = contract().check(r);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("Accept"), std::string::npos);

  // The original sent JSON bodies as x-www-form-urlencoded.
  r = checked(api.create_cluster(spec(pc::Provider::Amazon)));
  r.headers["content-type"] = "application/x-www-form-urlencoded";
  v = contract().check(r);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("Content-Type"), std::string::npos);
}

TEST(PipelineApiContract, CatchesBodyMistakes) {
  pc::Api api(pc::Generation::Orgs, 1, "c1");
  // The spec's releasename, which the server ignored (notes: Request bodies).
  auto r =
      checked({"POST", "/orgs/1/clusters/c1/deployments?field=name", R"({"name":"stable/x","releasename":"r1"})", ""});
  auto v = contract().check(r);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("releasename"), std::string::npos) << v[0];

  r = checked({"POST", "/orgs/1/clusters/c1/deployments?field=name", R"({"release_name":"r1"})", ""});
  v = contract().check(r);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("body.name is required"), std::string::npos) << v[0];

  r = checked({"POST", "/orgs/1/clusters/c1/deployments?field=name", R"({"name":"x","values":"a=b"})", ""});
  v = contract().check(r);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("body.values must be object"), std::string::npos) << v[0];

  // Two providers at once match two oneOf alternatives.
  auto body = pc::create_cluster_body(spec(pc::Provider::Amazon));
  body["properties"]["google"] = pc::create_cluster_body(spec(pc::Provider::Google))["properties"]["google"];
  v = contract().check(checked({"POST", "/orgs/1/clusters", body.dump(), ""}));
  ASSERT_FALSE(v.empty());
  EXPECT_NE(v[0].find("oneOf"), std::string::npos) << v[0];

  body = pc::create_cluster_body(spec(pc::Provider::Amazon));
  body.erase("secret_id");
  v = contract().check(checked({"POST", "/orgs/1/clusters", body.dump(), ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("secret_id is required"), std::string::npos) << v[0];

  v = contract().check(checked({"POST", "/orgs/1/clusters", "{not json", ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("not JSON"), std::string::npos);

  v = contract().check(checked({"GET", "/orgs/1/clusters/c1/config?field=name", "{}", ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("takes no request body"), std::string::npos);
}

TEST(PipelineApiContract, CatchesQueryMistakes) {
  auto v = contract().check(checked({"GET", "/orgs/1/clusters/c1/endpoints?field=name&release=r1", "", ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("undeclared query parameter release"), std::string::npos) << v[0];
  v = contract().check(checked({"DELETE", "/orgs/1/clusters/c1?field=name&force=yes", "", ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("true or false"), std::string::npos) << v[0];
  v = contract().check(checked({"DELETE", "/orgs/1/clusters/c1?field=name&field=name", "", ""}));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].find("appears twice"), std::string::npos) << v[0];
}

TEST(PipelineApiContract, SplitTargetDecodesLikeGo) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> q;
  split_target("/api/v1/orgs/1/clusters/my%20c?field=name&releaseName=a+b%2Bc&flag", path, q);
  EXPECT_EQ(path, "/api/v1/orgs/1/clusters/my%20c");
  ASSERT_EQ(q.size(), 3U);
  EXPECT_EQ(q[1].second, "a b+c");
  EXPECT_EQ(q[2].first, "flag");
  EXPECT_EQ(percent_decode("a%2Fb%zz"), "a/b%zz");
}

}  // namespace sg::testing::pipeline_api
