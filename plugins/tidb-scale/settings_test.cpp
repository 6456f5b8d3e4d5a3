// tidb-scale's settings as the binary sees them: what is refused with exit 2
// before any request is made.
#include <gtest/gtest.h>

#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::tidb_scale {
namespace {

util::ProcessResult run(const std::map<std::string, std::string>& settings) {
  // A closed port: a run that got past its settings fails with exit 1.
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},
                                         {"PLUGIN_MODE", "status"},
                                         {"PLUGIN_BACKEND", "pd"},
                                         {"PLUGIN_PD_URL", "http://127.0.0.1:9"}};
  for (const auto& [k, v] : settings)
    env[k] = v;
  return util::run_process({sg::testing::bin_dir() + "/tidb-scale"}, env, std::chrono::seconds(30));
}

TEST(TidbScaleSettings, ZeroRequestTimeoutIsRefusedWithExit2) {
  // 0 would mean "no time at all" for every PD request: never what is meant.
  auto zero = run({{"PLUGIN_REQUEST_TIMEOUT", "0"}});
  EXPECT_EQ(zero.exit_code, 2) << zero.out << zero.err;
  EXPECT_NE((zero.out + zero.err).find("request_timeout"), std::string::npos) << zero.out << zero.err;
  auto zero_s = run({{"PLUGIN_REQUEST_TIMEOUT", "0s"}});
  EXPECT_EQ(zero_s.exit_code, 2) << zero_s.out << zero_s.err;
  // The same run with a real timeout gets past its settings and fails on PD.
  auto one = run({{"PLUGIN_REQUEST_TIMEOUT", "1s"}, {"PLUGIN_LEADER_WAIT", "1s"}});
  EXPECT_EQ(one.exit_code, 1) << one.out << one.err;
  EXPECT_NE((one.out + one.err).find("PD"), std::string::npos) << one.out << one.err;
}

}  // namespace
}  // namespace sg::tidb_scale
