#pragma once
// A TCP peer on 127.0.0.1 (ephemeral port) that does whatever a test scripts
// with the raw socket: garbage, an endless drip, silence, half a watch event.
// Each connection runs on its own thread; every blocking call polls in short
// slices and checks `stop`, so the destructor ends all of them promptly.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace sg::testing {

class RawPeer {
 public:
  // Runs once per accepted connection; the socket is closed when it returns.
  using Behaviour = std::function<void(RawPeer& peer, int fd)>;

  explicit RawPeer(Behaviour behaviour) : behaviour_(std::move(behaviour)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(listen_fd_, 16) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~RawPeer() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mu_);
      workers.swap(workers_);
    }
    for (auto& t : workers)
      t.join();
    ::close(listen_fd_);
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& scheme = "http") const { return scheme + "://127.0.0.1:" + std::to_string(port_); }
  bool stopping() const { return stop_; }
  int connections() const { return connections_; }
  // Request heads read so far (by read_head), oldest first.
  std::vector<std::string> heads() const {
    std::lock_guard lock(mu_);
    return heads_;
  }

  // Reads up to the blank line that ends an HTTP request head (at most 64
  // KiB), or until `wait` passes or the peer stops; returns what it read.
  std::string read_head(int fd, std::chrono::milliseconds wait = std::chrono::seconds(5)) {
    std::string head;
    auto until = std::chrono::steady_clock::now() + wait;
    char buf[4096];
    while (!stop_ && std::chrono::steady_clock::now() < until && head.find("\r\n\r\n") == std::string::npos &&
           head.size() < 64 * 1024) {
      if (!readable(fd, 50)) continue;
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<std::size_t>(n));
    }
    std::lock_guard lock(mu_);
    heads_.push_back(head);
    return head;
  }

  // Writes all of `data` unless the client goes away or the peer stops.
  bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      if (stop_) return false;
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Sleeps up to `d`, returning false as soon as the peer stops.
  bool idle(std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!stop_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return !stop_;
  }

  // True once the client closed its side (reads EOF or an error).
  static bool client_gone(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR)) return true;
    char c;
    return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }

 private:
  static bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }

  // Closing with unread request bytes makes the kernel send a reset, which
  // can destroy the answer before the client reads it: say we are done,
  // then drain until the client closes (briefly).
  void linger_close(int fd) {
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      if (!readable(fd, 20)) continue;
      if (::recv(fd, buf, sizeof buf, 0) <= 0) break;
    }
    ::close(fd);
  }

  void accept_loop() {
    while (!stop_) {
      if (!readable(listen_fd_, 50)) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, fd] {
        behaviour_(*this, fd);
        linger_close(fd);
      });
    }
  }

  Behaviour behaviour_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<std::string> heads_;
  std::thread acceptor_;
};

}  // namespace sg::testing
