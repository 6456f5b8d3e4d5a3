#pragma once
// Shared by the tidb-scale integration tests: PD's HTTP API as the oracle
// (any member that answers), the testenv verbs, and running the plugin.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "test_paths.hpp"
#include "testenv_file.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sg::testing {

using namespace std::chrono_literals;
using json = nlohmann::json;

inline const std::map<std::string, std::string>& pd_env() {
  static const auto env = read_testenv("pd");
  return env;
}

inline std::string endpoints() {
  return pd_env().at("SPOTGUIDE_PD_ENDPOINTS");
}

inline int testenv(const std::string& args) {
  return run_testenv("pd", args);
}

// A request to PD's API through any member that answers.
inline http::Response pd_send(const std::string& method, const std::string& path) {
  static http::Client client([] {
    http::Options o;
    o.total_timeout = 5s;
    o.connect_timeout = 2s;
    o.retry.max_attempts = 1;
    return o;
  }());
  for (const auto& url : util::split(endpoints(), ',')) {
    try {
      auto r = client.send({.method = method, .url = url + "/pd/api/v1/" + path});
      if (r.ok()) return r;
    } catch (const std::exception&) {
    }
  }
  throw std::runtime_error("no PD member answered " + method + " " + path);
}

inline json pd_get(const std::string& path) {
  return json::parse(pd_send("GET", path).body);
}

// id -> state_name, every state included.
inline std::map<std::uint64_t, std::string> store_states() {
  std::map<std::uint64_t, std::string> out;
  auto all = pd_get("stores/check?state=Up&state=Offline&state=Tombstone&state=Disconnected&state=Down");
  for (const auto& s : all["stores"]) {
    out[s["store"]["id"].get<std::uint64_t>()] = s["store"]["state_name"].get<std::string>();
  }
  return out;
}

inline std::vector<std::uint64_t> stores_in(const std::string& state) {
  std::vector<std::uint64_t> out;
  for (const auto& [id, s] : store_states()) {
    if (s == state) out.push_back(id);
  }
  return out;
}

inline std::string leader() {
  auto j = pd_get("leader");
  auto it = j.find("name");
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// A number in PD's answer (count of a region check, region_count of a
// store); -1 when absent.
inline std::int64_t pd_number(const std::string& path, const std::string& pointer) {
  auto j = pd_get(path);
  auto p = json::json_pointer(pointer);
  return j.contains(p) && j[p].is_number() ? j[p].get<std::int64_t>() : -1;
}

template <typename F>
inline bool eventually(F f, std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    try {
      if (f()) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(300ms);
  }
  return false;
}

// Every test starts from 4 Up stores and 3 healthy members, whatever the one
// before left behind.
inline void restore_cluster() {
  // Dead members first and together: one alone cannot win back a lost quorum.
  ASSERT_EQ(testenv("heal-pd"), 0);
  for (int i = 1; i <= 3; ++i) {
    bool healthy = false;
    try {
      auto health = pd_get("health");
      for (const auto& m : health) {
        if (m["name"] == "pd" + std::to_string(i)) healthy = m["health"].get<bool>();
      }
    } catch (const std::exception&) {
    }
    if (!healthy) {
      ASSERT_EQ(testenv("restart-pd " + std::to_string(i)), 0);
    }
  }
  ASSERT_TRUE(eventually([] { return !leader().empty(); }, 60s));
  for (auto id : stores_in("Disconnected"))
    testenv("restart-store " + std::to_string(id));
  for (auto id : stores_in("Down"))
    testenv("restart-store " + std::to_string(id));
  while (stores_in("Up").size() < 4)
    ASSERT_EQ(testenv("add-store"), 0);
}

inline std::map<std::string, std::string> plugin_env(const std::map<std::string, std::string>& settings) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},         {"HOME", std::getenv("HOME")},
                                         {"PLUGIN_BACKEND", "pd"},          {"PLUGIN_PD_URL", endpoints()},
                                         {"PLUGIN_POLL_INTERVAL", "300ms"}, {"PLUGIN_TIMEOUT", "120s"}};
  for (const auto& [k, v] : settings)
    env["PLUGIN_" + util::to_upper(k)] = v;
  return env;
}

inline std::vector<std::string> argv() {
  return {bin_dir() + "/tidb-scale"};
}

inline util::ProcessResult run_plugin(const std::map<std::string, std::string>& settings, int timeout_s = 180) {
  return util::run_process(argv(), plugin_env(settings), std::chrono::seconds(timeout_s));
}

struct TempDir {
  std::filesystem::path path;
  TempDir() : path(std::filesystem::temp_directory_path() / ("sg-tidb-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline json read_json(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f);
}

// The target of the plan's first step with this action.
inline std::string first_target(const json& plan, const std::string& action) {
  for (const auto& s : plan["steps"]) {
    if (s["action"] == action) return s["target"].get<std::string>();
  }
  return "";
}

// The plan's steps without the human reasons.
inline json steps_of(const json& plan) {
  json out = json::array();
  for (const auto& s : plan["steps"])
    out.push_back({s["component"], s["action"], s["target"]});
  return out;
}

}  // namespace sg::testing
