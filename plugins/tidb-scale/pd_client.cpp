#include "pd_client.hpp"

#include <spdlog/spdlog.h>

#include "log/redactor.hpp"
#include "runtime/error.hpp"
#include "util/json.hpp"

namespace sg::tidb_scale {
namespace {

const std::string kApi = "/pd/api/v1/";

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/')
    s.pop_back();
  return s;
}

// A PD answer of the wrong shape names the field and the endpoint instead of
// nlohmann's "type_error.302".
template <typename F>
auto read_answer(const std::string& path, F&& read) {
  try {
    return read();
  } catch (const util::JsonError& e) {
    throw Error("PD's answer to GET " + kApi + path + " has an unexpected shape: " + e.what(),
                "check that pd_url points at PD's HTTP API (port 2379) and that its version is supported");
  }
}

}  // namespace

PdClient::PdClient(std::vector<std::string> endpoints, http::Options options) {
  for (auto& e : endpoints)
    endpoints_.push_back(trim_slash(e));
  if (endpoints_.empty()) throw SettingsError("no PD endpoint given", "set pd_url");
  // Failing over to the next member is quicker than retrying a dead one.
  options.retry.max_attempts = 2;
  http_ = std::make_unique<http::Client>(std::move(options));
}

http::Response PdClient::call(const std::string& method, const std::string& path, const std::string& body) {
  std::string last_error;
  bool answered = false;  // some member gave an HTTP answer, if not a useful one
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    auto idx = (preferred_ + i) % endpoints_.size();
    http::Request req;
    req.method = method;
    req.url = endpoints_[idx] + kApi + path;
    req.body = body;
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    try {
      auto r = http_->send(req);
      // 5xx from a member that lost touch with the leader: another member
      // may know better. Other answers are PD's word.
      if (r.status >= 500 && i + 1 < endpoints_.size() &&
          (r.body.find("not leader") != std::string::npos || r.body.find("no leader") != std::string::npos ||
           r.body.find("leader is nil") != std::string::npos)) {
        last_error = endpoints_[idx] + ": HTTP " + std::to_string(r.status) + " " + log::peer_text(r.body);
        answered = true;
        continue;
      }
      preferred_ = idx;
      return r;
    } catch (const http::TransportError& e) {
      spdlog::debug("PD member {} unreachable: {}", endpoints_[idx], e.what());
      last_error = endpoints_[idx] + ": " + e.what();
    }
  }
  if (!answered) {
    throw PdUnreachable(
        "PD is unreachable: no member of pd_url answered " + method + " " + kApi + path + " (last: " + last_error + ")",
        "check pd_url and that PD runs; every member listed was tried");
  }
  throw Error("no PD member answered " + method + " " + kApi + path + " (last: " + last_error + ")",
              "check pd_url and that PD runs; every member listed was tried");
}

void PdClient::expect_ok(const http::Response& r, const std::string& what, const std::string& hint) {
  if (r.ok()) return;
  throw Error("PD refused to " + what + ": HTTP " + std::to_string(r.status) + " " + log::peer_text(r.body), hint);
}

nlohmann::json PdClient::get_json(const std::string& path) {
  auto r = call("GET", path);
  expect_ok(r, "answer GET " + kApi + path);
  try {
    return util::parse_json(r.body);
  } catch (const util::JsonError& e) {
    throw Error("PD answered GET " + kApi + path + " with something that is not JSON (" + e.what() +
                "): " + log::peer_text(r.body));
  }
}

std::vector<PdHealth> PdClient::health() {
  auto j = get_json("health");
  return read_answer("health", [&] { return read_health(j); });
}

std::optional<std::string> PdClient::leader() {
  try {
    auto r = call("GET", "leader");
    if (!r.ok()) return std::nullopt;
    // Anything but a leader's name means no leader: the callers treat that
    // as PD without quorum.
    return read_leader(util::parse_json(r.body));
  } catch (const Error&) {
    return std::nullopt;
  } catch (const util::JsonError& e) {
    spdlog::warn("PD's answer to GET {}leader is not a leader's name ({}); counting it as no leader", kApi, e.what());
    return std::nullopt;
  }
}

std::vector<std::string> PdClient::member_names() {
  auto j = get_json("members");
  return read_answer("members", [&] { return read_member_names(j); });
}

std::vector<Store> PdClient::stores() {
  // Plain /stores hides Tombstone stores; the check endpoint lists any state.
  const std::string path = "stores/check?state=Up&state=Offline&state=Tombstone&state=Disconnected&state=Down";
  auto j = get_json(path);
  return read_answer(path, [&] { return read_stores(j); });
}

int PdClient::max_replicas() {
  auto j = get_json("config/replicate");
  return read_answer("config/replicate", [&] { return read_max_replicas(j); });
}

std::int64_t PdClient::region_check(const std::string& kind) {
  auto path = "regions/check/" + kind;
  auto j = get_json(path);
  return read_answer(path, [&] { return read_region_count(j, path); });
}

std::set<std::string> PdClient::schedulers() {
  auto j = get_json("schedulers");
  return read_answer("schedulers", [&] { return read_schedulers(j); });
}

std::set<std::uint64_t> PdClient::evicting_stores() {
  if (!schedulers().count("evict-leader-scheduler")) return {};
  auto r = call("GET", "scheduler-config/evict-leader-scheduler/list");
  if (!r.ok()) return {};
  try {
    return read_evicting(util::parse_json(r.body));
  } catch (const util::JsonError& e) {
    spdlog::warn("PD's evict-leader scheduler config is not JSON ({}); assuming no store is evicting", e.what());
    return {};
  }
}

void PdClient::add_scheduler(const std::string& name) {
  auto r = call("POST", "schedulers", nlohmann::json{{"name", name}}.dump());
  if (r.status >= 400 && r.body.find("exist") != std::string::npos) return;  // idempotent
  expect_ok(r, "add scheduler " + name);
}

void PdClient::evict_leaders(std::uint64_t store) {
  auto r = call("POST", "schedulers", nlohmann::json{{"name", "evict-leader-scheduler"}, {"store_id", store}}.dump());
  if (r.status >= 400 && r.body.find("exist") != std::string::npos) return;
  expect_ok(r, "add an evict-leader scheduler for store " + std::to_string(store));
}

void PdClient::remove_evict_leader(std::uint64_t store) {
  auto r = call("DELETE", "schedulers/evict-leader-scheduler-" + std::to_string(store));
  if (r.status == 404 || (r.status >= 400 && r.body.find("not found") != std::string::npos)) return;
  expect_ok(r, "remove the evict-leader scheduler of store " + std::to_string(store));
}

void PdClient::delete_store(std::uint64_t store, bool force) {
  auto r = call("DELETE", "store/" + std::to_string(store) + (force ? "?force=true" : ""));
  if (r.status == 404) return;  // already gone, as the operator treats it
  expect_ok(r, "delete store " + std::to_string(store),
            "PD applies the same rules (enough Up stores for max-replicas); see its message");
}

void PdClient::remove_tombstones() {
  expect_ok(call("DELETE", "stores/remove-tombstone"), "remove tombstone stores");
}

void PdClient::transfer_leader(const std::string& to) {
  expect_ok(call("POST", "leader/transfer/" + to), "transfer the PD leadership to " + to);
}

void PdClient::delete_member(const std::string& name) {
  auto r = call("DELETE", "members/name/" + name);
  if (r.status == 404) return;
  expect_ok(r, "delete PD member " + name);
}

}  // namespace sg::tidb_scale
