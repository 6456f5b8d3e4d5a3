// Golden bytes, computed by hand from Kafka's message definitions (field
// order, versions, flexible encoding), for the requests we send and the
// responses we decode. A codec that drifts from the spec fails here before
// it fails against a broker.
#include "messages.hpp"

#include <gtest/gtest.h>

#include "admin.hpp"
#include "test_support.hpp"

namespace sg::kafka {
namespace {

using testing::hex;
using testing::to_hex;

template <class Request>
std::string encoded(const Request& r, std::int16_t version) {
  return to_hex(encode_body(r, version));
}

std::string normal(const char* h) {
  return to_hex(hex(h));
}

// --- framing ------------------------------------------------------------------------

TEST(KafkaWireMessages, FlexibleRequestFrameUsesHeaderV2WithAClassicClientId) {
  ApiVersionsRequest req{"a", "1"};
  auto frame = encode_request_frame(ApiKey::kApiVersions, 3, 1, std::string("sg"), encode_body(req, 3));
  EXPECT_EQ(to_hex(frame), normal("00000012  0012 0003 00000001 0002 7367 00  02 61 02 31 00"));
}

TEST(KafkaWireMessages, ClassicRequestFrameUsesHeaderV1) {
  auto frame = encode_request_frame(ApiKey::kApiVersions, 0, 7, std::string("sg"), "");
  EXPECT_EQ(to_hex(frame), normal("0000000c 0012 0000 00000007 0002 7367"));
  auto null_client = encode_request_frame(ApiKey::kSaslHandshake, 1, 2, std::nullopt, "");
  EXPECT_EQ(to_hex(null_client), normal("0000000a 0011 0001 00000002 ffff"));
}

TEST(KafkaWireMessages, HeaderVersionsFollowFlexibility) {
  EXPECT_EQ(request_header_version(ApiKey::kMetadata, 12), 2);
  EXPECT_EQ(response_header_version(ApiKey::kMetadata, 12), 1);
  EXPECT_EQ(request_header_version(ApiKey::kSaslHandshake, 1), 1);
  EXPECT_EQ(response_header_version(ApiKey::kSaslHandshake, 1), 0);
  EXPECT_EQ(request_header_version(ApiKey::kElectLeaders, 1), 1);
  EXPECT_EQ(request_header_version(ApiKey::kElectLeaders, 2), 2);
  // ApiVersions answers with header v0 even to a flexible request.
  EXPECT_EQ(request_header_version(ApiKey::kApiVersions, 3), 2);
  EXPECT_EQ(response_header_version(ApiKey::kApiVersions, 3), 0);
}

TEST(KafkaWireMessages, ResponseHeaderV1SkipsTaggedFields) {
  std::string payload = hex("0000002a 01 03 01 ff  7f");
  Reader r(payload, true, "test");
  EXPECT_EQ(read_response_header(r, ApiKey::kMetadata, 12), 42);
  EXPECT_EQ(r.i8(), 0x7f);
  std::string v0 = hex("0000002a 05");
  Reader r0(v0, true, "test");
  EXPECT_EQ(read_response_header(r0, ApiKey::kApiVersions, 3), 42);
  EXPECT_EQ(r0.i8(), 5);
}

TEST(KafkaWireMessages, VersionNegotiationPicksTheHighestCommonVersion) {
  EXPECT_EQ(pick_version(ApiKey::kMetadata, {0, 13}), 12);
  EXPECT_EQ(pick_version(ApiKey::kMetadata, {0, 10}), 10);
  EXPECT_EQ(pick_version(ApiKey::kMetadata, {0, 8}), std::nullopt);
  EXPECT_EQ(pick_version(ApiKey::kDescribeLogDirs, {1, 4}), 4);
  EXPECT_EQ(pick_version(ApiKey::kAlterPartitionReassignments, {0, 1}), 0);
  EXPECT_EQ(pick_version(ApiKey::kElectLeaders, VersionRange{}), std::nullopt);
}

// --- ApiVersions ---------------------------------------------------------------------

TEST(KafkaWireMessages, ApiVersionsV3Response) {
  // Two APIs, throttle 0, and a SupportedFeatures tag (0) holding an empty
  // compact array, which we skip.
  std::string body = hex("0000 03 0012 0000 0004 00 002d 0000 0000 00 00000000 01 00 01 01");
  auto r = decode_body<ApiVersionsRequest>(body, 3);
  EXPECT_EQ(r.error, 0);
  ASSERT_EQ(r.api_keys.size(), 2u);
  EXPECT_EQ(r.find(ApiKey::kApiVersions).max, 4);
  EXPECT_EQ(r.find(ApiKey::kAlterPartitionReassignments).min, 0);
  EXPECT_TRUE(r.find(ApiKey::kDescribeCluster).empty());
}

TEST(KafkaWireMessages, ApiVersionsV0ResponseToAnUnsupportedVersion) {
  std::string body = hex("0023 00000001 0012 0000 0002");
  auto r = decode_body<ApiVersionsRequest>(body, 0);
  EXPECT_EQ(r.error, errc::kUnsupportedVersion);
  EXPECT_EQ(r.find(ApiKey::kApiVersions).max, 2);
}

// --- Metadata ------------------------------------------------------------------------

TEST(KafkaWireMessages, MetadataV12RequestByName) {
  MetadataRequest req;
  req.topics = std::vector<std::string>{"t"};
  EXPECT_EQ(encoded(req, 12), normal("02 00000000000000000000000000000000 02 74 00  00 00 00"));
}

TEST(KafkaWireMessages, MetadataV9RequestForAllTopics) {
  MetadataRequest req;  // topics = null: all
  // null array, allow-auto-create, include-cluster-ops (v8-10), include-topic-ops, tags
  EXPECT_EQ(encoded(req, 9), normal("00 00 00 00 00"));
  req.topics = std::vector<std::string>{};  // none: brokers only
  EXPECT_EQ(encoded(req, 11), normal("01 00 00 00"));
}

constexpr const char* kMetadataV12 =
    "00000000"                               // throttle
    "02 00000001 02 68 00004a94 03 7231 00"  // brokers: 1 h:19092 rack r1
    "02 63"                                  // cluster id "c"
    "00000001"                               // controller
    "02"                                     // topics: 1
    "  0000 02 74 0102030405060708090a0b0c0d0e0f10 00"
    "  02"  // partitions: 1
    "    0000 00000000 00000001 00000005 03 00000001 00000002 02 00000001 02 00000002 00"
    "  80000000 00"  // topic authorized ops, tags
    "00";            // tags

TEST(KafkaWireMessages, MetadataV12Response) {
  std::string body = hex(kMetadataV12);
  auto md = decode_body<MetadataRequest>(body, 12);
  ASSERT_EQ(md.brokers.size(), 1u);
  EXPECT_EQ(md.brokers[0], (BrokerMetadata{1, "h", 19092, std::string("r1")}));
  EXPECT_EQ(md.cluster_id, "c");
  EXPECT_EQ(md.controller_id, 1);
  ASSERT_EQ(md.topics.size(), 1u);
  const auto* t = md.topic("t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->topic_id.bytes[0], 1);
  EXPECT_FALSE(t->internal);
  const auto* p = t->partition(0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->leader, 1);
  EXPECT_EQ(p->leader_epoch, 5);
  EXPECT_EQ(p->replicas, (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(p->isr, (std::vector<std::int32_t>{1}));
  EXPECT_EQ(p->offline_replicas, (std::vector<std::int32_t>{2}));
  EXPECT_EQ(md.broker(2), nullptr);
}

TEST(KafkaWireMessages, MetadataRefusesATopicNameNoKafkaBrokerCanHave) {
  auto metadata = [](std::int16_t error, const std::string& name) {
    Writer w(true);
    w.i32(0);
    w.array_length(0);  // brokers
    w.nullable_string(std::nullopt);
    w.i32(-1);
    w.array_length(1);
    w.i16(error);
    w.nullable_string(name);
    w.uuid(Uuid{});
    w.boolean(false);
    w.array_length(0);  // partitions
    w.i32(0);
    w.tagged_fields();
    w.tagged_fields();
    return w.take();
  };
  EXPECT_EQ(decode_body<MetadataRequest>(metadata(0, "Orders_v2.eu-1"), 12).topics.at(0).name, "Orders_v2.eu-1");
  for (const std::string& bad :
       {std::string("evil\nINFO forged"), std::string("a b"), std::string(250, 'x'), std::string()}) {
    EXPECT_THROW(decode_body<MetadataRequest>(metadata(0, bad), 12), ProtocolError) << bad;
  }
  // With an error, the name is the one the request asked for, echoed back.
  EXPECT_EQ(decode_body<MetadataRequest>(metadata(errc::kInvalidTopic, "a b"), 12).topics.at(0).error,
            errc::kInvalidTopic);
}

TEST(KafkaWireMessages, MetadataV9ResponseHasNoTopicIdButClusterOps) {
  std::string body =
      hex("00000000 02 00000002 02 68 00004a95 00 00"  // broker without rack
          "00 ffffffff"                                // null cluster id, no controller
          "02 0003 02 78 01 01 80000000 00"            // topic x: UNKNOWN_TOPIC, internal, no partitions
          "80000000 00");                              // cluster ops (v8-10), tags
  auto md = decode_body<MetadataRequest>(body, 9);
  EXPECT_EQ(md.brokers[0].rack, std::nullopt);
  EXPECT_EQ(md.cluster_id, std::nullopt);
  EXPECT_EQ(md.controller_id, -1);
  EXPECT_EQ(md.topics[0].error, errc::kUnknownTopicOrPartition);
  EXPECT_TRUE(md.topics[0].internal);
}

TEST(KafkaWireMessages, UnknownTaggedFieldsInAResponseAreSkipped) {
  std::string body = hex(kMetadataV12);
  body.pop_back();               // drop the empty top-level tag section...
  body += hex("01 05 02 abcd");  // ...and put an unknown tag 5 there
  EXPECT_EQ(decode_body<MetadataRequest>(body, 12).brokers.size(), 1u);
}

TEST(KafkaWireMessages, TrailingBytesAreAnError) {
  std::string body = hex(kMetadataV12) + hex("00");
  EXPECT_THROW(decode_body<MetadataRequest>(body, 12), ProtocolError);
}

// --- DescribeCluster ------------------------------------------------------------------

TEST(KafkaWireMessages, DescribeClusterV1) {
  EXPECT_EQ(encoded(DescribeClusterRequest{}, 1), normal("00 01 00"));
  EXPECT_EQ(encoded(DescribeClusterRequest{}, 0), normal("00 00"));
  std::string body = hex("00000000 0000 00 01 02 63 00000002 02 00000002 02 68 00004a95 00 00 80000000 00");
  auto r = decode_body<DescribeClusterRequest>(body, 1);
  EXPECT_EQ(r.cluster_id, "c");
  EXPECT_EQ(r.controller_id, 2);
  ASSERT_EQ(r.brokers.size(), 1u);
  EXPECT_EQ(r.brokers[0].port, 19093);
}

// --- reassignments --------------------------------------------------------------------

TEST(KafkaWireMessages, AlterPartitionReassignmentsGroupsByTopicAndEncodesCancelAsNull) {
  AlterPartitionReassignmentsRequest req;
  req.timeout_ms = 30000;
  req.partitions = {{"ab", 0, std::vector<std::int32_t>{1, 2}}, {"ab", 1, std::nullopt}};
  EXPECT_EQ(encoded(req, 0), normal("00007530 02 03 6162 03  00000000 03 00000001 00000002 00  00000001 00 00  00 00"));
}

TEST(KafkaWireMessages, AlterPartitionReassignmentsResponse) {
  std::string body =
      hex("00000000 0000 00"
          "03 02 61 02 00000000 0027 04 626164 00 00"  // a-0: INVALID_REPLICA_ASSIGNMENT "bad"
          "   02 62 02 00000001 0000 00 00 00"         // b-1: ok
          "00");
  auto r = decode_body<AlterPartitionReassignmentsRequest>(body, 0);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].topic, "a");
  EXPECT_EQ(r.results[0].error, errc::kInvalidReplicaAssignment);
  EXPECT_EQ(r.results[0].message, "bad");
  EXPECT_EQ(r.results[1].topic, "b");
  EXPECT_EQ(r.results[1].partition, 1);
  EXPECT_TRUE(r.results[1].ok());
}

TEST(KafkaWireMessages, ListPartitionReassignments) {
  ListPartitionReassignmentsRequest req;
  req.timeout_ms = 1000;
  EXPECT_EQ(encoded(req, 0), normal("000003e8 00 00"));
  req.topics = std::vector<TopicPartitions>{{"t", {0, 3}}};
  EXPECT_EQ(encoded(req, 0), normal("000003e8 02 02 74 03 00000000 00000003 00 00"));

  std::string body =
      hex("00000000 0000 00 02 02 74 02"
          "  00000003 04 00000001 00000002 00000003 02 00000003 02 00000001 00"
          "00 00");
  auto r = decode_body<ListPartitionReassignmentsRequest>(body, 0);
  ASSERT_EQ(r.reassignments.size(), 1u);
  const auto& o = r.reassignments[0];
  EXPECT_EQ(o.topic, "t");
  EXPECT_EQ(o.partition, 3);
  EXPECT_EQ(o.replicas, (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(o.adding_replicas, (std::vector<std::int32_t>{3}));
  EXPECT_EQ(o.removing_replicas, (std::vector<std::int32_t>{1}));
}

// A name is copied into each of its partitions' results: longer than Kafka
// allows, it is refused, so a response cannot multiply into gigabytes.
TEST(KafkaWireMessages, TopicNamesLongerThanKafkaAllowsAreRefusedWhereTheyAreCopied) {
  auto reassignments = [](std::size_t name_bytes, std::size_t partitions) {
    Writer w(true);
    w.i32(0);
    w.i16(0);
    w.nullable_string(std::nullopt);
    w.array_length(1);
    w.string(std::string(name_bytes, 't'));
    w.array_length(partitions);
    for (std::size_t p = 0; p < partitions; ++p) {
      w.i32(static_cast<std::int32_t>(p));
      for (int list = 0; list < 3; ++list)
        w.array_length(0);
      w.tagged_fields();
    }
    w.tagged_fields();
    w.tagged_fields();
    return w.take();
  };
  auto ok = decode_body<ListPartitionReassignmentsRequest>(reassignments(249, 3), 0);
  ASSERT_EQ(ok.reassignments.size(), 3u);
  EXPECT_EQ(ok.reassignments[2].topic.size(), 249u);
  try {
    decode_body<ListPartitionReassignmentsRequest>(reassignments(100'000, 10'000), 0);
    FAIL() << "a 100 kB topic name was accepted";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("topic name of 100000 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_body<ListPartitionReassignmentsRequest>(reassignments(250, 1), 0), ProtocolError);
}

// --- ElectLeaders ----------------------------------------------------------------------

TEST(KafkaWireMessages, ElectLeadersV1IsClassic) {
  ElectLeadersRequest req;
  req.partitions = std::vector<TopicPartitions>{{"t", {0, 1}}};
  EXPECT_EQ(encoded(req, 1), normal("00 00000001 0001 74 00000002 00000000 00000001 0000ea60"));
  std::string body = hex("00000000 0000 00000001 0001 74 00000001 00000000 0054 ffff");
  auto r = decode_body<ElectLeadersRequest>(body, 1);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].error, errc::kElectionNotNeeded);
}

TEST(KafkaWireMessages, ElectLeadersV2IsFlexible) {
  ElectLeadersRequest req;
  req.type = ElectionType::kUnclean;
  req.partitions = std::nullopt;  // all
  req.timeout_ms = 5000;
  EXPECT_EQ(encoded(req, 2), normal("01 00 00001388 00"));
  std::string body = hex("00000000 0000 02 02 74 02 00000002 0000 00 00 00 00");
  auto r = decode_body<ElectLeadersRequest>(body, 2);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].partition, 2);
  EXPECT_TRUE(r.results[0].ok());
}

// --- DescribeLogDirs -------------------------------------------------------------------

TEST(KafkaWireMessages, DescribeLogDirs) {
  DescribeLogDirsRequest req;
  EXPECT_EQ(encoded(req, 4), normal("00 00"));
  EXPECT_EQ(encoded(req, 1), normal("ffffffff"));
  req.topics = std::vector<TopicPartitions>{{"t", {0}}};
  EXPECT_EQ(encoded(req, 4), normal("02 02 74 02 00000000 00 00"));

  std::string v4 =
      hex("00000000 0000 02"
          "  0000 03 2f64 02 02 74 02"
          "    00000000 0000000000001000 0000000000000000 00 00"
          "  00 0000000000100000 0000000000080000 00"
          "00");
  auto r = decode_body<DescribeLogDirsRequest>(v4, 4);
  ASSERT_EQ(r.dirs.size(), 1u);
  EXPECT_EQ(r.dirs[0].path, "/d");
  EXPECT_EQ(r.dirs[0].total_bytes, 0x100000);
  EXPECT_EQ(r.dirs[0].usable_bytes, 0x80000);
  ASSERT_EQ(r.dirs[0].partitions.size(), 1u);
  EXPECT_EQ(r.dirs[0].partitions[0].size, 4096);
  auto sizes = partition_sizes(r.dirs);
  EXPECT_EQ(sizes.at(TopicPartition{"t", 0}), 4096);

  std::string v1 =
      hex("00000000 00000001 0000 0002 2f64 00000001 0001 74 00000001"
          "  00000000 0000000000000010 0000000000000000 01");
  auto r1 = decode_body<DescribeLogDirsRequest>(v1, 1);
  EXPECT_EQ(r1.dirs[0].partitions[0].size, 16);
  EXPECT_TRUE(r1.dirs[0].partitions[0].is_future);
  EXPECT_EQ(r1.dirs[0].total_bytes, -1);
}

// --- configs ------------------------------------------------------------------------------

TEST(KafkaWireMessages, DescribeConfigs) {
  DescribeConfigsRequest req;
  req.resources = {{ResourceType::kBroker, "1", std::vector<std::string>{"a"}}};
  EXPECT_EQ(encoded(req, 4), normal("02 04 02 31 02 02 61 00 00 00 00"));
  EXPECT_EQ(encoded(req, 1), normal("00000001 04 0001 31 00000001 0001 61 00"));

  // One sensitive entry with a null value (v4).
  std::string body = hex("00000000 02 0000 00 02 02 74 02  02 6b 00 00 01 01 01 09 00 00  00 00");
  auto r = decode_body<DescribeConfigsRequest>(body, 4);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].type, ResourceType::kTopic);
  ASSERT_EQ(r.results[0].entries.size(), 1u);
  const auto& e = r.results[0].entries[0];
  EXPECT_EQ(e.name, "k");
  EXPECT_EQ(e.value, std::nullopt);
  EXPECT_TRUE(e.sensitive);
  EXPECT_EQ(e.source, static_cast<std::int8_t>(ConfigSource::kTopic));
  EXPECT_EQ(e.type, 9);

  // v1: classic, with a synonym, without type and documentation.
  std::string v1 =
      hex("00000000 00000001 0000 ffff 04 0001 31 00000001"
          "  0001 61 0001 78 00 04 00 00000001 0001 61 0001 78 04");
  auto r1 = decode_body<DescribeConfigsRequest>(v1, 1);
  EXPECT_EQ(r1.results[0].entries[0].value, "x");
  ASSERT_EQ(r1.results[0].entries[0].synonyms.size(), 1u);
  EXPECT_EQ(r1.results[0].entries[0].synonyms[0].source, 4);
}

TEST(KafkaWireMessages, IncrementalAlterConfigs) {
  IncrementalAlterConfigsRequest req;
  req.resources = {{ResourceType::kBroker,
                    "1",
                    {{"a", ConfigOperation::kSet, std::string("x")}, {"b", ConfigOperation::kDelete, std::nullopt}}}};
  EXPECT_EQ(encoded(req, 1), normal("02 04 02 31 03  02 61 00 02 78 00  02 62 01 00 00  00 00 00"));
  EXPECT_EQ(encoded(req, 0), normal("00000001 04 0001 31 00000002 0001 61 00 0001 78 0001 62 01 ffff 00"));

  std::string body = hex("00000000 02 0028 04 626164 02 02 74 00 00");
  auto r = decode_body<IncrementalAlterConfigsRequest>(body, 1);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].error, errc::kInvalidConfig);
  EXPECT_EQ(r.results[0].error_message, "bad");
  EXPECT_EQ(r.results[0].name, "t");
}

TEST(KafkaWireMessages, DeleteOpsNeverSendAValue) {
  IncrementalAlterConfigsRequest req;
  req.resources = {{ResourceType::kTopic, "t", {{"k", ConfigOperation::kDelete, std::string("ignored")}}}};
  EXPECT_EQ(encoded(req, 1), normal("02 02 02 74 02 02 6b 01 00 00 00 00 00"));
}

// --- topics ---------------------------------------------------------------------------------

TEST(KafkaWireMessages, CreateTopicsWithAnExplicitAssignment) {
  CreateTopicsRequest req;
  req.timeout_ms = 30000;
  NewTopic t;
  t.name = "t";
  t.assignment = {{0, {1, 2}}};
  t.configs = {{"k", "v"}};
  req.topics = {t};
  EXPECT_EQ(encoded(req, 7), normal("02 02 74 ffffffff ffff 02 00000000 03 00000001 00000002 00 02 02 6b 02 76 00 00"
                                    " 00007530 00 00"));

  // v7 result with the tagged TopicConfigErrorCode, which we skip.
  std::string body =
      hex("00000000 02 02 74 0102030405060708090a0b0c0d0e0f10 0000 00 00000001 0002 00"
          "  01 00 02 0000"
          "00");
  auto r = decode_body<CreateTopicsRequest>(body, 7);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_TRUE(r.results[0].ok());
  EXPECT_EQ(r.results[0].num_partitions, 1);
  EXPECT_EQ(r.results[0].replication_factor, 2);
  EXPECT_EQ(r.results[0].topic_id.bytes[15], 0x10);

  // v5: no topic id, with a config list in the result.
  std::string v5 = hex("00000000 02 02 74 0024 02 78 ffffffff ffff 02 02 6b 02 76 00 01 00 00 00 00");
  auto r5 = decode_body<CreateTopicsRequest>(v5, 5);
  EXPECT_EQ(r5.results[0].error, errc::kTopicAlreadyExists);
  EXPECT_EQ(r5.results[0].message, "x");
}

TEST(KafkaWireMessages, DeleteTopics) {
  DeleteTopicsRequest req;
  req.names = {"t"};
  req.timeout_ms = 30000;
  EXPECT_EQ(encoded(req, 6), normal("02 02 74 00000000000000000000000000000000 00 00007530 00"));
  EXPECT_EQ(encoded(req, 4), normal("02 02 74 00007530 00"));

  std::string v6 = hex("00000000 02 02 74 00000000000000000000000000000000 0003 00 00 00");
  auto r = decode_body<DeleteTopicsRequest>(v6, 6);
  EXPECT_EQ(r.results[0].error, errc::kUnknownTopicOrPartition);
  std::string v4 = hex("00000000 02 02 74 0000 00 00");
  EXPECT_TRUE(decode_body<DeleteTopicsRequest>(v4, 4).results[0].ok());
}

// --- SASL -----------------------------------------------------------------------------------

TEST(KafkaWireMessages, SaslHandshakeAndAuthenticate) {
  EXPECT_EQ(encoded(SaslHandshakeRequest{"PLAIN"}, 1), normal("0005 504c41494e"));
  std::string hs = hex("0021 00000002 0005 504c41494e 000d 5343 52414d2d5348412d353132");
  auto h = decode_body<SaslHandshakeRequest>(hs, 1);
  EXPECT_EQ(h.error, errc::kUnsupportedSaslMechanism);
  EXPECT_EQ(h.mechanisms.size(), 2u);

  EXPECT_EQ(encoded(SaslAuthenticateRequest{"ab"}, 2), normal("03 6162 00"));
  EXPECT_EQ(encoded(SaslAuthenticateRequest{"ab"}, 0), normal("00000002 6162"));
  std::string v2 = hex("003a 04 626164 01 0000000000000000 00");
  auto a = decode_body<SaslAuthenticateRequest>(v2, 2);
  EXPECT_EQ(a.error, errc::kSaslAuthenticationFailed);
  EXPECT_EQ(a.error_message, "bad");
  EXPECT_EQ(a.auth_bytes, "");
  std::string v1 = hex("0000 ffff 00000003 763d31 0000000000000064");
  auto a1 = decode_body<SaslAuthenticateRequest>(v1, 1);
  EXPECT_EQ(a1.auth_bytes, "v=1");
  EXPECT_EQ(a1.session_lifetime_ms, 100);
}

}  // namespace
}  // namespace sg::kafka
