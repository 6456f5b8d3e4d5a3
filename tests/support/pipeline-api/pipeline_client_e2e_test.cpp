// pipeline-client end to end: the real Banzai pipelines' pipeline-client
// steps, fed through the CI runner emulator exactly as Drone 0.8 would, run
// as the plugin executable against the pipeline-api-server fake started as a
// process. The real Pipeline server can no longer run anywhere; the fake
// checks every request against the OpenAPI contract, and every test fails
// on any violation (TearDown). Delays and timeouts are short settings so the
// whole suite takes seconds.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "runner_emulator.hpp"
#include "server_process.hpp"
#include "test_paths.hpp"
#include "util/base64.hpp"
#include "util/process.hpp"

namespace sg::testing::pipeline_api {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

const std::string kToken = "pipeline-t0ken-Zq9";

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The fixtures keep the templates' [[...]] placeholders; a user fills them in.
YAML::Node filled_pipeline(const std::string& file) {
  auto text = read(source_dir() + "/tests/fixtures/banzai-pipelines/" + file);
  static const std::vector<std::pair<std::string, std::string>> fill = {{"[[your-cluster-name]]", "spark-pi-e2e"},
                                                                        {"[[your-s3-bucket]]", "spark-logs"},
                                                                        {"[[your-gke-cluster-name]]", "zeppelin-e2e"},
                                                                        {"[[your-gke-project-id]]", "spotguides-123"},
                                                                        {"[[your-gs-bucket]]", "zeppelin-logs"}};
  for (const auto& [from, to] : fill) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from))
      text.replace(at, from.size(), to);
  }
  EXPECT_EQ(text.find("[["), std::string::npos);
  return YAML::Load(text);
}

YAML::Node step_of(const YAML::Node& doc, const std::string& name) {
  for (const auto& [n, node] : pipeline_steps(doc)) {
    if (n == name) return node;
  }
  ADD_FAILURE() << "no step " << name;
  return {};
}

struct StepResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

class PipelineClientE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "pipeline-client-e2e.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    workspace_ = tmpl;
  }

  void TearDown() override {
    if (server_) {
      // Every request of every test conforms to the contract.
      auto v = server_->violations();
      EXPECT_TRUE(v.empty()) << v.size() << " contract violations, first: " << v.front();
      expect_no_overlap();
      auto r = server_->stop();
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    std::error_code ec;
    fs::remove_all(workspace_, ec);
  }

  void start(const std::vector<std::string>& args = {}) {
    std::vector<std::string> all = {
        "--token",      kToken,  "--cluster-create-delay", "300ms", "--cluster-delete-delay", "150ms",
        "--helm-delay", "100ms", "--release-delay",        "100ms", "--lb-pending",           "150ms"};
    all.insert(all.end(), args.begin(), args.end());
    server_ = std::make_unique<ServerProcess>(bin_dir() + "/pipeline-api-server", all);
  }

  // Runs one step as Drone 0.8 would, with short waits.
  StepResult run(const YAML::Node& step, const std::string& name, const Env& extra = {},
                 std::map<std::string, std::string> secrets = {}) {
    secrets.emplace("plugin_endpoint", server_->endpoint());
    secrets.emplace("plugin_token", kToken);
    Build build;
    build.workspace = workspace_.string();
    auto se = step_environment(Host::Drone08, name, step, secrets, build);
    EXPECT_TRUE(se.errors.empty()) << se.errors.front();
    se.env["PATH"] = "/usr/bin:/bin";
    for (const auto& [k, v] : sanitizer_environment())
      se.env[k] = v;
    se.env["PLUGIN_POLL_INTERVAL"] = "20ms";
    se.env["PLUGIN_POLL_MAX_INTERVAL"] = "100ms";
    se.env["PLUGIN_RESOURCE_TIMEOUT"] = "20s";
    se.env["PLUGIN_REQUEST_TIMEOUT"] = "1s";
    for (const auto& [k, v] : extra) {
      if (v.empty()) {
        se.env.erase(k);
      } else {
        se.env[k] = v;
      }
    }
    auto r = util::run_process({bin_dir() + "/pipeline-client"}, se.env, std::chrono::seconds(60), workspace_);
    EXPECT_FALSE(r.timed_out);
    // The API token never shows, whatever happened.
    EXPECT_EQ(r.out.find(kToken), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(kToken), std::string::npos) << r.err;
    return {r.exit_code, r.out, r.err};
  }

  StepResult run_fixture(const std::string& file, const std::string& step, const Env& extra = {}) {
    return run(step_of(filled_pipeline(file), step), step, extra);
  }

  nlohmann::json state() { return server_->control("GET", "/_test/state")["clusters"]; }
  nlohmann::json cluster(const std::string& name) {
    for (const auto& c : state()) {
      if (c["name"] == name) return c;
    }
    return nullptr;
  }
  std::vector<nlohmann::json> requests(const std::string& method, const std::string& path_part) {
    std::vector<nlohmann::json> out;
    for (const auto& r : server_->requests()) {
      if (r["method"] == method && r["path"].get<std::string>().find(path_part) != std::string::npos) out.push_back(r);
    }
    return out;
  }

  // One request at a time: each (not abandoned by a client timeout) ended
  // before the next began.
  void expect_no_overlap() {
    auto all = server_->requests();
    for (std::size_t i = 1; i < all.size(); ++i) {
      const auto& prev = all[i - 1];
      if (!prev["fault"].get<std::string>().empty()) continue;
      EXPECT_GE(all[i]["started_ms"].get<double>(), prev["finished_ms"].get<double>())
          << prev["method"] << " " << prev["target"] << " overlapped " << all[i]["method"] << " " << all[i]["target"];
    }
  }

  void expect_kubeconfig_for(const std::string& name) {
    auto path = workspace_ / ".kube" / "config";
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    auto text = read(path);
    EXPECT_NE(text.find("clusters:\n- name: " + name), std::string::npos) << text;
    EXPECT_NE(text.find("token: kube-token-"), std::string::npos);
  }

  // Only the non-secret shared settings, never the token.
  void expect_env_file(const std::string& cluster, const std::string& provider, const std::string& api) {
    auto env = read(workspace_ / ".env");
    EXPECT_NE(env.find("PLUGIN_CLUSTER_NAME=\"" + cluster + "\""), std::string::npos) << env;
    EXPECT_NE(env.find("PLUGIN_CLUSTER_PROVIDER=\"" + provider + "\""), std::string::npos) << env;
    EXPECT_NE(env.find("PLUGIN_API_VERSION=\"" + api + "\""), std::string::npos) << env;
    EXPECT_EQ(env.find("TOKEN"), std::string::npos) << env;
    EXPECT_EQ(env.find(kToken), std::string::npos) << env;
    EXPECT_EQ(env.find("ENDPOINT"), std::string::npos) << env;
  }

  fs::path workspace_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace

TEST_F(PipelineClientE2E, SparkPiAwsPipelineOnTheOrgsApi) {
  start({"--api", "orgs", "--org", "other=3", "--org", "acme=7"});
  const std::string file = "spark-pi.aws.pipeline.yml";

  auto create = run_fixture(file, "create_cluster");
  ASSERT_EQ(create.exit_code, 0) << create.all();
  EXPECT_NE(create.out.find("created cluster spark-pi-e2e in organization acme (amazon, eu-west-1)"), std::string::npos)
      << create.out;
  expect_kubeconfig_for("spark-pi-e2e");
  expect_env_file("spark-pi-e2e", "amazon", "orgs");
  auto c = cluster("spark-pi-e2e");
  ASSERT_FALSE(c.is_null());
  EXPECT_EQ(c["org_id"], 7);  // looked up by the repository owner
  auto body = nlohmann::json::parse(c["request"].get<std::string>());
  EXPECT_EQ(body["cloud"], "amazon");
  EXPECT_EQ(body["properties"]["amazon"]["nodePools"]["pool1"]["instanceType"], "m4.xlarge");
  EXPECT_EQ(body["properties"]["amazon"]["nodePools"]["pool1"]["spotPrice"], "0.2");
  // The creation was waited for: HEAD answered 400 while it was CREATING.
  bool saw_400 = false;
  for (const auto& r : requests("HEAD", "/clusters/spark-pi-e2e"))
    saw_400 |= r["status"] == 400;
  EXPECT_TRUE(saw_400);

  // The later steps omit cluster_name and the provider: .env supplies them.
  auto monitoring = run_fixture(file, "install_monitoring");
  ASSERT_EQ(monitoring.exit_code, 0) << monitoring.all();
  EXPECT_NE(monitoring.out.find("reused cluster spark-pi-e2e"), std::string::npos) << monitoring.out;
  EXPECT_NE(monitoring.out.find("installed release monitor"), std::string::npos) << monitoring.out;

  auto spark = run_fixture(file, "install_spark_resources");
  ASSERT_EQ(spark.exit_code, 0) << spark.all();
  EXPECT_NE(spark.out.find("The available endpoints are the following:"), std::string::npos) << spark.out;
  EXPECT_NE(spark.out.find("http://198.51.100."), std::string::npos) << spark.out;
  EXPECT_NE(spark.err.find("waiting for the LoadBalancers of release release-1"), std::string::npos) << spark.err;

  c = cluster("spark-pi-e2e");
  EXPECT_EQ(c["releases"]["monitor"]["chart"], "banzaicloud-stable/pipeline-cluster-monitor");
  EXPECT_EQ(c["releases"]["monitor"]["status"], "DEPLOYED");
  const auto& rel = c["releases"]["release-1"];
  EXPECT_EQ(rel["chart"], "banzaicloud-stable/spark");
  EXPECT_EQ(rel["status"], "DEPLOYED");
  EXPECT_EQ(rel["values"], nlohmann::json::parse(R"({"historyServer":{"enabled":true},
                                                     "spark-hs":{"app":{"logDirectory":"s3a://spark-logs/"}}})"));
  EXPECT_EQ(state().size(), 1U);
  EXPECT_EQ(requests("POST", "/clusters").size(), 3U);  // one create, two installs
}

TEST_F(PipelineClientE2E, ZeppelinGkePipelineOnThe030ApiWithBase64Kubeconfig) {
  start({"--api", "0.3.0", "--kubeconfig-format", "base64"});
  const std::string file = "zeppelin-pdi.gke.pipeline.yml";
  auto create = run_fixture(file, "create_cluster");
  ASSERT_EQ(create.exit_code, 0) << create.all();
  EXPECT_NE(create.err.find("0.3.0 API"), std::string::npos) << create.err;  // auto-detected
  expect_kubeconfig_for("zeppelin-e2e");
  expect_env_file("zeppelin-e2e", "google", "0.3.0");
  auto c = cluster("zeppelin-e2e");
  auto body = nlohmann::json::parse(c["request"].get<std::string>());
  EXPECT_EQ(body["cloud"], "google");
  EXPECT_EQ(body["location"], "us-central1-a");
  const auto& g = body["properties"]["google"];
  EXPECT_EQ(g["project"], "spotguides-123");
  EXPECT_EQ(g["nodeVersion"], "1.9");  // quoted in the YAML, so not the number 1.9 -> "1.9"
  EXPECT_EQ(g["master"]["version"], "1.9");
  EXPECT_EQ(g["nodePools"]["agentpool1"]["count"], 2);

  auto monitoring = run_fixture(file, "install_monitoring");
  ASSERT_EQ(monitoring.exit_code, 0) << monitoring.all();
  auto zeppelin = run_fixture(file, "install_zeppelin");
  ASSERT_EQ(zeppelin.exit_code, 0) << zeppelin.all();
  EXPECT_NE(zeppelin.out.find("installed release release-1"), std::string::npos) << zeppelin.out;
  auto rel = cluster("zeppelin-e2e")["releases"]["release-1"];
  EXPECT_EQ(rel["chart"], "banzaicloud-stable/zeppelin-spark");
  EXPECT_EQ(rel["values"]["zeppelin"]["sparkSubmitOptions"]["eventLogDirectory"], "gs://zeppelin-logs/");
  EXPECT_EQ(rel["values"]["spark"]["spark-hs"]["app"]["logDirectory"], "gs://zeppelin-logs/");
  // No request of the 0.3.0 run went to /orgs/... except the detection.
  for (const auto& r : server_->requests()) {
    if (r["path"] != "/api/v1/orgs") {
      EXPECT_EQ(r["path"].get<std::string>().find("/orgs"), std::string::npos);
    }
  }
}

TEST_F(PipelineClientE2E, RerunUpgradesThenDeletesReleaseAndCluster) {
  start({"--kubeconfig-format", "yaml", "--org", "acme=1"});
  const std::string file = "spark-pi.aws.pipeline.yml";
  ASSERT_EQ(run_fixture(file, "create_cluster").exit_code, 0);
  ASSERT_EQ(run_fixture(file, "install_spark_resources").exit_code, 0);
  expect_kubeconfig_for("spark-pi-e2e");
  auto again = run_fixture(file, "install_spark_resources", {{"PLUGIN_DEPLOYMENT_REUSE_VALUES", "true"}});
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_NE(again.out.find("upgraded release release-1"), std::string::npos) << again.out;
  EXPECT_EQ(cluster("spark-pi-e2e")["releases"]["release-1"]["revision"], 2);
  EXPECT_EQ(requests("PUT", "/deployments/release-1").size(), 1U);

  auto del = run_fixture(file, "install_spark_resources", {{"PLUGIN_DEPLOYMENT_STATE", "deleted"}});
  ASSERT_EQ(del.exit_code, 0) << del.all();
  EXPECT_FALSE(cluster("spark-pi-e2e")["releases"].contains("release-1"));

  auto gone = run_fixture(file, "create_cluster", {{"PLUGIN_CLUSTER_STATE", "deleted"}});
  ASSERT_EQ(gone.exit_code, 0) << gone.all();
  EXPECT_NE(gone.out.find("deleted cluster spark-pi-e2e"), std::string::npos) << gone.out;
  EXPECT_TRUE(cluster("spark-pi-e2e").is_null());  // waited until it was gone
  auto nothing = run_fixture(file, "create_cluster", {{"PLUGIN_CLUSTER_STATE", "deleted"}});
  ASSERT_EQ(nothing.exit_code, 0) << nothing.all();
  EXPECT_NE(nothing.out.find("does not exist; nothing to delete"), std::string::npos) << nothing.out;
}

TEST_F(PipelineClientE2E, SurvivesServerErrorsSlowRepliesAndResets) {
  start();
  nlohmann::json faults = nlohmann::json::array({
      {{"method", "GET"}, {"path", "/orgs"}, {"status", 503}, {"body", "upstream down"}, {"count", 2}},
      {{"method", "HEAD"}, {"path", "/clusters/spark-pi-e2e"}, {"status", 502}, {"count", 2}},
      // POST is not idempotent: after a reset the client looks before resending.
      {{"method", "POST"}, {"path", "/clusters"}, {"reset", true}, {"count", 1}},
      {{"method", "GET"}, {"path", "/config"}, {"reset", true}, {"count", 1}},
      // Slower than request_timeout (1s): the attempt is abandoned and retried.
      {{"method", "HEAD"}, {"path", "/deployments"}, {"delay_ms", 1300}, {"count", 1}},
      {{"method", "GET"}, {"path", "/deployments"}, {"status", 500}, {"count", 3}},
      {{"method", "GET"}, {"path", "/endpoints"}, {"delay_ms", 400}, {"count", 1}},
  });
  server_->control("POST", "/_test/faults", faults);
  const std::string file = "spark-pi.aws.pipeline.yml";
  auto create = run_fixture(file, "create_cluster");
  ASSERT_EQ(create.exit_code, 0) << create.all();
  auto spark = run_fixture(file, "install_spark_resources");
  ASSERT_EQ(spark.exit_code, 0) << spark.all();
  EXPECT_EQ(state().size(), 1U);                        // created once
  EXPECT_EQ(requests("POST", "/clusters").size(), 3U);  // the reset create, its resend, the install
  EXPECT_EQ(cluster("spark-pi-e2e")["releases"]["release-1"]["status"], "DEPLOYED");
  // Every injected fault was hit: 2 + 2 + 1 + 1 + 1 + 3 + 1 requests.
  int faulted = 0;
  for (const auto& r : server_->requests()) {
    if (!r["fault"].get<std::string>().empty()) ++faulted;
    if (r["fault"] == "reset") {
      EXPECT_EQ(r["status"], 0);
    }
  }
  EXPECT_EQ(faulted, 11);
}

TEST_F(PipelineClientE2E, ExpiredTokenFailsWithAClearMessage) {
  start({"--expired-token", "expired-t0ken-Qx"});
  auto r = run(step_of(filled_pipeline("spark-pi.aws.pipeline.yml"), "create_cluster"), "create_cluster", {},
               {{"plugin_token", "expired-t0ken-Qx"}});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.all().find("rejected the token"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("Token is expired"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("create a new one"), std::string::npos) << r.all();
  EXPECT_EQ(r.all().find("expired-t0ken-Qx"), std::string::npos) << r.all();
  EXPECT_TRUE(state().empty());
}

TEST_F(PipelineClientE2E, ForbiddenAndUnknownOrganization) {
  start();
  auto step = step_of(filled_pipeline("spark-pi.aws.pipeline.yml"), "create_cluster");
  auto unknown = run(step, "create_cluster", {{"PLUGIN_ORG", "nobody"}});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.all().find("organization nobody not found (404): the token can see acme"), std::string::npos)
      << unknown.all();

  server_->control("POST", "/_test/faults", {{"method", "HEAD"}, {"status", 403}, {"count", 1}});
  auto forbidden = run(step, "create_cluster");
  EXPECT_EQ(forbidden.exit_code, 1);
  EXPECT_NE(forbidden.all().find("the token has no access to organization acme"), std::string::npos) << forbidden.all();
  EXPECT_TRUE(state().empty());
}

TEST_F(PipelineClientE2E, ClusterStuckCreatingTimesOut) {
  start({"--stuck-cluster", "spark-pi-e2e"});
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_fixture("spark-pi.aws.pipeline.yml", "create_cluster", {{"PLUGIN_RESOURCE_TIMEOUT", "1s"}});
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.all().find("cluster spark-pi-e2e in organization acme is still not ready after 1s"), std::string::npos)
      << r.all();
  EXPECT_NE(r.all().find("status CREATING: Cluster is being created"), std::string::npos) << r.all();
  EXPECT_LT(took, std::chrono::seconds(8));
  // Polls with backoff: a handful of checks, not hundreds.
  auto heads = requests("HEAD", "/clusters/spark-pi-e2e");
  EXPECT_GE(heads.size(), 4U);
  EXPECT_LE(heads.size(), 25U);
  EXPECT_FALSE(fs::exists(workspace_ / ".kube" / "config"));
}

TEST_F(PipelineClientE2E, ClusterInErrorFailsWithoutWaitingForTheTimeout) {
  start({"--config", R"({"error_clusters":{"spark-pi-e2e":"VPC limit exceeded in eu-west-1"}})"});
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_fixture("spark-pi.aws.pipeline.yml", "create_cluster");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.all().find("cluster spark-pi-e2e in organization acme failed: VPC limit exceeded in eu-west-1"),
            std::string::npos)
      << r.all();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));  // resource_timeout is 20s
}

TEST_F(PipelineClientE2E, FailedReleaseIsAnError) {
  start({"--fail-release", "release-1=pre-install hook failed: BackoffLimitExceeded", "--fail-release",
         "monitor=chart requires kubeVersion >=1.10"});
  const std::string file = "spark-pi.aws.pipeline.yml";
  ASSERT_EQ(run_fixture(file, "create_cluster").exit_code, 0);
  // The install itself reports the failure (sync, as Helm 2 did).
  auto spark = run_fixture(file, "install_spark_resources");
  EXPECT_EQ(spark.exit_code, 1);
  EXPECT_NE(spark.all().find("Helm release release-1"), std::string::npos) << spark.all();
  EXPECT_NE(spark.all().find("is FAILED"), std::string::npos) << spark.all();
  EXPECT_NE(spark.all().find("pre-install hook failed: BackoffLimitExceeded"), std::string::npos) << spark.all();
  // The release fails later (async): the wait sees FAILED.
  server_->control("POST", "/_test/config", {{"release_failure_mode", "async"}});
  auto monitoring = run_fixture(file, "install_monitoring");
  EXPECT_EQ(monitoring.exit_code, 1);
  EXPECT_NE(monitoring.all().find("Helm release monitor"), std::string::npos) << monitoring.all();
  EXPECT_NE(monitoring.all().find("is FAILED"), std::string::npos) << monitoring.all();
}

TEST_F(PipelineClientE2E, ValuesArriveByteForByte) {
  start();
  // A chart value with every character the original mangled, literal and
  // through a template from a secret (Drone 0.8 `secrets:`).
  auto doc = YAML::Load(R"(
pipeline:
  install:
    image: banzaicloud/plugin-pipeline-client:0.3.0
    cluster_name: values-e2e
    deployment_name: banzaicloud-stable/spark
    deployment_release_name: release-1
    deployment_values:
      literal: 'a+b&c "quoted" \back\slash\\ <tag> &#43;'
      storage:
        key: "{{ .PLUGIN_AZURE_STORAGE_ACCOUNT_ACCESS_KEY }}"
        account: "{{ .PLUGIN_AZURE_STORAGE_ACCOUNT }}"
      spark.hadoop.fs.azure.account.key.{{ .PLUGIN_AZURE_STORAGE_ACCOUNT }}.blob.core.windows.net: "{{ .PLUGIN_AZURE_STORAGE_ACCOUNT_ACCESS_KEY }}"
      helm: "{{ .Values.keep }}"
    secrets: [plugin_endpoint, plugin_token, plugin_azure_storage_account, plugin_azure_storage_account_access_key]
)");
  const std::string key = R"(x+Y/z==&"q"\n\)";
  auto r = run(step_of(doc, "install"), "install", {},
               {{"plugin_azure_storage_account", "spotstore"}, {"plugin_azure_storage_account_access_key", key}});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.all().find(key), std::string::npos);  // a templated secret stays redacted
  auto rel = cluster("values-e2e")["releases"]["release-1"];
  EXPECT_EQ(rel["values"]["literal"], R"(a+b&c "quoted" \back\slash\\ <tag> &#43;)");
  EXPECT_EQ(rel["values"]["storage"]["key"], key);
  EXPECT_EQ(rel["values"]["storage"]["account"], "spotstore");
  EXPECT_EQ(rel["values"]["spark.hadoop.fs.azure.account.key.spotstore.blob.core.windows.net"], key);
  EXPECT_EQ(rel["values"]["helm"], "{{ .Values.keep }}");
  auto raw = rel["body"].get<std::string>();
  EXPECT_EQ(raw.find("&#43;\""), raw.find("&#43;")) << raw;               // only the literal one
  EXPECT_NE(raw.find(R"(\\back\\slash\\\\)"), std::string::npos) << raw;  // JSON-escaped, not stripped
}

TEST_F(PipelineClientE2E, DuplicateCreateWhileTheClusterIsBeingCreated) {
  start();
  // Another build's create is under way; this step's HEAD came just before
  // it (404), so its own POST gets the duplicate-name 400 and waits instead.
  server_->control("POST", "/_test/clusters", {{"name", "spark-pi-e2e"}, {"status", "CREATING"}});
  server_->control("POST", "/_test/faults",
                   {{"method", "HEAD"}, {"path", "/clusters/spark-pi-e2e"}, {"status", 404}, {"count", 1}});
  auto r = run_fixture("spark-pi.aws.pipeline.yml", "create_cluster");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("already under way"), std::string::npos) << r.err;
  auto posts = requests("POST", "/clusters");
  ASSERT_EQ(posts.size(), 1U);
  EXPECT_EQ(posts[0]["status"], 400);
  expect_kubeconfig_for("spark-pi-e2e");
}

TEST_F(PipelineClientE2E, DryRunSendsNothingAndRedactsTheToken) {
  start();
  auto r = run_fixture("spark-pi.aws.pipeline.yml", "install_spark_resources",
                       {{"PLUGIN_DRY_RUN", "true"}, {"PLUGIN_CLUSTER_NAME", "spark-pi-e2e"}});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("Authorization: Bearer <redacted>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("POST " + server_->endpoint() + "/orgs/{orgId}/clusters/spark-pi-e2e/deployments?field=name"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"release_name\": \"release-1\""), std::string::npos) << r.out;
  EXPECT_TRUE(server_->requests().empty());
  EXPECT_FALSE(fs::exists(workspace_ / ".kube"));
  EXPECT_FALSE(fs::exists(workspace_ / ".env"));
}

TEST_F(PipelineClientE2E, OldEnvFileWithSecretsIsIgnored) {
  start();
  // What the original plugin left behind: every PLUGIN_* including the token.
  std::ofstream(workspace_ / ".env") << "PLUGIN_TOKEN=stale-token-from-2018\nPLUGIN_CLUSTER_NAME=spark-pi-e2e\n"
                                        "PLUGIN_CLUSTER_PROVIDER=amazon\nDRONE_BUILD_NUMBER=3\n";
  auto r = run_fixture("spark-pi.aws.pipeline.yml", "install_monitoring");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("holds PLUGIN_TOKEN"), std::string::npos) << r.err;
  for (const auto& req : server_->requests())
    EXPECT_EQ(req["headers"]["authorization"], "Bearer " + kToken);
  EXPECT_FALSE(cluster("spark-pi-e2e").is_null());
  auto env = read(workspace_ / ".env");
  EXPECT_NE(env.find("DRONE_BUILD_NUMBER=3"), std::string::npos) << env;  // other lines are kept
}

}  // namespace sg::testing::pipeline_api
