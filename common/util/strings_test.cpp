#include "util/strings.hpp"

#include <gtest/gtest.h>

namespace sg::util {

TEST(Strings, TrimSplitJoin) {
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(join({"a", "b"}, "-"), "a-b");
  EXPECT_EQ(replace_all("aXbXc", "X", "--"), "a--b--c");
}

TEST(Strings, Levenshtein) {
  EXPECT_EQ(levenshtein("dry_run", "dry_rnu"), 2u);
  EXPECT_EQ(levenshtein("", "abc"), 3u);
  EXPECT_EQ(levenshtein("namespace", "namespace"), 0u);
}

TEST(Strings, UrlEncode) {
  EXPECT_EQ(url_encode("a b+c/d~"), "a%20b%2Bc%2Fd~");
}

TEST(Strings, PropertiesEscape) {
  EXPECT_EQ(properties_escape("a=b:c#d!e\\f", false), "a\\=b\\:c\\#d\\!e\\\\f");
  EXPECT_EQ(properties_escape(" lead and inner ", false), "\\ lead and inner ");
  EXPECT_EQ(properties_escape("a key", true), "a\\ key");
  EXPECT_EQ(properties_escape("t\tn\nr\rf\f", false), "t\\tn\\nr\\rf\\f");
  EXPECT_EQ(properties_escape("ü", false), "ü");
}

TEST(Strings, Utf8Validation) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xC3"));          // truncated
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(Strings, QuoteForMessageIsBoundedAndSingleLine) {
  auto q = quote_for_message(std::string(500, 'x') + "\n", 10);
  EXPECT_EQ(q.find('\n'), std::string::npos);
  EXPECT_LT(q.size(), 40u);
  EXPECT_EQ(quote_for_message("a\"b\n"), "\"a\\\"b\\n\"");
}

}  // namespace sg::util
