#pragma once
// Ports on 127.0.0.1 for peers that misbehave at the TCP level, shared by the
// tests that need a server which stopped answering or one that is gone.
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace sg::testing {

// Completes connections (the kernel's backlog) but never answers: a server
// that stopped responding.
class SilentPort {
 public:
  SilentPort() {
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
  ~SilentPort() { ::close(fd_); }
  SilentPort(const SilentPort&) = delete;
  SilentPort& operator=(const SilentPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nobody listens on: bound, then closed again (connections are
// refused at once).
inline int closed_port() {
  SilentPort p;
  return p.port();
}

}  // namespace sg::testing
