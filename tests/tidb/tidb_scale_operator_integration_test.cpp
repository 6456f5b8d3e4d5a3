// tidb-scale (backend operator) against the real Kubernetes control plane
// (`scripts/testenv kube up`) and the real PD cluster (`scripts/testenv pd
// up`). TiDB Operator itself cannot be built here: the Go module proxy
// answers 403 for every github.com/pingcap/tidb-operator version
// (docs/testenv-pd.md). So this test plays the operator's part, as little of
// it as the plugin relies on: it watches the TidbCluster's spec and, like the
// operator, adds a store on scale-out, deletes the highest store through PD's
// API on scale-in, and reports TiDB members in the status. The CRD is a
// minimal pingcap.com/v1alpha1 TidbCluster (schema left open), since the
// operator's own manifests come from the same unavailable module.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "kube/wait.hpp"
#include "kube_env.hpp"
#include "pd_helpers.hpp"

namespace sg::testing {
namespace {

const kube::Resource kTc{"pingcap.com", "v1alpha1", "tidbclusters", true, "TidbCluster"};

void ensure_crd(kube::Client& c) {
  json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "tidbclusters.pingcap.com"}}},
      {"spec",
       {{"group", "pingcap.com"},
        {"scope", "Namespaced"},
        {"names",
         {{"kind", "TidbCluster"}, {"plural", "tidbclusters"}, {"singular", "tidbcluster"}, {"shortNames", {"tc"}}}},
        {"versions",
         {{{"name", "v1alpha1"},
           {"served", true},
           {"storage", true},
           {"schema",
            {{"openAPIV3Schema", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
  if (!c.try_get(kube::resources::crds, "", "tidbclusters.pingcap.com")) {
    try {
      c.create(kube::resources::crds, "", crd);
    } catch (const kube::ApiError&) {
      // Another run created it meanwhile.
    }
  }
  // Established: the API serves the kind.
  ASSERT_TRUE(eventually(
      [&] {
        c.list(kTc, "default");
        return true;
      },
      30s));
}

json tidb_members(int n) {
  json m = json::object();
  for (int i = 0; i < n; ++i)
    m["basic-tidb-" + std::to_string(i)] = {{"name", "basic-tidb-" + std::to_string(i)}, {"health", true}};
  return m;
}

// The operator's part (see the top of the file), until stopped.
class OperatorStandIn {
 public:
  OperatorStandIn(std::string ns, std::string name) : ns_(std::move(ns)), name_(std::move(name)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~OperatorStandIn() {
    stop_ = true;
    thread_.join();
  }
  std::vector<std::string> actions() {
    std::lock_guard l(mu_);
    return actions_;
  }

 private:
  void loop() {
    auto c = KubeEnv::get().admin();
    while (!stop_) {
      try {
        reconcile(c);
      } catch (const std::exception& e) {
        std::lock_guard l(mu_);
        actions_.push_back(std::string("error: ") + e.what());
      }
      std::this_thread::sleep_for(300ms);
    }
  }

  void reconcile(kube::Client& c) {
    auto tc = c.get(kTc, ns_, name_);
    auto tikv = tc["spec"]["tikv"]["replicas"].get<std::size_t>();
    auto up = stores_in("Up");
    if (stores_in("Offline").empty()) {
      if (tikv > up.size()) {
        testenv("add-store");
        record("add-store");
      } else if (tikv < up.size()) {
        // The StatefulSet's highest ordinal; here the highest store id.
        auto victim = std::to_string(up.back());
        pd_send("DELETE", "store/" + victim);
        record("delete-store " + victim);
      }
    }
    auto tidb = tc["spec"]["tidb"]["replicas"].get<int>();
    auto members = tc.contains("status") ? tc["status"]["tidb"]["members"] : json::object();
    if (static_cast<int>(members.size()) != tidb) {
      c.patch(kTc, ns_, name_, {{"status", {{"tidb", {{"members", nullptr}}}}}}, kube::PatchType::Merge);
      c.patch(kTc, ns_, name_, {{"status", {{"tidb", {{"members", tidb_members(tidb)}}}}}}, kube::PatchType::Merge);
      record("tidb members " + std::to_string(tidb));
    }
  }

  void record(const std::string& a) {
    std::lock_guard l(mu_);
    actions_.push_back(a);
  }

  std::string ns_, name_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> actions_;
  std::thread thread_;
};

}  // namespace

TEST(TidbScaleOperator, ScalesThroughTheTidbClusterAndWaitsOnPd) {
  restore_cluster();
  auto c = KubeEnv::get().admin();
  ensure_crd(c);
  ScopedNamespace ns("tidb-scale");
  auto stores = static_cast<int>(stores_in("Up").size());
  c.create(kTc, ns.name(),
           {{"apiVersion", "pingcap.com/v1alpha1"},
            {"kind", "TidbCluster"},
            {"metadata", {{"name", "basic"}}},
            {"spec", {{"pd", {{"replicas", 3}}}, {"tikv", {{"replicas", stores}}}, {"tidb", {{"replicas", 2}}}}},
            {"status", {{"tidb", {{"members", tidb_members(2)}}}}}});
  OperatorStandIn op(ns.name(), "basic");
  auto settings = [&](std::map<std::string, std::string> s) {
    s.insert({{"backend", "operator"},
              {"cluster", "basic"},
              {"namespace", ns.name()},
              {"kubeconfig_path", KubeEnv::get().admin_kubeconfig()}});
    return s;
  };

  // Scale-out: the plugin patches spec.tikv.replicas and waits until PD has
  // the new store Up.
  auto out = run_plugin(settings({{"mode", "scale"}, {"tikv_replicas", std::to_string(stores + 1)}}));
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  EXPECT_EQ(c.get(kTc, ns.name(), "basic")["spec"]["tikv"]["replicas"], stores + 1);
  EXPECT_EQ(static_cast<int>(stores_in("Up").size()), stores + 1);

  // Scale-in: spec lowered (after evicting leaders, when the store has any),
  // and the run ends only when PD has the store as Tombstone.
  auto in = run_plugin(settings({{"mode", "scale"}, {"tikv_replicas", std::to_string(stores)}}));
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  EXPECT_NE(in.out.find("tikv set-replicas " + std::to_string(stores) + " ..."), std::string::npos) << in.out;
  EXPECT_NE(in.out.find("tikv wait-tombstone " +
                        std::to_string(stores_in("Tombstone").empty() ? 0 : stores_in("Tombstone").back()) + " done"),
            std::string::npos)
      << in.out;
  EXPECT_EQ(c.get(kTc, ns.name(), "basic")["spec"]["tikv"]["replicas"], stores);
  EXPECT_EQ(static_cast<int>(stores_in("Up").size()), stores);
  EXPECT_FALSE(stores_in("Tombstone").empty());
  EXPECT_EQ(pd_get("schedulers").dump().find("evict-leader"), std::string::npos);

  // TiDB: below min_tidb_healthy is refused; scale-out waits on the status.
  auto low = run_plugin(settings({{"mode", "scale"}, {"tidb_replicas", "1"}}));
  EXPECT_EQ(low.exit_code, 1);
  EXPECT_NE(low.err.find("refused by rule tidb-min-healthy"), std::string::npos) << low.err;
  auto tidb = run_plugin(settings({{"mode", "scale"}, {"tidb_replicas", "3"}}));
  ASSERT_EQ(tidb.exit_code, 0) << tidb.out << tidb.err;
  EXPECT_EQ(c.get(kTc, ns.name(), "basic")["status"]["tidb"]["members"].size(), 3u);

  auto actions = op.actions();
  for (const auto& a : actions)
    EXPECT_EQ(a.find("error"), std::string::npos) << a;
  pd_send("DELETE", "stores/remove-tombstone");
}

}  // namespace sg::testing
