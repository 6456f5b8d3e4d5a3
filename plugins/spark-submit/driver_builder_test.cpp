#include "driver_builder.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace sg::spark_submit {
namespace {

BuildInput input(SparkConf extra = {}, std::vector<std::string> args = {}) {
  BuildInput in;
  in.submission.main_class = "org.apache.spark.examples.SparkPi";
  in.submission.main_resource = "local:///opt/spark/examples/jars/spark-examples.jar";
  in.submission.app_args = std::move(args);
  in.submission.conf = {{"spark.app.name", "spark-pi"}, {"spark.kubernetes.container.image", "apache/spark:4.0.5"}};
  for (auto& [k, v] : extra)
    in.submission.conf[k] = v;
  in.master = "k8s://https://127.0.0.1:6443";
  in.spark_user = "spotguide";
  in.ids = {.unique_id = "abc1231234567890",
            .cm_unique_id = "def4561234567890",
            .svc_unique_id = "0123451234567890",
            .app_id = "spark-0123456789abcdef0123456789abcdef",
            .local_dir_uuid = "11111111-2222-4333-8444-555555555555",
            .submit_time_ms = 1700000000000,
            .date_comment = "Sun Nov 22 01:55:39 UTC 2026"};
  return in;
}

const nlohmann::json& container(const DriverSpec& d) {
  return d.pod["spec"]["containers"].back();
}

std::string env(const DriverSpec& d, const std::string& name) {
  for (const auto& e : container(d)["env"])
    if (e["name"] == name) return e.contains("value") ? e["value"].get<std::string>() : e.dump();
  return "<unset>";
}

TEST(DriverBuilder, DefaultsMatchSpark) {
  auto d = build_driver(input());
  EXPECT_EQ(d.pod_name, "spark-pi-abc1231234567890-driver");
  EXPECT_EQ(d.ns, "default");
  const auto& labels = d.pod["metadata"]["labels"];
  EXPECT_EQ(labels["spark-app-selector"], "spark-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(labels["spark-role"], "driver");
  EXPECT_EQ(labels["spark-app-name"], "spark-pi");
  EXPECT_EQ(labels["spark-version"], "4.0.5");
  EXPECT_EQ(d.pod["spec"]["restartPolicy"], "Never");
  const auto& c = container(d);
  EXPECT_EQ(c["name"], "spark-kubernetes-driver");
  EXPECT_EQ(c["resources"]["requests"]["memory"], "1408Mi");  // 1g + max(0.1 x 1024, 384)
  EXPECT_EQ(c["resources"]["limits"]["memory"], "1408Mi");
  EXPECT_EQ(c["resources"]["requests"]["cpu"], "1");
  EXPECT_EQ(c["args"], (nlohmann::json{"driver", "--properties-file", "/opt/spark/conf/spark.properties", "--class",
                                       "org.apache.spark.examples.SparkPi",
                                       "local:///opt/spark/examples/jars/spark-examples.jar"}));
  ASSERT_EQ(c["ports"].size(), 3u);
  EXPECT_EQ(c["ports"][0]["containerPort"], 7078);
  EXPECT_EQ(env(d, "SPARK_USER"), "spotguide");
  EXPECT_EQ(env(d, "SPARK_APPLICATION_ID"), "spark-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(env(d, "SPARK_CONF_DIR"), "/opt/spark/conf");
  EXPECT_EQ(env(d, "SPARK_LOCAL_DIRS"), "/var/data/spark-11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(d.service["metadata"]["name"], "spark-pi-abc1231234567890-driver-svc");
  EXPECT_EQ(d.service["spec"]["clusterIP"], "None");
  EXPECT_EQ(d.config_map["metadata"]["name"], "spark-drv-def4561234567890-conf-map");
  EXPECT_EQ(d.properties.at("spark.driver.host"), "spark-pi-abc1231234567890-driver-svc.default.svc");
  EXPECT_EQ(d.properties.at("spark.jars"), "local:///opt/spark/examples/jars/spark-examples.jar");
  EXPECT_EQ(d.properties.at("spark.kubernetes.memoryOverheadFactor"), "0.1");
  EXPECT_EQ(d.properties.at("spark.master"), "k8s://https://127.0.0.1:6443");
}

TEST(DriverBuilder, MemoryOverheadRule) {
  auto memory = [](SparkConf c, bool python = false) {
    auto in = input(std::move(c));
    if (python) {
      in.submission.resource_type = ResourceType::Python;
      in.submission.main_resource = "local:///x/pi.py";
    }
    return container(build_driver(in))["resources"]["requests"]["memory"].get<std::string>();
  };
  EXPECT_EQ(memory({{"spark.driver.memory", "2g"}, {"spark.driver.memoryOverhead", "512m"}}), "2560Mi");
  EXPECT_EQ(memory({{"spark.driver.memory", "4g"}, {"spark.driver.memoryOverheadFactor", "0.2"}}), "4915Mi");
  EXPECT_EQ(memory({{"spark.driver.memory", "2g"}, {"spark.kubernetes.memoryOverheadFactor", "0.3"}}), "2662Mi");
  EXPECT_EQ(memory({}, true), "1433Mi");  // non-JVM default factor 0.4
  EXPECT_EQ(memory({{"spark.driver.memory", "2g"}, {"spark.kubernetes.memoryOverheadFactor", "0.2"}}, true), "2457Mi");
}

TEST(DriverBuilder, NamesAreSanitisedAndTheServiceNameFallsBack) {
  auto d = build_driver(input({{"spark.app.name", "My_Spark.App_V2"}}));
  EXPECT_EQ(d.pod_name, "my-spark-app-v2-abc1231234567890-driver");
  EXPECT_EQ(d.pod["metadata"]["labels"]["spark-app-name"], "my-spark-app-v2");
  auto longer = build_driver(input({{"spark.app.name", std::string(60, 'a')}}));
  EXPECT_EQ(longer.service["metadata"]["name"], "spark-0123451234567890-driver-svc");
  EXPECT_EQ(longer.pod["metadata"]["labels"]["spark-app-name"].get<std::string>().size(), 60u);
}

TEST(DriverBuilder, UserLabelsAnnotationsAndAppIdSubstitution) {
  auto d = build_driver(input({{"spark.kubernetes.driver.label.run", "{{APP_ID}}"},
                               {"spark.kubernetes.driver.annotation.example.com/a", "x-{{APP_ID}}"}}));
  EXPECT_EQ(d.pod["metadata"]["labels"]["run"], "spark-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(d.pod["metadata"]["annotations"]["example.com/a"], "x-spark-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(d.service["spec"]["selector"]["run"], "spark-0123456789abcdef0123456789abcdef");
  EXPECT_THROW(build_driver(input({{"spark.kubernetes.driver.label.spark-role", "x"}})), SettingsError);
}

TEST(DriverBuilder, VolumesAndOnDemandClaims) {
  auto d =
      build_driver(input({{"spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path", "/data"},
                          {"spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName", "OnDemand"},
                          {"spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.storageClass", "std"},
                          {"spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.sizeLimit", "5Gi"}}));
  ASSERT_EQ(d.resources.size(), 1u);
  EXPECT_EQ(d.resources[0]["metadata"]["name"], "spark-pi-abc1231234567890-driver-pvc-0");
  EXPECT_EQ(d.resources[0]["spec"]["accessModes"][0], "ReadWriteOncePod");
  EXPECT_THROW(build_driver(input({{"spark.kubernetes.driver.volumes.awsElasticBlockStore.x.mount.path", "/x"}})),
               SettingsError);
  EXPECT_THROW(build_driver(input({{"spark.kubernetes.driver.volumes.emptyDir.x.mount.path", "/x"},
                                   {"spark.kubernetes.driver.volumes.emptyDir.x.options.bogus", "1"}})),
               SettingsError);
}

TEST(DriverBuilder, DriverCredentialsGoToASecretNotToTheProperties) {
  auto in = input({{"spark.kubernetes.authenticate.driver.oauthToken", "s3cret"}});
  auto d = build_driver(in);
  ASSERT_EQ(d.resources.size(), 1u);
  EXPECT_EQ(d.resources[0]["kind"], "Secret");
  EXPECT_EQ(d.resources[0]["data"]["oauth-token"], "czNjcmV0");
  EXPECT_EQ(d.properties.at("spark.kubernetes.authenticate.driver.oauthToken"), "<present_but_redacted>");
  EXPECT_EQ(d.config_map["data"]["spark.properties"].get<std::string>().find("s3cret"), std::string::npos);
}

TEST(DriverBuilder, RefusesInsteadOfIgnoring) {
  EXPECT_THROW(build_driver(input({{"spark.kubernetes.kerberos.krb5.path", "/etc/krb5.conf"}})), SettingsError);
  EXPECT_THROW(build_driver(input({{"spark.kubernetes.driver.podTemplateFil", "/x"}})), SettingsError);
  EXPECT_THROW(build_driver(input({{"spark.files", "/etc/hostname"}})), SettingsError);
  auto no_image = input();
  no_image.submission.conf.erase("spark.kubernetes.container.image");
  EXPECT_THROW(build_driver(no_image), SettingsError);
  // Executor-side properties are the driver's business: accepted.
  EXPECT_NO_THROW(build_driver(input({{"spark.kubernetes.executor.label.x", "y"}})));
}

TEST(DriverBuilder, PodTemplateContainerBecomesTheDriver) {
  auto in = input({{"spark.kubernetes.driver.podTemplateFile", "/t.yaml"},
                   {"spark.kubernetes.driver.podTemplateContainerName", "main"}});
  in.files["/t.yaml"] =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\nspec:\n  restartPolicy: Always\n  containers:\n"
      "  - name: side\n    image: busybox\n  - name: main\n    image: ignored\n";
  auto d = build_driver(in);
  EXPECT_EQ(d.pod["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(d.pod["metadata"]["labels"]["a"], "b");
  // As Spark: the template's other containers first, the driver last.
  ASSERT_EQ(d.pod["spec"]["containers"].size(), 2u);
  EXPECT_EQ(d.pod["spec"]["containers"][0]["name"], "side");
  EXPECT_EQ(d.pod["spec"]["containers"][1]["name"], "main");
  EXPECT_EQ(d.pod["spec"]["containers"][1]["image"], "apache/spark:4.0.5");
  EXPECT_EQ(d.container_name, "main");
}

TEST(DriverBuilder, PropertiesTextEscapesLikeJava) {
  auto text = properties_text({{"a key", "x=y: #1"}, {"b", " lead"}}, "c", "d");
  EXPECT_EQ(text, "#c\n#d\na\\ key=x\\=y\\: \\#1\nb=\\ lead\n");
}

TEST(DriverBuilder, MemoryParsing) {
  EXPECT_EQ(memory_mib("1g"), 1024);
  EXPECT_EQ(memory_mib("512"), 512);
  EXPECT_EQ(memory_mib("2048k"), 2);
  EXPECT_EQ(memory_mib("1GB"), 1024);
  EXPECT_THROW(memory_mib("lots"), SettingsError);
}

TEST(DriverBuilder, RandomnessHasSparksShapes) {
  auto r = draw_randomness();
  EXPECT_EQ(r.app_id.size(), 38u);
  EXPECT_GE(r.unique_id.size(), 7u);
  EXPECT_EQ(r.local_dir_uuid.size(), 36u);
}

// Credentials in properties: the Secret holds the value; spark.properties,
// the ConfigMap and the pod spec hold only the key and a variable's name.
TEST(DriverBuilder, CredentialPropertiesTravelInASecret) {
  const std::string key = "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net";
  const std::string value = "c2VjcmV0LWFjY291bnQta2V5";
  auto d = build_driver(input({{key, value},
                               {"spark.hadoop.fs.s3a.secret.key", "s3-secret-value"},
                               {"spark.executor.instances", "2"},
                               {"spark.kubernetes.driver.secretKeyRef.DB_PASSWORD", "db-creds:password"}}));
  ASSERT_FALSE(d.conf_secret.empty());
  EXPECT_EQ(d.conf_secret["kind"], "Secret");
  EXPECT_EQ(d.conf_secret["metadata"]["name"], "spark-pi-abc1231234567890-conf-secrets");
  EXPECT_EQ(d.conf_secret["metadata"]["namespace"], "default");
  EXPECT_EQ(d.conf_secret["stringData"][key], value);
  EXPECT_EQ(d.conf_secret["stringData"]["spark.hadoop.fs.s3a.secret.key"], "s3-secret-value");
  EXPECT_EQ(d.conf_secret["stringData"].size(), 2u) << "a secretKeyRef names a Secret; it is no credential";

  for (const auto* where : {&d.pod, &d.config_map, &d.service}) {
    auto text = where->dump();
    EXPECT_EQ(text.find(value), std::string::npos) << text;
    EXPECT_EQ(text.find("s3-secret-value"), std::string::npos) << text;
  }
  EXPECT_EQ(d.properties.count(key), 0u);
  EXPECT_EQ(d.properties.at("spark.executor.instances"), "2");
  EXPECT_EQ(d.properties.at("spark.kubernetes.driver.secretKeyRef.DB_PASSWORD"), "db-creds:password");
  EXPECT_EQ(d.config_map["data"]["spark.properties"].get<std::string>().find(key), std::string::npos);

  // The driver receives each as --conf key=$(VAR), VAR from the Secret.
  const auto& c = container(d);
  const auto& args = c["args"];
  ASSERT_GE(args.size(), 5u);
  EXPECT_EQ(args[0], "driver");
  EXPECT_EQ(args[1], "--conf");
  EXPECT_EQ(args[2], key + "=$(SPOTGUIDE_SECRET_CONF_0)");
  EXPECT_EQ(args[3], "--conf");
  EXPECT_EQ(args[4], "spark.hadoop.fs.s3a.secret.key=$(SPOTGUIDE_SECRET_CONF_1)");
  EXPECT_EQ(args[5], "--properties-file");
  bool found = false;
  for (const auto& e : c["env"]) {
    if (e["name"] != "SPOTGUIDE_SECRET_CONF_0") continue;
    found = true;
    EXPECT_EQ(e["valueFrom"]["secretKeyRef"]["name"], "spark-pi-abc1231234567890-conf-secrets");
    EXPECT_EQ(e["valueFrom"]["secretKeyRef"]["key"], key);
  }
  EXPECT_TRUE(found) << c["env"].dump();
}

TEST(DriverBuilder, NoCredentialPropertiesNoSecret) {
  auto d = build_driver(input({{"spark.ssl.keyStorePath", "/etc/ks.jks"}}));
  EXPECT_TRUE(d.conf_secret.empty());
  EXPECT_EQ(container(d)["args"][1], "--properties-file");
  EXPECT_FALSE(is_secret_conf("spark.ssl.keyStorePath", "/etc/ks"));
  EXPECT_FALSE(is_secret_conf("spark.kubernetes.driver.secrets.db", "/etc/db"));
  EXPECT_FALSE(is_secret_conf("spark.hadoop.fs.s3a.secret.key", ""));
  EXPECT_TRUE(is_secret_conf("spark.ssl.keyPassword", "pw"));
}

}  // namespace
}  // namespace sg::spark_submit
