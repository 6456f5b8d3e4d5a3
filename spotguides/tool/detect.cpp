#include "detect.hpp"

#include <git2.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <re2/re2.h>

#include "ci/libgit2_scope.hpp"

namespace sg::spotguide {
namespace {

// Build files and sources are small; anything larger is data, not evidence.
constexpr std::size_t kMaxScan = 1 << 20;
// What detect keeps of a repository: this many files, and contents up to
// this total, so a huge repository costs bounded memory; one beyond either is
// judged on the files walked first.
constexpr std::size_t kMaxFiles = 200'000;
constexpr std::size_t kMaxContentBytes = std::size_t{64} << 20;

std::string git_error_text() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

struct WalkState {
  git_repository* repo;
  std::vector<RepoFile>* out;
  std::size_t content_bytes = 0;
};

int visit(const char* root, const git_tree_entry* entry, void* payload) {
  auto* s = static_cast<WalkState*>(payload);
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
  if (s->out->size() >= kMaxFiles) return -1;  // stops the walk; what was read is kept
  RepoFile f;
  f.path = std::string(root) + git_tree_entry_name(entry);
  git_blob* blob = nullptr;
  if (git_blob_lookup(&blob, s->repo, git_tree_entry_id(entry)) == 0) {
    auto size = static_cast<std::size_t>(git_blob_rawsize(blob));
    if (size <= kMaxScan && size <= kMaxContentBytes - s->content_bytes) {
      f.content.assign(static_cast<const char*>(git_blob_rawcontent(blob)), size);
      s->content_bytes += size;
    }
    git_blob_free(blob);
  }
  s->out->push_back(std::move(f));
  return 0;
}

// A glob as an RE2 expression: RE2 matches in time linear in the path, where
// a backtracking engine takes exponential time on `*a*a*a*b` against a long
// name of a's.
std::unique_ptr<const re2::RE2> glob_regex(const std::string& pattern) {
  std::string re;
  // A pattern without '/' matches a file name in any directory, as in .gitignore.
  if (pattern.find('/') == std::string::npos) re = "(.*/)?";
  std::size_t literal_start = 0;
  auto flush = [&](std::size_t end) {
    re += re2::RE2::QuoteMeta(re2::StringPiece(pattern.data() + literal_start, end - literal_start));
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    std::string_view special;
    std::size_t skip = 0;
    if (pattern.compare(i, 3, "**/") == 0) {
      special = "(.*/)?";
      skip = 2;
    } else if (pattern.compare(i, 2, "**") == 0) {
      special = ".*";
      skip = 1;
    } else if (pattern[i] == '*') {
      special = "[^/]*";
    } else if (pattern[i] == '?') {
      special = "[^/]";
    } else {
      continue;
    }
    flush(i);
    re += special;
    i += skip;
    literal_start = i + 1;
  }
  flush(pattern.size());
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_dot_nl(true);
  auto compiled = std::make_unique<const re2::RE2>(re, o);
  // Every character but the wildcards is quoted, so this only fails for a
  // pattern too large for RE2's memory budget.
  if (!compiled->ok()) throw std::runtime_error("glob " + pattern + " cannot be matched: " + compiled->error());
  return compiled;
}

}  // namespace

std::vector<RepoFile> read_head_files(const std::filesystem::path& dir) {
  ci::Libgit2Scope lib;
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), 0, nullptr) != 0)
    throw std::runtime_error(dir.string() + " is not in a git repository: " + git_error_text());
  std::unique_ptr<git_repository, decltype(&git_repository_free)> repo(raw, git_repository_free);
  git_object* tree_obj = nullptr;
  if (git_revparse_single(&tree_obj, repo.get(), "HEAD^{tree}") != 0)
    throw std::runtime_error(dir.string() + ": no commit at HEAD to examine (" + git_error_text() +
                             "); commit the files first");
  std::unique_ptr<git_object, decltype(&git_object_free)> tree(tree_obj, git_object_free);
  std::vector<RepoFile> files;
  WalkState state{repo.get(), &files};
  if (git_tree_walk(reinterpret_cast<git_tree*>(tree.get()), GIT_TREEWALK_PRE, visit, &state) != 0 &&
      files.size() < kMaxFiles)
    throw std::runtime_error(dir.string() + ": cannot read the HEAD tree: " + git_error_text());
  return files;
}

bool glob_match(const std::string& pattern, const std::string& path) {
  return re2::RE2::FullMatch(path, *glob_regex(pattern));
}

std::vector<Match> detect(const std::vector<RepoFile>& files, const std::vector<Spotguide>& guides) {
  std::vector<Match> out;
  for (const auto& g : guides) {
    Match m{g.name, 0, {}};
    for (const auto& rule : g.detect) {
      std::vector<std::unique_ptr<const re2::RE2>> globs;
      for (const auto& p : rule.files)
        globs.push_back(glob_regex(p));
      for (const auto& f : files) {
        bool name_ok =
            std::any_of(globs.begin(), globs.end(), [&](const auto& re) { return re2::RE2::FullMatch(f.path, *re); });
        if (!name_ok) continue;
        bool content_ok = std::all_of(rule.contains.begin(), rule.contains.end(),
                                      [&](const auto& needle) { return f.content.find(needle) != std::string::npos; });
        if (!content_ok) continue;
        m.score += rule.weight;
        m.reasons.push_back(rule.reason + " (" + f.path + ")");
        break;  // one file is enough evidence for a rule
      }
    }
    if (m.score > 0) out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  return out;
}

}  // namespace sg::spotguide
