#pragma once
// `spotguide detect`: which spotguide fits a git repository, and why. Reads
// the files of the HEAD commit with libgit2 (what a push would build, not
// whatever happens to lie in the working tree).
#include <filesystem>
#include <string>
#include <vector>

#include "spotguide.hpp"

namespace sg::spotguide {

struct RepoFile {
  std::string path;     // relative, '/'-separated
  std::string content;  // empty for files too large to scan
};

struct Match {
  std::string spotguide;
  int score = 0;
  std::vector<std::string> reasons;  // "<reason> (<path>)"
};

// The HEAD tree of the repository containing dir. Throws std::runtime_error.
std::vector<RepoFile> read_head_files(const std::filesystem::path& dir);

bool glob_match(const std::string& pattern, const std::string& path);

// Matches, best first; spotguides with no matching rule are left out.
std::vector<Match> detect(const std::vector<RepoFile>& files, const std::vector<Spotguide>& guides);

}  // namespace sg::spotguide
