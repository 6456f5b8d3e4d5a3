#include "plan.hpp"

namespace sg::pipeline_client {

std::vector<PlannedRequest> plan(const Config& c) {
  std::vector<PlannedRequest> out;
  auto generation = c.api == ApiVersion::V030 ? Generation::V030 : Generation::Orgs;
  Api api(generation, -1, c.cluster.name);
  const auto& name = c.cluster.name;
  if (c.api != ApiVersion::V030) {
    out.push_back({Api::list_orgs(), c.api == ApiVersion::Auto
                                         ? "always: finds the id of org " + c.org +
                                               "; a 404 means a 0.3.0 server (then paths have no /orgs/{orgId})"
                                         : "always: finds the id of org " + c.org});
  }
  out.push_back({api.cluster_status(), "always: 200 the cluster is ready, 400 it is being created, 404 unknown"});
  if (!c.cluster_wanted) {
    out.push_back({api.delete_cluster(c.delete_force), "only if cluster " + name + " exists"});
    if (c.delete_wait) out.push_back({api.cluster_status(), "repeated until it answers 404 (the cluster is gone)"});
    return out;
  }
  out.push_back({api.create_cluster(c.cluster), "only if cluster " + name + " does not exist"});
  out.push_back({api.cluster_status(), "repeated until it answers 200 (the cluster is ready)"});
  out.push_back({api.cluster_details(), "after each 400: reads the cluster's status message"});
  out.push_back({api.cluster_config(), "always: the kubeconfig goes to " + c.workspace + "/.kube/config (mode 0600)"});
  if (!c.deployment) return out;
  const auto& d = *c.deployment;
  out.push_back({api.helm_status(), "repeated until it answers 200 (Helm is ready)"});
  out.push_back({api.release_status(d.release), "always: 200 the release exists, 404 it does not"});
  if (!d.wanted) {
    out.push_back({api.uninstall(d.release), "only if release " + d.release + " exists"});
    out.push_back({api.release_status(d.release), "repeated until it answers 404 (the release is gone)"});
    return out;
  }
  out.push_back({api.install(d), "only if release " + d.release + " does not exist"});
  out.push_back({api.upgrade(d), "only if release " + d.release + " exists"});
  out.push_back({api.list_releases(), "repeated until release " + d.release + " is DEPLOYED (FAILED fails the step)"});
  out.push_back({api.endpoints(d.release), "repeated while a LoadBalancer is pending (202)"});
  return out;
}

std::vector<std::pair<std::string, std::string>> shown_headers(const ApiRequest& r, bool with_token) {
  std::vector<std::pair<std::string, std::string>> h = {{"Accept", "application/json"}};
  if (with_token) h.emplace_back("Authorization", "Bearer <redacted>");
  if (!r.body.empty()) h.emplace_back("Content-Type", "application/json");
  return h;
}

std::string describe(const std::string& endpoint, const PlannedRequest& p, bool with_token) {
  const auto& r = p.request;
  std::string text = "# " + r.what + " (" + p.when + ")\n" + r.method + " " + endpoint + r.path + "\n";
  for (const auto& [k, v] : shown_headers(r, with_token))
    text += k + ": " + v + "\n";
  if (!r.body.empty()) text += "\n" + nlohmann::json::parse(r.body).dump(2) + "\n";
  return text;
}

nlohmann::json describe_json(const std::string& endpoint, const PlannedRequest& p, bool with_token) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : shown_headers(p.request, with_token))
    headers[k] = v;
  nlohmann::json j = {{"what", p.request.what},
                      {"when", p.when},
                      {"method", p.request.method},
                      {"url", endpoint + p.request.path},
                      {"headers", headers}};
  if (!p.request.body.empty()) j["body"] = nlohmann::json::parse(p.request.body);
  return j;
}

}  // namespace sg::pipeline_client
