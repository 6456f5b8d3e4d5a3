// tidb-scale against a scripted HTTP server standing in for PD's API: an
// answer of the wrong shape is a failure naming the field and the endpoint,
// never nlohmann's type_error, and PD's text is escaped in messages.
#include <gtest/gtest.h>

#include "http_test_server.hpp"
#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::tidb_scale {
namespace {

using sg::testing::HttpTestServer;
using sg::testing::ReceivedRequest;
using sg::testing::Reply;

// PD with one healthy leader; `overrides` replaces the answer of a path.
HttpTestServer fake_pd(std::map<std::string, Reply> overrides) {
  return HttpTestServer([overrides = std::move(overrides)](const ReceivedRequest& r) -> Reply {
    auto path = r.uri.substr(0, r.uri.find('?'));
    if (auto it = overrides.find(path); it != overrides.end()) return it->second;
    if (path == "/pd/api/v1/leader") return {200, {}, R"({"name":"pd1"})"};
    if (path == "/pd/api/v1/health") return {200, {}, R"([{"name":"pd1","health":true}])"};
    if (path == "/pd/api/v1/config/replicate") return {200, {}, R"({"max-replicas":3})"};
    if (path == "/pd/api/v1/stores/check") return {200, {}, R"({"stores":[]})"};
    if (path.starts_with("/pd/api/v1/regions/check/")) return {200, {}, R"({"count":0})"};
    if (path == "/pd/api/v1/schedulers") return {200, {}, "[]"};
    return {404, {}, "404 page not found"};
  });
}

util::ProcessResult status(const HttpTestServer& pd) {
  return util::run_process({sg::testing::bin_dir() + "/tidb-scale"},
                           {{"PATH", "/usr/bin:/bin"},
                            {"PLUGIN_MODE", "status"},
                            {"PLUGIN_BACKEND", "pd"},
                            {"PLUGIN_PD_URL", pd.url()},
                            {"PLUGIN_LEADER_WAIT", "1s"}},
                           std::chrono::seconds(30));
}

TEST(TidbScalePdAnswers, TheFakePdIsReadAsAHealthyCluster) {
  auto pd = fake_pd({});
  auto r = status(pd);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(TidbScalePdAnswers, AWrongTypedFieldIsNamedWithItsEndpoint) {
  auto replicas = fake_pd({{"/pd/api/v1/config/replicate", {200, {}, R"({"max-replicas":"three"})"}}});
  auto r = status(replicas);
  auto all = r.out + r.err;
  EXPECT_EQ(r.exit_code, 1) << all;
  EXPECT_NE(all.find("PD's answer to GET /pd/api/v1/config/replicate has an unexpected shape: "
                     "config/replicate.max-replicas: expected an integer, got a string"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("type_error"), std::string::npos) << all;

  auto stores = fake_pd({{"/pd/api/v1/stores/check", {200, {}, R"({"stores":[{"store":{"id":"1"}}]})"}}});
  auto s = status(stores);
  EXPECT_EQ(s.exit_code, 1) << s.out << s.err;
  EXPECT_NE((s.out + s.err).find("stores[0].store.id: expected an integer, got a string"), std::string::npos)
      << s.out << s.err;
}

TEST(TidbScalePdAnswers, PdTextInMessagesIsEscapedAndCut) {
  // A refusal whose body tries to start a log line of its own.
  auto pd = fake_pd(
      {{"/pd/api/v1/config/replicate", {500, {}, "boom\nerror: all stores deleted" + std::string(10000, 'x')}}});
  auto r = status(pd);
  auto all = r.out + r.err;
  EXPECT_EQ(r.exit_code, 1) << all;
  EXPECT_EQ(all.find("\nerror: all stores deleted"), std::string::npos) << all;
  EXPECT_EQ(all.find(std::string(1000, 'x')), std::string::npos);
}

}  // namespace
}  // namespace sg::tidb_scale
