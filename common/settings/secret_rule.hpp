#pragma once
// The one rule for which names carry secrets. The redactor, templating,
// k8s-proxy's forwarding and spark-submit's conf handling all ask here, so a
// variable is secret everywhere or nowhere.
#include <string_view>

namespace sg::settings {

// An environment variable whose value must be treated as a secret wherever
// it is substituted, forwarded or logged: the CI hosts' clone credentials
// (DRONE_NETRC_*, CI_NETRC_*) and any name that marks a password, token,
// secret, key or credential (PLUGIN_DB_PASSWORD, AWS_SECRET_ACCESS_KEY,
// GITHUB_TOKEN). Matching is on words of the name, case-insensitive; a name
// such as KEYBOARD_LAYOUT is not a key, MONKEY is not either.
bool is_secret_variable(std::string_view name);

// A Spark or Hadoop configuration key that carries a credential:
// fs.azure.account.key.<account>, fs.s3a.secret.key, fs.s3a.access.key,
// fs.s3a.bucket.<b>.secret.key, spark.ssl.keyPassword, *.password, *secret*,
// *token*, *.credentials.*. Such confs travel in a Secret, never in
// spark.properties or a ConfigMap.
bool is_credential_conf_key(std::string_view key);

}  // namespace sg::settings
