#include "errors.hpp"

#include <string>

#include <gtest/gtest.h>

#include "config.hpp"

namespace sg::kafka {
namespace {

TEST(KafkaWireErrors, CanonicalNames) {
  EXPECT_EQ(error_name(-1), "UNKNOWN_SERVER_ERROR");
  EXPECT_EQ(error_name(0), "NONE");
  EXPECT_EQ(error_name(39), "INVALID_REPLICA_ASSIGNMENT");
  EXPECT_EQ(error_name(41), "NOT_CONTROLLER");
  EXPECT_EQ(error_name(58), "SASL_AUTHENTICATION_FAILED");
  EXPECT_EQ(error_name(60), "REASSIGNMENT_IN_PROGRESS");
  EXPECT_EQ(error_name(84), "ELECTION_NOT_NEEDED");
  EXPECT_EQ(error_name(85), "NO_REASSIGNMENT_IN_PROGRESS");
  EXPECT_EQ(error_name(99), "POSITION_OUT_OF_RANGE");
  EXPECT_EQ(error_name(128), "INVALID_REGULAR_EXPRESSION");
  EXPECT_EQ(error_name(500), "UNKNOWN_ERROR_CODE_500");
  EXPECT_EQ(error_name(-7), "UNKNOWN_ERROR_CODE_-7");
}

TEST(KafkaWireErrors, KafkaErrorCarriesCodeContextServerMessageAndHint) {
  KafkaError e(errc::kInvalidReplicaAssignment, "AlterPartitionReassignments of orders-3", "duplicate broker 2");
  EXPECT_EQ(e.code(), 39);
  EXPECT_EQ(e.name(), "INVALID_REPLICA_ASSIGNMENT");
  EXPECT_STREQ(e.what(),
               "AlterPartitionReassignments of orders-3: INVALID_REPLICA_ASSIGNMENT (39): duplicate broker 2");
  EXPECT_FALSE(e.hint().empty());
  KafkaError custom(errc::kNotController, "x", "", "do this");
  EXPECT_STREQ(custom.what(), "x: NOT_CONTROLLER (41)");
  EXPECT_EQ(custom.hint(), "do this");
}

TEST(KafkaWireErrors, TheServersMessageIsEscapedAndCut) {
  std::string hostile = "no\nERROR forged log line\x1b[31m" + std::string(100'000, 'x');
  KafkaError e(errc::kInvalidConfig, "IncrementalAlterConfigs of topic orders", hostile);
  std::string what = e.what();
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
  EXPECT_NE(what.find("no\\nERROR forged log line"), std::string::npos) << what;
  EXPECT_LT(what.size(), 1000u);
  EXPECT_NE(what.find("100029 bytes"), std::string::npos) << what;
}

TEST(KafkaWireErrors, Retriability) {
  EXPECT_TRUE(is_retriable(errc::kNotController));
  EXPECT_TRUE(is_retriable(errc::kRequestTimedOut));
  EXPECT_FALSE(is_retriable(errc::kInvalidReplicaAssignment));
  EXPECT_FALSE(is_retriable(errc::kSaslAuthenticationFailed));
}

TEST(KafkaWireErrors, SecurityProtocolNames) {
  for (auto p : {SecurityProtocol::kPlaintext, SecurityProtocol::kSsl, SecurityProtocol::kSaslPlaintext,
                 SecurityProtocol::kSaslSsl}) {
    EXPECT_EQ(parse_security_protocol(security_protocol_name(p)), p);
  }
  EXPECT_EQ(parse_security_protocol("sasl-ssl"), SecurityProtocol::kSaslSsl);
  EXPECT_EQ(parse_security_protocol("TLS"), std::nullopt);
  EXPECT_TRUE(uses_tls(SecurityProtocol::kSaslSsl));
  EXPECT_FALSE(uses_sasl(SecurityProtocol::kSsl));
}

}  // namespace
}  // namespace sg::kafka
