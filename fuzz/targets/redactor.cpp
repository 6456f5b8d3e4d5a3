// The redactor's promise, checked on fuzzed secrets and text: once a secret
// is registered, no line it is printed in (raw, or base64, URL, JSON or
// properties escaped, inside any surrounding text) still shows that form, and
// peer_text's output is one line of valid UTF-8 within its length.
//
// Input: the secret, a 0 byte, a choice byte, then the surrounding text
// (split at its first 0 byte into the text before and after the secret).
#include "log/redactor.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace {

std::string json_inner(const std::string& v) {
  auto j = nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return j.substr(1, j.size() - 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sg::fuzz::Input in(data, size);
  std::string secret(in.until('\0'));
  auto mode = in.choice();
  std::string before(in.until('\0'));
  std::string after(in.rest());

  auto& r = sg::log::redactor();
  r.clear();
  r.add_secret(secret);

  if (mode & 0x80) {
    // peer_text: whatever a peer sends comes out as one printable line.
    std::size_t max_chars = mode % 64 + 1u;
    auto line = sg::log::peer_text(before + secret + after, max_chars);
    if (!sg::util::valid_utf8(line)) __builtin_trap();
    for (char c : line) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) __builtin_trap();
    }
    return 0;
  }

  // Below the redactor's floor nothing is masked, by design (it would mask
  // ordinary words); a secret made of the mask's own '*' would be "found" in
  // every mask.
  auto trimmed = sg::util::trim(secret);
  if (trimmed.size() < 3 || secret.find('*') != std::string::npos) return 0;

  std::string form;
  switch (mode % 6) {
    case 0:
      form = secret;
      break;
    case 1:
      form = sg::util::base64_encode(secret);
      break;
    case 2:
      form = sg::util::base64_encode(secret, sg::util::Base64Alphabet::UrlSafe, false);
      break;
    case 3:
      form = sg::util::url_encode(secret);
      break;
    case 4:
      form = json_inner(secret);
      break;
    default:
      form = sg::util::properties_escape(secret, false);
      break;
  }
  auto out = r.redact(before + form + after);
  // The surrounding text may itself contain the form; every occurrence is
  // masked all the same. The mask next to surrounding text can never
  // recreate the form, since the form has no '*' (base64 and escapes
  // introduce none).
  if (out.find(form) != std::string::npos) __builtin_trap();
  return 0;
}
