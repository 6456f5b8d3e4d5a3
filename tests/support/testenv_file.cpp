#include "testenv_file.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "test_paths.hpp"

namespace sg::testing {

std::map<std::string, std::string> read_testenv(const std::string& peer) {
  std::string run_dir;
  if (const char* r = std::getenv("SPOTGUIDE_RUN")) {
    run_dir = r;
  } else {
    const char* cache = std::getenv("SPOTGUIDE_CACHE");
    run_dir = cache ? std::string(cache) + "/run" : std::string(std::getenv("HOME")) + "/.cache/spotguide-plugins/run";
  }
  auto path = run_dir + "/" + peer + "/testenv.env";
  std::ifstream f(path);
  if (!f) {
    throw std::runtime_error("the " + peer + " test environment is not up (" + path +
                             " is missing); run scripts/testenv " + peer + " up");
  }
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(f, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos || line.starts_with("#")) continue;
    auto v = line.substr(eq + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    values[line.substr(0, eq)] = v;
  }
  return values;
}

int run_testenv(const std::string& peer, const std::string& args) {
  auto cmd = source_dir() + "/scripts/testenv " + peer + " " + args + " >&2";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

}  // namespace sg::testing
