#include "api.hpp"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include "log/redactor.hpp"
#include "util/base64.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"
#include "yaml/bounded.hpp"

namespace sg::pipeline_client {

std::string to_string(Generation g) {
  return g == Generation::Orgs ? "orgs" : "0.3.0";
}

Api::Api(Generation generation, std::int64_t org_id, std::string cluster)
    : generation_(generation), org_id_(org_id), cluster_(std::move(cluster)) {}

std::string Api::clusters() const {
  if (generation_ == Generation::V030) return "/clusters";
  return "/orgs/" + (org_id_ < 0 ? std::string("{orgId}") : std::to_string(org_id_)) + "/clusters";
}

// The cluster is addressed by name, which needs ?field=name on every cluster
// path (the contract omits the parameter; the server reads it).
std::string Api::cluster_path(std::string_view sub, std::string_view extra_query) const {
  std::string p = clusters() + "/" + util::url_encode(cluster_) + std::string(sub) + "?field=name";
  if (!extra_query.empty()) p += "&" + std::string(extra_query);
  return p;
}

ApiRequest Api::list_orgs() {
  return {"GET", "/orgs", "", "look up the organization"};
}

ApiRequest Api::cluster_status() const {
  return {"HEAD", cluster_path(""), "", "check cluster " + cluster_};
}

ApiRequest Api::cluster_details() const {
  return {"GET", cluster_path(""), "", "read the status of cluster " + cluster_};
}

ApiRequest Api::create_cluster(const ClusterSpec& spec) const {
  return {"POST", clusters(), create_cluster_body(spec).dump(), "create cluster " + cluster_};
}

ApiRequest Api::cluster_config() const {
  return {"GET", cluster_path("/config"), "", "fetch the kubeconfig of cluster " + cluster_};
}

ApiRequest Api::delete_cluster(bool force) const {
  return {"DELETE", cluster_path("", force ? "force=true" : ""), "", "delete cluster " + cluster_};
}

ApiRequest Api::helm_status() const {
  return {"HEAD", cluster_path("/deployments"), "", "check Helm on cluster " + cluster_};
}

ApiRequest Api::release_status(const std::string& release) const {
  return {"HEAD", cluster_path("/deployments/" + util::url_encode(release)), "",
          "check release " + release + " on cluster " + cluster_};
}

ApiRequest Api::list_releases() const {
  return {"GET", cluster_path("/deployments"), "", "list the releases of cluster " + cluster_};
}

ApiRequest Api::install(const DeploymentSpec& d) const {
  return {"POST", cluster_path("/deployments"), deployment_body(d).dump(),
          "install release " + d.release + " (chart " + d.chart + ") on cluster " + cluster_};
}

ApiRequest Api::upgrade(const DeploymentSpec& d) const {
  return {"PUT", cluster_path("/deployments/" + util::url_encode(d.release)), deployment_body(d).dump(),
          "upgrade release " + d.release + " (chart " + d.chart + ") on cluster " + cluster_};
}

ApiRequest Api::uninstall(const std::string& release) const {
  return {"DELETE", cluster_path("/deployments/" + util::url_encode(release)), "",
          "delete release " + release + " on cluster " + cluster_};
}

ApiRequest Api::endpoints(const std::string& release) const {
  return {"GET", cluster_path("/endpoints", "releaseName=" + util::url_encode(release)), "",
          "list the endpoints of release " + release + " on cluster " + cluster_};
}

nlohmann::json create_cluster_body(const ClusterSpec& s) {
  nlohmann::json props;
  switch (s.provider) {
    case Provider::Amazon:
      props["amazon"] = {
          {"master", {{"instanceType", s.amazon.master_instance_type}, {"image", s.amazon.master_image}}},
          {"nodePools",
           {{"pool1",
             {{"instanceType", s.amazon.node_instance_type},
              {"spotPrice", s.amazon.spot_price},
              {"minCount", s.amazon.min_count},
              {"maxCount", s.amazon.max_count},
              {"image", s.amazon.node_image}}}}}};
      break;
    case Provider::Azure:
      props["azure"] = {
          {"resourceGroup", s.azure.resource_group},
          {"kubernetesVersion", s.azure.kubernetes_version},
          {"nodePools",
           {{s.azure.pool_name, {{"count", s.azure.node_count}, {"nodeInstanceType", s.azure.node_instance_type}}}}}};
      break;
    case Provider::Google: {
      nlohmann::json pool = {{"count", s.google.node_count}, {"nodeInstanceType", s.google.node_instance_type}};
      if (!s.google.service_account.empty()) pool["serviceAccount"] = s.google.service_account;
      nlohmann::json google = {{"nodeVersion", s.google.gke_version},
                               {"master", {{"version", s.google.gke_version}}},
                               {"nodePools", {{"agentpool1", pool}}}};
      if (!s.google.project.empty()) google["project"] = s.google.project;
      props["google"] = google;
      break;
    }
  }
  nlohmann::json body = {{"name", s.name},
                         {"location", s.location},
                         {"cloud", to_string(s.provider)},
                         {"secret_id", s.secret_id},
                         {"properties", props}};
  if (!s.profile_name.empty()) body["profile_name"] = s.profile_name;
  return body;
}

nlohmann::json deployment_body(const DeploymentSpec& d) {
  nlohmann::json body = {{"name", d.chart}, {"release_name", d.release}, {"reuse_values", d.reuse_values}};
  if (!d.version.empty()) body["version"] = d.version;
  if (d.values.is_object() && !d.values.empty()) body["values"] = d.values;
  return body;
}

nlohmann::json parse_reply(std::string_view body) {
  try {
    return util::parse_json(body);
  } catch (const util::JsonError&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

std::string server_message(std::string_view body) {
  auto j = parse_reply(body);
  if (j.is_object()) {
    std::string message = j.contains("message") && j["message"].is_string() ? j["message"].get<std::string>() : "";
    std::string error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
    // The server's words go into our log: redacted, escaped and cut short.
    if (!message.empty() && !error.empty() && message != error) return log::peer_text(message + ": " + error, 300);
    if (!message.empty()) return log::peer_text(message, 300);
    if (!error.empty()) return log::peer_text(error, 300);
  }
  auto text = util::trim(body);
  if (text.empty()) return "";
  return log::peer_text(text, 200);
}

ClusterProbe cluster_probe(long status) {
  switch (status) {
    case 200:
      return ClusterProbe::Ready;
    case 400:
    case 409:
      return ClusterProbe::NotReady;
    case 404:
      return ClusterProbe::Missing;
    default:
      return ClusterProbe::Unexpected;
  }
}

std::optional<ClusterDetails> read_cluster_details(const nlohmann::json& reply) {
  if (!reply.is_object()) return std::nullopt;
  auto status = reply.find("status");
  if (status == reply.end() || !status->is_string()) return std::nullopt;
  ClusterDetails d{status->get<std::string>(), {}};
  if (auto m = reply.find("status_message"); m != reply.end() && m->is_string()) d.message = m->get<std::string>();
  return d;
}

CreateOutcome create_outcome(long status, std::string_view body) {
  if (status == 200 || status == 201 || status == 202) return CreateOutcome::Accepted;
  if (status == 400 || status == 409) {
    auto text = util::to_lower(body);
    bool duplicate = text.find("duplicate") != std::string::npos || text.find("already exist") != std::string::npos ||
                     text.find("in progress") != std::string::npos;
    return duplicate || status == 409 ? CreateOutcome::AlreadyCreating : CreateOutcome::Rejected;
  }
  if (status == 404) return CreateOutcome::UnknownProfile;
  return CreateOutcome::Unexpected;
}

HelmProbe helm_probe(long status) {
  if (status == 200) return HelmProbe::Ready;
  if (status == 400 || status == 503) return HelmProbe::NotReady;
  return HelmProbe::Unexpected;
}

namespace {

// An organization of GET /orgs; a wrong-typed id or name is a JsonError
// naming it (orgs[2].id), not nlohmann's type_error.
Org org_from(const nlohmann::json& item, std::size_t index) {
  auto where = "orgs[" + std::to_string(index) + "]";
  return {util::field<std::int64_t>(item, "id", where),
          util::optional_field<std::string>(item, "name", where).value_or("")};
}

}  // namespace

std::optional<Org> find_org(const nlohmann::json& orgs, const std::string& wanted) {
  if (!orgs.is_array()) return std::nullopt;
  std::vector<Org> all;
  for (std::size_t i = 0; i < orgs.size(); ++i)
    all.push_back(org_from(orgs[i], i));
  for (const auto& o : all) {
    if (o.name == wanted) return o;
  }
  for (const auto& o : all) {
    if (util::iequals(o.name, wanted)) return o;
  }
  bool numeric =
      !wanted.empty() && std::all_of(wanted.begin(), wanted.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric && wanted.size() < 18) {
    auto id = std::stoll(wanted);
    for (const auto& o : all) {
      if (o.id == id) return o;
    }
  }
  return std::nullopt;
}

std::vector<std::string> org_names(const nlohmann::json& orgs) {
  std::vector<std::string> names;
  if (!orgs.is_array()) return names;
  for (std::size_t i = 0; i < orgs.size(); ++i)
    names.push_back(org_from(orgs[i], i).name);
  return names;
}

namespace {

// A kubeconfig is a YAML map with clusters (yaml-cpp also reads JSON).
bool looks_like_kubeconfig(const std::string& text) {
  try {
    // The server's text: loaded within common/yaml's limits (size, depth,
    // aliases), so a hostile reply cannot expand to billions of nodes.
    auto doc = yaml::load(text, "the kubeconfig");
    return doc.IsMap() && doc["clusters"] && doc["clusters"].IsSequence();
  } catch (const yaml::YamlError&) {
    return false;
  }
}

}  // namespace

std::optional<std::string> decode_kubeconfig(std::string_view body, std::string* error) {
  auto j = parse_reply(body);
  if (j.is_object()) {
    if (!j.contains("data") || !j["data"].is_string()) {
      if (error) *error = "the JSON reply has no string field \"data\"";
      return std::nullopt;
    }
    auto data = j["data"].get<std::string>();
    if (looks_like_kubeconfig(data)) return data;
    if (auto decoded = util::base64_decode(data); decoded && looks_like_kubeconfig(*decoded)) return decoded;
    if (error) *error = "the reply's \"data\" is neither a kubeconfig nor a base64-encoded one";
    return std::nullopt;
  }
  std::string text(body);
  if (looks_like_kubeconfig(text)) return text;
  if (auto decoded = util::base64_decode(text); decoded && looks_like_kubeconfig(*decoded)) return decoded;
  if (error) *error = "the reply is neither JSON with \"data\" nor a kubeconfig in YAML";
  return std::nullopt;
}

std::vector<std::string> kubeconfig_secrets(const std::string& kubeconfig) {
  std::vector<std::string> out;
  try {
    auto users = yaml::load(kubeconfig, "the kubeconfig")["users"];
    if (!users || !users.IsSequence()) return out;
    for (const auto& u : users) {
      auto user = u["user"];
      if (!user || !user.IsMap()) continue;
      for (const char* key : {"token", "password", "client-key-data"}) {
        if (user[key] && user[key].IsScalar()) out.push_back(user[key].as<std::string>());
      }
      if (user["exec"] && user["exec"]["env"] && user["exec"]["env"].IsSequence()) {
        for (const auto& e : user["exec"]["env"]) {
          if (e["value"] && e["value"].IsScalar()) out.push_back(e["value"].as<std::string>());
        }
      }
      auto provider = user["auth-provider"];
      if (provider && provider["config"] && provider["config"].IsMap()) {
        for (const auto& kv : provider["config"]) {
          if (kv.second.IsScalar()) out.push_back(kv.second.as<std::string>());
        }
      }
    }
  } catch (const YAML::Exception&) {
    // Not YAML: decode_kubeconfig already refused it.
  } catch (const yaml::YamlError&) {
    // Beyond the limits: decode_kubeconfig already refused it.
  }
  return out;
}

std::optional<Release> find_release(const nlohmann::json& list, const std::string& name) {
  if (!list.is_array()) return std::nullopt;  // null: no releases at all
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("name") || item["name"] != name) continue;
    Release r;
    r.name = name;
    auto text = [&](const char* key) {
      return item.contains(key) && item[key].is_string() ? item[key].get<std::string>() : std::string{};
    };
    r.chart = text("chart");
    r.status = util::to_upper(text("status"));
    r.updated = text("updated");
    if (item.contains("version") && item["version"].is_number_integer())
      r.revision = item["version"].get<std::int64_t>();
    return r;
  }
  return std::nullopt;
}

ReleaseVerdict judge_release(const std::string& helm_status) {
  auto s = util::to_upper(helm_status);
  if (s == "DEPLOYED") return ReleaseVerdict::Deployed;
  // UNKNOWN, DELETED, SUPERSEDED and DELETING are not a working release
  // either; FAILED is the one Helm reports for a failed install or upgrade.
  if (s == "FAILED" || s == "DELETED" || s == "DELETING" || s == "SUPERSEDED" || s == "UNKNOWN") {
    return ReleaseVerdict::Failed;
  }
  return ReleaseVerdict::Pending;  // PENDING_INSTALL, PENDING_UPGRADE, PENDING_ROLLBACK, or not listed yet
}

DeploymentAction deployment_action(bool wanted, bool exists) {
  if (wanted) return exists ? DeploymentAction::Upgrade : DeploymentAction::Install;
  return exists ? DeploymentAction::Delete : DeploymentAction::Nothing;
}

std::vector<Endpoint> parse_endpoints(const nlohmann::json& reply, const std::string& release) {
  std::vector<Endpoint> out;
  if (!reply.is_object() || !reply.contains("endpoints") || !reply["endpoints"].is_array()) return out;
  for (const auto& e : reply["endpoints"]) {
    if (!e.is_object()) continue;
    Endpoint ep;
    if (e.contains("name") && e["name"].is_string()) ep.name = e["name"].get<std::string>();
    if (e.contains("host") && e["host"].is_string()) ep.host = e["host"].get<std::string>();
    bool other_release = false;
    bool ours = false;
    if (e.contains("urls") && e["urls"].is_array()) {
      for (const auto& u : e["urls"]) {
        if (!u.is_object()) continue;
        if (u.contains("helmreleasename") && u["helmreleasename"].is_string()) {
          if (u["helmreleasename"] == release) {
            ours = true;
          } else {
            other_release = true;
            continue;
          }
        }
        if (u.contains("url") && u["url"].is_string()) ep.urls.push_back(u["url"].get<std::string>());
      }
    }
    if (other_release && !ours) continue;
    out.push_back(std::move(ep));
  }
  return out;
}

}  // namespace sg::pipeline_client
