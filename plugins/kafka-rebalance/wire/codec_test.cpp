#include "codec.hpp"

#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sg::kafka {
namespace {

using testing::hex;
using testing::to_hex;

Reader reader(const std::string& bytes, bool flexible) {
  return Reader(bytes, flexible, "test");
}

TEST(KafkaWireCodec, FixedWidthIntegersAreBigEndian) {
  Writer w;
  w.i8(-2);
  w.i16(0x1234);
  w.i32(-2);
  w.i64(0x0102030405060708);
  w.boolean(true);
  EXPECT_EQ(to_hex(w.data()), "fe 12 34 ff ff ff fe 01 02 03 04 05 06 07 08 01");

  std::string bytes = w.data();
  Reader r = reader(bytes, false);
  EXPECT_EQ(r.i8(), -2);
  EXPECT_EQ(r.i16(), 0x1234);
  EXPECT_EQ(r.i32(), -2);
  EXPECT_EQ(r.i64(), 0x0102030405060708);
  EXPECT_TRUE(r.boolean());
  r.expect_end();
}

TEST(KafkaWireCodec, UnsignedVarintsMatchTheProtobufEncoding) {
  // Values and encodings from the protobuf varint definition Kafka reuses.
  struct Case {
    std::uint32_t value;
    const char* bytes;
  } cases[] = {{0, "00"},      {1, "01"},        {127, "7f"},         {128, "80 01"},
               {300, "ac 02"}, {16383, "ff 7f"}, {16384, "80 80 01"}, {0xFFFFFFFF, "ff ff ff ff 0f"}};
  for (const auto& c : cases) {
    Writer w;
    w.uvarint(c.value);
    EXPECT_EQ(to_hex(w.data()), c.bytes) << c.value;
    std::string bytes = hex(c.bytes);
    Reader r = reader(bytes, true);
    EXPECT_EQ(r.uvarint(), c.value);
    r.expect_end();
  }
}

TEST(KafkaWireCodec, SignedVarintsUseZigZag) {
  struct Case {
    std::int32_t value;
    const char* bytes;
  } cases[] = {{0, "00"},
               {-1, "01"},
               {1, "02"},
               {-64, "7f"},
               {64, "80 01"},
               {std::numeric_limits<std::int32_t>::max(), "fe ff ff ff 0f"},
               {std::numeric_limits<std::int32_t>::min(), "ff ff ff ff 0f"}};
  for (const auto& c : cases) {
    Writer w;
    w.varint(c.value);
    EXPECT_EQ(to_hex(w.data()), c.bytes) << c.value;
    std::string bytes = hex(c.bytes);
    Reader r = reader(bytes, true);
    EXPECT_EQ(r.varint(), c.value);
  }
  Writer w;
  w.varlong(-3);
  w.varlong(std::numeric_limits<std::int64_t>::min());
  w.uvarlong(std::numeric_limits<std::uint64_t>::max());
  std::string bytes = w.data();
  Reader r = reader(bytes, true);
  EXPECT_EQ(r.varlong(), -3);
  EXPECT_EQ(r.varlong(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(r.uvarlong(), std::numeric_limits<std::uint64_t>::max());
  r.expect_end();
}

TEST(KafkaWireCodec, OverlongOrOverflowingVarintsAreRejected) {
  for (const char* bad : {"ff ff ff ff 1f", "80 80 80 80 80 00", "ff ff ff ff"}) {
    std::string bytes = hex(bad);
    Reader r = reader(bytes, true);
    EXPECT_THROW(r.uvarint(), ProtocolError) << bad;
  }
  std::string bytes = hex("ff ff ff ff ff ff ff ff ff 02");
  Reader r = reader(bytes, true);
  EXPECT_THROW(r.uvarlong(), ProtocolError);
}

TEST(KafkaWireCodec, ClassicStringsHaveInt16LengthsAndMinusOneForNull) {
  Writer w(false);
  w.string("ab");
  w.nullable_string(std::nullopt);
  w.string("");
  w.bytes("xyz");
  EXPECT_EQ(to_hex(w.data()), "00 02 61 62 ff ff 00 00 00 00 00 03 78 79 7a");
  std::string bytes = w.data();
  Reader r = reader(bytes, false);
  EXPECT_EQ(r.string(), "ab");
  EXPECT_EQ(r.nullable_string(), std::nullopt);
  EXPECT_EQ(r.string(), "");
  EXPECT_EQ(r.bytes(), "xyz");
  r.expect_end();
}

TEST(KafkaWireCodec, CompactStringsAreLengthPlusOneWithZeroForNull) {
  Writer w(true);
  w.string("ab");
  w.nullable_string(std::nullopt);
  w.string("");
  w.bytes("xyz");
  EXPECT_EQ(to_hex(w.data()), "03 61 62 00 01 04 78 79 7a");
  std::string bytes = w.data();
  Reader r = reader(bytes, true);
  EXPECT_EQ(r.string(), "ab");
  EXPECT_EQ(r.nullable_string(), std::nullopt);
  EXPECT_EQ(r.string(), "");
  EXPECT_EQ(r.bytes(), "xyz");
  r.expect_end();
}

TEST(KafkaWireCodec, ArraysInBothEncodings) {
  Writer classic(false);
  classic.int32_array({1, -1});
  classic.null_array();
  EXPECT_EQ(to_hex(classic.data()), "00 00 00 02 00 00 00 01 ff ff ff ff ff ff ff ff");
  Writer compact(true);
  compact.int32_array({1, -1});
  compact.null_array();
  compact.string_array({"a"});
  EXPECT_EQ(to_hex(compact.data()), "03 00 00 00 01 ff ff ff ff 00 02 02 61");

  std::string bytes = compact.data();
  Reader r = reader(bytes, true);
  EXPECT_EQ(r.int32_array(), (std::vector<std::int32_t>{1, -1}));
  EXPECT_EQ(r.nullable_int32_array(), std::nullopt);
  EXPECT_EQ(r.string_array(), std::vector<std::string>{"a"});
  r.expect_end();
}

TEST(KafkaWireCodec, NullWhereAValueIsRequiredIsAnError) {
  std::string null_compact = hex("00");
  Reader a = reader(null_compact, true);
  EXPECT_THROW(a.string(), ProtocolError);
  Reader b = reader(null_compact, true);
  EXPECT_THROW(b.int32_array(), ProtocolError);
  std::string null_classic = hex("ff ff");
  Reader c = reader(null_classic, false);
  EXPECT_THROW(c.string(), ProtocolError);
}

TEST(KafkaWireCodec, NegativeClassicLengthsBelowMinusOneAreRejected) {
  std::string s = hex("ff fe");
  Reader a = reader(s, false);
  EXPECT_THROW(a.nullable_string(), ProtocolError);
  std::string arr = hex("ff ff ff fe");
  Reader b = reader(arr, false);
  EXPECT_THROW(b.nullable_array_length(), ProtocolError);
}

TEST(KafkaWireCodec, ArrayCountsBeyondTheRemainingBytesFailBeforeAllocating) {
  // Claims 2^31-2 int32 elements with four bytes left: must not reserve 8 GB.
  std::string bytes = hex("ff ff ff 7f 00 00 00 01");
  Reader r = reader(bytes, true);
  EXPECT_THROW(r.int32_array(), ProtocolError);
  std::string classic = hex("7f ff ff ff 00");
  Reader c = reader(classic, false);
  EXPECT_THROW(c.array_length(), ProtocolError);
  // A string length past the end.
  std::string str = hex("00 05 61");
  Reader s = reader(str, false);
  EXPECT_THROW(s.string(), ProtocolError);
}

TEST(KafkaWireCodec, UnknownTaggedFieldsAreSkippedAndKnownOnesOffered) {
  // Two fields: tag 0 with one byte, tag 7 with three bytes; then an int8.
  std::string bytes = hex("02 00 01 2a 07 03 aa bb cc 05");
  Reader r = reader(bytes, true);
  std::vector<std::uint32_t> seen;
  std::int8_t value0 = 0;
  r.tagged_fields([&](std::uint32_t tag, Reader& field) {
    seen.push_back(tag);
    if (tag == 0) value0 = field.i8();
  });
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{0, 7}));
  EXPECT_EQ(value0, 42);
  EXPECT_EQ(r.i8(), 5);
  r.expect_end();

  Reader skip = reader(bytes, true);
  skip.tagged_fields();
  EXPECT_EQ(skip.i8(), 5);
}

TEST(KafkaWireCodec, TaggedFieldsAreANoOpInClassicMode) {
  Writer w(false);
  w.tagged_fields();
  EXPECT_TRUE(w.data().empty());
  std::string bytes = hex("05");
  Reader r = reader(bytes, false);
  r.tagged_fields();
  EXPECT_EQ(r.i8(), 5);
}

TEST(KafkaWireCodec, TruncatedTaggedFieldsAreRejected) {
  for (const char* bad : {"01", "01 00", "01 00 05 aa", "ff ff ff ff 0f"}) {
    std::string bytes = hex(bad);
    Reader r = reader(bytes, true);
    EXPECT_THROW(r.tagged_fields(), ProtocolError) << bad;
  }
}

TEST(KafkaWireCodec, UuidsPrintAsKafkaDoes) {
  Uuid id;
  for (std::size_t i = 0; i < 16; ++i)
    id.bytes[i] = static_cast<std::uint8_t>(i * 17);
  EXPECT_FALSE(id.is_zero());
  EXPECT_TRUE(Uuid{}.is_zero());
  // URL-safe base64 without padding: 22 characters.
  EXPECT_EQ(id.to_string(), "ABEiM0RVZneImaq7zN3u_w");
  Writer w;
  w.uuid(id);
  std::string bytes = w.data();
  Reader r = reader(bytes, true);
  EXPECT_EQ(r.uuid(), id);
}

TEST(KafkaWireCodec, ErrorsNameTheContextAndOffset) {
  std::string bytes = hex("00 00 00");
  Reader r(bytes, false, "Metadata v12 response");
  try {
    r.i32();
    FAIL() << "no exception";
  } catch (const ProtocolError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("Metadata v12 response"), std::string::npos) << what;
    EXPECT_NE(what.find("byte 0 of 3"), std::string::npos) << what;
    EXPECT_FALSE(e.hint().empty());
  }
}

TEST(KafkaWireCodec, RandomBytesNeverCrashTheReader) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 3000; ++round) {
    std::string bytes(rng() % 40, '\0');
    for (auto& c : bytes)
      c = static_cast<char>(rng());
    Reader r(bytes, round % 2 == 0, "fuzz");
    try {
      for (int i = 0; i < 12; ++i) {
        switch (rng() % 8) {
          case 0:
            r.string();
            break;
          case 1:
            r.nullable_bytes();
            break;
          case 2:
            r.int32_array();
            break;
          case 3:
            r.tagged_fields();
            break;
          case 4:
            r.uvarlong();
            break;
          case 5:
            r.uuid();
            break;
          case 6:
            r.string_array();
            break;
          default:
            r.i64();
        }
      }
    } catch (const ProtocolError&) {
    }
    EXPECT_LE(r.offset(), bytes.size());
  }
}

}  // namespace
}  // namespace sg::kafka
