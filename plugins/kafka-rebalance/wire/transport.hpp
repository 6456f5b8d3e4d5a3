#pragma once
// A connected byte stream to one broker: TCP, optionally inside TLS. All I/O
// is non-blocking under the hood and waits in short poll slices, so every
// wait honours both its deadline and the cancel token.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/cancel.hpp"
#include "tls.hpp"

namespace sg::kafka {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const;  // "host:port", "[::1]:port"
  // Parses "host:port" or "[v6]:port"; throws sg::Error naming the entry.
  static Endpoint parse(std::string_view text);
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

class Transport {
 public:
  // Connects to `endpoint` (every resolved address in turn) and completes the
  // TLS handshake when `tls` is set, before `deadline`. `peer` names the
  // broker in errors ("broker 2 at 127.0.0.1:19093"). Throws TransportError,
  // or sg::Cancelled.
  static std::unique_ptr<Transport> open(const Endpoint& endpoint, const TlsContext* tls, const std::string& peer,
                                         Deadline deadline, const CancelToken* cancel);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  void write_all(std::string_view data, Deadline deadline);
  void read_exact(char* out, std::size_t n, Deadline deadline);
  // False when the broker has closed or reset the connection while it was
  // idle (a restarted broker, an idle timeout): checked before reusing it,
  // so a request is not written into a dead socket and then seen to fail
  // after it may or may not have been processed.
  bool idle_and_alive() const;

 private:
  Transport(int fd, std::string peer, const CancelToken* cancel) : fd_(fd), peer_(std::move(peer)), cancel_(cancel) {}
  void handshake(Deadline deadline);
  // Waits until the socket is ready for `events` (POLLIN/POLLOUT).
  void wait(short events, Deadline deadline, const char* doing);
  [[noreturn]] void tls_failure(int ssl_error, const char* doing);

  int fd_ = -1;
  ssl_st* ssl_ = nullptr;
  std::string peer_;
  const CancelToken* cancel_ = nullptr;
};

}  // namespace sg::kafka
