// Connection and routing behaviour against a scripted fake broker: version
// fallback, framing errors, timeouts, cancellation, SASL failures, retries
// and bootstrap fail-over - the cases a healthy real cluster never shows.
#include "connection.hpp"

#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "admin.hpp"
#include "log/redactor.hpp"
#include "runtime/error.hpp"
#include "test_support.hpp"

namespace sg::kafka {
namespace {

using namespace std::chrono_literals;
using testing::all_apis;
using testing::api_versions_body;
using testing::FakeBroker;

std::shared_ptr<const ConnectionSettings> settings(std::chrono::milliseconds request_timeout = 5s,
                                                   const CancelToken* cancel = nullptr) {
  ClientConfig config;
  config.request_timeout = request_timeout;
  config.connect_timeout = 2s;
  config.cancel = cancel;
  return ConnectionSettings::from(config);
}

std::string metadata_body(const std::vector<BrokerMetadata>& brokers, std::int16_t version = 12) {
  Writer w(true);
  w.i32(0);
  w.array(brokers, [](Writer& ww, const BrokerMetadata& b) {
    ww.i32(b.id);
    ww.string(b.host);
    ww.i32(b.port);
    ww.nullable_string(b.rack);
    ww.tagged_fields();
  });
  w.nullable_string(std::string("cluster"));
  w.i32(brokers.empty() ? -1 : brokers.front().id);
  w.array_length(0);                    // topics
  if (version <= 10) w.i32(INT32_MIN);  // cluster authorized operations
  w.tagged_fields();
  return w.take();
}

// The usual start of every connection: ApiVersions v3 offering everything.
FakeBroker::Reply standard(const FakeBroker::Request& r) {
  if (r.api == ApiKey::kApiVersions) return FakeBroker::respond(api_versions_body(all_apis()));
  return FakeBroker::Reply{FakeBroker::Reply::Kind::kClose};
}

TEST(KafkaWireConnection, FallsBackToApiVersionsV0WhenV3IsUnsupported) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kApiVersions && r.version == 3) {
      Writer w(false);  // v0 layout: error, [key, min, max]
      w.i16(errc::kUnsupportedVersion);
      w.array_length(1);
      w.i16(18);
      w.i16(0);
      w.i16(0);
      return FakeBroker::respond(w.take());
    }
    if (r.api == ApiKey::kApiVersions) {
      Writer w(false);
      w.i16(0);
      auto apis = all_apis();
      w.array(apis, [](Writer& ww, const auto& a) {
        ww.i16(static_cast<std::int16_t>(a.first));
        ww.i16(a.second.min);
        ww.i16(a.second.max);
      });
      return FakeBroker::respond(w.take());
    }
    if (r.api == ApiKey::kMetadata) return FakeBroker::respond(metadata_body({{1, "127.0.0.1", 1, "r1"}}));
    return FakeBroker::Reply{FakeBroker::Reply::Kind::kClose};
  });
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), settings());
  auto md = conn.send(MetadataRequest{});
  EXPECT_EQ(md.cluster_id, "cluster");
  auto reqs = broker.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].version, 3);
  EXPECT_EQ(reqs[1].api, ApiKey::kApiVersions);
  EXPECT_EQ(reqs[1].version, 0);
  EXPECT_EQ(reqs[2].api, ApiKey::kMetadata);
  EXPECT_EQ(reqs[2].version, 12);
  // Our software name went out in v3.
  EXPECT_NE(reqs[0].body.find("spotguide-kafka-wire"), std::string::npos);
}

TEST(KafkaWireConnection, NegotiatesDownToTheBrokersMaximum) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kApiVersions) return FakeBroker::respond(api_versions_body({{ApiKey::kMetadata, {0, 9}}}));
    return FakeBroker::respond(metadata_body({}, r.version));
  });
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), settings());
  conn.send(MetadataRequest{});
  EXPECT_EQ(broker.requests().back().version, 9);
  try {
    conn.send(ElectLeadersRequest{});
    FAIL() << "sent an API the broker does not offer";
  } catch (const KafkaError& e) {
    EXPECT_EQ(e.code(), errc::kUnsupportedVersion);
    EXPECT_NE(std::string(e.what()).find("ElectLeaders"), std::string::npos);
  }
}

TEST(KafkaWireConnection, CorrelationIdMismatchIsAProtocolError) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kApiVersions) return standard(r);
    auto reply = FakeBroker::respond(metadata_body({}));
    reply.override_correlation = true;
    reply.correlation_id_override = r.correlation_id + 5;
    return reply;
  });
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), settings());
  EXPECT_THROW(conn.send(MetadataRequest{}), ProtocolError);
  EXPECT_FALSE(conn.is_open());
}

TEST(KafkaWireConnection, AbsurdFrameSizeIsRefusedWithoutAllocating) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kApiVersions) return standard(r);
    return FakeBroker::Reply{FakeBroker::Reply::Kind::kRaw, testing::hex("7fffffff 00000001")};
  });
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), settings());
  try {
    conn.send(MetadataRequest{});
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("2147483647"), std::string::npos) << e.what();
  }
}

TEST(KafkaWireConnection, ConnectionClosedMidRequestNamesTheServer) {
  FakeBroker broker([&](const FakeBroker::Request& r) { return standard(r); });
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), settings());
  try {
    conn.send(MetadataRequest{});
    FAIL();
  } catch (const TransportError& e) {
    EXPECT_TRUE(e.request_sent());
    EXPECT_NE(std::string(e.what()).find("bootstrap server " + broker.address()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Metadata v12"), std::string::npos) << e.what();
  }
  conn.set_node_id(4);
  EXPECT_EQ(conn.describe(), "broker 4 at " + broker.address());
}

TEST(KafkaWireConnection, HungBrokerTimesOut) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kApiVersions) return standard(r);
    return FakeBroker::Reply{FakeBroker::Reply::Kind::kHang};
  });
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), settings(300ms));
  auto start = Clock::now();
  try {
    conn.send(MetadataRequest{});
    FAIL();
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(KafkaWireConnection, CancellationStopsAWaitingRequest) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kApiVersions) return standard(r);
    return FakeBroker::Reply{FakeBroker::Reply::Kind::kHang};
  });
  CancelToken token;
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), settings(30s, &token));
  conn.open();
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    token.cancel(SIGTERM);
  });
  auto start = Clock::now();
  try {
    conn.send(MetadataRequest{});
    FAIL();
  } catch (const Cancelled& e) {
    EXPECT_EQ(e.exit_code(), token.exit_code());
  }
  canceller.join();
  EXPECT_LT(Clock::now() - start, 2s);
}

// --- SASL -------------------------------------------------------------------------------

ClientConfig sasl_config(const FakeBroker& broker, SaslMechanism m, const std::string& password) {
  ClientConfig config;
  config.bootstrap_servers = {broker.address()};
  config.security_protocol = SecurityProtocol::kSaslPlaintext;
  config.sasl_mechanism = m;
  config.sasl_username = "alice";
  config.sasl_password = password;
  config.request_timeout = 5s;
  return config;
}

TEST(KafkaWireConnection, SaslPlainFailureIsAKafkaErrorWithoutThePassword) {
  std::string auth_bytes;
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kSaslHandshake) {
      Writer w(false);
      w.i16(0);
      w.string_array({"PLAIN"});
      return FakeBroker::respond(w.take());
    }
    if (r.api == ApiKey::kSaslAuthenticate) {
      Reader body(r.body, true, "auth");
      auth_bytes = body.bytes();
      Writer w(true);
      w.i16(errc::kSaslAuthenticationFailed);
      w.nullable_string(std::string("Authentication failed: Invalid username or password"));
      w.bytes("");
      w.i64(0);
      w.tagged_fields();
      return FakeBroker::respond(w.take());
    }
    return standard(r);
  });
  auto config = sasl_config(broker, SaslMechanism::kPlain, "hunter2-unit-test");
  auto conn_settings = ConnectionSettings::from(config);
  BrokerConnection conn(-1, Endpoint::parse(broker.address()), conn_settings);
  try {
    conn.open();
    FAIL() << "authenticated with a rejected password";
  } catch (const KafkaError& e) {
    EXPECT_EQ(e.code(), errc::kSaslAuthenticationFailed);
    std::string what = e.what();
    EXPECT_NE(what.find("PLAIN"), std::string::npos) << what;
    EXPECT_NE(what.find("alice"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2-unit-test"), std::string::npos) << what;
  }
  EXPECT_EQ(auth_bytes, std::string("\0alice\0hunter2-unit-test", 24));
  // The password was registered with the redactor when the settings were made.
  EXPECT_EQ(log::redact("pw=hunter2-unit-test"), "pw=******");
}

TEST(KafkaWireConnection, UnsupportedSaslMechanismListsTheOffer) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kSaslHandshake) {
      Writer w(false);
      w.i16(errc::kUnsupportedSaslMechanism);
      w.string_array({"SCRAM-SHA-512"});
      return FakeBroker::respond(w.take());
    }
    return standard(r);
  });
  BrokerConnection conn(-1, Endpoint::parse(broker.address()),
                        ConnectionSettings::from(sasl_config(broker, SaslMechanism::kPlain, "pw-unit-2")));
  try {
    conn.open();
    FAIL();
  } catch (const KafkaError& e) {
    EXPECT_EQ(e.code(), errc::kUnsupportedSaslMechanism);
    EXPECT_NE(std::string(e.what()).find("SCRAM-SHA-512"), std::string::npos) << e.what();
  }
}

// --- AdminClient routing -------------------------------------------------------------------

TEST(KafkaWireAdmin, ConfigIsValidatedBeforeAnyIo) {
  ClientConfig none;
  EXPECT_THROW(AdminClient{none}, Error);
  ClientConfig bad;
  bad.bootstrap_servers = {"no-port"};
  EXPECT_THROW(AdminClient{bad}, Error);
  ClientConfig sasl;
  sasl.bootstrap_servers = {"h:1"};
  sasl.security_protocol = SecurityProtocol::kSaslSsl;
  EXPECT_THROW(AdminClient{sasl}, Error);
  ClientConfig list;
  list.bootstrap_servers = {"a:1,b:2", "c:3"};
  EXPECT_NO_THROW(AdminClient{list});
}

TEST(KafkaWireAdmin, BootstrapSkipsDeadServersAndRetriesNotController) {
  int alter_calls = 0;
  std::uint16_t port = 0;
  FakeBroker broker([&](const FakeBroker::Request& r) {
    switch (r.api) {
      case ApiKey::kMetadata:
        return FakeBroker::respond(metadata_body({{1, "127.0.0.1", port, std::nullopt}}));
      case ApiKey::kAlterPartitionReassignments: {
        ++alter_calls;
        Writer w(true);
        w.i32(0);
        if (alter_calls == 1) {
          w.i16(errc::kNotController);
          w.nullable_string(std::nullopt);
          w.array_length(0);
        } else {
          w.i16(0);
          w.nullable_string(std::nullopt);
          w.array_length(1);
          w.string("t");
          w.array_length(1);
          w.i32(0);
          w.i16(0);
          w.nullable_string(std::nullopt);
          w.tagged_fields();
          w.tagged_fields();
        }
        w.tagged_fields();
        return FakeBroker::respond(w.take());
      }
      case ApiKey::kElectLeaders: {
        Writer w(true);
        w.i32(0);
        w.i16(0);
        w.array_length(1);
        w.string("t");
        w.array_length(1);
        w.i32(0);
        w.i16(errc::kElectionNotNeeded);
        w.nullable_string(std::nullopt);
        w.tagged_fields();
        w.tagged_fields();
        w.tagged_fields();
        return FakeBroker::respond(w.take());
      }
      default:
        return standard(r);
    }
  });
  port = broker.port();

  // A closed port first: the client must move on to the live one.
  int dead_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(dead_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(dead_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto dead_port = ntohs(addr.sin_port);
  ::close(dead_fd);

  ClientConfig config;
  config.bootstrap_servers = {"127.0.0.1:" + std::to_string(dead_port), broker.address()};
  config.request_timeout = 5s;
  AdminClient admin(config);
  auto md = admin.metadata(std::vector<std::string>{});
  ASSERT_EQ(md.brokers.size(), 1u);

  auto results = admin.alter_reassignments({{"t", 0, std::vector<std::int32_t>{1}}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(alter_calls, 2);

  auto elected = admin.elect_leaders(ElectionType::kPreferred, std::vector<TopicPartitions>{{"t", {0}}});
  ASSERT_EQ(elected.size(), 1u);
  EXPECT_TRUE(elected[0].ok());

  // The bootstrap connection was filed under broker 1 and reused throughout.
  EXPECT_EQ(broker.connections(), 1);

  // A broker that is not live: a transport error naming it, no request.
  try {
    admin.describe_log_dirs(7);
    FAIL();
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("broker 7"), std::string::npos) << e.what();
    EXPECT_FALSE(e.request_sent());
  }
}

TEST(KafkaWireAdmin, AllBootstrapServersDownIsOneClearError) {
  ClientConfig config;
  config.bootstrap_servers = {"127.0.0.1:1", "127.0.0.1:2"};
  config.connect_timeout = 1s;
  AdminClient admin(config);
  try {
    admin.metadata();
    FAIL();
  } catch (const TransportError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("cannot reach any Kafka broker"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:2"), std::string::npos) << what;
  }
}

TEST(KafkaWireAdmin, AConnectionTheBrokerClosedWhileIdleIsReopenedBeforeWriting) {
  FakeBroker broker([&](const FakeBroker::Request& r) {
    if (r.api == ApiKey::kMetadata) {
      auto reply = FakeBroker::respond(metadata_body({}));
      reply.close_after = true;  // e.g. connections.max.idle.ms on the broker
      return reply;
    }
    if (r.api == ApiKey::kCreateTopics) {
      Writer w(true);
      w.i32(0);
      w.array_length(1);
      w.string("t");
      w.uuid(Uuid{});
      w.i16(0);
      w.nullable_string(std::nullopt);
      w.i32(1);
      w.i16(1);
      w.null_array();
      w.tagged_fields();
      w.tagged_fields();
      return FakeBroker::respond(w.take());
    }
    return standard(r);
  });
  ClientConfig config;
  config.bootstrap_servers = {broker.address()};
  AdminClient admin(config);
  admin.metadata(std::vector<std::string>{});
  std::this_thread::sleep_for(100ms);
  // Not idempotent, so a failure after writing would not be retried: the
  // dead connection must be noticed before the request is written.
  auto created = admin.create_topics({NewTopic{"t", 1, 1, {}, {}}});
  ASSERT_EQ(created.size(), 1u);
  EXPECT_TRUE(created[0].ok());
  EXPECT_EQ(broker.connections(), 2);
}

}  // namespace
}  // namespace sg::kafka
