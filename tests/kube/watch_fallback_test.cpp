// The Watcher against a scripted 127.0.0.1 server: an API server whose watch
// cache never catches up answers every watch with 504 "Too large resource
// version". The Watcher must fall back to listing (as client-go's reflector
// does) and see the current state, not retry the same watch until its
// deadline.
#include <atomic>
#include <chrono>

#include <gtest/gtest.h>

#include "http_test_server.hpp"
#include "kube/client.hpp"
#include "kube/watch.hpp"

namespace sg {
namespace {

using json = nlohmann::json;

json app(const std::string& rv, const std::string& state) {
  json o = {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", "a"}, {"namespace", "ns"}, {"uid", "u-1"}, {"resourceVersion", rv}}}};
  if (!state.empty()) o["data"] = {{"state", state}};
  return o;
}

TEST(WatchFallback, EndlessTooLargeResourceVersionFallsBackToAList) {
  std::atomic<int> lists{0};
  std::atomic<int> watches{0};
  testing::HttpTestServer server([&](const testing::ReceivedRequest& r) {
    testing::Reply reply;
    reply.headers["Content-Type"] = "application/json";
    if (r.uri.find("watch=1") != std::string::npos) {
      ++watches;
      reply.status = 504;
      reply.body = json{{"kind", "Status"},    {"apiVersion", "v1"},
                        {"status", "Failure"}, {"message", "Too large resource version: 7, current: 3"},
                        {"reason", "Timeout"}, {"details", {{"retryAfterSeconds", 1}}},
                        {"code", 504}}
                       .dump();
      return reply;
    }
    // The first list predates the change; later lists see it.
    bool first = lists++ == 0;
    reply.body = json{{"kind", "ConfigMapList"},
                      {"apiVersion", "v1"},
                      {"metadata", {{"resourceVersion", first ? "3" : "9"}}},
                      {"items", json::array({first ? app("3", "") : app("9", "COMPLETED")})}}
                     .dump();
    return reply;
  });
  kube::Config cfg;
  cfg.server = server.url();
  kube::ClientOptions opts;
  opts.request_timeout = std::chrono::seconds(5);
  opts.retry.max_attempts = 1;  // the Watcher's own retries are under test
  kube::Client c(cfg, opts);
  kube::Watcher w(c, kube::resources::configmaps, "ns", {.max_backoff = std::chrono::milliseconds(100)});
  std::string state;
  auto started = std::chrono::steady_clock::now();
  auto end = w.run(
      [&](const kube::WatchEvent& e) {
        state = e.object.contains("data") ? e.object["data"].value("state", "") : "";
        return state != "COMPLETED";
      },
      started + std::chrono::seconds(30));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(end, kube::WatchEnd::Stopped);
  EXPECT_EQ(state, "COMPLETED");
  EXPECT_GE(w.relists(), 1);
  EXPECT_EQ(watches.load(), 3);
  EXPECT_NE(w.last_error().find("Too large resource version"), std::string::npos) << w.last_error();
  EXPECT_LT(took, std::chrono::seconds(10));
}

}  // namespace
}  // namespace sg
