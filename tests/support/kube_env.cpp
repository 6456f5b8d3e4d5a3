#include "kube_env.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#include "test_paths.hpp"
#include "util/strings.hpp"

namespace sg::testing {

const KubeEnv& KubeEnv::get() {
  static const KubeEnv env = [] {
    KubeEnv e;
    std::string run_dir;
    if (const char* r = std::getenv("SPOTGUIDE_RUN")) {
      run_dir = r;
    } else {
      const char* cache = std::getenv("SPOTGUIDE_CACHE");
      run_dir =
          cache ? std::string(cache) + "/run" : std::string(std::getenv("HOME")) + "/.cache/spotguide-plugins/run";
    }
    auto path = run_dir + "/kube/testenv.env";
    std::ifstream f(path);
    if (!f) {
      throw std::runtime_error("the Kubernetes test environment is not up (" + path +
                               " is missing); run scripts/testenv kube up");
    }
    std::string line;
    while (std::getline(f, line)) {
      auto eq = line.find('=');
      if (eq == std::string::npos || line.starts_with("#")) continue;
      auto v = line.substr(eq + 1);
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
      e.values_[line.substr(0, eq)] = v;
    }
    return e;
  }();
  return env;
}

const std::string& KubeEnv::value(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::runtime_error("testenv.env has no " + key);
  return it->second;
}

kube::Client KubeEnv::admin() const {
  return kube::Client(kube::load_kubeconfig_files({admin_kubeconfig()}));
}

kube::Client KubeEnv::limited() const {
  return kube::Client(kube::load_kubeconfig_files({limited_kubeconfig()}));
}

int KubeEnv::testenv(const std::string& args) {
  auto cmd = source_dir() + "/scripts/testenv kube " + args + " >&2";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

ScopedNamespace::ScopedNamespace(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  name_ = prefix + "-" + std::to_string(rng() % 1000000);
  auto client = KubeEnv::get().admin();
  client.create(kube::resources::namespaces, "",
                {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name_}}}});
}

ScopedNamespace::~ScopedNamespace() {
  try {
    KubeEnv::get().admin().remove(kube::resources::namespaces, "", name_);
  } catch (const std::exception&) {
    // The API server may be restarting in a test; the namespace is then left
    // for the environment's next `down`.
  }
}

}  // namespace sg::testing
