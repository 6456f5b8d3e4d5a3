#include "contract.hpp"

#include <algorithm>
#include <stdexcept>

#include "util/strings.hpp"

#ifndef PIPELINE_API_CONTRACT
#define PIPELINE_API_CONTRACT "tests/fixtures/pipeline-api/pipeline-api-v0.3.0.openapi.yaml"
#endif

namespace sg::testing::pipeline_api {

std::string default_contract_path() {
  return PIPELINE_API_CONTRACT;
}

const std::vector<Correction>& corrections() {
  static const std::vector<Correction> list = {
      {"every cluster path (/clusters/{id}...) accepts the query parameter field=id|name; with field=name, {id} is "
       "the cluster's name, not an integer",
       "notes: Addressing a cluster by name"},
      {"0.3.0 servers have the same cluster operations without /orgs/{orgId} (/api/v1/clusters/...); they have no "
       "/orgs",
       "notes: The two API generations"},
      {"PUT .../deployments/{name} (upgrade) takes the install body and answers 201; the contract says 501 and no "
       "body",
       "notes: Endpoints and status codes, upgrade"},
      {"deployment bodies carry release_name, which the server reads; the contract's releasename is ignored by the "
       "server, so a body that sends it is a violation",
       "notes: Request bodies"},
      {"deployment bodies may carry reuse_values (boolean)", "notes: Request bodies"},
      {"GET .../endpoints takes the query parameter releaseName", "notes: Endpoints and status codes, endpoints"},
      {"DELETE .../clusters/{id} takes the query parameter force=true", "notes: Endpoints and status codes, delete"},
      {"create-cluster bodies may carry profile_name; google properties may carry project, and a google node pool "
       "serviceAccount",
       "notes: Request bodies"},
      {"every request carries Accept: application/json, and a request with a body Content-Type: application/json",
       "notes: preamble (Every request carries Accept: application/json)"},
      {"HEAD replies have no body; GET .../config answers JSON {\"status\",\"data\"} to Accept: application/json, "
       "raw YAML otherwise (reply side: how the fake answers)",
       "notes: Endpoints and status codes"},
  };
  return list;
}

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

void split_target(std::string_view target, std::string& path, std::vector<std::pair<std::string, std::string>>& query) {
  auto q = target.find('?');
  path = std::string(target.substr(0, q));
  query.clear();
  if (q == std::string_view::npos) return;
  for (const auto& part : util::split(target.substr(q + 1), '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    // Go's url.ParseQuery, which the real server used, reads '+' as a space.
    auto decode = [](std::string s) { return percent_decode(util::replace_all(std::move(s), "+", " ")); };
    if (eq == std::string::npos) {
      query.emplace_back(decode(part), "");
    } else {
      query.emplace_back(decode(part.substr(0, eq)), decode(part.substr(eq + 1)));
    }
  }
}

namespace {

const char* kMethods[] = {"get", "post", "put", "delete", "head", "patch", "options"};

std::vector<std::string> segments_of(std::string_view path) {
  auto parts = util::split(path, '/');
  if (!parts.empty() && parts.front().empty()) parts.erase(parts.begin());
  return parts;
}

bool is_template(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

Parameter parameter_from(const YAML::Node& p) {
  Parameter out;
  out.name = p["name"].as<std::string>("");
  out.in = p["in"].as<std::string>("");
  out.required = p["required"].as<bool>(false);
  if (p["schema"] && p["schema"]["type"]) out.type = p["schema"]["type"].as<std::string>();
  if (p["schema"] && p["schema"]["enum"]) {
    for (const auto& e : p["schema"]["enum"])
      out.choices.push_back(e.as<std::string>());
  }
  return out;
}

bool integer_text(const std::string& s) {
  auto digits = s.starts_with('-') ? std::string_view(s).substr(1) : std::string_view(s);
  return !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool number_text(const std::string& s) {
  if (s.empty()) return false;
  try {
    std::size_t used = 0;
    (void)std::stod(s, &used);
    return used == s.size();
  } catch (const std::exception&) {
    return false;
  }
}

std::string json_type_name(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool type_matches(const std::string& type, const nlohmann::json& v) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    return v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>()));
  }
  if (type == "number") return v.is_number();
  return true;
}

// Applies the body-schema corrections to the parsed contract (the file
// itself stays verbatim).
void correct_schemas(YAML::Node& root) {
  auto schemas = root["components"]["schemas"];
  auto deployment = schemas["CreateDeploymentRequest"]["properties"];
  deployment.remove("releasename");
  deployment["release_name"]["type"] = "string";
  deployment["reuse_values"]["type"] = "boolean";
  schemas["CreateDeploymentRequest"]["x-rejected"]["releasename"] =
      "the server ignores releasename and reads release_name (notes: Request bodies)";
  schemas["CreateClusterRequest"]["properties"]["profile_name"]["type"] = "string";
  schemas["CreateGoogleProperties"]["properties"]["google"]["properties"]["project"]["type"] = "string";
  schemas["NodePoolsGoogle"]["properties"]["serviceAccount"]["type"] = "string";
}

void correct_operation(Operation& op, const YAML::Node& root) {
  auto has = [&](std::string_view part) { return op.path.find(part) != std::string::npos; };
  if (has("/clusters/{id}")) {
    op.parameters.push_back({.name = "field", .in = "query", .type = "string", .choices = {"id", "name"}});
  }
  if (op.method == "GET" && op.path.ends_with("/clusters/{id}/endpoints")) {
    op.parameters.push_back({.name = "releaseName", .in = "query", .type = "string"});
  }
  if (op.method == "DELETE" && op.path.ends_with("/clusters/{id}")) {
    op.parameters.push_back({.name = "force", .in = "query", .type = "boolean"});
  }
  if (op.method == "PUT" && op.path.ends_with("/deployments/{name}")) {
    op.body_required = true;
    op.body_schema = root["components"]["schemas"]["CreateDeploymentRequest"];
  }
}

}  // namespace

Contract Contract::load(const std::string& openapi_path) {
  Contract c;
  try {
    c.root_ = YAML::Clone(YAML::LoadFile(openapi_path));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("cannot read the Pipeline API contract " + openapi_path + ": " + e.what());
  }
  correct_schemas(c.root_);
  bool global_security = c.root_["security"] && c.root_["security"].size() > 0;
  for (const auto& path_item : c.root_["paths"]) {
    auto path = path_item.first.as<std::string>();
    if (path.find('?') != std::string::npos) continue;  // not a path (a query spelt into the key)
    std::vector<Parameter> shared;
    if (path_item.second["parameters"]) {
      for (const auto& p : path_item.second["parameters"])
        shared.push_back(parameter_from(p));
    }
    for (const char* m : kMethods) {
      auto node = path_item.second[m];
      if (!node) continue;
      Operation op;
      op.method = util::to_upper(m);
      op.path = path;
      op.id = node["operationId"].as<std::string>("");
      op.parameters = shared;
      if (node["parameters"]) {
        for (const auto& p : node["parameters"])
          op.parameters.push_back(parameter_from(p));
      }
      op.secured = node["security"] ? node["security"].size() > 0 : global_security;
      if (auto body = node["requestBody"]) {
        op.body_required = body["required"].as<bool>(false);
        if (body["content"] && body["content"]["application/json"]) {
          op.body_schema = body["content"]["application/json"]["schema"];
        }
      }
      correct_operation(op, c.root_);
      c.operations_.push_back(std::move(op));
    }
  }
  if (c.operations_.empty()) throw std::runtime_error("the contract " + openapi_path + " has no operations");
  return c;
}

std::string Contract::title() const {
  return root_["info"]["title"].as<std::string>("");
}

std::string Contract::version() const {
  return root_["info"]["version"].as<std::string>("");
}

// Node::operator= on a bound yaml-cpp node writes through to the tree it
// refers to, so walking the document must rebind with reset(), or the
// contract would be rewritten by the first $ref it follows.
YAML::Node Contract::resolve(const YAML::Node& schema) const {
  YAML::Node s;
  s.reset(schema);
  for (int i = 0; i < 16 && s.IsMap(); ++i) {
    const YAML::Node& cs = s;
    auto ref_node = cs["$ref"];
    if (!ref_node) break;
    auto ref = ref_node.as<std::string>();
    if (!ref.starts_with("#/")) throw std::runtime_error("unsupported $ref " + ref);
    YAML::Node n;
    n.reset(root_);
    for (const auto& part : util::split(std::string_view(ref).substr(2), '/')) {
      const YAML::Node& cn = n;
      YAML::Node next = cn.IsMap() ? cn[part] : YAML::Node(YAML::NodeType::Undefined);
      if (!next.IsDefined()) throw std::runtime_error("dangling $ref " + ref);
      n.reset(next);
    }
    s.reset(n);
  }
  return s;
}

const Operation* Contract::find(const std::string& method, const std::vector<std::string>& segments,
                                std::map<std::string, std::string>& params, bool& path_known,
                                std::string& generation) const {
  const Operation* best = nullptr;
  int best_literals = -1;
  path_known = false;
  for (const auto& op : operations_) {
    auto spec = segments_of(op.path);
    // A 0.3.0 server: the same operation without /orgs/{orgId}.
    for (int old = 0; old < 2; ++old) {
      auto want = spec;
      if (old) {
        if (want.size() < 5 || want[2] != "orgs" || want[3] != "{orgId}" || want[4] != "clusters") continue;
        want.erase(want.begin() + 2, want.begin() + 4);
      }
      if (want.size() != segments.size()) continue;
      int literals = 0;
      bool ok = true;
      std::map<std::string, std::string> found;
      for (std::size_t i = 0; i < want.size() && ok; ++i) {
        if (is_template(want[i])) {
          ok = !segments[i].empty();
          found[want[i].substr(1, want[i].size() - 2)] = percent_decode(segments[i]);
        } else {
          ok = want[i] == segments[i];
          ++literals;
        }
      }
      if (!ok) continue;
      path_known = true;
      if (op.method != method || literals <= best_literals) continue;
      best = &op;
      best_literals = literals;
      params = std::move(found);
      generation = old ? "0.3.0" : "orgs";
    }
  }
  return best;
}

std::vector<std::string> Contract::check(const CheckedRequest& r, Match* match) const {
  std::vector<std::string> v;
  const std::string who = r.method + " " + r.path;
  auto segments = segments_of(r.path);
  std::map<std::string, std::string> params;
  bool path_known = false;
  std::string generation;
  const Operation* op = find(r.method, segments, params, path_known, generation);
  if (!op) {
    if (!path_known) {
      v.push_back(who + ": no such path in the contract");
    } else {
      std::vector<std::string> methods;
      for (const auto& o : operations_) {
        std::map<std::string, std::string> p;
        bool known = false;
        std::string g;
        if (find(o.method, segments, p, known, g) == &o) methods.push_back(o.method);
      }
      std::sort(methods.begin(), methods.end());
      methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
      v.push_back(who + ": the contract has no " + r.method + " on this path (it has " + util::join(methods, ", ") +
                  ")");
    }
    return v;
  }
  if (match) *match = {op, params, generation};
  const std::string where = who + " (" + op->id + ")";

  std::map<std::string, std::string> query;
  for (const auto& [k, val] : r.query) {
    if (query.count(k)) v.push_back(where + ": query parameter " + k + " appears twice");
    query[k] = val;
  }
  bool by_name = query.count("field") && query["field"] == "name";
  for (const auto& p : op->parameters) {
    if (p.in == "path") {
      auto it = params.find(p.name);
      if (it == params.end()) {
        if (generation == "0.3.0" && p.name == "orgId") continue;
        v.push_back(where + ": missing path parameter " + p.name);
        continue;
      }
      if (p.type == "integer" && !integer_text(it->second) && !(p.name == "id" && by_name)) {
        v.push_back(where + ": path parameter " + p.name + " must be an integer" +
                    (p.name == "id" ? " unless the query has field=name" : "") + ", got " +
                    util::quote_for_message(it->second));
      }
    } else if (p.in == "query") {
      auto it = query.find(p.name);
      if (it == query.end()) {
        if (p.required) v.push_back(where + ": missing required query parameter " + p.name);
        continue;
      }
      const auto& val = it->second;
      if (p.type == "integer" && !integer_text(val)) {
        v.push_back(where + ": query parameter " + p.name + " must be an integer");
      } else if (p.type == "number" && !number_text(val)) {
        v.push_back(where + ": query parameter " + p.name + " must be a number");
      } else if (p.type == "boolean" && val != "true" && val != "false") {
        v.push_back(where + ": query parameter " + p.name + " must be true or false");
      }
      if (!p.choices.empty() && std::find(p.choices.begin(), p.choices.end(), val) == p.choices.end()) {
        v.push_back(where + ": query parameter " + p.name + " must be one of " + util::join(p.choices, ", "));
      }
    }
  }
  for (const auto& entry : query) {
    const std::string& k = entry.first;
    bool declared = std::any_of(op->parameters.begin(), op->parameters.end(),
                                [&](const Parameter& p) { return p.in == "query" && p.name == k; });
    if (!declared) v.push_back(where + ": undeclared query parameter " + k);
  }

  auto header = [&](const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  auto accept = header("accept");
  if (accept.find("application/json") == std::string::npos && accept.find("*/*") == std::string::npos) {
    v.push_back(where + ": Accept must include application/json (got " + util::quote_for_message(accept) + ")");
  }
  if (op->secured) {
    auto auth = header("authorization");
    if (!auth.starts_with("Bearer ") || util::trim(std::string_view(auth).substr(7)).empty()) {
      v.push_back(where + ": the operation needs bearerAuth (Authorization: Bearer <token>)");
    }
  }

  if (op->body_schema.IsMap()) {
    if (r.body.empty()) {
      if (op->body_required) v.push_back(where + ": the request body is required");
    } else {
      auto type = header("content-type");
      if (!type.starts_with("application/json")) {
        v.push_back(where + ": Content-Type must be application/json (got " + util::quote_for_message(type) + ")");
      }
      auto json = nlohmann::json::parse(r.body, nullptr, false);
      if (json.is_discarded()) {
        v.push_back(where + ": the body is not JSON");
      } else {
        for (auto& e : validate_node(op->body_schema, json, "body", 0))
          v.push_back(where + ": " + e);
      }
    }
  } else if (!r.body.empty()) {
    v.push_back(where + ": the operation takes no request body, got " + std::to_string(r.body.size()) + " bytes");
  }
  return v;
}

std::vector<std::string> Contract::validate(const nlohmann::json& value, const std::string& schema_ref) const {
  YAML::Node ref;
  ref["$ref"] = schema_ref;
  return validate_node(ref, value, "value", 0);
}

std::vector<std::string> Contract::validate_node(const YAML::Node& schema_in, const nlohmann::json& value,
                                                 const std::string& where, int depth) const {
  std::vector<std::string> v;
  if (depth > 32) return v;
  YAML::Node schema = resolve(schema_in);
  if (!schema || !schema.IsMap()) return v;

  if (schema["type"]) {
    auto type = schema["type"].as<std::string>();
    if (!type_matches(type, value)) {
      v.push_back(where + " must be " + type + ", got " + json_type_name(value));
      return v;
    }
  }
  if (schema["enum"]) {
    bool found = false;
    for (const auto& e : schema["enum"]) {
      auto text = e.as<std::string>();
      found = found || (value.is_string() ? value.get<std::string>() == text : value.dump() == text);
    }
    if (!found) v.push_back(where + " is not one of the enum values");
  }
  if (value.is_object()) {
    if (schema["x-rejected"]) {
      for (const auto& kv : schema["x-rejected"]) {
        auto key = kv.first.as<std::string>();
        if (value.contains(key)) v.push_back(where + "." + key + ": " + kv.second.as<std::string>());
      }
    }
    if (schema["required"]) {
      for (const auto& req : schema["required"]) {
        auto key = req.as<std::string>();
        if (!value.contains(key)) v.push_back(where + "." + key + " is required");
      }
    }
    auto props = schema["properties"];
    for (const auto& [key, val] : value.items()) {
      if (props && props[key]) {
        for (auto& e : validate_node(props[key], val, where + "." + key, depth + 1))
          v.push_back(std::move(e));
        continue;
      }
      auto extra = schema["additionalProperties"];
      if (!extra) continue;
      if (extra.IsScalar()) {
        if (!extra.as<bool>(true)) v.push_back(where + "." + key + " is not a declared property");
      } else {
        for (auto& e : validate_node(extra, val, where + "." + key, depth + 1))
          v.push_back(std::move(e));
      }
    }
  }
  if (value.is_array() && schema["items"]) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      for (auto& e : validate_node(schema["items"], value[i], where + "[" + std::to_string(i) + "]", depth + 1))
        v.push_back(std::move(e));
    }
  }
  if (schema["allOf"]) {
    for (const auto& sub : schema["allOf"]) {
      for (auto& e : validate_node(sub, value, where, depth + 1))
        v.push_back(std::move(e));
    }
  }
  for (const char* kind : {"oneOf", "anyOf"}) {
    if (!schema[kind]) continue;
    std::vector<std::string> matched, names;
    std::string first_failure;
    for (const auto& sub : schema[kind]) {
      std::string name = sub["$ref"] ? sub["$ref"].as<std::string>() : std::string("inline schema");
      name = name.substr(name.rfind('/') + 1);
      names.push_back(name);
      auto errors = validate_node(sub, value, where, depth + 1);
      if (errors.empty()) {
        matched.push_back(name);
      } else if (first_failure.empty()) {
        first_failure = errors.front();
      }
    }
    bool one = std::string(kind) == "oneOf";
    if ((one && matched.size() != 1) || (!one && matched.empty())) {
      v.push_back(where + " matches " + std::to_string(matched.size()) + " of the " + kind + " alternatives (" +
                  util::join(names, ", ") + ")" +
                  (matched.empty() ? "; e.g. " + first_failure
                                   : "; it matches " + util::join(matched, ", ") + ", exactly one must match"));
    }
  }
  return v;
}

}  // namespace sg::testing::pipeline_api
