#pragma once
// A TCP port on 127.0.0.1 that completes connections (the kernel's backlog)
// but never answers: an API server that stopped responding. The Kubernetes
// plugins' tests use it to show that `timeout` bounds the whole run.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "util/process.hpp"

namespace sg::testing {

class SilentKubePort {
 public:
  SilentKubePort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
  }
  ~SilentKubePort() { ::close(fd_); }
  SilentKubePort(const SilentKubePort&) = delete;
  SilentKubePort& operator=(const SilentKubePort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Runs a Kubernetes plugin against a SilentKubePort (kube_server and
// kube_token settings) with `timeout: 10s`, on top of `env`: it must fail
// with exit 1 once the 10 s have passed, not before and not much later,
// naming the server and never printing the token.
inline void expect_silent_server_ends_at_timeout(const std::string& binary, std::map<std::string, std::string> env) {
  SilentKubePort silent;
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
