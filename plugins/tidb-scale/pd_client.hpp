#pragma once
// PD's HTTP API (/pd/api/v1), the part tidb-scale uses. Any member answers
// (followers forward to the leader), so every call tries the members in
// turn, starting with the last one that answered: a dead or restarting
// member costs one connect attempt, not the run.
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "pd_read.hpp"
#include "runtime/error.hpp"
#include "state.hpp"

namespace sg::tidb_scale {

// No PD member gave any HTTP answer (refused, reset, timed out): nothing of
// the cluster could be observed.
class PdUnreachable : public Error {
 public:
  using Error::Error;
};

class PdClient {
 public:
  PdClient(std::vector<std::string> endpoints, http::Options options);

  std::vector<PdHealth> health();
  std::optional<std::string> leader();  // nullopt while there is none
  std::vector<std::string> member_names();
  std::vector<Store> stores();  // every state, Tombstone included, sorted by id
  int max_replicas();
  std::int64_t region_check(const std::string& kind);  // miss-peer, down-peer, offline-peer
  std::set<std::string> schedulers();
  std::set<std::uint64_t> evicting_stores();

  void add_scheduler(const std::string& name);
  void evict_leaders(std::uint64_t store);
  void remove_evict_leader(std::uint64_t store);
  void delete_store(std::uint64_t store, bool force);
  void remove_tombstones();
  void transfer_leader(const std::string& to);
  void delete_member(const std::string& name);

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  // The response of the first member that answers with anything but a
  // transport error or a 5xx "not leader / no leader" style failure.
  http::Response call(const std::string& method, const std::string& path, const std::string& body = {});
  nlohmann::json get_json(const std::string& path);
  void expect_ok(const http::Response& r, const std::string& what, const std::string& hint = {});

  std::vector<std::string> endpoints_;
  std::unique_ptr<http::Client> http_;
  std::size_t preferred_ = 0;
};

}  // namespace sg::tidb_scale
