#include "dotenv.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "workspace.hpp"

namespace sg::pipeline_client {

TEST(Dotenv, ParsesGodotenvSyntax) {
  auto lines = dotenv::parse(
      "# comment\n"
      "A=plain\n"
      "export B = spaced # trailing comment\n"
      "C='single \\n literal'\n"
      "D=\"double \\\"quoted\\\" \\\\ \\n\"\n"
      "not a pair\n"
      "1BAD=x\n");
  ASSERT_EQ(lines.size(), 7U);
  EXPECT_EQ(lines[0].key, "");
  EXPECT_EQ(lines[1].key, "A");
  EXPECT_EQ(lines[1].value, "plain");
  EXPECT_EQ(lines[2].key, "B");
  EXPECT_EQ(lines[2].value, "spaced");
  EXPECT_EQ(lines[3].value, "single \\n literal");
  EXPECT_EQ(lines[4].value, "double \"quoted\" \\ \n");
  EXPECT_EQ(lines[5].key, "");
  EXPECT_EQ(lines[6].key, "");
}

TEST(Dotenv, QuoteRoundTrips) {
  for (std::string v : {"c1", "with space", "quote\"s", "back\\slash", "new\nline", "#hash", "'single'"}) {
    auto parsed = dotenv::parse("K=" + dotenv::quote(v) + "\n");
    ASSERT_EQ(parsed.size(), 1U);
    EXPECT_EQ(parsed[0].value, v) << v;
  }
}

TEST(Dotenv, MergeReplacesOnlyOurLines) {
  std::string existing =
      "APP_MODE=dev\n"
      "PLUGIN_CLUSTER_NAME=old\n"
      "# keep me\n";
  auto merged = dotenv::merge(existing, {{"PLUGIN_CLUSTER_NAME", "c1"}, {"PLUGIN_CLUSTER_PROVIDER", "google"}});
  EXPECT_EQ(merged,
            "APP_MODE=dev\n"
            "# keep me\n"
            "# pipeline-client: settings shared with the later steps of this build (never secrets)\n"
            "PLUGIN_CLUSTER_NAME=\"c1\"\n"
            "PLUGIN_CLUSTER_PROVIDER=\"google\"\n");
  // Merging again changes nothing: later steps do not rewrite the file.
  EXPECT_EQ(dotenv::merge(merged, {{"PLUGIN_CLUSTER_NAME", "c1"}, {"PLUGIN_CLUSTER_PROVIDER", "google"}}), merged);
  auto values = dotenv::values_of(merged, {"PLUGIN_CLUSTER_NAME", "PLUGIN_TOKEN"});
  EXPECT_EQ(values.size(), 1U);
  EXPECT_EQ(values["PLUGIN_CLUSTER_NAME"], "c1");
}

TEST(Dotenv, LastAssignmentWins) {
  auto v = dotenv::values_of("K=1\nK=2\n", {"K"});
  EXPECT_EQ(v["K"], "2");
}

TEST(Workspace, FilesGetTheirModes) {
  auto dir = std::filesystem::temp_directory_path() / ("pc-ws-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto kube = workspace::kubeconfig_path(dir.string());
  workspace::write_atomic(kube, "secret", 0600, false);
  struct stat st {};
  ASSERT_EQ(::stat(kube.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ::chmod(kube.c_str(), 0644);
  workspace::write_atomic(kube, "secret2", 0600, false);
  ASSERT_EQ(::stat(kube.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);  // forced back
  EXPECT_EQ(workspace::read_text(kube), "secret2");

  EXPECT_TRUE(workspace::share(dir.string(), {{"PLUGIN_CLUSTER_NAME", "c1"}}));
  auto env = workspace::dotenv_path(dir.string());
  ASSERT_EQ(::stat(env.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
  EXPECT_FALSE(workspace::share(dir.string(), {{"PLUGIN_CLUSTER_NAME", "c1"}}));
  // Someone's own private .env stays private.
  ::chmod(env.c_str(), 0600);
  EXPECT_TRUE(workspace::share(dir.string(), {{"PLUGIN_CLUSTER_NAME", "c2"}}));
  ASSERT_EQ(::stat(env.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(workspace::read_text(dir.string() + "/nope"), "");
  std::filesystem::remove_all(dir);
}

TEST(Workspace, AnEndlessDotenvIsAnErrorAfterTheCap) {
  // A repository's .env can be a link to /dev/zero: reading stops at the cap.
  auto start = std::chrono::steady_clock::now();
  try {
    workspace::read_text("/dev/zero");
    FAIL() << "read /dev/zero to the end";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the 16 MiB limit"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace sg::pipeline_client
