#pragma once
// What a step would send, in order, for dry runs: the same request
// builders the real run uses, with the conditions under which each is sent.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api.hpp"
#include "config.hpp"

namespace sg::pipeline_client {

struct PlannedRequest {
  ApiRequest request;
  std::string when;  // "always", "only if the cluster does not exist", ...
};

std::vector<PlannedRequest> plan(const Config& c);

// The headers every request carries. The token never appears: with one,
// the Authorization header reads "Bearer <redacted>".
std::vector<std::pair<std::string, std::string>> shown_headers(const ApiRequest& r, bool with_token);

// A request as text (method, URL, headers, pretty body) and as JSON.
std::string describe(const std::string& endpoint, const PlannedRequest& p, bool with_token);
nlohmann::json describe_json(const std::string& endpoint, const PlannedRequest& p, bool with_token);

}  // namespace sg::pipeline_client
