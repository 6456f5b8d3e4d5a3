// A chunked stream cut at fuzzed places: the lines LineBuffer hands out must
// be exactly the input's lines, whatever the cuts. The first bytes choose
// the chunk sizes.
#include "util/line_buffer.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"

namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    auto line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    // A "\r" before the "\n" (or ending the stream) is part of the line end.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  std::vector<std::size_t> cuts;
  for (int i = 0; i < 4; ++i)
    cuts.push_back(in.choice() % 17 + 1u);
  auto text = in.rest();
  std::vector<std::string> got;
  auto collect = [&](std::string_view line) {
    got.emplace_back(line);
    return true;
  };
  sg::util::LineBuffer buffer;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < text.size(); ++i) {
    auto n = std::min(cuts[i % cuts.size()], text.size() - pos);
    buffer.feed(text.substr(pos, n), collect);
    pos += n;
  }
  buffer.finish(collect);
  if (got != split_lines(text)) __builtin_trap();
  return 0;
}
