#include "settings/secret_rule.hpp"

#include <gtest/gtest.h>

namespace sg::settings {
namespace {

TEST(SecretRule, CiCredentialsAndNamesThatMarkSecrets) {
  for (const char* name :
       {"DRONE_NETRC_PASSWORD", "CI_NETRC_PASSWORD", "DRONE_NETRC_USERNAME", "CI_NETRC_USERNAME", "PLUGIN_DB_PASSWORD",
        "PLUGIN_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "PLUGIN_API_KEY", "PLUGIN_CLIENT_KEY",
        "PLUGIN_SSH_KEY", "MYSQL_PWD", "PLUGIN_apiToken", "PLUGIN_KEYSTORE_PASSPHRASE", "DOCKER_PASSWD",
        "PLUGIN_CREDENTIALS", "PLUGIN_CLIENT_SECRET", "PLUGIN_ACCESSTOKEN", "PLUGIN_DBPASSWORD"}) {
    EXPECT_TRUE(is_secret_variable(name)) << name;
  }
}

TEST(SecretRule, OrdinaryNamesAreNot) {
  for (const char* name :
       {"DRONE_NETRC_MACHINE", "CI_NETRC_MACHINE", "DRONE_COMMIT_SHA", "CI_REPO", "PLUGIN_NAMESPACE", "PLUGIN_IMAGE",
        "KEYBOARD_LAYOUT", "PLUGIN_MONKEY", "PLUGIN_SSH_KEY_PATH", "PLUGIN_TLS_KEY_FILE", "PLUGIN_TOKENIZER_MODE",
        "PATH", "HOME", "SSH_AUTH_SOCK", "PLUGIN_BYPASS", "PLUGIN_KEEP_ON_FAILURE"}) {
    EXPECT_FALSE(is_secret_variable(name)) << name;
  }
}

TEST(SecretRule, SparkConfsThatCarryCredentials) {
  for (const char* key :
       {"spark.hadoop.fs.azure.account.key.myaccount.blob.core.windows.net", "spark.hadoop.fs.s3a.secret.key",
        "spark.hadoop.fs.s3a.access.key", "spark.hadoop.fs.s3a.bucket.logs.secret.key",
        "spark.hadoop.fs.s3a.session.token", "spark.ssl.keyPassword", "spark.ssl.keyStorePassword",
        "spark.authenticate.secret", "spark.hadoop.javax.jdo.option.ConnectionPassword",
        "spark.hadoop.fs.azure.sas.container.account.blob.core.windows.net",
        "spark.hadoop.google.cloud.auth.service.account.json.credentials"}) {
    EXPECT_TRUE(is_credential_conf_key(key)) << key;
  }
  for (const char* key :
       {"spark.executor.instances", "spark.kubernetes.container.image", "spark.hadoop.fs.s3a.endpoint",
        "spark.kubernetes.authenticate.driver.serviceAccountName", "spark.eventLog.dir", "spark.hadoop.fs.s3a.impl"}) {
    EXPECT_FALSE(is_credential_conf_key(key)) << key;
  }
}

}  // namespace
}  // namespace sg::settings
