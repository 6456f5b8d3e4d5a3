#include "util/line_buffer.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace sg::util {

TEST(LineBuffer, SameLinesWhateverTheChunking) {
  const std::string stream = "{\"a\":1}\r\n{\"b\":\"\xC3\xA9\"}\nlast-without-newline";
  const std::vector<std::string> want = {"{\"a\":1}", "{\"b\":\"\xC3\xA9\"}", "last-without-newline"};
  // Every split point, including inside "\r\n" and inside the UTF-8 sequence.
  for (std::size_t cut1 = 0; cut1 <= stream.size(); ++cut1) {
    for (std::size_t cut2 = cut1; cut2 <= stream.size(); cut2 += 3) {
      LineBuffer b;
      std::vector<std::string> got;
      auto collect = [&](std::string_view l) {
        got.emplace_back(l);
        return true;
      };
      b.feed(std::string_view(stream).substr(0, cut1), collect);
      b.feed(std::string_view(stream).substr(cut1, cut2 - cut1), collect);
      b.feed(std::string_view(stream).substr(cut2), collect);
      b.finish(collect);
      EXPECT_EQ(got, want) << cut1 << "," << cut2;
    }
  }
}

TEST(LineBuffer, StopsWhenAsked) {
  LineBuffer b;
  int n = 0;
  EXPECT_FALSE(b.feed("a\nb\nc\n", [&](std::string_view) { return ++n < 2; }));
  EXPECT_EQ(n, 2);
}

}  // namespace sg::util
