#include "log/redactor.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/base64.hpp"
#include "util/strings.hpp"

namespace sg::log {

TEST(Redactor, MasksSecretAndDerivedForms) {
  Redactor r;
  const std::string secret = "s3cr3t+token/value=";
  r.add_secret(secret);
  const std::string forms[] = {
      secret,
      util::base64_encode(secret),
      util::base64_encode(secret, util::Base64Alphabet::UrlSafe, false),
      util::url_encode(secret),
      util::to_lower(util::url_encode(secret)),
      "Authorization: Bearer " + secret,
  };
  for (const auto& f : forms) {
    auto out = r.redact("line: " + f + " end");
    EXPECT_EQ(out.find(secret), std::string::npos) << out;
    EXPECT_EQ(out.find(f), std::string::npos) << out;
    EXPECT_NE(out.find(kMask), std::string::npos) << out;
    EXPECT_TRUE(out.starts_with("line: ")) << out;
  }
}

TEST(Redactor, MasksSecretInsideLargerBase64AtEveryAlignment) {
  Redactor r;
  const std::string secret = "correct-horse-battery";
  r.add_secret(secret);
  for (std::string prefix : {"", "a", "ab", "user:"}) {
    auto blob = util::base64_encode(prefix + secret + "!tail");
    auto out = r.redact(blob);
    EXPECT_NE(out, blob) << prefix;
    // No run of the secret-only groups survives: at most the boundary groups.
    EXPECT_LE(out.size() - std::string(kMask).size(), blob.size() - 16) << prefix << " " << out;
  }
}

TEST(Redactor, BasicAuthHeaderIsMasked) {
  Redactor r;
  r.add_basic_auth("admin", "pa55word!");
  auto header = "Authorization: Basic " + util::base64_encode("admin:pa55word!");
  EXPECT_EQ(r.redact(header), "Authorization: Basic ******");
}

TEST(Redactor, MultiLineSecretsAreMaskedLineByLine) {
  Redactor r;
  r.add_secret(
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE "
      "KEY-----\n");
  EXPECT_EQ(r.redact("key line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC here"), "key line ****** here");
}

TEST(Redactor, TokensInsideAKubeconfigSecret) {
  const std::string kubeconfig = R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://1.2.3.4", certificate-authority-data: Q0EK}
users:
- name: u
  user:
    token: eyJhbGciOiJSUzI1NiJ9.payload.sig
    client-key-data: S0VZREFUQTEyMzQ1Ng==
contexts: []
)";
  for (bool as_base64 : {false, true}) {
    Redactor r;
    r.add_secret(as_base64 ? util::base64_encode(kubeconfig) : kubeconfig);
    EXPECT_EQ(r.redact("GET / Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig"),
              "GET / Authorization: Bearer ******")
        << as_base64;
    EXPECT_EQ(r.redact("key S0VZREFUQTEyMzQ1Ng== and KEYDATA123456"), "key ****** and ******") << as_base64;
  }
}

TEST(Redactor, JsonEscapedForm) {
  Redactor r;
  r.add_secret("quote\"back\\slash");
  EXPECT_EQ(r.redact(R"({"pw":"quote\"back\\slash"})"), R"({"pw":"******"})");
}

TEST(Redactor, ShortValuesAreNotMasked) {
  Redactor r;
  r.add_secret("ab");
  EXPECT_EQ(r.redact("about a cab"), "about a cab");
  EXPECT_EQ(r.pattern_count(), 0u);
}

TEST(Redactor, InvalidUtf8SecretIsMaskedNotFatal) {
  Redactor r;
  const std::string secret = "abc\xff-token-\xfe";
  ASSERT_NO_THROW(r.add_secret(secret));
  auto out = r.redact("Authorization: Bearer " + secret + "\n");
  EXPECT_EQ(out.find("abc"), std::string::npos) << out;
  EXPECT_EQ(out.find("-token-"), std::string::npos) << out;
}

TEST(Redactor, DeeplyNestedSecretDoesNotOverflowTheStack) {
  Redactor r;
  std::string hostile = "users: " + std::string(40'000, '[');
  ASSERT_NO_THROW(r.add_secret(hostile));
  EXPECT_EQ(r.redact("x " + hostile + " y"), "x ****** y");
}

TEST(Redactor, PropertiesEscapedFormIsMasked) {
  Redactor r;
  const std::string secret = "key=with:colon\\and=more";
  r.add_secret(secret);
  // Java properties escape '=', ':' and '\\' in values.
  std::string escaped = "key\\=with\\:colon\\\\and\\=more";
  auto out = r.redact("spark.hadoop.fs.azure.account.key.x=" + escaped + "\n");
  EXPECT_EQ(out, "spark.hadoop.fs.azure.account.key.x=******\n");
}

TEST(Redactor, PropertiesFormInsideJsonIsMasked) {
  Redactor r;
  const std::string secret = "Sg\"s3cr#t!=x:y\\z ok";
  r.add_secret(secret);
  // spark.properties (escaped as Java properties) shown in a JSON ConfigMap.
  auto in_json = nlohmann::json("k=" + util::properties_escape(secret, false) + "\n").dump();
  EXPECT_EQ(r.redact(in_json), "\"k=******\\n\"");
}

TEST(PeerText, RedactsBeforeTruncatingOrEscaping) {
  auto& r = redactor();
  r.clear();
  const std::string token(200, 'T');
  const std::string quoted = "tok\"en\\with-quote";
  r.add_secret(token + "zz");
  r.add_secret(quoted);
  // A long token echoed near the cut: nothing of it survives.
  std::string body = std::string(250, '.') + token + "zz and more";
  auto out = peer_text(body, 300);
  EXPECT_EQ(out.find("TTT"), std::string::npos) << out;
  // A token with a quote and a backslash, raw and JSON-escaped.
  auto j = peer_text(R"({"message":"bad token tok\"en\\with-quote"})" + std::string(" raw: ") + quoted);
  EXPECT_EQ(j.find("with-quote"), std::string::npos) << j;
  r.clear();
}

TEST(PeerText, EscapesControlCharactersAndInvalidUtf8AndNotesTheSize) {
  redactor().clear();
  auto out = peer_text("line one\n[error] fake line\r\x1b[31m\xff é", 300);
  EXPECT_EQ(out, "line one\\n[error] fake line\\r\\x1b[31m\\xff é");
  EXPECT_EQ(out.find('\n'), std::string::npos);
  auto cut = peer_text(std::string(1000, 'a'), 10);
  EXPECT_EQ(cut, "aaaaaaaaaa…(1000 bytes)");
  // A multi-byte character is never split by the cut.
  auto utf = peer_text("ééééé", 3);
  EXPECT_EQ(utf, "ééé…(10 bytes)");
}

}  // namespace sg::log
