#include "kube/credentials.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace sg::kube {

TEST(Credentials, ParsesRfc3339) {
  auto base = parse_rfc3339("2026-11-21T10:00:00Z").value();
  EXPECT_EQ(std::chrono::system_clock::to_time_t(base), 1795255200);
  EXPECT_EQ(parse_rfc3339("2026-11-21T10:00:00.5Z").value() - base, std::chrono::milliseconds(500));
  EXPECT_EQ(parse_rfc3339("2026-11-21T11:00:00+01:00").value(), base);
  EXPECT_EQ(parse_rfc3339("2026-11-21T10:00:00.000000001Z").value() - base, std::chrono::nanoseconds(1));
  EXPECT_FALSE(parse_rfc3339("2026-11-21 10:00:00").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-11-21T10:00:00").has_value());
}

// Found by fuzzing: a non-digit offset threw std::invalid_argument from stoi.
TEST(Credentials, MalformedOffsetsAreNotTimes) {
  EXPECT_FALSE(parse_rfc3339("1970-01-01T00:00:00-\xfd" "3:59").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-11-21T10:00:00+ab:cd").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-11-21T10:00:00+01-00").has_value());
  // Years system_clock cannot hold overflowed its nanoseconds.
  EXPECT_FALSE(parse_rfc3339("0226-12-03T16:00:00Z").has_value());
  EXPECT_FALSE(parse_rfc3339("9999-12-03T16:00:00Z").has_value());
}

TEST(Credentials, ParsesExecCredential) {
  auto r = parse_exec_credential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t1","expirationTimestamp":"2030-01-01T00:00:00Z"}})",
      "cred");
  EXPECT_EQ(r.token, "t1");
  ASSERT_TRUE(r.expires.has_value());
  EXPECT_THROW(parse_exec_credential("{}", "cred"), Error);
  EXPECT_THROW(parse_exec_credential(R"({"kind":"ExecCredential","status":{}})", "cred"), Error);
}

// A real script plays the credential plugin: it counts its runs, so the test
// sees caching until expiry and a re-run after a 401.
TEST(Credentials, ExecPluginCachedUntilExpiryAndRerunOnInvalidate) {
  auto dir = std::filesystem::temp_directory_path() / ("sg-exec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto script = dir / "plugin.sh";
  auto counter = dir / "count";
  std::ofstream(script) << "#!/bin/sh\n"
                           "n=$(cat '"
                        << counter.string() << "' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '" << counter.string()
                        << "'\n"
                           "test -n \"$KUBERNETES_EXEC_INFO\" || exit 3\n"
                           "test \"$EXTRA\" = yes || exit 4\n"
                           "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                           "\"status\":{\"token\":\"tok-'$n'\",\"expirationTimestamp\":\"'\"$EXPIRES\"'\"}}'\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  Config c;
  c.server = "https://k";
  c.exec = ExecConfig{.command = script.string(), .env = {{"EXTRA", "yes"}}};
  setenv("EXPIRES", "2099-01-01T00:00:00Z", 1);
  Credentials creds(c);
  EXPECT_EQ(creds.authorization(), "Bearer tok-1");
  EXPECT_EQ(creds.authorization(), "Bearer tok-1");  // cached
  EXPECT_TRUE(creds.invalidate());
  EXPECT_EQ(creds.authorization(), "Bearer tok-2");

  // An already-expired credential is fetched again on every use.
  setenv("EXPIRES", "2000-01-01T00:00:00Z", 1);
  Credentials expiring(c);
  auto first = expiring.authorization();
  auto second = expiring.authorization();
  EXPECT_NE(first, second);
  unsetenv("EXPIRES");
  std::filesystem::remove_all(dir);
}

TEST(Credentials, FailingPluginNamesItself) {
  Config c;
  c.exec = ExecConfig{.command = "/bin/false", .install_hint = "install the cloud CLI"};
  Credentials creds(c);
  try {
    creds.authorization();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/bin/false exited with 1"), std::string::npos);
    EXPECT_EQ(e.hint(), "install the cloud CLI");
  }
}

TEST(Credentials, TokenFileRereadOnInvalidate) {
  auto file = std::filesystem::temp_directory_path() / ("sg-token-" + std::to_string(::getpid()));
  std::ofstream(file) << "first\n";
  Config c;
  c.token_file = file.string();
  Credentials creds(c);
  EXPECT_EQ(creds.authorization(), "Bearer first");
  std::ofstream(file) << "rotated";
  EXPECT_EQ(creds.authorization(), "Bearer first");  // within the re-read interval
  EXPECT_TRUE(creds.invalidate());
  EXPECT_EQ(creds.authorization(), "Bearer rotated");
  std::filesystem::remove(file);
}

TEST(Credentials, BasicAuth) {
  Config c;
  c.username = "admin";
  c.password = "secret";
  Credentials creds(c);
  EXPECT_EQ(creds.authorization(), "Basic YWRtaW46c2VjcmV0");
  EXPECT_FALSE(creds.invalidate());
}

}  // namespace sg::kube
