#include "transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "errors.hpp"
#include "runtime/error.hpp"

namespace sg::kafka {
namespace {

using namespace std::chrono_literals;

TEST(KafkaWireTransport, EndpointParsing) {
  EXPECT_EQ(Endpoint::parse("kafka-0.kafka:9092"), (Endpoint{"kafka-0.kafka", 9092}));
  EXPECT_EQ(Endpoint::parse(" 127.0.0.1:19092 "), (Endpoint{"127.0.0.1", 19092}));
  EXPECT_EQ(Endpoint::parse("[::1]:9092"), (Endpoint{"::1", 9092}));
  EXPECT_EQ((Endpoint{"::1", 9092}).to_string(), "[::1]:9092");
  EXPECT_EQ((Endpoint{"h", 1}).to_string(), "h:1");
  for (const char* bad :
       {"", "host", "host:", ":9092", "host:0", "host:65536", "host:9x", "::1:9092", "[::1]9092", "[::1]:", "[]:1"}) {
    EXPECT_THROW(Endpoint::parse(bad), Error) << bad;
  }
}

// A listening socket that never accepts: connects succeed (the kernel
// completes them from the backlog) but nothing is ever answered.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::uint16_t unused_port() {
  SilentServer s;  // bound, then closed when it goes out of scope
  return s.endpoint().port;
}

TEST(KafkaWireTransport, RefusedConnectionNamesThePeer) {
  Endpoint ep{"127.0.0.1", unused_port()};
  try {
    Transport::open(ep, nullptr, "broker 3 at " + ep.to_string(), Clock::now() + 2s, nullptr);
    FAIL() << "connected to a closed port";
  } catch (const TransportError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("broker 3 at 127.0.0.1:"), std::string::npos) << what;
    EXPECT_NE(what.find("refused"), std::string::npos) << what;
    EXPECT_FALSE(e.hint().empty());
    EXPECT_FALSE(e.request_sent());
  }
}

TEST(KafkaWireTransport, UnresolvableHost) {
  EXPECT_THROW(Transport::open({"no-such-host.invalid", 9092}, nullptr, "x", Clock::now() + 5s, nullptr),
               TransportError);
}

TEST(KafkaWireTransport, ReadsTimeOutAtTheDeadline) {
  SilentServer server;
  auto t = Transport::open(server.endpoint(), nullptr, "silent", Clock::now() + 2s, nullptr);
  char buf[4];
  auto start = Clock::now();
  try {
    t->read_exact(buf, sizeof buf, Clock::now() + 200ms);
    FAIL() << "read returned";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(KafkaWireTransport, CancellationInterruptsAWaitPromptly) {
  SilentServer server;
  CancelToken token;
  auto t = Transport::open(server.endpoint(), nullptr, "silent", Clock::now() + 2s, &token);
  std::thread canceller([&] {
    std::this_thread::sleep_for(150ms);
    token.cancel(SIGTERM);
  });
  char buf[4];
  auto start = Clock::now();
  EXPECT_THROW(t->read_exact(buf, sizeof buf, Clock::now() + 30s), Cancelled);
  canceller.join();
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(KafkaWireTransport, CancelledBeforeConnecting) {
  SilentServer server;
  CancelToken token;
  token.cancel(SIGINT);
  EXPECT_THROW(Transport::open(server.endpoint(), nullptr, "x", Clock::now() + 2s, &token), Cancelled);
}

TEST(KafkaWireTransport, IdleConnectionClosedByThePeerIsDetected) {
  SilentServer server;
  auto t = Transport::open(server.endpoint(), nullptr, "x", Clock::now() + 2s, nullptr);
  EXPECT_TRUE(t->idle_and_alive());
  int accepted = ::accept(server.fd(), nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  ::close(accepted);
  auto until = Clock::now() + 2s;
  while (t->idle_and_alive() && Clock::now() < until)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(t->idle_and_alive());
}

TEST(KafkaWireTransport, TlsHandshakeWithANonTlsPeerFailsCleanly) {
  SilentServer server;
  std::thread closer([&] {
    int fd = ::accept(server.fd(), nullptr, nullptr);
    if (fd >= 0) {
      std::this_thread::sleep_for(50ms);
      ::close(fd);
    }
  });
  TlsConfig config;
  config.verify = false;
  TlsContext tls(config);
  EXPECT_THROW(Transport::open(server.endpoint(), &tls, "x", Clock::now() + 3s, nullptr), TransportError);
  closer.join();
}

TEST(KafkaWireTransport, BadPemIsRejectedWithoutEchoingIt) {
  TlsConfig config;
  config.ca_pem = "not a certificate SECRETSTUFF";
  try {
    TlsContext tls(config);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("SECRETSTUFF"), std::string::npos);
  }
  TlsConfig key_only;
  key_only.key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  EXPECT_THROW(TlsContext{key_only}, Error);
  TlsConfig bad_cert;
  bad_cert.cert_pem = "garbage";
  bad_cert.key_pem = "garbage";
  EXPECT_THROW(TlsContext{bad_cert}, Error);
}

}  // namespace
}  // namespace sg::kafka
