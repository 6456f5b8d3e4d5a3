#pragma once
// Access to the real control plane started by `scripts/testenv kube up`
// (the ctest fixture starts it, or reuses a running one). A missing
// environment is a test failure, never a skip.
#include <map>
#include <memory>
#include <string>

#include "kube/client.hpp"

namespace sg::testing {

class KubeEnv {
 public:
  // Reads $SPOTGUIDE_RUN/kube/testenv.env; throws when the env is not up.
  static const KubeEnv& get();

  const std::string& value(const std::string& key) const;
  std::string admin_kubeconfig() const { return value("SPOTGUIDE_KUBECONFIG"); }
  std::string limited_kubeconfig() const { return value("SPOTGUIDE_KUBE_LIMITED_KUBECONFIG"); }
  std::string limited_namespace() const { return value("SPOTGUIDE_KUBE_LIMITED_NAMESPACE"); }
  std::string kubectl() const { return value("SPOTGUIDE_KUBECTL"); }

  kube::Client admin() const;
  kube::Client limited() const;

  // Runs scripts/testenv kube <args>; returns its exit code.
  static int testenv(const std::string& args);

 private:
  std::map<std::string, std::string> values_;
};

// A namespace created for one test and deleted afterwards.
class ScopedNamespace {
 public:
  explicit ScopedNamespace(const std::string& prefix);
  ~ScopedNamespace();
  ScopedNamespace(const ScopedNamespace&) = delete;
  ScopedNamespace& operator=(const ScopedNamespace&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

}  // namespace sg::testing
