#include "topology.hpp"

#include <gtest/gtest.h>

#include "failure_clock.hpp"
#include "runtime/error.hpp"
#include "runtime/exit_codes.hpp"

namespace sg::kafka_rebalance {
namespace {

// The message of the SettingsError parse_topology throws on `text`.
std::string topology_error(const std::string& text) {
  try {
    parse_topology(text);
  } catch (const SettingsError& e) {
    EXPECT_EQ(e.exit_code(), exit_code::kInvalidSettings);
    return e.what();
  }
  ADD_FAILURE() << "parsed: " << text;
  return {};
}

TEST(TopologyFile, DuplicatePartitionIsRejectedNamingIt) {
  auto why = topology_error(R"({"brokers":[{"id":1},{"id":2}],"partitions":[
    {"topic":"orders","partition":3,"replicas":[1]},{"topic":"orders","partition":3,"replicas":[2]}]})");
  EXPECT_NE(why.find("partition orders-3 appears twice"), std::string::npos) << why;
  EXPECT_NE(why.find("topology_file"), std::string::npos) << why;
}

TEST(TopologyFile, DuplicateBrokerIsRejectedNamingIt) {
  auto why = topology_error(R"({"brokers":[{"id":7},{"id":7}],"partitions":[]})");
  EXPECT_NE(why.find("broker 7 appears twice"), std::string::npos) << why;
}

TEST(TopologyFile, OutOfRangeIntegersAreErrorsNotWraps) {
  auto broker = topology_error(R"({"brokers":[{"id":5000000000}],"partitions":[]})");
  EXPECT_NE(broker.find("5000000000"), std::string::npos) << broker;
  EXPECT_NE(broker.find("out of range"), std::string::npos) << broker;
  auto negative = topology_error(R"({"brokers":[{"id":-3}],"partitions":[]})");
  EXPECT_NE(negative.find("out of range"), std::string::npos) << negative;
  auto partition =
      topology_error(R"({"brokers":[{"id":1}],"partitions":[{"topic":"t","partition":4294967296,"replicas":[1]}]})");
  EXPECT_NE(partition.find("partition of topic t"), std::string::npos) << partition;
  auto replica =
      topology_error(R"({"brokers":[{"id":1}],"partitions":[{"topic":"t","partition":0,"replicas":[1,2147483648]}]})");
  EXPECT_NE(replica.find("t-0 replicas broker id"), std::string::npos) << replica;
  auto size = topology_error(R"({"brokers":[{"id":1}],"partitions":[
    {"topic":"t","partition":0,"replicas":[1],"size_bytes":18446744073709551615}]})");
  EXPECT_NE(size.find("size_bytes"), std::string::npos) << size;
  auto total = topology_error(R"({"brokers":[{"id":1},{"id":2}],"partitions":[
    {"topic":"t","partition":0,"replicas":[1,2],"size_bytes":9223372036854775807}]})");
  EXPECT_NE(total.find("overflow"), std::string::npos) << total;
}

TEST(TopologyFile, WrongTypedFieldsNameTheField) {
  auto alive = topology_error(R"({"brokers":[{"id":1,"alive":"yes"}],"partitions":[]})");
  EXPECT_NE(alive.find("broker 1.alive: expected a boolean, got a string"), std::string::npos) << alive;
  auto rack = topology_error(R"({"brokers":[{"id":1,"rack":7}],"partitions":[]})");
  EXPECT_NE(rack.find("broker 1.rack: expected a string, got an integer"), std::string::npos) << rack;
  auto leader = topology_error(
      R"({"brokers":[{"id":1}],"partitions":[{"topic":"t","partition":0,"replicas":[1],"leader":"1"}]})");
  EXPECT_NE(leader.find("t-0 leader must be an integer"), std::string::npos) << leader;
  EXPECT_NE(topology_error("{").find("topology_file: "), std::string::npos);
  EXPECT_NE(topology_error(std::string(100, '[') + std::string(100, ']')).find("topology_file: "), std::string::npos);
  auto partition = topology_error(R"({"brokers":[{"id":1}],"partitions":[{"topic":"t","partition":"0"}]})");
  EXPECT_NE(partition.find("\"partition\" (integer)"), std::string::npos) << partition;
  auto replicas = topology_error(R"({"brokers":[{"id":1}],"partitions":[{"topic":"t","partition":0,"replicas":"1"}]})");
  EXPECT_NE(replicas.find("t-0 replicas must be an array"), std::string::npos) << replicas;
}

TEST(ReassignmentJson, OutOfRangePartitionIsAnError) {
  try {
    parse_reassignment_json(R"({"version":1,"partitions":[{"topic":"t","partition":3000000000,"replicas":[1]}]})");
    FAIL() << "parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
}

TEST(BrokerIdSetting, RangeCheckedDecimal) {
  EXPECT_EQ(parse_broker_id("0"), 0);
  EXPECT_EQ(parse_broker_id("2147483647"), 2147483647);
  EXPECT_FALSE(parse_broker_id("2147483648"));
  EXPECT_FALSE(parse_broker_id("5000000000"));
  EXPECT_FALSE(parse_broker_id("-1"));
  EXPECT_FALSE(parse_broker_id(""));
  EXPECT_FALSE(parse_broker_id("99999999999999999999"));
}

TEST(TopologyFile, LargerThanTheCapIsRefused) {
  std::string big = R"({"brokers":[{"id":1}],"partitions":[)";
  for (int i = 0; i < 2000; ++i)
    big += std::string(i ? "," : "") + R"({"topic":"t","partition":)" + std::to_string(i) + R"(,"replicas":[1]})";
  big += "]}";
  EXPECT_EQ(parse_topology(big).partitions.size(), 2000u);
  try {
    parse_topology(big, 1000);
    FAIL() << "a topology over the cap parsed";
  } catch (const SettingsError& e) {
    EXPECT_NE(std::string(e.what()).find("topology_file: "), std::string::npos) << e.what();
  }
}

TEST(ReassignmentJson, WrongVersionIsNamedWithoutEchoingIt) {
  try {
    parse_reassignment_json(R"({"version":"secret-looking text","partitions":[]})");
    FAIL() << "parsed";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "unsupported reassignment JSON version a string; expected 1");
  }
}

TEST(FailureClockFile, ReadIsCappedAndTypesAreNamed) {
  EXPECT_THROW(FailureClock::load("/dev/zero", 1 << 20), Error);
  try {
    FailureClock::from_json(R"({"first_seen_ms":{"3":"soon"}})");
    FAIL() << "parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("first_seen_ms.3: expected an integer, got a string"), std::string::npos)
        << e.what();
  }
}

TEST(FailureClockFile, BadBrokerKeysAndTimestampsAreErrors) {
  EXPECT_THROW(FailureClock::from_json(R"({"first_seen_ms":{"x":1}})"), Error);
  EXPECT_THROW(FailureClock::from_json(R"({"first_seen_ms":{"5000000000":1}})"), Error);
  EXPECT_THROW(FailureClock::from_json(R"({"first_seen_ms":{"1":18446744073709551615}})"), Error);
  EXPECT_EQ(FailureClock::from_json(R"({"first_seen_ms":{"3":1000}})").first_seen().count(3), 1u);
}

}  // namespace
}  // namespace sg::kafka_rebalance
