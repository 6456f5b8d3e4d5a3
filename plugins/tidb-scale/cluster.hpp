#pragma once
// The I/O half of observing: PD (members, health, leader, stores,
// max-replicas, region checks, schedulers), TiDB status endpoints, and the
// TidbCluster when TiDB Operator runs the cluster.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "kube/client.hpp"
#include "pd_client.hpp"
#include "runtime/cancel.hpp"
#include "state.hpp"

namespace sg::tidb_scale {

inline const kube::Resource kTidbClusters{"pingcap.com", "v1alpha1", "tidbclusters", true, "TidbCluster"};

// A TidbCluster (pingcap.com/v1alpha1) and the operator's view of it.
class TidbClusterRef {
 public:
  TidbClusterRef(kube::Client& client, std::string ns, std::string name)
      : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}
  nlohmann::json get() const;
  // spec.<component>.replicas, as a merge patch.
  void set_replicas(const std::string& component, int replicas) const;
  std::optional<int> spec_replicas(const std::string& component) const;
  const std::string& ns() const { return ns_; }
  const std::string& name() const { return name_; }
  std::string describe() const;

 private:
  kube::Client& client_;
  std::string ns_, name_;
};

class Cluster {
 public:
  Cluster(PdClient& pd, std::vector<std::string> tidb_status_urls, http::Client& http, const TidbClusterRef* tc)
      : pd_(pd), tidb_urls_(std::move(tidb_status_urls)), http_(http), tc_(tc) {}

  // One observation. PD members and health always; the rest only when PD
  // has a leader (without one PD answers nothing else, and the planner
  // refuses anyway).
  ClusterState observe();
  // Observes until PD has a leader and a healthy majority and the stores
  // are not mostly Down, or `wait` passed; the last observation.
  ClusterState observe_with_leader(std::chrono::milliseconds wait, std::chrono::milliseconds poll,
                                   const CancelToken& cancel);

  PdClient& pd() { return pd_; }
  const TidbClusterRef* tc() const { return tc_; }

 private:
  PdClient& pd_;
  std::vector<std::string> tidb_urls_;
  http::Client& http_;
  const TidbClusterRef* tc_;
};

}  // namespace sg::tidb_scale
