#include "sasl.hpp"

#include <string>

#include <gtest/gtest.h>

#include "errors.hpp"

namespace sg::kafka {
namespace {

// RFC 7677 section 3: user "user", password "pencil".
constexpr const char* kNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

TEST(KafkaWireSasl, ScramSha256MatchesTheRfc7677TestVector) {
  ScramClient scram(SaslMechanism::kScramSha256, "user", "pencil", kNonce);
  EXPECT_EQ(scram.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(scram.client_final(kServerFirst), kClientFinal);
  EXPECT_NO_THROW(scram.verify_server_final(kServerFinal));
}

TEST(KafkaWireSasl, ScramRejectsAForgedServerSignature) {
  ScramClient scram(SaslMechanism::kScramSha256, "user", "pencil", kNonce);
  scram.client_first();
  scram.client_final(kServerFirst);
  try {
    scram.verify_server_final("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    FAIL() << "accepted a forged signature";
  } catch (const KafkaError& e) {
    EXPECT_EQ(e.code(), errc::kSaslAuthenticationFailed);
    EXPECT_NE(std::string(e.what()).find("signature"), std::string::npos);
  }
}

TEST(KafkaWireSasl, ScramReportsAServerError) {
  ScramClient scram(SaslMechanism::kScramSha512, "user", "pencil", kNonce);
  scram.client_first();
  scram.client_final(kServerFirst);
  try {
    scram.verify_server_final("e=invalid-proof");
    FAIL();
  } catch (const KafkaError& e) {
    EXPECT_NE(std::string(e.what()).find("invalid-proof"), std::string::npos);
  }
}

TEST(KafkaWireSasl, ScramRejectsWeakOrMalformedServerFirstMessages) {
  const char* bad[] = {
      // the server nonce must extend ours
      "r=somebodyElse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      // a downgrade to few iterations
      "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1",
      // absurd iteration counts, not numbers, missing salt
      "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999",
      // more rounds than a Kafka broker can store: only a CPU-burning impostor sends these
      "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=16385",
      "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999",
      "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096",
      "r=rOprNGfwEbeRWgbNEkqOx,i=4096",
      "r=rOprNGfwEbeRWgbNEkqOx,s=!!!,i=4096",
      // a mandatory extension we do not know
      "m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "",
      "garbage",
  };
  for (const char* msg : bad) {
    ScramClient scram(SaslMechanism::kScramSha256, "user", "pencil", kNonce);
    scram.client_first();
    EXPECT_THROW(scram.client_final(msg), KafkaError) << msg;
  }
}

TEST(KafkaWireSasl, ScramAcceptsKafkasWholeIterationRange) {
  for (const char* i : {"4096", "16384"}) {
    ScramClient scram(SaslMechanism::kScramSha512, "user", "pencil", kNonce);
    scram.client_first();
    EXPECT_NO_THROW(scram.client_final(std::string("r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=") + i)) << i;
  }
}

TEST(KafkaWireSasl, ScramMessagesMustComeInOrder) {
  ScramClient scram(SaslMechanism::kScramSha256, "user", "pencil", kNonce);
  EXPECT_THROW(scram.client_final(kServerFirst), KafkaError);
  EXPECT_THROW(scram.verify_server_final(kServerFinal), KafkaError);
}

TEST(KafkaWireSasl, ScramEscapesCommaAndEqualsInUserNames) {
  ScramClient scram(SaslMechanism::kScramSha512, "a,b=c", "pw", "nonce");
  EXPECT_EQ(scram.client_first(), "n,,n=a=2Cb=3Dc,r=nonce");
}

TEST(KafkaWireSasl, ScramNoncesAreRandomAndPrintable) {
  ScramClient a(SaslMechanism::kScramSha512, "u", "p");
  ScramClient b(SaslMechanism::kScramSha512, "u", "p");
  auto fa = a.client_first();
  auto fb = b.client_first();
  EXPECT_NE(fa, fb);
  auto nonce = fa.substr(fa.find(",r=") + 3);
  EXPECT_GE(nonce.size(), 24u);
  EXPECT_EQ(nonce.find(','), std::string::npos);
}

TEST(KafkaWireSasl, ScramSha512ProducesA64ByteProof) {
  ScramClient scram(SaslMechanism::kScramSha512, "user", "pencil", kNonce);
  scram.client_first();
  auto final_msg = scram.client_final(kServerFirst);
  auto proof = final_msg.substr(final_msg.find(",p=") + 3);
  EXPECT_EQ(proof.size(), 88u);  // base64 of 64 bytes
  EXPECT_EQ(final_msg.find("pencil"), std::string::npos);
}

TEST(KafkaWireSasl, ScramRefusesPlain) {
  EXPECT_THROW(ScramClient(SaslMechanism::kPlain, "u", "p"), Error);
}

TEST(KafkaWireSasl, PlainMessageIsAuthzidUserPassword) {
  EXPECT_EQ(plain_initial_response("alice", "s3cret"), std::string("\0alice\0s3cret", 13));
}

TEST(KafkaWireSasl, MechanismNamesRoundTrip) {
  for (auto m : {SaslMechanism::kPlain, SaslMechanism::kScramSha256, SaslMechanism::kScramSha512}) {
    EXPECT_EQ(parse_sasl_mechanism(mechanism_name(m)), m);
  }
  EXPECT_EQ(parse_sasl_mechanism(" scram_sha_512 "), SaslMechanism::kScramSha512);
  EXPECT_EQ(parse_sasl_mechanism("GSSAPI"), std::nullopt);
}

}  // namespace
}  // namespace sg::kafka
