#include "http/pem_rule.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "settings/resolve.hpp"
#include "util/base64.hpp"

namespace sg::http {
namespace {

using settings::Type;

const std::string kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

std::vector<std::string> errors(const settings::Environment& env) {
  settings::Schema s;
  s.plugin = "t";
  s.settings = {{.name = "tls_ca", .type = Type::String}, {.name = "tls_key", .type = Type::Secret}};
  s.rules = {pem_rule({"tls_ca", "tls_key"})};
  return settings::resolve(s, env).errors;
}

TEST(PemRule, PemBase64AndFilesPass) {
  auto file = std::filesystem::path(::testing::TempDir()) / "pem_rule_ca.pem";
  std::ofstream(file) << kPem;
  EXPECT_TRUE(errors({{"PLUGIN_TLS_CA", kPem}}).empty());
  EXPECT_TRUE(errors({{"PLUGIN_TLS_CA", util::base64_encode(kPem)}}).empty());
  EXPECT_TRUE(errors({{"PLUGIN_TLS_CA", file.string()}}).empty());
  EXPECT_TRUE(errors({}).empty());
}

TEST(PemRule, AnythingElseIsASettingsErrorThatNeverQuotesTheValue) {
  const std::string pasted = "not-a-key/but-a-secret-pasted-here";
  // /dev/zero: refused after a bounded read, not read forever.
  EXPECT_EQ(errors({{"PLUGIN_TLS_CA", "/dev/zero"}}).size(), 1U);
  auto e = errors({{"PLUGIN_TLS_KEY", pasted}, {"PLUGIN_TLS_CA", "/etc/hostname"}});
  ASSERT_EQ(e.size(), 2U);
  for (const auto& m : e) {
    EXPECT_EQ(m.find(pasted), std::string::npos) << m;
    EXPECT_NE(m.find("expected PEM text"), std::string::npos) << m;
  }
  EXPECT_NE(e[0].find("PLUGIN_TLS_CA (setting tls_ca)"), std::string::npos) << e[0];
  EXPECT_NE(e[1].find("PLUGIN_TLS_KEY (setting tls_key)"), std::string::npos) << e[1];
}

}  // namespace
}  // namespace sg::http
