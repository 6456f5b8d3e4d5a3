#include "codec.hpp"

#include <limits>

#include "util/base64.hpp"

namespace sg::kafka {

namespace {

constexpr const char* kDecodeHint =
    "the broker sent bytes this client cannot decode: check that the port speaks the configured security protocol "
    "(PLAINTEXT vs SSL, SASL vs not), or report it with the broker's Kafka version";

std::string_view as_chars(const std::array<std::uint8_t, 16>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

bool Uuid::is_zero() const {
  for (auto b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

std::string Uuid::to_string() const {
  return util::base64_encode(as_chars(bytes), util::Base64Alphabet::UrlSafe, false);
}

// --- Writer --------------------------------------------------------------------

void Writer::i8(std::int8_t v) {
  buf_.push_back(static_cast<char>(v));
}

void Writer::i16(std::int16_t v) {
  auto u = static_cast<std::uint16_t>(v);
  buf_.push_back(static_cast<char>(u >> 8));
  buf_.push_back(static_cast<char>(u & 0xFF));
}

void Writer::i32(std::int32_t v) {
  auto u = static_cast<std::uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8)
    buf_.push_back(static_cast<char>((u >> shift) & 0xFF));
}

void Writer::i64(std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8)
    buf_.push_back(static_cast<char>((u >> shift) & 0xFF));
}

void Writer::uvarint(std::uint32_t v) {
  uvarlong(v);
}

void Writer::varint(std::int32_t v) {
  auto u = static_cast<std::uint32_t>(v);
  uvarint((u << 1) ^ static_cast<std::uint32_t>(v >> 31));
}

void Writer::uvarlong(std::uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  buf_.push_back(static_cast<char>(v));
}

void Writer::varlong(std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  uvarlong((u << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void Writer::uuid(const Uuid& v) {
  buf_.append(as_chars(v.bytes));
}

void Writer::string(std::string_view v) {
  if (flexible_) {
    if (v.size() >= std::numeric_limits<std::uint32_t>::max()) throw ProtocolError("string too long to encode");
    uvarint(static_cast<std::uint32_t>(v.size() + 1));
  } else {
    if (v.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) {
      throw ProtocolError("string of " + std::to_string(v.size()) + " bytes is too long for this message version",
                          "Kafka strings are limited to 32767 bytes");
    }
    i16(static_cast<std::int16_t>(v.size()));
  }
  buf_.append(v);
}

void Writer::nullable_string(const std::optional<std::string>& v) {
  if (v) {
    string(*v);
  } else if (flexible_) {
    uvarint(0);
  } else {
    i16(-1);
  }
}

void Writer::bytes(std::string_view v) {
  if (v.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw ProtocolError("byte string too long to encode");
  }
  if (flexible_) {
    uvarint(static_cast<std::uint32_t>(v.size() + 1));
  } else {
    i32(static_cast<std::int32_t>(v.size()));
  }
  buf_.append(v);
}

void Writer::array_length(std::size_t n) {
  if (n >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw ProtocolError("array too long to encode");
  }
  if (flexible_) {
    uvarint(static_cast<std::uint32_t>(n + 1));
  } else {
    i32(static_cast<std::int32_t>(n));
  }
}

void Writer::null_array() {
  if (flexible_) {
    uvarint(0);
  } else {
    i32(-1);
  }
}

void Writer::int32_array(const std::vector<std::int32_t>& v) {
  array_length(v.size());
  for (auto x : v)
    i32(x);
}

void Writer::nullable_int32_array(const std::optional<std::vector<std::int32_t>>& v) {
  if (v) {
    int32_array(*v);
  } else {
    null_array();
  }
}

void Writer::string_array(const std::vector<std::string>& v) {
  array_length(v.size());
  for (const auto& s : v)
    string(s);
}

void Writer::tagged_fields() {
  if (flexible_) uvarint(0);
}

void Writer::classic_nullable_string(const std::optional<std::string>& v) {
  Writer classic(false);
  classic.nullable_string(v);
  buf_.append(classic.data());
}

// --- Reader --------------------------------------------------------------------

Reader::Reader(std::string_view data, bool flexible, std::string context)
    : data_(data), flexible_(flexible), context_(std::move(context)) {}

void Reader::fail(const std::string& what) const {
  throw ProtocolError("malformed " + context_ + ": " + what + " (at byte " + std::to_string(pos_) + " of " +
                          std::to_string(data_.size()) + ")",
                      kDecodeHint);
}

void Reader::need(std::size_t n, const char* what) const {
  if (n > remaining()) {
    fail(std::string("truncated ") + what + ": needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
         " left");
  }
}

std::string_view Reader::take(std::size_t n, const char* what) {
  need(n, what);
  auto out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

std::int8_t Reader::i8() {
  return static_cast<std::int8_t>(static_cast<unsigned char>(take(1, "int8")[0]));
}

std::int16_t Reader::i16() {
  auto b = take(2, "int16");
  auto u = static_cast<std::uint16_t>((static_cast<unsigned>(static_cast<unsigned char>(b[0])) << 8) |
                                      static_cast<unsigned char>(b[1]));
  return static_cast<std::int16_t>(u);
}

std::int32_t Reader::i32() {
  auto b = take(4, "int32");
  std::uint32_t u = 0;
  for (char c : b)
    u = (u << 8) | static_cast<unsigned char>(c);
  return static_cast<std::int32_t>(u);
}

std::int64_t Reader::i64() {
  auto b = take(8, "int64");
  std::uint64_t u = 0;
  for (char c : b)
    u = (u << 8) | static_cast<unsigned char>(c);
  return static_cast<std::int64_t>(u);
}

std::uint64_t Reader::uvarlong() {
  std::uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    auto b = static_cast<unsigned char>(take(1, "varint")[0]);
    // The 10th byte may only carry the top bit of a 64-bit value.
    if (i == 9 && b > 1) fail("varint overflows 64 bits");
    value |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) return value;
  }
  fail("varint longer than 10 bytes");
}

std::uint32_t Reader::uvarint() {
  std::uint32_t value = 0;
  for (int i = 0; i < 5; ++i) {
    auto b = static_cast<unsigned char>(take(1, "varint")[0]);
    // The 5th byte may only carry the top 4 bits of a 32-bit value.
    if (i == 4 && b > 0x0F) fail("varint overflows 32 bits");
    value |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) return value;
  }
  fail("varint longer than 5 bytes");
}

std::int32_t Reader::varint() {
  std::uint32_t u = uvarint();
  return static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::int64_t Reader::varlong() {
  std::uint64_t u = uvarlong();
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

Uuid Reader::uuid() {
  auto b = take(16, "uuid");
  Uuid out;
  for (std::size_t i = 0; i < 16; ++i)
    out.bytes[i] = static_cast<std::uint8_t>(b[i]);
  return out;
}

std::int64_t Reader::string_length(const char* what) {
  if (flexible_) return static_cast<std::int64_t>(uvarint()) - 1;
  std::int16_t n = i16();
  if (n < -1) fail(std::string("negative ") + what + " length " + std::to_string(n));
  return n;
}

std::int64_t Reader::bytes_length(const char* what) {
  if (flexible_) return static_cast<std::int64_t>(uvarint()) - 1;
  std::int32_t n = i32();
  if (n < -1) fail(std::string("negative ") + what + " length " + std::to_string(n));
  return n;
}

std::int64_t Reader::array_count(const char* what) {
  if (flexible_) return static_cast<std::int64_t>(uvarint()) - 1;
  std::int32_t n = i32();
  if (n < -1) fail(std::string("negative ") + what + " count " + std::to_string(n));
  return n;
}

std::optional<std::string> Reader::nullable_string() {
  auto n = string_length("string");
  if (n < 0) return std::nullopt;
  return std::string(take(static_cast<std::size_t>(n), "string"));
}

std::string Reader::string() {
  auto s = nullable_string();
  if (!s) fail("null where a string is required");
  return std::move(*s);
}

std::optional<std::string> Reader::nullable_bytes() {
  auto n = bytes_length("bytes");
  if (n < 0) return std::nullopt;
  return std::string(take(static_cast<std::size_t>(n), "bytes"));
}

std::string Reader::bytes() {
  auto b = nullable_bytes();
  if (!b) fail("null where bytes are required");
  return std::move(*b);
}

std::optional<std::size_t> Reader::nullable_array_length(std::size_t min_element_size) {
  auto n = array_count("array");
  if (n < 0) return std::nullopt;
  auto count = static_cast<std::size_t>(n);
  if (min_element_size > 0 && count > remaining() / min_element_size) {
    fail("array claims " + std::to_string(count) + " elements but only " + std::to_string(remaining()) +
         " bytes are left");
  }
  return count;
}

std::size_t Reader::array_length(std::size_t min_element_size) {
  auto n = nullable_array_length(min_element_size);
  if (!n) fail("null where an array is required");
  return *n;
}

std::optional<std::vector<std::int32_t>> Reader::nullable_int32_array() {
  auto n = nullable_array_length(4);
  if (!n) return std::nullopt;
  std::vector<std::int32_t> out;
  out.reserve(*n);
  for (std::size_t i = 0; i < *n; ++i)
    out.push_back(i32());
  return out;
}

std::vector<std::int32_t> Reader::int32_array() {
  auto v = nullable_int32_array();
  if (!v) fail("null where an int32 array is required");
  return std::move(*v);
}

std::vector<std::string> Reader::string_array() {
  return array([](Reader& r) { return r.string(); });
}

void Reader::tagged_fields(const TagHandler& on_tag) {
  if (!flexible_) return;
  std::uint32_t count = uvarint();
  // Each field takes at least two bytes (tag and size varints).
  if (count > remaining() / 2) fail("tagged-field count " + std::to_string(count) + " exceeds the bytes left");
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t tag = uvarint();
    std::uint32_t size = uvarint();
    auto field = take(size, "tagged field");
    if (on_tag) {
      Reader sub(field, flexible_, context_ + " (tagged field " + std::to_string(tag) + ")");
      on_tag(tag, sub);
    }
  }
}

void Reader::expect_end() const {
  if (remaining() != 0) fail(std::to_string(remaining()) + " unexpected trailing bytes");
}

}  // namespace sg::kafka
