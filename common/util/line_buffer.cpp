#include "util/line_buffer.hpp"

namespace sg::util {

bool LineBuffer::feed(std::string_view chunk, const std::function<bool(std::string_view)>& on_line) {
  partial_.append(chunk);
  std::size_t start = 0;
  bool keep_going = true;
  while (keep_going) {
    auto nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(partial_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    keep_going = on_line(line);
    start = nl + 1;
  }
  partial_.erase(0, start);
  return keep_going;
}

bool LineBuffer::finish(const std::function<bool(std::string_view)>& on_line) {
  if (partial_.empty()) return true;
  std::string_view line = partial_;
  if (line.back() == '\r') line.remove_suffix(1);
  bool r = on_line(line);
  partial_.clear();
  return r;
}

}  // namespace sg::util
