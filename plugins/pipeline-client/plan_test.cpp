#include "plan.hpp"

#include <gtest/gtest.h>

namespace sg::pipeline_client {
namespace {

Config base() {
  Config c;
  c.endpoint = "https://p.example.com/pipeline/api/v1";
  c.token = "t0k3n";
  c.org = "acme";
  c.cluster.name = "c1";
  c.cluster.location = "eu-west-1";
  c.workspace = "/ws";
  return c;
}

std::vector<std::string> lines(const std::vector<PlannedRequest>& p) {
  std::vector<std::string> out;
  for (const auto& r : p)
    out.push_back(r.request.method + " " + r.request.path);
  return out;
}

}  // namespace

TEST(Plan, CreateAndInstallInOrder) {
  auto c = base();
  c.deployment = DeploymentSpec{.chart = "banzaicloud-stable/spark", .release = "release-1"};
  EXPECT_EQ(lines(plan(c)), (std::vector<std::string>{
                                "GET /orgs",
                                "HEAD /orgs/{orgId}/clusters/c1?field=name",
                                "POST /orgs/{orgId}/clusters",
                                "HEAD /orgs/{orgId}/clusters/c1?field=name",
                                "GET /orgs/{orgId}/clusters/c1?field=name",
                                "GET /orgs/{orgId}/clusters/c1/config?field=name",
                                "HEAD /orgs/{orgId}/clusters/c1/deployments?field=name",
                                "HEAD /orgs/{orgId}/clusters/c1/deployments/release-1?field=name",
                                "POST /orgs/{orgId}/clusters/c1/deployments?field=name",
                                "PUT /orgs/{orgId}/clusters/c1/deployments/release-1?field=name",
                                "GET /orgs/{orgId}/clusters/c1/deployments?field=name",
                                "GET /orgs/{orgId}/clusters/c1/endpoints?field=name&releaseName=release-1",
                            }));
}

TEST(Plan, OldServersAndDeletions) {
  auto c = base();
  c.api = ApiVersion::V030;
  c.cluster_wanted = false;
  EXPECT_EQ(lines(plan(c)), (std::vector<std::string>{"HEAD /clusters/c1?field=name", "DELETE /clusters/c1?field=name",
                                                      "HEAD /clusters/c1?field=name"}));
  c.delete_wait = false;
  c.delete_force = true;
  EXPECT_EQ(lines(plan(c)).back(), "DELETE /clusters/c1?field=name&force=true");

  c = base();
  c.deployment = DeploymentSpec{.release = "r1", .wanted = false};
  auto l = lines(plan(c));
  EXPECT_EQ(l[l.size() - 2], "DELETE /orgs/{orgId}/clusters/c1/deployments/r1?field=name");
}

TEST(Plan, DescriptionsNeverShowTheToken) {
  auto c = base();
  c.deployment = DeploymentSpec{.chart = "x/y", .release = "r1"};
  c.deployment->values = {{"a", "b+c"}};
  for (const auto& p : plan(c)) {
    auto text = describe(c.endpoint, p, true);
    EXPECT_EQ(text.find("t0k3n"), std::string::npos);
    EXPECT_NE(text.find("Authorization: Bearer <redacted>"), std::string::npos);
    EXPECT_NE(text.find(c.endpoint), std::string::npos);
    auto j = describe_json(c.endpoint, p, true);
    EXPECT_EQ(j.dump().find("t0k3n"), std::string::npos);
    EXPECT_EQ(j["headers"]["Accept"], "application/json");
    if (p.request.method == "POST" || p.request.method == "PUT") {
      EXPECT_EQ(j["headers"]["Content-Type"], "application/json");
    }
  }
  auto without = describe(c.endpoint, plan(c).front(), false);
  EXPECT_EQ(without.find("Authorization"), std::string::npos);
}

}  // namespace sg::pipeline_client
