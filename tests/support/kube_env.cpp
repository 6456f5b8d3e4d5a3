#include "kube_env.hpp"

#include <random>
#include <stdexcept>

#include "testenv_file.hpp"
#include "util/strings.hpp"

namespace sg::testing {

const KubeEnv& KubeEnv::get() {
  static const KubeEnv env = [] {
    KubeEnv e;
    e.values_ = read_testenv("kube");
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
  return run_testenv("kube", args);
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
