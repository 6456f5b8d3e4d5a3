#pragma once
// The Pipeline API's OpenAPI contract (tests/fixtures/pipeline-api), read
// with yaml-cpp, as a checker of requests: path, method, path and query
// parameters, headers and the JSON body against the request schema. The
// real server differed from the contract in the places the notes list;
// corrections() applies exactly those, each citing the notes.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace sg::testing::pipeline_api {

// The contract file in the source tree (fixed at configure time).
std::string default_contract_path();

struct CheckedRequest {
  std::string method;                                      // upper case
  std::string path;                                        // from /api/v1/..., not decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::map<std::string, std::string> headers;              // names lower-cased
  std::string body;
};

struct Parameter {
  std::string name;
  std::string in;    // path | query
  std::string type;  // integer | string | boolean | number
  bool required = false;
  std::vector<std::string> choices;  // enum
};

struct Operation {
  std::string method;
  std::string path;  // as the contract writes it, e.g. /api/v1/orgs/{orgId}/clusters/{id}
  std::string id;    // operationId
  std::vector<Parameter> parameters;
  bool secured = false;
  bool body_required = false;
  YAML::Node body_schema;  // null when the operation takes no body
};

struct Match {
  const Operation* operation = nullptr;
  std::map<std::string, std::string> path_params;  // decoded
  std::string generation;                          // "orgs" or "0.3.0"
};

struct Correction {
  std::string what;
  std::string source;  // the notes' section that states it
};

class Contract {
 public:
  static Contract load(const std::string& openapi_path = default_contract_path());

  // Violations of the contract, each naming the request and the rule;
  // empty when the request conforms. `match` receives the operation.
  std::vector<std::string> check(const CheckedRequest& r, Match* match = nullptr) const;

  // Validates a JSON value against a schema of the contract, e.g.
  // "#/components/schemas/CreateClusterRequest" (with the corrections).
  std::vector<std::string> validate(const nlohmann::json& value, const std::string& schema_ref) const;

  const std::vector<Operation>& operations() const { return operations_; }
  std::string title() const;
  std::string version() const;

 private:
  Contract() = default;
  std::vector<std::string> validate_node(const YAML::Node& schema, const nlohmann::json& value,
                                         const std::string& where, int depth) const;
  YAML::Node resolve(const YAML::Node& schema) const;
  const Operation* find(const std::string& method, const std::vector<std::string>& segments,
                        std::map<std::string, std::string>& params, bool& path_known, std::string& generation) const;

  YAML::Node root_;
  std::vector<Operation> operations_;
};

// The corrections the fake applies to the contract, for its README and logs.
const std::vector<Correction>& corrections();

// Splits "/a/b?x=1&y=%20" into the path and decoded query pairs.
void split_target(std::string_view target, std::string& path, std::vector<std::pair<std::string, std::string>>& query);
std::string percent_decode(std::string_view s);

}  // namespace sg::testing::pipeline_api
