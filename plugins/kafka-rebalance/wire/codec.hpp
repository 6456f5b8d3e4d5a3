#pragma once
// Kafka's wire primitives. Every message version is either "classic" (int16
// string lengths, int32 array counts) or "flexible" (KIP-482: unsigned-varint
// lengths off by one, so 0 means null, and a tagged-field section after every
// struct). Writer and Reader carry that mode, so a message codec is written
// once and serves both kinds of version.
//
// The Reader treats its input as hostile: every length is checked against the
// bytes left before anything is allocated or read, and any inconsistency
// throws ProtocolError. It never reads out of bounds, whatever it is fed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors.hpp"

namespace sg::kafka {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  bool is_zero() const;
  // Kafka prints topic ids as URL-safe base64 without padding (22 chars).
  std::string to_string() const;
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

class Writer {
 public:
  explicit Writer(bool flexible = false) : flexible_(flexible) {}
  bool flexible() const { return flexible_; }

  void i8(std::int8_t v);
  void i16(std::int16_t v);
  void i32(std::int32_t v);
  void i64(std::int64_t v);
  void boolean(bool v) { i8(v ? 1 : 0); }
  void uvarint(std::uint32_t v);
  void varint(std::int32_t v);  // zig-zag
  void uvarlong(std::uint64_t v);
  void varlong(std::int64_t v);  // zig-zag
  void uuid(const Uuid& v);
  void raw(std::string_view bytes) { buf_.append(bytes); }

  // Compact in flexible mode, classic otherwise.
  void string(std::string_view v);
  void nullable_string(const std::optional<std::string>& v);
  void bytes(std::string_view v);
  void array_length(std::size_t n);
  void null_array();
  void int32_array(const std::vector<std::int32_t>& v);
  void nullable_int32_array(const std::optional<std::vector<std::int32_t>>& v);
  void string_array(const std::vector<std::string>& v);
  template <class T, class F>
  void array(const std::vector<T>& items, F&& each) {
    array_length(items.size());
    for (const auto& item : items)
      each(*this, item);
  }
  // The (empty) tagged-field section that ends every flexible struct; a
  // no-op in classic mode. This client never sends tagged fields.
  void tagged_fields();

  // Always int16-length, whatever the mode: the request header's client id
  // keeps this form even in header v2, so old brokers can parse it.
  void classic_nullable_string(const std::optional<std::string>& v);

  const std::string& data() const { return buf_; }
  std::string take() { return std::move(buf_); }

 private:
  std::string buf_;
  bool flexible_;
};

class Reader {
 public:
  // `context` names what is being decoded ("Metadata v12 response") for
  // error messages.
  Reader(std::string_view data, bool flexible, std::string context);

  bool flexible() const { return flexible_; }
  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  const std::string& context() const { return context_; }

  std::int8_t i8();
  std::int16_t i16();
  std::int32_t i32();
  std::int64_t i64();
  bool boolean() { return i8() != 0; }
  std::uint32_t uvarint();
  std::int32_t varint();
  std::uint64_t uvarlong();
  std::int64_t varlong();
  Uuid uuid();

  std::string string();  // null is an error here
  std::optional<std::string> nullable_string();
  std::string bytes();
  std::optional<std::string> nullable_bytes();

  // Element count of an array, or nullopt for a null array. Never more than
  // the remaining bytes could hold at `min_element_size` bytes each, so a
  // corrupt count cannot make a caller allocate gigabytes.
  std::optional<std::size_t> nullable_array_length(std::size_t min_element_size = 1);
  std::size_t array_length(std::size_t min_element_size = 1);
  std::vector<std::int32_t> int32_array();
  std::optional<std::vector<std::int32_t>> nullable_int32_array();
  std::vector<std::string> string_array();
  template <class F>
  auto array(F&& each) -> std::vector<decltype(each(*this))> {
    std::size_t n = array_length();
    std::vector<decltype(each(*this))> out;
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(each(*this));
    return out;
  }
  // Like array(), but a null array decodes as nullopt.
  template <class F>
  auto nullable_array(F&& each) -> std::optional<std::vector<decltype(each(*this))>> {
    auto n = nullable_array_length();
    if (!n) return std::nullopt;
    std::vector<decltype(each(*this))> out;
    for (std::size_t i = 0; i < *n; ++i)
      out.push_back(each(*this));
    return out;
  }

  // Reads a tagged-field section (no-op in classic mode). Each field is
  // offered to `on_tag` with a Reader over exactly its bytes; fields it does
  // not know are skipped, which is what makes tagged fields forward
  // compatible.
  using TagHandler = std::function<void(std::uint32_t tag, Reader& field)>;
  void tagged_fields(const TagHandler& on_tag = {});

  // For frames that must be consumed exactly (golden tests, headers).
  void expect_end() const;

  [[noreturn]] void fail(const std::string& what) const;

 private:
  void need(std::size_t n, const char* what) const;
  std::string_view take(std::size_t n, const char* what);
  // Length of a string/bytes/array in either encoding; -1 for null.
  std::int64_t string_length(const char* what);
  std::int64_t bytes_length(const char* what);
  std::int64_t array_count(const char* what);

  std::string_view data_;
  std::size_t pos_ = 0;
  bool flexible_;
  std::string context_;
};

}  // namespace sg::kafka
