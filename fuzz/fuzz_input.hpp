#pragma once
// What every fuzz target shares: the input as text, and a cheap way to take
// a few leading bytes as choices (which parser, which version) so one target
// reaches every mode of its parser from one byte string.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sg::fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : text_(reinterpret_cast<const char*>(data), size) {}

  // The next byte as a choice (0 once the input is used up).
  std::uint8_t choice() {
    if (text_.empty()) return 0;
    auto c = static_cast<std::uint8_t>(text_.front());
    text_.remove_prefix(1);
    return c;
  }

  // Everything up to the first `separator` (all of the rest when there is
  // none); the separator itself is dropped.
  std::string_view until(char separator) {
    auto at = text_.find(separator);
    auto part = text_.substr(0, at);
    text_.remove_prefix(at == std::string_view::npos ? text_.size() : at + 1);
    return part;
  }

  std::string_view rest() const { return text_; }
  std::string rest_string() const { return std::string(text_); }

 private:
  std::string_view text_;
};

}  // namespace sg::fuzz
