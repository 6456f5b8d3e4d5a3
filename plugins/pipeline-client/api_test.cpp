#include "api.hpp"

#include <gtest/gtest.h>

#include "util/base64.hpp"
#include "util/json.hpp"

namespace sg::pipeline_client {
namespace {

const char* kKubeconfig = R"(apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {server: "https://10.0.0.1:6443"}
users:
- name: admin
  user: {token: s3cr3t-t0ken}
contexts:
- name: c1
  context: {cluster: c1, user: admin}
current-context: c1
)";

ClusterSpec spec(Provider p) {
  ClusterSpec s;
  s.name = "c1";
  s.provider = p;
  s.location = default_location(p);
  s.amazon = {"m4.xlarge", "m4.large", "ami-1", "ami-2", "0.2", 1, 3};
  s.azure = {"rg", "Standard_B4ms", "1.9.2", "agentpool1", 2};
  s.google = {"proj", "1.9", "n1-standard-4", "", 2};
  return s;
}

}  // namespace

TEST(Api, PathsPerGeneration) {
  Api orgs(Generation::Orgs, 7, "my cluster");
  EXPECT_EQ(Api::list_orgs().path, "/orgs");
  EXPECT_EQ(orgs.cluster_status().method, "HEAD");
  EXPECT_EQ(orgs.cluster_status().path, "/orgs/7/clusters/my%20cluster?field=name");
  EXPECT_EQ(orgs.create_cluster(spec(Provider::Amazon)).path, "/orgs/7/clusters");
  EXPECT_EQ(orgs.cluster_config().path, "/orgs/7/clusters/my%20cluster/config?field=name");
  EXPECT_EQ(orgs.delete_cluster(true).path, "/orgs/7/clusters/my%20cluster?field=name&force=true");
  EXPECT_EQ(orgs.delete_cluster(false).path, "/orgs/7/clusters/my%20cluster?field=name");
  EXPECT_EQ(orgs.helm_status().path, "/orgs/7/clusters/my%20cluster/deployments?field=name");
  EXPECT_EQ(orgs.release_status("rel/1").path, "/orgs/7/clusters/my%20cluster/deployments/rel%2F1?field=name");
  EXPECT_EQ(orgs.endpoints("r1").path, "/orgs/7/clusters/my%20cluster/endpoints?field=name&releaseName=r1");

  Api old(Generation::V030, -1, "c1");
  EXPECT_EQ(old.cluster_status().path, "/clusters/c1?field=name");
  EXPECT_EQ(old.create_cluster(spec(Provider::Amazon)).path, "/clusters");
  EXPECT_EQ(old.uninstall("r1").path, "/clusters/c1/deployments/r1?field=name");

  Api unknown_org(Generation::Orgs, -1, "c1");
  EXPECT_EQ(unknown_org.cluster_status().path, "/orgs/{orgId}/clusters/c1?field=name");
}

TEST(Api, OnlyPostIsNotIdempotent) {
  Api a(Generation::Orgs, 1, "c1");
  DeploymentSpec d{.chart = "stable/x", .release = "r"};
  EXPECT_FALSE(a.create_cluster(spec(Provider::Amazon)).idempotent());
  EXPECT_FALSE(a.install(d).idempotent());
  EXPECT_TRUE(a.upgrade(d).idempotent());
  EXPECT_TRUE(a.uninstall("r").idempotent());
  EXPECT_TRUE(a.cluster_status().idempotent());
}

TEST(Api, CreateBodyCarriesOnlyTheChosenProvider) {
  auto amazon = create_cluster_body(spec(Provider::Amazon));
  EXPECT_EQ(amazon["cloud"], "amazon");
  EXPECT_EQ(amazon["location"], "eu-west-1");
  EXPECT_EQ(amazon["secret_id"], "");  // required by the contract, even when empty
  EXPECT_EQ(amazon["properties"].size(), 1U);
  const auto& pool = amazon["properties"]["amazon"]["nodePools"]["pool1"];
  EXPECT_EQ(pool["spotPrice"], "0.2");
  EXPECT_EQ(pool["minCount"], 1);
  EXPECT_EQ(pool["maxCount"], 3);
  EXPECT_EQ(amazon["properties"]["amazon"]["master"]["instanceType"], "m4.large");
  EXPECT_FALSE(amazon.contains("State"));  // the original leaked its own struct field
  EXPECT_FALSE(amazon.contains("profile_name"));

  auto azure = create_cluster_body(spec(Provider::Azure));
  EXPECT_EQ(azure["properties"].size(), 1U);
  EXPECT_EQ(azure["properties"]["azure"]["resourceGroup"], "rg");
  EXPECT_EQ(azure["properties"]["azure"]["nodePools"]["agentpool1"]["count"], 2);

  auto s = spec(Provider::Google);
  s.profile_name = "small";
  s.google.service_account = "nodes@proj";
  auto google = create_cluster_body(s);
  EXPECT_EQ(google["properties"].size(), 1U);
  const auto& g = google["properties"]["google"];
  EXPECT_EQ(g["nodeVersion"], "1.9");
  EXPECT_EQ(g["master"]["version"], "1.9");  // Pipeline requires them equal
  EXPECT_EQ(g["project"], "proj");
  EXPECT_EQ(g["nodePools"]["agentpool1"]["serviceAccount"], "nodes@proj");
  EXPECT_EQ(google["profile_name"], "small");
}

TEST(Api, DeploymentBodyUsesReleaseNameAndKeepsValuesVerbatim) {
  DeploymentSpec d{.chart = "banzaicloud-stable/spark", .release = "release-1"};
  d.values = {{"key", "a+b&c\"d\\e<f>"}};
  auto body = deployment_body(d);
  EXPECT_EQ(body["release_name"], "release-1");
  EXPECT_FALSE(body.contains("releasename"));
  EXPECT_EQ(body["reuse_values"], false);
  EXPECT_FALSE(body.contains("version"));
  auto text = body.dump();
  EXPECT_EQ(text.find("&#43;"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text)["values"]["key"], "a+b&c\"d\\e<f>");
  d.values = nlohmann::json::object();
  d.version = "1.2.3";
  EXPECT_FALSE(deployment_body(d).contains("values"));
  EXPECT_EQ(deployment_body(d)["version"], "1.2.3");
}

TEST(Api, ServerMessages) {
  EXPECT_EQ(server_message(R"({"code":400,"message":"Error during cluster creation","error":"duplicate entry"})"),
            "Error during cluster creation: duplicate entry");
  EXPECT_EQ(server_message(R"({"status":202,"message":"There is at least one LoadBalancer"})"),
            "There is at least one LoadBalancer");
  EXPECT_EQ(server_message(""), "");
  EXPECT_EQ(server_message("404 page not found\n"), "404 page not found");
}

TEST(Api, ClusterProbeTreatsBootstrappingAsNotReady) {
  EXPECT_EQ(cluster_probe(200), ClusterProbe::Ready);
  EXPECT_EQ(cluster_probe(400), ClusterProbe::NotReady);
  EXPECT_EQ(cluster_probe(409), ClusterProbe::NotReady);
  EXPECT_EQ(cluster_probe(404), ClusterProbe::Missing);
  EXPECT_EQ(cluster_probe(401), ClusterProbe::Unexpected);
  EXPECT_EQ(cluster_probe(500), ClusterProbe::Unexpected);
}

TEST(Api, CreateOutcomes) {
  EXPECT_EQ(create_outcome(200, "{}"), CreateOutcome::Accepted);
  EXPECT_EQ(create_outcome(202, R"({"name":"c1","id":3})"), CreateOutcome::Accepted);
  EXPECT_EQ(create_outcome(400, R"({"code":400,"message":"x","error":"duplicate entry"})"),
            CreateOutcome::AlreadyCreating);
  EXPECT_EQ(create_outcome(409, ""), CreateOutcome::AlreadyCreating);
  EXPECT_EQ(create_outcome(400, R"({"code":400,"message":"error validating secret"})"), CreateOutcome::Rejected);
  EXPECT_EQ(create_outcome(404, ""), CreateOutcome::UnknownProfile);
  EXPECT_EQ(create_outcome(418, ""), CreateOutcome::Unexpected);
}

TEST(Api, HelmProbe) {
  EXPECT_EQ(helm_probe(200), HelmProbe::Ready);
  EXPECT_EQ(helm_probe(400), HelmProbe::NotReady);
  EXPECT_EQ(helm_probe(503), HelmProbe::NotReady);
  EXPECT_EQ(helm_probe(404), HelmProbe::Unexpected);
}

TEST(Api, FindOrg) {
  auto orgs = nlohmann::json::parse(R"([{"id":1,"name":"Acme"},{"id":2,"name":"acme"},{"id":30,"name":"other"}])");
  EXPECT_EQ(find_org(orgs, "acme")->id, 2);  // exact match first
  EXPECT_EQ(find_org(orgs, "ACME")->id, 1);  // then ignoring case
  EXPECT_EQ(find_org(orgs, "30")->name, "other");
  EXPECT_FALSE(find_org(orgs, "nobody"));
  EXPECT_FALSE(find_org(nlohmann::json::parse("null"), "acme"));
  EXPECT_EQ(org_names(orgs), (std::vector<std::string>{"Acme", "acme", "other"}));
  // A wrong-typed field is named, not nlohmann's type_error.302.
  auto bad = nlohmann::json::parse(R"([{"id":1,"name":"a"},{"id":"2","name":"b"}])");
  try {
    find_org(bad, "b");
    FAIL() << "a string id was accepted";
  } catch (const util::JsonError& e) {
    EXPECT_EQ(std::string(e.what()), "orgs[1].id: expected an integer, got a string");
  }
}

TEST(Api, RepliesAreBoundedAndServerTextIsEscaped) {
  // nlohmann's parser recurses per level; a deep reply must not reach it.
  EXPECT_TRUE(parse_reply(std::string(1'000'000, '[')).is_discarded());
  EXPECT_TRUE(parse_reply("not json").is_discarded());
  EXPECT_EQ(parse_reply(R"({"a":1})")["a"], 1);
  // A server cannot start a fake log line or flood the log with its message.
  auto forged = server_message(R"({"message":"bad\nerror: token accepted"})");
  EXPECT_EQ(forged.find('\n'), std::string::npos) << forged;
  EXPECT_LE(server_message(std::string(100'000, 'x')).size(), 400u);
}

TEST(Api, KubeconfigInEveryForm) {
  std::string error;
  nlohmann::json json_reply = {{"status", 200}, {"data", kKubeconfig}};
  EXPECT_EQ(decode_kubeconfig(json_reply.dump(), &error), kKubeconfig);
  nlohmann::json b64_reply = {{"status", 200}, {"data", util::base64_encode(kKubeconfig)}};
  EXPECT_EQ(decode_kubeconfig(b64_reply.dump(), &error), kKubeconfig);
  EXPECT_EQ(decode_kubeconfig(kKubeconfig, &error), kKubeconfig);
  EXPECT_FALSE(decode_kubeconfig(R"({"status":400,"message":"nope"})", &error));
  EXPECT_NE(error.find("data"), std::string::npos);
  EXPECT_FALSE(decode_kubeconfig("<html>gateway</html>", &error));
  EXPECT_FALSE(decode_kubeconfig(R"({"data":"not a kubeconfig"})", &error));
  // An alias bomb in a reply is refused at once, not expanded.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    auto prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 9; ++j)
      bomb += ", " + prev;
    bomb += "]\n";
  }
  bomb += "clusters: *a8\nusers: *a8\n";
  EXPECT_FALSE(decode_kubeconfig(bomb, &error));
  EXPECT_TRUE(kubeconfig_secrets(bomb).empty());
}

TEST(Api, KubeconfigSecretsAreOnlyTheCredentials) {
  auto secrets = kubeconfig_secrets(kKubeconfig);
  EXPECT_EQ(secrets, std::vector<std::string>{"s3cr3t-t0ken"});
  EXPECT_TRUE(kubeconfig_secrets("::: not yaml").empty());
}

TEST(Api, ReleasesAndVerdicts) {
  auto list = nlohmann::json::parse(
      R"([{"name":"monitor","chart":"pipeline-cluster-monitor-0.0.1","version":2,"updated":"now","status":"FAILED"},
          {"name":"release-1","chart":"spark-0.0.1","version":1,"status":"DEPLOYED"}])");
  auto r = find_release(list, "monitor");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, "FAILED");
  EXPECT_EQ(r->revision, 2);
  EXPECT_EQ(r->chart, "pipeline-cluster-monitor-0.0.1");
  EXPECT_FALSE(find_release(list, "nope"));
  // The real server answers `null`, not [], when there is no release.
  EXPECT_FALSE(find_release(nlohmann::json::parse("null"), "monitor"));
  EXPECT_EQ(judge_release("DEPLOYED"), ReleaseVerdict::Deployed);
  EXPECT_EQ(judge_release("deployed"), ReleaseVerdict::Deployed);
  EXPECT_EQ(judge_release("FAILED"), ReleaseVerdict::Failed);
  EXPECT_EQ(judge_release("PENDING_INSTALL"), ReleaseVerdict::Pending);
  EXPECT_EQ(judge_release("PENDING_UPGRADE"), ReleaseVerdict::Pending);
}

TEST(Api, DeploymentActions) {
  EXPECT_EQ(deployment_action(true, false), DeploymentAction::Install);
  EXPECT_EQ(deployment_action(true, true), DeploymentAction::Upgrade);
  EXPECT_EQ(deployment_action(false, true), DeploymentAction::Delete);
  EXPECT_EQ(deployment_action(false, false), DeploymentAction::Nothing);
}

TEST(Api, EndpointsOfTheRelease) {
  auto reply = nlohmann::json::parse(R"({"endpoints":[
      {"name":"release-1-zeppelin","host":"198.51.100.7","ports":{"http":80},
       "urls":[{"servicename":"zeppelin","url":"http://198.51.100.7:80/zeppelin","helmreleasename":"release-1"}]},
      {"name":"monitor-grafana","host":"198.51.100.8",
       "urls":[{"servicename":"grafana","url":"http://198.51.100.8/","helmreleasename":"monitor"}]},
      {"name":"ingress","host":"198.51.100.9","urls":[{"url":"http://198.51.100.9/"}]}]})");
  auto eps = parse_endpoints(reply, "release-1");
  ASSERT_EQ(eps.size(), 2U);
  EXPECT_EQ(eps[0].name, "release-1-zeppelin");
  EXPECT_EQ(eps[0].urls, std::vector<std::string>{"http://198.51.100.7:80/zeppelin"});
  EXPECT_EQ(eps[1].host, "198.51.100.9");
  EXPECT_TRUE(parse_endpoints(nlohmann::json::parse(R"({"status":202})"), "x").empty());
}

}  // namespace sg::pipeline_client
