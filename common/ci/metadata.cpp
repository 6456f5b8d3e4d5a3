#include "ci/metadata.hpp"

#include <git2.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "ci/libgit2_scope.hpp"
#include "util/strings.hpp"

namespace sg::ci {
namespace {

struct GitInfo {
  std::string commit, branch, tag, remote_url, workdir;
};

std::optional<GitInfo> read_git(const std::string& cwd) {
  Libgit2Scope lib;
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, cwd.c_str(), 0, nullptr) != 0) return std::nullopt;
  std::unique_ptr<git_repository, decltype(&git_repository_free)> repo(raw, git_repository_free);
  GitInfo info;
  if (const char* wd = git_repository_workdir(repo.get())) {
    info.workdir = wd;
    while (info.workdir.size() > 1 && info.workdir.back() == '/')
      info.workdir.pop_back();
  }
  git_reference* head_raw = nullptr;
  if (git_repository_head(&head_raw, repo.get()) == 0) {
    std::unique_ptr<git_reference, decltype(&git_reference_free)> head(head_raw, git_reference_free);
    if (const git_oid* oid = git_reference_target(head.get())) {
      char buf[GIT_OID_HEXSZ + 1];
      git_oid_tostr(buf, sizeof buf, oid);
      info.commit = buf;
      struct TagSearch {
        git_repository* repo;
        const git_oid* head;
        std::string found;
      } search{repo.get(), oid, {}};
      git_tag_foreach(
          repo.get(),
          [](const char* name, git_oid* tag_oid, void* payload) -> int {
            auto* s = static_cast<TagSearch*>(payload);
            git_object* obj = nullptr;
            if (git_object_lookup(&obj, s->repo, tag_oid, GIT_OBJECT_ANY) != 0) return 0;
            git_object* peeled = nullptr;
            if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
              if (git_oid_equal(git_object_id(peeled), s->head)) {
                std::string n = name;
                const std::string prefix = "refs/tags/";
                s->found = n.starts_with(prefix) ? n.substr(prefix.size()) : n;
              }
              git_object_free(peeled);
            }
            git_object_free(obj);
            return s->found.empty() ? 0 : 1;
          },
          &search);
      info.tag = search.found;
    }
    if (git_reference_is_branch(head.get())) info.branch = git_reference_shorthand(head.get());
  }
  // Read the one config key rather than git_remote_lookup(): the latter
  // matches remote.origin.* with regexes, and Debian's libgit2 1.5 leaks the
  // pcre2 match data of each regex it runs (LeakSanitizer fails the run).
  git_config* cfg_raw = nullptr;
  if (git_repository_config_snapshot(&cfg_raw, repo.get()) == 0) {
    std::unique_ptr<git_config, decltype(&git_config_free)> cfg(cfg_raw, git_config_free);
    const char* url = nullptr;
    if (git_config_get_string(&url, cfg.get(), "remote.origin.url") == 0 && url) info.remote_url = url;
  }
  return info;
}

}  // namespace

bool parse_remote(const std::string& url, std::string& owner, std::string& name) {
  std::string path = url;
  if (auto scheme = path.find("://"); scheme != std::string::npos) {
    auto slash = path.find('/', scheme + 3);
    if (slash == std::string::npos) return false;
    path = path.substr(slash + 1);
  } else if (auto colon = path.find(':'); colon != std::string::npos && path.find('/') > colon) {
    path = path.substr(colon + 1);  // scp-like git@host:owner/name.git
  }
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  if (path.ends_with(".git")) path.resize(path.size() - 4);
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size()) return false;
  name = path.substr(slash + 1);
  auto owner_part = path.substr(0, slash);
  auto prev = owner_part.rfind('/');
  owner = prev == std::string::npos ? owner_part : owner_part.substr(prev + 1);
  return true;
}

Metadata resolve(const settings::Environment& env, const std::string& cwd) {
  Metadata m;
  auto get = [&](const std::string& var) -> std::optional<std::string> {
    auto it = env.find(var);
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  // Each source either yields a value or not; the first that does wins.
  using Source = std::pair<std::string, std::function<std::optional<std::string>()>>;
  auto var = [&](const std::string& name) { return Source{name, [&, name] { return get(name); }}; };
  auto slug_part = [&](const std::string& name, bool want_owner) {
    return Source{name, [&, name, want_owner]() -> std::optional<std::string> {
                    auto v = get(name);
                    if (!v) return std::nullopt;
                    auto slash = v->find('/');
                    if (slash == std::string::npos) return want_owner ? std::nullopt : v;
                    return want_owner ? v->substr(0, slash) : v->substr(slash + 1);
                  }};
  };
  auto first = [&](const std::string& field, std::string& out, const std::vector<Source>& sources) {
    for (const auto& [label, fn] : sources) {
      if (auto v = fn()) {
        out = *v;
        m.sources[field] = label;
        return;
      }
    }
  };

  if (get("DRONE") || get("DRONE_BUILD_NUMBER") || get("DRONE_REPO")) m.system = "drone";
  if (get("CI") == std::optional<std::string>("woodpecker"))
    m.system = "woodpecker";
  else if (m.system.empty() && (get("CIRCLECI") || get("CIRCLE_BUILD_NUM")))
    m.system = "circleci";
  else if (m.system.empty() && (get("TRAVIS") || get("TRAVIS_BUILD_NUMBER")))
    m.system = "travis";

  first("repo_owner", m.repo_owner,
        {var("DRONE_REPO_OWNER"), var("DRONE_REPO_NAMESPACE"), slug_part("DRONE_REPO", true), var("CI_REPO_OWNER"),
         slug_part("CI_REPO", true), slug_part("CI_REPO_NAME", true), var("CIRCLE_PROJECT_USERNAME"),
         slug_part("TRAVIS_REPO_SLUG", true)});
  // Drone's legacy CI_REPO_NAME is the whole slug; Woodpecker's is the name.
  first("repo_name", m.repo_name,
        {var("DRONE_REPO_NAME"), slug_part("DRONE_REPO", false), slug_part("CI_REPO_NAME", false),
         slug_part("CI_REPO", false), var("CIRCLE_PROJECT_REPONAME"), slug_part("TRAVIS_REPO_SLUG", false)});
  first("commit", m.commit,
        {var("DRONE_COMMIT_SHA"), var("DRONE_COMMIT"), var("DRONE_COMMIT_AFTER"), var("CI_COMMIT_SHA"),
         var("CIRCLE_SHA1"), var("TRAVIS_COMMIT")});
  first("branch", m.branch,
        {var("DRONE_BRANCH"), var("DRONE_COMMIT_BRANCH"), var("CI_COMMIT_BRANCH"), var("CIRCLE_BRANCH"),
         var("TRAVIS_BRANCH")});
  first("tag", m.tag, {var("DRONE_TAG"), var("CI_COMMIT_TAG"), var("CIRCLE_TAG"), var("TRAVIS_TAG")});
  first("event", m.event,
        {var("DRONE_BUILD_EVENT"), var("CI_PIPELINE_EVENT"), var("CI_BUILD_EVENT"),
         Source{"CIRCLE_TAG",
                [&]() -> std::optional<std::string> {
                  if (get("CIRCLE_TAG")) return "tag";
                  if (get("CIRCLE_PULL_REQUEST") || get("CIRCLE_PR_NUMBER")) return "pull_request";
                  if (get("CIRCLE_BUILD_NUM")) return "push";
                  return std::nullopt;
                }},
         var("TRAVIS_EVENT_TYPE")});
  first("build_number", m.build_number,
        {var("DRONE_BUILD_NUMBER"), var("CI_PIPELINE_NUMBER"), var("CI_BUILD_NUMBER"), var("CIRCLE_BUILD_NUM"),
         var("TRAVIS_BUILD_NUMBER")});
  first("workspace", m.workspace,
        {var("DRONE_WORKSPACE"), var("CI_WORKSPACE"), var("CIRCLE_WORKING_DIRECTORY"), var("TRAVIS_BUILD_DIR")});
  first("step_name", m.step_name,
        {var("DRONE_STEP_NAME"), var("CI_STEP_NAME"), var("CIRCLE_JOB"), var("TRAVIS_JOB_NAME")});
  first("remote_url", m.remote_url,
        {var("DRONE_GIT_HTTP_URL"), var("DRONE_REMOTE_URL"), var("CI_REPO_CLONE_URL"), var("CI_REMOTE_URL"),
         var("CIRCLE_REPOSITORY_URL")});

  // CircleCI writes "~/project"; expand it so paths work as they are.
  if (m.workspace.starts_with("~/")) {
    if (auto home = get("HOME")) m.workspace = *home + m.workspace.substr(1);
  }

  bool need_git = m.repo_name.empty() || m.commit.empty() || (m.branch.empty() && m.tag.empty()) || m.workspace.empty();
  if (need_git) {
    auto where = m.workspace.empty() ? cwd : m.workspace;
    if (auto g = read_git(where)) {
      auto fill = [&](const std::string& field, std::string& out, const std::string& v) {
        if (out.empty() && !v.empty()) {
          out = v;
          m.sources[field] = "git";
        }
      };
      fill("commit", m.commit, g->commit);
      if (m.tag.empty()) fill("branch", m.branch, g->branch);
      fill("tag", m.tag, g->tag);
      fill("remote_url", m.remote_url, g->remote_url);
      fill("workspace", m.workspace, g->workdir);
      std::string owner, name;
      if (!g->remote_url.empty() && parse_remote(g->remote_url, owner, name)) {
        fill("repo_owner", m.repo_owner, owner);
        fill("repo_name", m.repo_name, name);
      }
      if (m.repo_name.empty() && !g->workdir.empty()) {
        fill("repo_name", m.repo_name, std::filesystem::path(g->workdir).filename().string());
      }
      if (m.system.empty()) m.system = "git";
    }
  }
  if (m.workspace.empty()) {
    m.workspace = cwd;
    m.sources["workspace"] = "cwd";
  }
  if (m.system.empty()) m.system = "none";
  return m;
}

}  // namespace sg::ci
