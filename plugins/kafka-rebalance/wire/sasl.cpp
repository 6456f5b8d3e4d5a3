#include "sasl.hpp"

#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "errors.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace sg::kafka {

namespace {

const EVP_MD* digest(SaslMechanism m) {
  return m == SaslMechanism::kScramSha256 ? EVP_sha256() : EVP_sha512();
}

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// Holds derived key material and wipes it on every exit path.
struct Secret {
  std::string bytes;
  Secret() = default;
  explicit Secret(std::string b) : bytes(std::move(b)) {}
  ~Secret() { wipe(bytes); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
};

const unsigned char* ubytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  std::string out(static_cast<std::size_t>(EVP_MAX_MD_SIZE), '\0');
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), ubytes(data), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
    throw Error("HMAC failed in OpenSSL");
  }
  out.resize(len);
  return out;
}

std::string hash(const EVP_MD* md, std::string_view data) {
  std::string out(static_cast<std::size_t>(EVP_MAX_MD_SIZE), '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md, nullptr) != 1) {
    throw Error("digest failed in OpenSSL");
  }
  out.resize(len);
  return out;
}

std::string pbkdf2(const EVP_MD* md, std::string_view password, std::string_view salt, int iterations) {
  std::string out(static_cast<std::size_t>(EVP_MD_get_size(md)), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), ubytes(salt), static_cast<int>(salt.size()),
                        iterations, md, static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw Error("PBKDF2 failed in OpenSSL");
  }
  return out;
}

// RFC 5802 saslname: ',' and '=' are escaped in the user name.
std::string escape_user(std::string_view user) {
  std::string out;
  for (char c : user) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

// Splits "a=1,b=2" into (key, value) pairs; keys are one letter.
std::vector<std::pair<char, std::string_view>> attributes(std::string_view msg) {
  std::vector<std::pair<char, std::string_view>> out;
  std::size_t start = 0;
  while (start <= msg.size()) {
    auto end = msg.find(',', start);
    if (end == std::string_view::npos) end = msg.size();
    auto part = msg.substr(start, end - start);
    if (part.size() < 2 || part[1] != '=') return {};
    out.emplace_back(part[0], part.substr(2));
    start = end + 1;
  }
  return out;
}

std::string scram_context(SaslMechanism m, const std::string& user) {
  return std::string(mechanism_name(m)) + " authentication of user " + util::quote_for_message(user);
}

[[noreturn]] void scram_protocol_failure(SaslMechanism m, const std::string& user, const std::string& why) {
  throw KafkaError(errc::kSaslAuthenticationFailed, scram_context(m, user), why,
                   "the broker's SCRAM messages did not follow RFC 5802; check that the listener really is SASL "
                   "with " +
                       std::string(mechanism_name(m)));
}

std::string random_nonce() {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) throw Error("no randomness available for the SCRAM nonce");
  return util::base64_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw),
                             util::Base64Alphabet::Standard, false);
}

}  // namespace

std::string_view mechanism_name(SaslMechanism m) {
  switch (m) {
    case SaslMechanism::kPlain:
      return "PLAIN";
    case SaslMechanism::kScramSha256:
      return "SCRAM-SHA-256";
    case SaslMechanism::kScramSha512:
      return "SCRAM-SHA-512";
  }
  return "PLAIN";
}

std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name) {
  auto n = util::replace_all(util::to_upper(util::trim(name)), "_", "-");
  if (n == "PLAIN") return SaslMechanism::kPlain;
  if (n == "SCRAM-SHA-256") return SaslMechanism::kScramSha256;
  if (n == "SCRAM-SHA-512") return SaslMechanism::kScramSha512;
  return std::nullopt;
}

std::string plain_initial_response(std::string_view user, std::string_view password) {
  std::string out;
  out.reserve(user.size() + password.size() + 2);
  out.push_back('\0');
  out.append(user);
  out.push_back('\0');
  out.append(password);
  return out;
}

ScramClient::ScramClient(SaslMechanism mechanism, std::string user, std::string password, std::string nonce)
    : mechanism_(mechanism), user_(std::move(user)), password_(std::move(password)), nonce_(std::move(nonce)) {
  if (mechanism_ == SaslMechanism::kPlain) throw Error("ScramClient needs a SCRAM mechanism, not PLAIN");
  if (nonce_.empty()) nonce_ = random_nonce();
}

ScramClient::~ScramClient() {
  wipe(password_);
  wipe(server_signature_);
}

std::string ScramClient::client_first() {
  client_first_bare_ = "n=" + escape_user(user_) + ",r=" + nonce_;
  step_ = 1;
  // "n,," : no channel binding, no authorization identity.
  return "n,," + client_first_bare_;
}

std::string ScramClient::client_final(std::string_view server_first) {
  auto fail = [this](const std::string& why) { scram_protocol_failure(mechanism_, user_, why); };
  if (step_ != 1) fail("client_first() must come before client_final()");
  auto attrs = attributes(server_first);
  if (attrs.empty()) fail("unparseable server-first message");
  if (attrs[0].first == 'm') fail("the server requires an unsupported SCRAM extension");
  std::string_view server_nonce, salt_b64, iter_text;
  for (const auto& [k, v] : attrs) {
    if (k == 'r' && server_nonce.empty()) server_nonce = v;
    if (k == 's' && salt_b64.empty()) salt_b64 = v;
    if (k == 'i' && iter_text.empty()) iter_text = v;
  }
  if (server_nonce.size() <= nonce_.size() || server_nonce.substr(0, nonce_.size()) != nonce_) {
    fail("the server nonce does not extend the client nonce");
  }
  auto salt = util::base64_decode(salt_b64);
  if (!salt || salt->empty()) {
    fail("missing or invalid salt");
    return {};
  }
  if (iter_text.empty() || iter_text.size() > 9 ||
      iter_text.find_first_not_of("0123456789") != std::string_view::npos) {
    fail("missing or invalid iteration count");
  }
  int iterations = std::stoi(std::string(iter_text));
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    fail("iteration count " + std::to_string(iterations) + " is outside " + std::to_string(kMinIterations) + ".." +
         std::to_string(kMaxIterations));
  }

  const EVP_MD* md = digest(mechanism_);
  // "biws" = base64("n,,"), the GS2 header we sent.
  std::string without_proof = "c=biws,r=" + std::string(server_nonce);
  std::string auth_message = client_first_bare_ + "," + std::string(server_first) + "," + without_proof;

  Secret salted(pbkdf2(md, password_, *salt, iterations));
  Secret client_key(hmac(md, salted.bytes, "Client Key"));
  Secret stored_key(hash(md, client_key.bytes));
  Secret client_signature(hmac(md, stored_key.bytes, auth_message));
  Secret proof(std::string(client_key.bytes.size(), '\0'));
  for (std::size_t i = 0; i < proof.bytes.size(); ++i) {
    proof.bytes[i] = static_cast<char>(client_key.bytes[i] ^ client_signature.bytes[i]);
  }
  Secret server_key(hmac(md, salted.bytes, "Server Key"));
  server_signature_ = hmac(md, server_key.bytes, auth_message);
  step_ = 2;
  return without_proof + ",p=" + util::base64_encode(proof.bytes);
}

void ScramClient::verify_server_final(std::string_view server_final) {
  const std::string context = scram_context(mechanism_, user_);
  if (step_ != 2) {
    throw KafkaError(errc::kSaslAuthenticationFailed, context, "client_final() must come before the server's final");
  }
  auto attrs = attributes(server_final);
  if (!attrs.empty() && attrs[0].first == 'e') {
    throw KafkaError(errc::kSaslAuthenticationFailed, context,
                     "server rejected the proof: " + util::quote_for_message(attrs[0].second));
  }
  std::optional<std::string> signature;
  if (!attrs.empty() && attrs[0].first == 'v') signature = util::base64_decode(attrs[0].second);
  if (!signature || signature->size() != server_signature_.size() ||
      CRYPTO_memcmp(signature->data(), server_signature_.data(), server_signature_.size()) != 0) {
    throw KafkaError(errc::kSaslAuthenticationFailed, context,
                     "the server's signature does not match: it does not know this user's credentials",
                     "the endpoint may not be the Kafka cluster you meant (or someone is intercepting the "
                     "connection); check the bootstrap servers and use SASL_SSL with verification on");
  }
  step_ = 3;
}

}  // namespace sg::kafka
