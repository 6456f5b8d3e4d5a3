#include "config.hpp"

#include "util/strings.hpp"

namespace sg::kafka {

std::string_view security_protocol_name(SecurityProtocol p) {
  switch (p) {
    case SecurityProtocol::kPlaintext:
      return "PLAINTEXT";
    case SecurityProtocol::kSsl:
      return "SSL";
    case SecurityProtocol::kSaslPlaintext:
      return "SASL_PLAINTEXT";
    case SecurityProtocol::kSaslSsl:
      return "SASL_SSL";
  }
  return "PLAINTEXT";
}

std::optional<SecurityProtocol> parse_security_protocol(std::string_view name) {
  auto n = util::replace_all(util::to_upper(util::trim(name)), "-", "_");
  if (n == "PLAINTEXT") return SecurityProtocol::kPlaintext;
  if (n == "SSL") return SecurityProtocol::kSsl;
  if (n == "SASL_PLAINTEXT") return SecurityProtocol::kSaslPlaintext;
  if (n == "SASL_SSL") return SecurityProtocol::kSaslSsl;
  return std::nullopt;
}

}  // namespace sg::kafka
