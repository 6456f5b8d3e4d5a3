#pragma once
// The Kubernetes plugins' check that `timeout` bounds the whole run: an API
// server that accepts connections and never answers.
#include <chrono>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "ports.hpp"
#include "util/process.hpp"

namespace sg::testing {

// Runs a Kubernetes plugin against a SilentPort (kube_server and
// kube_token settings) with `timeout: 10s`, on top of `env`: it must fail
// with exit 1 once the 10 s have passed, not before and not much later,
// naming the server and never printing the token.
inline void expect_silent_server_ends_at_timeout(const std::string& binary, std::map<std::string, std::string> env) {
  SilentPort silent;
  std::string where = "127.0.0.1:" + std::to_string(silent.port());
  env["PLUGIN_KUBE_SERVER"] = "http://" + where;
  env["PLUGIN_KUBE_TOKEN"] = "silent-test-token";
  env["PLUGIN_TIMEOUT"] = "10s";
  auto start = std::chrono::steady_clock::now();
  auto r = util::run_process({binary}, env, std::chrono::seconds(60));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(took, std::chrono::seconds(12)) << r.err;
  EXPECT_GE(took, std::chrono::seconds(9)) << "gave up before the timeout: " << r.err;
  EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
  EXPECT_EQ((r.out + r.err).find("silent-test-token"), std::string::npos);
}

}  // namespace sg::testing
