#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sg::util {

enum class Base64Alphabet { Standard, UrlSafe };

std::string base64_encode(std::string_view data, Base64Alphabet alphabet = Base64Alphabet::Standard, bool pad = true);

// Accepts both alphabets, optional padding and embedded whitespace (kubeconfig
// data fields and CI secrets are often line-wrapped). nullopt on garbage.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sg::util
