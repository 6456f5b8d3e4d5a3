#pragma once
// Reassembles lines from a byte stream that arrives in arbitrary chunks (a
// chunked watch or log response can split anywhere, even inside a UTF-8
// sequence or a "\r\n").
#include <functional>
#include <string>
#include <string_view>

namespace sg::util {

class LineBuffer {
 public:
  // Calls on_line for each complete line (without "\n" or "\r\n"); stops and
  // returns false as soon as on_line returns false.
  bool feed(std::string_view chunk, const std::function<bool(std::string_view)>& on_line);
  // The trailing text after the last newline, if any (end of stream).
  bool finish(const std::function<bool(std::string_view)>& on_line);
  bool empty() const { return partial_.empty(); }

 private:
  std::string partial_;
};

}  // namespace sg::util
