#pragma once
// The three ways a Kafka call fails, as distinct types so callers can react
// differently: the broker said no (KafkaError, with Kafka's error code), the
// bytes made no sense (ProtocolError), or the broker could not be reached or
// stopped answering (TransportError). All carry a hint on how to fix it.
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/error.hpp"

namespace sg::kafka {

using ErrorCode = std::int16_t;

// The codes this client reacts to by name. Kafka's full table is in
// error_name(); the numbers are part of the protocol and never change.
namespace errc {
inline constexpr ErrorCode kUnknownServerError = -1;
inline constexpr ErrorCode kNone = 0;
inline constexpr ErrorCode kUnknownTopicOrPartition = 3;
inline constexpr ErrorCode kLeaderNotAvailable = 5;
inline constexpr ErrorCode kNotLeaderOrFollower = 6;
inline constexpr ErrorCode kRequestTimedOut = 7;
inline constexpr ErrorCode kNetworkException = 13;
inline constexpr ErrorCode kInvalidTopic = 17;
inline constexpr ErrorCode kTopicAuthorizationFailed = 29;
inline constexpr ErrorCode kClusterAuthorizationFailed = 31;
inline constexpr ErrorCode kUnsupportedSaslMechanism = 33;
inline constexpr ErrorCode kIllegalSaslState = 34;
inline constexpr ErrorCode kUnsupportedVersion = 35;
inline constexpr ErrorCode kTopicAlreadyExists = 36;
inline constexpr ErrorCode kInvalidPartitions = 37;
inline constexpr ErrorCode kInvalidReplicationFactor = 38;
inline constexpr ErrorCode kInvalidReplicaAssignment = 39;
inline constexpr ErrorCode kInvalidConfig = 40;
inline constexpr ErrorCode kNotController = 41;
inline constexpr ErrorCode kInvalidRequest = 42;
inline constexpr ErrorCode kPolicyViolation = 44;
inline constexpr ErrorCode kKafkaStorageError = 56;
inline constexpr ErrorCode kSaslAuthenticationFailed = 58;
inline constexpr ErrorCode kReassignmentInProgress = 60;
inline constexpr ErrorCode kPreferredLeaderNotAvailable = 80;
inline constexpr ErrorCode kEligibleLeadersNotAvailable = 83;
inline constexpr ErrorCode kElectionNotNeeded = 84;
inline constexpr ErrorCode kNoReassignmentInProgress = 85;
inline constexpr ErrorCode kThrottlingQuotaExceeded = 89;
inline constexpr ErrorCode kResourceNotFound = 91;
inline constexpr ErrorCode kUnknownTopicId = 100;
inline constexpr ErrorCode kBrokerIdNotRegistered = 102;
}  // namespace errc

// Kafka's canonical name ("NOT_CONTROLLER"), or "UNKNOWN_ERROR_CODE_<n>".
std::string error_name(ErrorCode code);
// What usually causes this error and what to do about it; empty when the
// name says it all.
std::string_view error_hint(ErrorCode code);
// Errors that go away on their own (leadership moving, controller fail-over,
// a slow broker): worth a retry after refreshing metadata.
bool is_retriable(ErrorCode code);

// A broker answered with an error code.
class KafkaError : public Error {
 public:
  // `context` says what was attempted on what ("AlterPartitionReassignments
  // for orders-3"); `server_message` is the broker's own text, if any.
  KafkaError(ErrorCode code, const std::string& context, const std::string& server_message = {}, std::string hint = {});
  ErrorCode code() const noexcept { return code_; }
  std::string name() const { return error_name(code_); }

 private:
  ErrorCode code_;
};

// Bytes that do not decode: a truncated or corrupt frame, a broker speaking
// something else on that port (TLS vs PLAINTEXT), or a bug in our codecs.
class ProtocolError : public Error {
 public:
  explicit ProtocolError(std::string message, std::string hint = {}) : Error(std::move(message), std::move(hint)) {}
};

// The broker could not be reached, or the connection broke or timed out.
// `request_sent` tells whether the request may have reached the broker, so
// that only operations safe to repeat are retried after it.
class TransportError : public Error {
 public:
  TransportError(std::string message, std::string hint, bool request_sent = false)
      : Error(std::move(message), std::move(hint)), request_sent_(request_sent) {}
  bool request_sent() const noexcept { return request_sent_; }

 private:
  bool request_sent_;
};

}  // namespace sg::kafka
