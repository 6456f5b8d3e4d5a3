// Hostile-input tests: every decoder, fed every strict prefix of a valid
// response and thousands of corrupted variants, must either decode or throw
// ProtocolError - never read out of bounds, never allocate wildly, never
// throw anything else. Run under ASan/UBSan in the debug preset.
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "messages.hpp"
#include "test_support.hpp"

namespace sg::kafka {
namespace {

using testing::hex;

struct Sample {
  const char* name;
  std::int16_t version;
  std::string body;
  std::function<void(std::string_view, std::int16_t)> decode;
};

template <class Request>
Sample sample(const char* name, std::int16_t version, const char* body_hex) {
  return Sample{name, version, hex(body_hex),
                [](std::string_view body, std::int16_t v) { (void)decode_body<Request>(body, v); }};
}

std::vector<Sample> samples() {
  return {
      sample<ApiVersionsRequest>("ApiVersions v3", 3,
                                 "0000 03 0012 0000 0004 00 002d 0000 0000 00 00000000 01 00 01 01"),
      sample<ApiVersionsRequest>("ApiVersions v0", 0, "0023 00000001 0012 0000 0002"),
      sample<MetadataRequest>("Metadata v12", 12,
                              "00000000 02 00000001 02 68 00004a94 03 7231 00 02 63 00000001 02"
                              " 0000 02 74 0102030405060708090a0b0c0d0e0f10 00 02"
                              " 0000 00000000 00000001 00000005 03 00000001 00000002 02 00000001 02 00000002 00"
                              " 80000000 00 00"),
      sample<MetadataRequest>("Metadata v9", 9,
                              "00000000 02 00000002 02 68 00004a95 00 00 00 ffffffff"
                              " 02 0003 02 78 01 01 80000000 00 80000000 00"),
      sample<DescribeClusterRequest>("DescribeCluster v1", 1,
                                     "00000000 0000 00 01 02 63 00000002 02 00000002 02 68 00004a95 00 00 80000000 00"),
      sample<AlterPartitionReassignmentsRequest>(
          "AlterPartitionReassignments v0", 0,
          "00000000 0000 00 03 02 61 02 00000000 0027 04 626164 00 00 02 62 02 00000001 0000 00 00 00 00"),
      sample<ListPartitionReassignmentsRequest>(
          "ListPartitionReassignments v0", 0,
          "00000000 0000 00 02 02 74 02 00000003 04 00000001 00000002 00000003 02 00000003 02 00000001 00 00 00"),
      sample<ElectLeadersRequest>("ElectLeaders v1", 1, "00000000 0000 00000001 0001 74 00000001 00000000 0054 ffff"),
      sample<ElectLeadersRequest>("ElectLeaders v2", 2, "00000000 0000 02 02 74 02 00000002 0000 00 00 00 00"),
      sample<DescribeLogDirsRequest>("DescribeLogDirs v4", 4,
                                     "00000000 0000 02 0000 03 2f64 02 02 74 02 00000000 0000000000001000"
                                     " 0000000000000000 00 00 00 0000000000100000 0000000000080000 00 00"),
      sample<DescribeLogDirsRequest>("DescribeLogDirs v1", 1,
                                     "00000000 00000001 0000 0002 2f64 00000001 0001 74 00000001"
                                     " 00000000 0000000000000010 0000000000000000 01"),
      sample<DescribeConfigsRequest>("DescribeConfigs v4", 4,
                                     "00000000 02 0000 00 02 02 74 02 02 6b 00 00 01 01 01 09 00 00 00 00"),
      sample<DescribeConfigsRequest>("DescribeConfigs v1", 1,
                                     "00000000 00000001 0000 ffff 04 0001 31 00000001"
                                     " 0001 61 0001 78 00 04 00 00000001 0001 61 0001 78 04"),
      sample<IncrementalAlterConfigsRequest>("IncrementalAlterConfigs v1", 1,
                                             "00000000 02 0028 04 626164 02 02 74 00 00"),
      sample<CreateTopicsRequest>("CreateTopics v7", 7,
                                  "00000000 02 02 74 0102030405060708090a0b0c0d0e0f10 0000 00 00000001 0002 00"
                                  " 01 00 02 0000 00"),
      sample<CreateTopicsRequest>("CreateTopics v5", 5,
                                  "00000000 02 02 74 0024 02 78 ffffffff ffff 02 02 6b 02 76 00 01 00 00 00 00"),
      sample<DeleteTopicsRequest>("DeleteTopics v6", 6,
                                  "00000000 02 02 74 00000000000000000000000000000000 0003 00 00 00"),
      sample<SaslHandshakeRequest>("SaslHandshake v1", 1, "0000 00000001 0005 504c41494e"),
      sample<SaslAuthenticateRequest>("SaslAuthenticate v2", 2, "003a 04 626164 01 0000000000000000 00"),
      sample<SaslAuthenticateRequest>("SaslAuthenticate v1", 1, "0000 ffff 00000003 763d31 0000000000000064"),
  };
}

TEST(KafkaWireTruncation, EverySampleDecodesInFull) {
  for (const auto& s : samples()) {
    EXPECT_NO_THROW(s.decode(s.body, s.version)) << s.name;
  }
}

TEST(KafkaWireTruncation, EveryStrictPrefixThrowsProtocolError) {
  for (const auto& s : samples()) {
    for (std::size_t n = 0; n < s.body.size(); ++n) {
      // A fresh copy of exactly n bytes, so ASan catches any read past it.
      std::string prefix = s.body.substr(0, n);
      EXPECT_THROW(s.decode(prefix, s.version), ProtocolError) << s.name << " prefix of " << n << " bytes";
    }
  }
}

TEST(KafkaWireTruncation, CorruptedBytesNeverCrash) {
  std::mt19937 rng(42);
  for (const auto& s : samples()) {
    for (int round = 0; round < 1500; ++round) {
      std::string body = s.body;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i) {
        auto pos = rng() % body.size();
        // Mostly extreme values: they hit length and count fields hardest.
        switch (rng() % 3) {
          case 0:
            body[pos] = static_cast<char>(0xFF);
            break;
          case 1:
            body[pos] = static_cast<char>(0x7F);
            break;
          default:
            body[pos] = static_cast<char>(rng());
        }
      }
      if (rng() % 4 == 0) body.resize(rng() % (body.size() + 1));
      try {
        s.decode(body, s.version);
      } catch (const ProtocolError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << s.name << ": unexpected exception type: " << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace sg::kafka
