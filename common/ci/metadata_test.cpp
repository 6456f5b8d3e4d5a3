#include "ci/metadata.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace sg::ci {

struct Case {
  const char* name;
  settings::Environment env;
  Metadata want;
};

// One row per CI system, with the variables each really sets
// (see shared/notes/drone-ecosystem.md section 1.5).
TEST(Metadata, TablePerCiSystem) {
  const Case cases[] = {
      {"drone",
       {{"DRONE", "true"},
        {"DRONE_REPO", "acme/app"},
        {"DRONE_REPO_OWNER", "acme"},
        {"DRONE_REPO_NAME", "app"},
        {"DRONE_COMMIT_SHA", "abc"},
        {"DRONE_BRANCH", "main"},
        {"DRONE_TAG", "v1"},
        {"DRONE_BUILD_EVENT", "tag"},
        {"DRONE_BUILD_NUMBER", "12"},
        {"DRONE_WORKSPACE", "/drone/src"},
        {"DRONE_STEP_NAME", "deploy"},
        {"CI_REPO_NAME", "acme/app"},
        {"CI_BUILD_NUMBER", "12"}},
       {"drone", "acme", "app", "abc", "main", "v1", "tag", "12", "/drone/src", "deploy", "", {}}},
      {"drone-legacy-ci-only",
       {{"CI", "drone"},
        {"CI_REPO_NAME", "acme/app"},
        {"CI_COMMIT_SHA", "abc"},
        {"CI_BUILD_NUMBER", "5"},
        {"CI_BUILD_EVENT", "push"},
        {"CI_WORKSPACE", "/drone/src/x"}},
       {"", "acme", "app", "abc", "", "", "push", "5", "/drone/src/x", "", "", {}}},
      {"woodpecker",
       {{"CI", "woodpecker"},
        {"CI_REPO", "acme/app"},
        {"CI_REPO_OWNER", "acme"},
        {"CI_REPO_NAME", "app"},
        {"CI_COMMIT_SHA", "def"},
        {"CI_COMMIT_BRANCH", "dev"},
        {"CI_PIPELINE_EVENT", "manual"},
        {"CI_PIPELINE_NUMBER", "44"},
        {"CI_WORKSPACE", "/woodpecker/src/x"},
        {"CI_STEP_NAME", "build"},
        // Woodpecker's Drone compatibility copies for plugin steps:
        {"DRONE_REPO", "acme/app"},
        {"DRONE_BUILD_NUMBER", "44"},
        {"DRONE_BUILD_STATUS", "success"}},
       {"woodpecker", "acme", "app", "def", "dev", "", "manual", "44", "/woodpecker/src/x", "build", "", {}}},
      {"circleci",
       {{"CI", "true"},
        {"CIRCLECI", "true"},
        {"CIRCLE_PROJECT_USERNAME", "acme"},
        {"CIRCLE_PROJECT_REPONAME", "app"},
        {"CIRCLE_SHA1", "123"},
        {"CIRCLE_BRANCH", "feature"},
        {"CIRCLE_BUILD_NUM", "9"},
        {"CIRCLE_WORKING_DIRECTORY", "~/project"},
        {"CIRCLE_JOB", "test"},
        {"HOME", "/home/circleci"},
        {"CIRCLE_PULL_REQUEST", "https://github.com/acme/app/pull/3"}},
       {"circleci",
        "acme",
        "app",
        "123",
        "feature",
        "",
        "pull_request",
        "9",
        "/home/circleci/project",
        "test",
        "",
        {}}},
      {"travis",
       {{"CI", "true"},
        {"TRAVIS", "true"},
        {"TRAVIS_REPO_SLUG", "acme/app"},
        {"TRAVIS_COMMIT", "456"},
        {"TRAVIS_BRANCH", "main"},
        {"TRAVIS_BUILD_NUMBER", "77"},
        {"TRAVIS_EVENT_TYPE", "cron"},
        {"TRAVIS_BUILD_DIR", "/home/travis/build/acme/app"},
        {"TRAVIS_JOB_NAME", "unit"}},
       {"travis", "acme", "app", "456", "main", "", "cron", "77", "/home/travis/build/acme/app", "unit", "", {}}},
  };
  for (const auto& c : cases) {
    auto m = resolve(c.env, "/nonexistent-for-test");
    SCOPED_TRACE(c.name);
    if (!c.want.system.empty()) {
      EXPECT_EQ(m.system, c.want.system);
    }
    EXPECT_EQ(m.repo_owner, c.want.repo_owner);
    EXPECT_EQ(m.repo_name, c.want.repo_name);
    EXPECT_EQ(m.commit, c.want.commit);
    EXPECT_EQ(m.branch, c.want.branch);
    EXPECT_EQ(m.tag, c.want.tag);
    EXPECT_EQ(m.event, c.want.event);
    EXPECT_EQ(m.build_number, c.want.build_number);
    EXPECT_EQ(m.workspace, c.want.workspace);
    EXPECT_EQ(m.step_name, c.want.step_name);
  }
}

TEST(Metadata, RecordsWhereEachFieldCameFrom) {
  auto m = resolve({{"CI", "woodpecker"}, {"CI_REPO", "a/b"}, {"CI_COMMIT_SHA", "x"}, {"CI_WORKSPACE", "/w"}}, "/");
  EXPECT_EQ(m.sources["repo_owner"], "CI_REPO");
  EXPECT_EQ(m.sources["commit"], "CI_COMMIT_SHA");
}

TEST(Metadata, ParsesCloneUrls) {
  const std::tuple<const char*, const char*, const char*> urls[] = {
      {"https://github.com/acme/app.git", "acme", "app"},
      {"git@github.com:acme/app.git", "acme", "app"},
      {"ssh://git@gitlab.example.com:2222/group/sub/app", "sub", "app"},
      {"https://github.com/acme/app/", "acme", "app"},
  };
  for (const auto& [url, owner, name] : urls) {
    std::string o, n;
    ASSERT_TRUE(parse_remote(url, o, n)) << url;
    EXPECT_EQ(o, owner) << url;
    EXPECT_EQ(n, name) << url;
  }
  std::string o, n;
  EXPECT_FALSE(parse_remote("https://host/", o, n));
}

// The last fallback reads a real git checkout with libgit2.
TEST(Metadata, FallsBackToTheGitCheckout) {
  auto dir = std::filesystem::temp_directory_path() / ("sg-git-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto run = [&](const std::string& cmd) {
    ASSERT_EQ(std::system(("cd '" + dir.string() + "' && " + cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  };
  run("git init -q -b feature-x . && git config user.email t@e && git config user.name t");
  run("git remote add origin https://example.com/acme/from-git.git");
  std::ofstream(dir / "f") << "x";
  run("git add f && git commit -q -m init && git tag v9");
  auto m = resolve({}, dir.string());
  EXPECT_EQ(m.system, "git");
  EXPECT_EQ(m.repo_owner, "acme");
  EXPECT_EQ(m.repo_name, "from-git");
  EXPECT_EQ(m.commit.size(), 40u);
  EXPECT_EQ(m.branch, "feature-x");
  EXPECT_EQ(m.tag, "v9");
  EXPECT_EQ(std::filesystem::canonical(m.workspace), std::filesystem::canonical(dir));
  EXPECT_EQ(m.sources["commit"], "git");
  std::filesystem::remove_all(dir);
}

}  // namespace sg::ci
