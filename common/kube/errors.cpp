#include "kube/errors.hpp"

#include <nlohmann/json.hpp>

#include "log/redactor.hpp"
#include "util/json.hpp"

namespace sg::kube {
namespace {

std::string default_reason(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "Unknown";
  }
}

ApiError build(int code, const std::string& body, const std::string& verb, const std::string& what,
               std::optional<std::chrono::milliseconds> retry_after) {
  std::string reason = default_reason(code);
  std::string message;
  std::vector<Cause> causes;
  // A Status is small; anything deep or huge is not one, and is shown as
  // text (redacted, escaped and cut by peer_text).
  nlohmann::json doc;
  try {
    doc = util::parse_json(body, {.max_depth = 16, .max_bytes = 1 << 20});
  } catch (const util::JsonError&) {
    doc = nullptr;
  }
  auto str = [](const nlohmann::json& obj, const char* key) -> std::string {
    if (!obj.is_object()) return {};
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (doc.is_object() && str(doc, "kind") == "Status") {
    if (auto it = doc.find("code"); it != doc.end() && it->is_number_integer()) {
      auto c = it->get<std::int64_t>();
      if (c >= 100 && c <= 599) code = static_cast<int>(c);
    }
    if (auto r = str(doc, "reason"); !r.empty()) reason = log::peer_text(r, 64);
    message = log::peer_text(str(doc, "message"), 500);
    auto details = doc.find("details");
    if (details != doc.end() && details->is_object()) {
      auto cs = details->find("causes");
      if (cs != details->end() && cs->is_array()) {
        for (const auto& c : *cs) {
          if (causes.size() >= 20) break;
          causes.push_back({log::peer_text(str(c, "reason"), 64), log::peer_text(str(c, "field"), 200),
                            log::peer_text(str(c, "message"), 300)});
        }
      }
    }
  } else {
    message = log::peer_text(body, 300);
  }
  std::string text = verb + " " + what + " failed: " + reason + " (HTTP " + std::to_string(code) + ")";
  if (!message.empty()) text += ": " + message;
  for (const auto& c : causes) {
    if (!c.field.empty() && message.find(c.field) == std::string::npos) text += "; " + c.field + ": " + c.message;
  }
  std::string hint;
  switch (code) {
    case 401:
      hint = "the API server did not accept the credentials: check the token, client certificate or exec plugin";
      break;
    case 403:
      hint = "the identity in use may not " + verb + " " + what +
             "; grant it with a Role and RoleBinding (or ClusterRole), or use a different service account";
      break;
    case 404:
      hint = "check the name and namespace; the object may have been deleted";
      break;
    case 409:
      hint = reason == "AlreadyExists" ? "an object with this name exists; delete it or pick another name"
                                       : "the object changed meanwhile; re-read it and retry";
      break;
    case 422:
      hint = "the object failed validation; fix the fields named above";
      break;
    case 429:
      hint = "the API server is throttling requests; try again later";
      break;
    default:
      break;
  }
  return ApiError(text, hint, code, reason, std::move(causes), retry_after);
}

}  // namespace

ApiError api_error(const http::Response& response, const std::string& verb, const std::string& what) {
  std::optional<std::chrono::milliseconds> retry_after;
  if (auto ra = response.header("retry-after"); !ra.empty()) {
    retry_after = http::parse_retry_after(ra, std::chrono::system_clock::now());
  }
  return build(static_cast<int>(response.status), response.body, verb, what, retry_after);
}

ApiError api_error_from_status(const std::string& status_json, const std::string& verb, const std::string& what) {
  return build(500, status_json, verb, what, std::nullopt);
}

}  // namespace sg::kube
