#pragma once
// Test-only helpers: hex golden bytes, and a scripted fake broker on a local
// socket for the connection and routing tests (framing, version fallback,
// timeouts, cancellation, retries) that a real cluster cannot be made to
// misbehave for on demand.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <netinet/in.h>

#include "codec.hpp"
#include "protocol.hpp"

namespace sg::kafka::testing {

// "00 12 ab" -> bytes; spaces and newlines are ignored.
inline std::string hex(std::string_view text) {
  std::string out;
  int nibbles = 0;
  unsigned value = 0;
  for (char c : text) {
    unsigned v = 0;
    if (c >= '0' && c <= '9') {
      v = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = static_cast<unsigned>(c - 'A' + 10);
    } else {
      continue;
    }
    value = (value << 4) | v;
    if (++nibbles == 2) {
      out.push_back(static_cast<char>(value));
      nibbles = 0;
      value = 0;
    }
  }
  if (nibbles != 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

// A broker that speaks only what a test scripts. Connections are served one
// at a time, in a background thread, until the object is destroyed.
class FakeBroker {
 public:
  struct Request {
    ApiKey api;
    std::int16_t version;
    std::int32_t correlation_id;
    std::string body;
  };
  struct Reply {
    enum class Kind { kRespond, kClose, kHang, kRaw };
    Kind kind = Kind::kRespond;
    std::string body;  // kRespond: body after the header; kRaw: the exact bytes to send
    std::int32_t correlation_id_override = 0;
    bool override_correlation = false;
    bool close_after = false;  // answer, then close the connection
  };
  using Handler = std::function<Reply(const Request&)>;

  // Builds an answer with the right response header for the request.
  static Reply respond(std::string body) { return Reply{Reply::Kind::kRespond, std::move(body)}; }

  explicit FakeBroker(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 8) != 0) {
      throw std::runtime_error("fake broker: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~FakeBroker() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int connections() const { return connections_; }
  std::vector<std::string> errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }

 private:
  bool readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  bool read_exact(int fd, char* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      if (!readable(fd)) return false;
      auto r = ::recv(fd, out + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  }

  void serve() {
    while (!stop_) {
      if (!readable(listen_fd_)) return;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      try {
        serve_connection(fd);
      } catch (const std::exception& e) {
        // A request the fake cannot parse: drop the connection, as a broker would.
        std::lock_guard lock(mu_);
        errors_.emplace_back(e.what());
      }
      ::close(fd);
    }
  }

  void serve_connection(int fd) {
    bool hanging = false;
    for (;;) {
      char size_bytes[4];
      if (!read_exact(fd, size_bytes, 4)) return;
      Reader size_reader(std::string_view(size_bytes, 4), false, "fake size");
      auto size = size_reader.i32();
      if (size < 0 || size > (1 << 20)) return;  // not a Kafka request (a TLS hello, say)
      std::string payload(static_cast<std::size_t>(size), '\0');
      if (!read_exact(fd, payload.data(), payload.size())) return;
      if (hanging) continue;
      Reader header(payload, false, "fake request header");
      Request req;
      req.api = static_cast<ApiKey>(header.i16());
      req.version = header.i16();
      req.correlation_id = header.i32();
      header.nullable_string();  // client id, always classic
      bool flexible = is_flexible(req.api, req.version);
      if (flexible) {
        std::string rest = payload.substr(header.offset());
        Reader tags(rest, true, "fake header tags");
        tags.tagged_fields();
        req.body = rest.substr(tags.offset());
      } else {
        req.body = payload.substr(header.offset());
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      Reply reply = handler_(req);
      if (reply.kind == Reply::Kind::kClose) return;
      if (reply.kind == Reply::Kind::kHang) {
        hanging = true;
        continue;
      }
      std::string out;
      if (reply.kind == Reply::Kind::kRaw) {
        out = reply.body;
      } else {
        Writer head(false);
        head.i32(reply.override_correlation ? reply.correlation_id_override : req.correlation_id);
        if (response_header_version(req.api, req.version) >= 1) head.uvarint(0);
        std::string frame_payload = head.data() + reply.body;
        Writer frame(false);
        frame.i32(static_cast<std::int32_t>(frame_payload.size()));
        out = frame.data() + frame_payload;
      }
      std::size_t sent = 0;
      while (sent < out.size()) {
        auto n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
      }
      if (reply.close_after) return;
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::vector<std::string> errors_;
  std::thread thread_;
};

// An ApiVersions v3 body offering the given APIs (default: everything this
// client implements, with the broker's ranges = ours).
inline std::string api_versions_body(const std::vector<std::pair<ApiKey, VersionRange>>& apis) {
  Writer w(true);
  w.i16(0);
  w.array(apis, [](Writer& ww, const auto& a) {
    ww.i16(static_cast<std::int16_t>(a.first));
    ww.i16(a.second.min);
    ww.i16(a.second.max);
    ww.tagged_fields();
  });
  w.i32(0);
  w.tagged_fields();
  return w.take();
}

inline std::vector<std::pair<ApiKey, VersionRange>> all_apis() {
  std::vector<std::pair<ApiKey, VersionRange>> out;
  for (auto api : {ApiKey::kMetadata, ApiKey::kSaslHandshake, ApiKey::kApiVersions, ApiKey::kCreateTopics,
                   ApiKey::kDeleteTopics, ApiKey::kDescribeConfigs, ApiKey::kDescribeLogDirs, ApiKey::kSaslAuthenticate,
                   ApiKey::kElectLeaders, ApiKey::kIncrementalAlterConfigs, ApiKey::kAlterPartitionReassignments,
                   ApiKey::kListPartitionReassignments, ApiKey::kDescribeCluster}) {
    out.emplace_back(api, client_versions(api));
  }
  return out;
}

}  // namespace sg::kafka::testing
