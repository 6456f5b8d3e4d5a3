#include "settings/resolve.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace sg::settings {
namespace {

Schema test_schema() {
  Schema s{.plugin = "test-plugin", .summary = "exercises every type"};
  s.settings = {
      {.name = "dry_run", .type = Type::Bool, .default_value = "false", .description = "Print only."},
      {.name = "namespace",
       .type = Type::String,
       .default_value = "default",
       .aliases = {"job_namespace"},
       .description = "Namespace."},
      {.name = "image", .type = Type::String, .required = true, .description = "Image to run.", .example = "alpine:3"},
      {.name = "token", .type = Type::Secret, .env_names = {"KUBERNETES_TOKEN"}, .description = "API token."},
      {.name = "replicas", .type = Type::Int, .default_value = "1", .description = "Count.", .min = 0, .max = 10},
      {.name = "timeout", .type = Type::Duration, .default_value = "10m", .description = "Limit."},
      {.name = "mode",
       .type = Type::Enum,
       .default_value = "plan",
       .description = "Mode.",
       .choices = {"plan", "execute"}},
      {.name = "commands", .type = Type::List, .description = "Commands."},
      {.name = "values", .type = Type::Map, .description = "Values."},
  };
  s.rules.push_back([](const Values& v, std::vector<std::string>& errors) {
    if (v.str("mode") == "execute" && v.list("commands").empty())
      errors.push_back("commands is required when mode is execute");
  });
  return s.with_common();
}

bool contains(const std::vector<std::string>& v, const std::string& needle) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

}  // namespace

TEST(Resolve, EverySpellingOfAKeyIsAccepted) {
  auto schema = test_schema();
  for (const char* var : {"PLUGIN_DRY_RUN", "PLUGIN_DRY-RUN", "PLUGIN_DRY.RUN", "PLUGIN_dry_run"}) {
    auto r = resolve(schema, {{"PLUGIN_IMAGE", "x"}, {var, "yes"}});
    EXPECT_TRUE(r.errors.empty()) << var;
    EXPECT_TRUE(r.values.flag("dry_run")) << var;
    EXPECT_EQ(r.values.source("dry_run"), var);
    EXPECT_TRUE(r.warnings.empty()) << var;
  }
}

TEST(Resolve, AliasesAndBareSecretNames) {
  auto schema = test_schema();
  auto r = resolve(schema, {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_JOB_NAMESPACE", "ci"}, {"KUBERNETES_TOKEN", "s3cr3t"}});
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.values.str("namespace"), "ci");
  EXPECT_EQ(r.values.str("token"), "s3cr3t");
  EXPECT_EQ(r.secret_values, std::vector<std::string>{"s3cr3t"});
}

TEST(Resolve, CanonicalNameBeatsAliasWhenEqualConflictsWhenNot) {
  auto schema = test_schema();
  auto same = resolve(schema, {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_NAMESPACE", "a"}, {"PLUGIN_JOB_NAMESPACE", "a"}});
  EXPECT_TRUE(same.errors.empty());
  auto differ = resolve(schema, {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_NAMESPACE", "a"}, {"PLUGIN_JOB_NAMESPACE", "b"}});
  ASSERT_EQ(differ.errors.size(), 1u);
  EXPECT_TRUE(contains(differ.errors, "PLUGIN_NAMESPACE and PLUGIN_JOB_NAMESPACE"));
}

TEST(Resolve, DefaultsAndTypedValues) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"},
                                   {"PLUGIN_COMMANDS", "[\"echo a,b\",\"ls\"]"},
                                   {"PLUGIN_VALUES", "{\"a\":{\"b\":1}}"},
                                   {"PLUGIN_MODE", "EXECUTE"}});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.values.str("namespace"), "default");
  EXPECT_EQ(r.values.source("namespace"), "default");
  EXPECT_FALSE(r.values.is_set("namespace"));
  EXPECT_EQ(r.values.integer("replicas"), 1);
  EXPECT_EQ(r.values.duration("timeout"), std::chrono::minutes(10));
  EXPECT_EQ(r.values.str("mode"), "execute");  // normalised to the declared spelling
  EXPECT_EQ(r.values.list("commands").front(), "echo a,b");
  EXPECT_EQ(r.values.map("values")["a"]["b"], 1);
  EXPECT_FALSE(r.values.has("token"));
}

TEST(Resolve, ReportsEveryProblemAtOnce) {
  auto r = resolve(test_schema(), {{"PLUGIN_REPLICAS", "eleven"}, {"PLUGIN_TIMEOUT", "soon"}, {"PLUGIN_MODE", "yolo"}});
  EXPECT_EQ(r.errors.size(), 4u);  // image missing + three bad values
  EXPECT_TRUE(contains(r.errors, "PLUGIN_IMAGE (setting image) is required"));
  EXPECT_TRUE(contains(r.errors, "Example: `image: alpine:3`"));
  EXPECT_TRUE(contains(r.errors, "PLUGIN_REPLICAS=\"eleven\""));
  EXPECT_TRUE(contains(r.errors, "expected a duration"));
  EXPECT_TRUE(contains(r.errors, "one of: plan, execute"));
}

TEST(Resolve, IntRange) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_REPLICAS", "11"}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(contains(r.errors, "between 0 and 10"));
}

TEST(Resolve, SecretValuesNeverAppearInErrors) {
  auto schema = test_schema();
  schema.settings.push_back({.name = "secret_map", .type = Type::Map, .secret = true, .description = "m"});
  auto r = resolve(schema, {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_SECRET_MAP", "{\"pw\": \"hunter2-not-json"}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].find("hunter2"), std::string::npos) << r.errors[0];
  EXPECT_TRUE(contains(r.errors, "<redacted, "));
}

TEST(Resolve, RulesRunAfterTypedParsing) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_MODE", "execute"}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "commands is required when mode is execute");
}

TEST(Resolve, UnknownKeysWarnWithSuggestion) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_DRYRUN", "true"}, {"PLUGIN_ZZZ_UNRELATED", "1"}});
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_TRUE(contains(r.warnings, "unknown setting PLUGIN_DRYRUN (dryrun) is ignored; did you mean `dry_run`"));
  EXPECT_TRUE(contains(r.warnings, "PLUGIN_ZZZ_UNRELATED (zzz_unrelated) is ignored"));
  EXPECT_FALSE(contains(r.warnings, "ZZZ_UNRELATED (zzz_unrelated) is ignored; did you mean"));
}

TEST(Resolve, ForwardingPluginsDoNotWarn) {
  auto schema = test_schema();
  schema.forward_unknown = true;
  auto r = resolve(schema, {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_SPARK_SUBMIT_OPTIONS", "{}"}});
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Resolve, EmptyMeansUnset) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", ""}, {"PLUGIN_NAMESPACE", ""}});
  EXPECT_TRUE(contains(r.errors, "PLUGIN_IMAGE (setting image) is required"));
  EXPECT_EQ(r.values.str("namespace"), "default");
}

TEST(Resolve, TemplatesPullInVariablesAndMarkUnknownOnesSecret) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "repo/{{ .DRONE_REPO_NAME }}:{{ .PLUGIN_AZURE_KEY }}"},
                                   {"DRONE_REPO_NAME", "app"},
                                   {"PLUGIN_AZURE_KEY", "k+/="},
                                   {"PLUGIN_VALUES", "{\"{{ .PLUGIN_NAMESPACE }}\": \"q\\\"{{ .PLUGIN_AZURE_KEY }}\"}"},
                                   {"PLUGIN_NAMESPACE", "ns"}});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.values.str("image"), "repo/app:k+/=");
  EXPECT_EQ(r.values.map("values")["ns"], "q\"k+/=");
  // The referenced variable is consumed, so it is not reported as unknown...
  EXPECT_TRUE(r.warnings.empty());
  // ...and since nothing says it is not a CI secret, it is redacted.
  EXPECT_TRUE(std::count(r.secret_values.begin(), r.secret_values.end(), "k+/=") > 0);
  EXPECT_EQ(std::count(r.secret_values.begin(), r.secret_values.end(), "app"), 0);
  EXPECT_EQ(std::count(r.secret_values.begin(), r.secret_values.end(), "ns"), 0);
}

TEST(Resolve, MalformedInputIsAnErrorNeverACrash) {
  auto schema = test_schema();
  std::string big(1'000'000, 'a');
  auto r = resolve(schema, {{"PLUGIN_IMAGE", big},
                            {"PLUGIN_NAMESPACE", "bad\xff"},
                            {"PLUGIN_VALUES", "{\"a\":1,\"a\":2}"},
                            {"PLUGIN_COMMANDS", "[]"}});
  EXPECT_EQ(r.errors.size(), 3u);
  EXPECT_TRUE(contains(r.errors, "is 1000000 bytes; the limit"));
  EXPECT_TRUE(contains(r.errors, "not valid UTF-8"));
  EXPECT_TRUE(contains(r.errors, "\"a\" appears twice"));
  EXPECT_TRUE(r.values.list("commands").empty());
  auto bad_json = resolve(schema, {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_VALUES", "{not json"}});
  EXPECT_TRUE(contains(bad_json.errors, "invalid JSON"));
}

TEST(Resolve, UndeclaredAccessIsAProgrammingError) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}});
  EXPECT_THROW(r.values.str("nope"), std::logic_error);
  EXPECT_THROW(r.values.flag("image"), std::logic_error);
}

TEST(Resolve, CiCredentialsAreSecretWhereverTheyAreSubstituted) {
  auto r = resolve(test_schema(),
                   {{"PLUGIN_IMAGE", "x"},
                    {"PLUGIN_COMMANDS", "git clone https://{{ .CI_NETRC_USERNAME }}:{{ .DRONE_NETRC_PASSWORD }}@h/r"},
                    {"CI_NETRC_USERNAME", "bot-user"},
                    {"DRONE_NETRC_PASSWORD", "ghp_clonepassword"},
                    {"CI_NETRC_MACHINE", "git.example.com"},
                    {"CI_REPO", "org/app"},
                    // Never referenced, still masked: a command may print it.
                    {"CI_NETRC_PASSWORD", "other-clone-pass"}});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto has = [&](const std::string& v) { return std::count(r.secret_values.begin(), r.secret_values.end(), v) > 0; };
  EXPECT_TRUE(has("ghp_clonepassword"));
  EXPECT_TRUE(has("bot-user"));
  EXPECT_TRUE(has("other-clone-pass"));
  EXPECT_FALSE(has("git.example.com"));
  EXPECT_FALSE(has("org/app"));
}

TEST(Resolve, EveryLeafOfASecretMapAndEveryRenderedSecretIsRegistered) {
  Schema s{.plugin = "t", .summary = "t"};
  s.settings = {{.name = "environment", .type = Type::Map, .secret = true, .description = "Env."},
                {.name = "token", .type = Type::Secret, .description = "Token."},
                {.name = "confs", .type = Type::Map, .description = "Confs."},
                {.name = "keys", .type = Type::List, .secret = true, .description = "Keys."}};
  auto r = resolve(s, {{"PLUGIN_ENVIRONMENT", R"({"DB_PASS":"pa55word-value","NESTED":{"X":"deep-secret"}})"},
                       {"PLUGIN_TOKEN", "tok-{{ .DRONE_BUILD_NUMBER }}-end"},
                       {"DRONE_BUILD_NUMBER", "42"},
                       {"PLUGIN_CONFS", R"({"spark.hadoop.fs.azure.account.key.acct.blob":"azure-key-value",
                                           "spark.executor.instances":"2"})"},
                       {"PLUGIN_KEYS", "first-key-item,second-key-item"}});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto has = [&](const std::string& v) { return std::count(r.secret_values.begin(), r.secret_values.end(), v) > 0; };
  EXPECT_TRUE(has("pa55word-value"));
  EXPECT_TRUE(has("deep-secret"));
  EXPECT_TRUE(has("tok-42-end"));  // the rendered value, not only the template
  EXPECT_TRUE(has("azure-key-value"));
  EXPECT_TRUE(has("first-key-item"));
  EXPECT_TRUE(has("second-key-item"));
  EXPECT_FALSE(has("2"));
  // The debug line of settings hides the credential conf too.
  auto dumped = r.values.to_json_redacted().dump();
  EXPECT_EQ(dumped.find("azure-key-value"), std::string::npos) << dumped;
  EXPECT_NE(dumped.find("spark.executor.instances"), std::string::npos) << dumped;
}

TEST(Resolve, MalformedSecretMapIsNotQuotedInTheError) {
  Schema s{.plugin = "t", .summary = "t"};
  s.settings = {{.name = "environment", .type = Type::Map, .secret = true, .description = "Env."}};
  auto r = resolve(s, {{"PLUGIN_ENVIRONMENT", "A=1,THISISTHESECRETPARTWITHOUTEQUALS,B=2"}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].find("THISISTHESECRET"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[0].find("PLUGIN_ENVIRONMENT=<redacted"), std::string::npos) << r.errors[0];
}

TEST(Resolve, InvalidUtf8InASecretIsAnErrorNotACrash) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_TOKEN", "abc\xff\xfe-token"}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(contains(r.errors, "not valid UTF-8"));
  EXPECT_EQ(r.errors[0].find("abc"), std::string::npos) << r.errors[0];
  // The raw secret is still handed to the redactor, which must cope with it.
  EXPECT_EQ(std::count(r.secret_values.begin(), r.secret_values.end(), "abc\xff\xfe-token"), 1);
}

TEST(Resolve, ZeroDurationsAreInvalidUnlessAllowed) {
  Schema s{.plugin = "t", .summary = "t"};
  s.settings = {{.name = "timeout", .type = Type::Duration, .description = "Limit."},
                {.name = "grace", .type = Type::Duration, .description = "Grace.", .allow_zero = true}};
  for (const char* zero : {"0", "0s", "0m", "0h0m", "0ms"}) {
    auto r = resolve(s, {{"PLUGIN_TIMEOUT", zero}, {"PLUGIN_GRACE", zero}});
    ASSERT_EQ(r.errors.size(), 1u) << zero;
    EXPECT_TRUE(contains(r.errors, "setting timeout): expected a duration greater than zero")) << r.errors[0];
  }
  for (const char* negative : {"-1s", "-5"}) {
    auto r = resolve(s, {{"PLUGIN_TIMEOUT", negative}});
    EXPECT_EQ(r.errors.size(), 1u) << negative;
  }
}

TEST(Resolve, DeeplyNestedMapsFailCleanly) {
  std::string deep;
  for (int i = 0; i < 40'000; ++i)
    deep += "{\"a\":";
  deep += "1";
  deep += std::string(40'000, '}');
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_VALUES", deep}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(contains(r.errors, "nests deeper than")) << r.errors[0];
}

TEST(Resolve, ATruncatedJsonListIsAnError) {
  auto r = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_COMMANDS", R"(["echo a", )"}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(contains(r.errors, "setting commands): expected valid JSON")) << r.errors[0];
  auto ok = resolve(test_schema(), {{"PLUGIN_IMAGE", "x"}, {"PLUGIN_COMMANDS", "[skip ci] deploy, echo b"}});
  ASSERT_TRUE(ok.errors.empty()) << ok.errors.front();
  EXPECT_EQ(ok.values.list("commands"), (std::vector<std::string>{"[skip ci] deploy", "echo b"}));
}

TEST(ReadSettingFile, IsBoundedAndNamesTheSetting) {
  Schema s{.plugin = "t", .summary = "t"};
  s.settings = {{.name = "plan_file", .type = Type::Path, .description = "Plan."}};
  auto r = resolve(s, {{"PLUGIN_PLAN_FILE", "/dev/zero"}});
  ASSERT_TRUE(r.errors.empty());
  try {
    (void)read_setting_file(r.values, "plan_file", 1 << 20);
    FAIL() << "read /dev/zero";
  } catch (const SettingsError& e) {
    EXPECT_NE(std::string(e.what()).find("plan_file /dev/zero is larger than 1048576 bytes"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.exit_code(), 2);
  }
  auto missing = resolve(s, {{"PLUGIN_PLAN_FILE", "/nonexistent/plan.json"}});
  EXPECT_THROW((void)read_setting_file(missing.values, "plan_file"), SettingsError);
}

}  // namespace sg::settings
