#include "util/base64.hpp"

#include <gtest/gtest.h>

namespace sg::util {

TEST(Base64, RoundTripsRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded).value(), plain);
  }
}

TEST(Base64, UrlSafeAndUnpadded) {
  std::string data = "\xfb\xff\xfe";
  EXPECT_EQ(base64_encode(data), "+//+");
  EXPECT_EQ(base64_encode(data, Base64Alphabet::UrlSafe), "-__-");
  EXPECT_EQ(base64_encode("f", Base64Alphabet::Standard, false), "Zg");
  EXPECT_EQ(base64_decode("-__-").value(), data);
  EXPECT_EQ(base64_decode("Zg").value(), "f");
}

TEST(Base64, DecodeAcceptsWrappedLinesRejectsGarbage) {
  EXPECT_EQ(base64_decode("Zm9v\nYmFy\n").value(), "foobar");
  EXPECT_FALSE(base64_decode("not base64!").has_value());
  EXPECT_FALSE(base64_decode("Zm9v=YmFy").has_value());
  EXPECT_FALSE(base64_decode("Z").has_value());
}

}  // namespace sg::util
