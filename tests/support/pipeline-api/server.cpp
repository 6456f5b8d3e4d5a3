#include "server.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include "util/base64.hpp"
#include "util/strings.hpp"

namespace sg::testing::pipeline_api {

// --- JSON forms of the knobs --------------------------------------------------

nlohmann::json to_json(const Behaviour& b) {
  auto orgs = nlohmann::json::array();
  for (const auto& o : b.orgs)
    orgs.push_back({{"id", o.id}, {"name", o.name}});
  auto tokens = nlohmann::json::array();
  for (const auto& t : b.tokens)
    tokens.push_back({{"token", t.token}, {"expired", t.expired}, {"orgs", t.orgs}});
  return {{"generation", b.generation},
          {"cluster_create_ms", b.cluster_create_ms},
          {"cluster_delete_ms", b.cluster_delete_ms},
          {"helm_ready_ms", b.helm_ready_ms},
          {"release_ready_ms", b.release_ready_ms},
          {"lb_pending_ms", b.lb_pending_ms},
          {"kubeconfig_format", b.kubeconfig_format},
          {"kubeconfig", b.kubeconfig},
          {"stuck_clusters", b.stuck_clusters},
          {"error_clusters", b.error_clusters},
          {"failed_releases", b.failed_releases},
          {"release_failure_mode", b.release_failure_mode},
          {"no_endpoint_releases", b.no_endpoint_releases},
          {"orgs", orgs},
          {"tokens", tokens},
          {"secrets", b.secrets},
          {"profiles", b.profiles}};
}

void apply(Behaviour& b, const nlohmann::json& patch) {
  if (!patch.is_object()) throw std::invalid_argument("the configuration must be a JSON object");
  Behaviour next = b;
  try {
    for (const auto& [key, v] : patch.items()) {
      if (key == "generation") {
        next.generation = v.get<std::string>();
        if (next.generation != "orgs" && next.generation != "0.3.0") {
          throw std::invalid_argument("generation must be orgs or 0.3.0");
        }
      } else if (key == "cluster_create_ms") {
        next.cluster_create_ms = v.get<std::int64_t>();
      } else if (key == "cluster_delete_ms") {
        next.cluster_delete_ms = v.get<std::int64_t>();
      } else if (key == "helm_ready_ms") {
        next.helm_ready_ms = v.get<std::int64_t>();
      } else if (key == "release_ready_ms") {
        next.release_ready_ms = v.get<std::int64_t>();
      } else if (key == "lb_pending_ms") {
        next.lb_pending_ms = v.get<std::int64_t>();
      } else if (key == "kubeconfig_format") {
        next.kubeconfig_format = v.get<std::string>();
        if (next.kubeconfig_format != "json" && next.kubeconfig_format != "yaml" &&
            next.kubeconfig_format != "base64") {
          throw std::invalid_argument("kubeconfig_format must be json, yaml or base64");
        }
      } else if (key == "kubeconfig") {
        next.kubeconfig = v.get<std::string>();
      } else if (key == "stuck_clusters") {
        next.stuck_clusters = v.get<std::vector<std::string>>();
      } else if (key == "error_clusters") {
        next.error_clusters = v.get<std::map<std::string, std::string>>();
      } else if (key == "failed_releases") {
        next.failed_releases = v.get<std::map<std::string, std::string>>();
      } else if (key == "release_failure_mode") {
        next.release_failure_mode = v.get<std::string>();
        if (next.release_failure_mode != "sync" && next.release_failure_mode != "async") {
          throw std::invalid_argument("release_failure_mode must be sync or async");
        }
      } else if (key == "no_endpoint_releases") {
        next.no_endpoint_releases = v.get<std::vector<std::string>>();
      } else if (key == "orgs") {
        next.orgs.clear();
        for (const auto& o : v)
          next.orgs.push_back({o.at("id").get<std::int64_t>(), o.at("name").get<std::string>()});
      } else if (key == "tokens") {
        next.tokens.clear();
        for (const auto& t : v) {
          next.tokens.push_back({t.at("token").get<std::string>(), t.value("expired", false),
                                 t.value("orgs", std::vector<std::string>{})});
        }
      } else if (key == "secrets") {
        next.secrets = v.get<std::map<std::string, std::vector<std::string>>>();
      } else if (key == "profiles") {
        next.profiles = v.get<std::map<std::string, std::vector<std::string>>>();
      } else {
        throw std::invalid_argument("unknown configuration key " + key);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("bad configuration value: ") + e.what());
  }
  b = std::move(next);
}

nlohmann::json to_json(const Fault& f) {
  return {{"method", f.method},     {"path", f.path},   {"status", f.status}, {"body", f.body},
          {"delay_ms", f.delay_ms}, {"reset", f.reset}, {"count", f.count},   {"skip", f.skip}};
}

Fault fault_from(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("a fault must be a JSON object");
  static const std::vector<std::string> known = {"method",   "path",  "status", "body",
                                                 "delay_ms", "reset", "count",  "skip"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      throw std::invalid_argument("unknown fault key " + k);
    }
  }
  try {
    Fault f;
    f.method = util::to_upper(j.value("method", std::string()));
    f.path = j.value("path", std::string());
    f.status = j.value("status", 0);
    f.body = j.value("body", std::string());
    f.delay_ms = j.value("delay_ms", std::int64_t{0});
    f.reset = j.value("reset", false);
    f.count = j.value("count", 1);
    f.skip = j.value("skip", 0);
    if (f.status == 0 && f.delay_ms == 0 && !f.reset) {
      throw std::invalid_argument("a fault needs a status, a delay_ms or reset");
    }
    return f;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("bad fault: ") + e.what());
  }
}

nlohmann::json to_json(const Recorded& r) {
  return {{"seq", r.seq},
          {"method", r.method},
          {"target", r.target},
          {"path", r.path},
          {"headers", r.headers},
          {"body", r.body},
          {"status", r.status},
          {"fault", r.fault},
          {"violations", r.violations},
          {"started_ms", r.started_ms},
          {"finished_ms", r.finished_ms}};
}

// --- The fake's state -----------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

Reply json_reply(int status, const nlohmann::json& j) {
  return {status, j.dump(), "application/json"};
}

Reply error_reply(int status, const std::string& message, const std::string& error) {
  return json_reply(status, {{"code", status}, {"message", message}, {"error", error}});
}

// gin's answer to a route it does not have (it has no 405).
Reply not_found_route() {
  return {404, "404 page not found", "text/plain"};
}

struct ReleaseState {
  std::string name;
  std::string chart;
  std::string version;
  nlohmann::json values = nlohmann::json::object();
  std::string last_body;  // the last install/upgrade body, byte for byte
  bool reuse_values = false;
  std::int64_t revision = 1;
  TimePoint changed_at;
  std::int64_t ready_ms = 0;
  std::int64_t lb_ms = 0;
  std::string pending = "PENDING_INSTALL";
  std::string final_status = "DEPLOYED";
  std::string error;
  std::string host;
};

struct ClusterState {
  std::int64_t id = 0;
  std::int64_t org_id = 0;
  std::string name;
  std::string cloud;
  std::string location;
  std::string secret_id;
  std::string profile;
  std::string request;  // the create body, byte for byte
  TimePoint created_at;
  std::int64_t create_ms = 0;
  std::int64_t helm_ms = 0;
  bool deleting = false;
  TimePoint gone_at;
  std::string kube_token;
  std::map<std::string, ReleaseState> releases;
};

std::string chart_base(const std::string& chart) {
  auto slash = chart.rfind('/');
  return slash == std::string::npos ? chart : chart.substr(slash + 1);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Deep merge for reuse_values: `over` wins, maps merge.
void merge_into(nlohmann::json& base, const nlohmann::json& over) {
  if (!base.is_object() || !over.is_object()) {
    base = over;
    return;
  }
  for (const auto& [k, v] : over.items()) {
    if (base.contains(k) && base[k].is_object() && v.is_object()) {
      merge_into(base[k], v);
    } else {
      base[k] = v;
    }
  }
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Contract contract;
  TimePoint started = Clock::now();

  mutable std::mutex mu;
  Behaviour b;
  struct ActiveFault {
    Fault fault;
    int seen = 0;
    int hits = 0;
  };
  std::vector<ActiveFault> faults;
  std::vector<Recorded> records;
  std::uint64_t seq = 0;
  std::int64_t next_cluster_id = 1;
  int next_host = 10;
  int generated_names = 0;
  std::vector<ClusterState> clusters;

  std::unique_ptr<Poco::Net::ServerSocket> socket;
  std::unique_ptr<Poco::Net::HTTPServer> server;

  explicit Impl(ServerOptions o)
      : options(std::move(o)), contract(Contract::load(options.contract)), b(options.behaviour) {}

  double now_ms() const { return std::chrono::duration<double, std::milli>(Clock::now() - started).count(); }

  // ---- Faults ----
  std::optional<Fault> take_fault(const std::string& method, const std::string& path) {
    std::lock_guard lock(mu);
    for (auto& a : faults) {
      const auto& f = a.fault;
      if (!f.method.empty() && f.method != method) continue;
      if (!f.path.empty() && path.find(f.path) == std::string::npos) continue;
      if (f.count >= 0 && a.hits >= f.count) continue;
      if (a.seen++ < f.skip) continue;
      ++a.hits;
      return f;
    }
    return std::nullopt;
  }

  // ---- Time-driven state ----
  std::string cluster_status(const ClusterState& c, TimePoint now) const {
    if (c.deleting) return "DELETING";
    if (contains(b.stuck_clusters, c.name)) return "CREATING";
    if (now < c.created_at + milliseconds(c.create_ms)) return "CREATING";
    if (b.error_clusters.count(c.name)) return "ERROR";
    return "RUNNING";
  }

  std::string cluster_message(const ClusterState& c, const std::string& status) const {
    if (status == "RUNNING") return "Cluster is running";
    if (status == "CREATING") return "Cluster is being created";
    if (status == "DELETING") return "Cluster is being deleted";
    auto it = b.error_clusters.find(c.name);
    return it == b.error_clusters.end() ? "Cluster creation failed" : it->second;
  }

  bool helm_ready(const ClusterState& c, TimePoint now) const {
    return cluster_status(c, now) == "RUNNING" && now >= c.created_at + milliseconds(c.create_ms + c.helm_ms);
  }

  static std::string release_status(const ReleaseState& r, TimePoint now) {
    return now < r.changed_at + milliseconds(r.ready_ms) ? r.pending : r.final_status;
  }

  static bool lb_pending(const ReleaseState& r, TimePoint now) {
    auto status = release_status(r, now);
    if (status != "DEPLOYED") return status.starts_with("PENDING");
    return now < r.changed_at + milliseconds(r.ready_ms + r.lb_ms);
  }

  void purge(TimePoint now) {
    std::erase_if(clusters, [&](const ClusterState& c) { return c.deleting && now >= c.gone_at; });
  }

  nlohmann::json cluster_json(const ClusterState& c, TimePoint now) const {
    auto status = cluster_status(c, now);
    return {{"status", status},
            {"status_message", cluster_message(c, status)},
            {"name", c.name},
            {"cloud", c.cloud},
            {"location", c.location},
            {"id", c.id},
            {"nodePools", nlohmann::json::object()}};
  }

  std::string kubeconfig(const ClusterState& c) const {
    if (!b.kubeconfig.empty()) return b.kubeconfig;
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + c.name + "\n  cluster:\n    server: https://" +
           std::to_string(c.id) + ".clusters.pipeline.test:6443\n    certificate-authority-data: " +
           util::base64_encode("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n") +
           "\ncontexts:\n- name: " + c.name + "\n  context:\n    cluster: " + c.name + "\n    user: " + c.name +
           "-admin\ncurrent-context: " + c.name + "\nusers:\n- name: " + c.name +
           "-admin\n  user:\n    token: " + c.kube_token + "\n";
  }

  // ---- Routing ----
  struct Call {
    std::string method;
    std::vector<std::string> segments;  // below /api/v1
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers;
    std::string body;
  };

  std::optional<Reply> authenticate(const Call& call, const Token** token) const {
    auto it = call.headers.find("authorization");
    std::string value = it == call.headers.end() ? "" : it->second;
    if (!value.starts_with("Bearer ")) {
      return error_reply(401, "Invalid session", "no bearer token in the Authorization header");
    }
    auto presented = value.substr(7);
    for (const auto& t : b.tokens) {
      if (t.token != presented) continue;
      if (t.expired) return error_reply(401, "Invalid session", "Token is expired");
      *token = &t;
      return std::nullopt;
    }
    return error_reply(401, "Invalid session", "token contains an invalid number of segments");
  }

  bool may_use(const Token& t, const Org& o) const { return t.orgs.empty() || contains(t.orgs, o.name); }

  Reply route(const Call& call) {
    const auto& s = call.segments;
    bool orgs_era = b.generation == "orgs";
    // Which route this is, before authentication (gin answers 404 first).
    std::size_t rest_at = 0;
    bool list_orgs = false;
    if (orgs_era && s.size() == 1 && s[0] == "orgs") {
      if (call.method != "GET") return not_found_route();
      list_orgs = true;
    } else if (orgs_era && s.size() >= 3 && s[0] == "orgs" && s[2] == "clusters") {
      rest_at = 3;
    } else if (!orgs_era && !s.empty() && s[0] == "clusters") {
      rest_at = 1;
    } else {
      return not_found_route();
    }
    std::vector<std::string> rest(s.begin() + static_cast<std::ptrdiff_t>(list_orgs ? s.size() : rest_at), s.end());
    const auto& m = call.method;
    bool known = (rest.empty() && (m == "GET" || m == "POST")) ||
                 (rest.size() == 1 && (m == "GET" || m == "HEAD" || m == "DELETE" || m == "PUT")) ||
                 (rest.size() == 2 && rest[1] == "config" && m == "GET") ||
                 (rest.size() == 2 && rest[1] == "endpoints" && m == "GET") ||
                 (rest.size() == 2 && rest[1] == "deployments" && (m == "GET" || m == "HEAD" || m == "POST")) ||
                 (rest.size() == 3 && rest[1] == "deployments" && (m == "HEAD" || m == "PUT" || m == "DELETE"));
    if (!list_orgs && !known) return not_found_route();

    const Token* token = nullptr;
    if (auto denied = authenticate(call, &token)) return *denied;
    if (list_orgs) {
      auto out = nlohmann::json::array();
      for (const auto& o : b.orgs) {
        if (!may_use(*token, o)) continue;
        out.push_back({{"id", o.id},
                       {"createdAt", "2018-05-04T10:00:00Z"},
                       {"updatedAt", "2018-05-04T10:00:00Z"},
                       {"name", o.name}});
      }
      return json_reply(200, out);
    }

    const Org* org = nullptr;
    static const Org no_org{0, ""};
    if (orgs_era) {
      const auto& id_text = s[1];
      bool numeric =
          !id_text.empty() && std::all_of(id_text.begin(), id_text.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!numeric || id_text.size() > 15) {
        return error_reply(400, "Error parsing organization id",
                           "strconv.ParseUint: parsing \"" + id_text + "\": invalid syntax");
      }
      auto id = std::stoll(id_text);
      for (const auto& o : b.orgs) {
        if (o.id == id) org = &o;
      }
      // The authorizer answers 403 with no body for an org without a role.
      if (!org || !may_use(*token, *org)) return {403, "", "application/json"};
    } else {
      org = &no_org;
    }

    auto now = Clock::now();
    purge(now);
    if (rest.empty()) return m == "POST" ? create_cluster(*org, call, now) : list_clusters(*org, now);

    auto q = call.query.find("field");
    bool by_name = q != call.query.end() && q->second == "name";
    const auto& ref = rest[0];
    ClusterState* c = nullptr;
    if (!by_name) {
      bool numeric =
          !ref.empty() && std::all_of(ref.begin(), ref.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!numeric || ref.size() > 15) {
        return error_reply(400, "Error parsing request", "strconv.ParseUint: parsing \"" + ref + "\": invalid syntax");
      }
    }
    for (auto& cl : clusters) {
      if (cl.org_id != org->id) continue;
      if (by_name ? cl.name == ref : std::to_string(cl.id) == ref) c = &cl;
    }
    if (!c) {
      if (m == "HEAD") return {404, "", "application/json"};
      return error_reply(404, "Cluster not found", "record not found");
    }
    auto status = cluster_status(*c, now);
    if (rest.size() == 1) {
      if (m == "HEAD") return {status == "RUNNING" ? 200 : 400, "", "application/json"};
      if (m == "GET") return json_reply(200, cluster_json(*c, now));
      if (m == "PUT") return error_reply(400, "Error during updating cluster", "updates are not part of the fake");
      return delete_cluster(*c, now);
    }
    const auto& what = rest[1];
    if (what == "config") return config(*c, status, call);
    if (status != "RUNNING") {
      return m == "HEAD" ? Reply{400, "", "application/json"}
                         : error_reply(400, "Error getting kubeconfig", "cluster " + c->name + " is " + status);
    }
    if (what == "endpoints") return endpoints(*c, call, now);
    if (!helm_ready(*c, now)) {
      if (m == "HEAD") return {400, "", "application/json"};
      return error_reply(400, "Error connecting to tiller", "could not find a ready tiller pod");
    }
    if (rest.size() == 2) {
      if (m == "HEAD") return {200, "", "application/json"};
      if (m == "GET") return list_releases(*c, now);
      return install(*c, call, now);
    }
    const auto& release = rest[2];
    if (m == "HEAD") return {c->releases.count(release) ? 200 : 404, "", "application/json"};
    if (m == "PUT") return upgrade(*c, release, call, now);
    return uninstall(*c, release);
  }

  Reply list_clusters(const Org& org, TimePoint now) const {
    auto out = nlohmann::json::array();
    for (const auto& c : clusters) {
      if (c.org_id == org.id) out.push_back(cluster_json(c, now));
    }
    return json_reply(200, out);
  }

  Reply create_cluster(const Org& org, const Call& call, TimePoint now) {
    auto j = nlohmann::json::parse(call.body, nullptr, false);
    if (!j.is_object()) return error_reply(400, "Error parsing request", "invalid character in the JSON body");
    auto text = [&](const nlohmann::json& o, const char* k) {
      return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
    };
    auto name = text(j, "name");
    auto cloud = text(j, "cloud");
    if (name.empty()) return error_reply(400, "Error parsing request", "Key: 'name' Error:Field validation failed");
    if (cloud != "amazon" && cloud != "azure" && cloud != "google") {
      return error_reply(400, "Error during cluster creation", "not supported cloud type: " + cloud);
    }
    if (!j.contains("properties") || !j["properties"].is_object() || !j["properties"].contains(cloud)) {
      return error_reply(400, "Error during cluster creation", "required field 'properties." + cloud + "' is empty");
    }
    const auto& p = j["properties"][cloud];
    if (cloud == "azure" && text(p, "resourceGroup").empty()) {
      return error_reply(400, "Error during cluster creation", "required field 'resourceGroup' is empty");
    }
    if (cloud == "google") {
      auto master = p.contains("master") ? text(p["master"], "version") : std::string();
      if (master != text(p, "nodeVersion")) {
        return error_reply(400, "Error during cluster creation", "different master and node versions");
      }
    }
    auto secret = text(j, "secret_id");
    if (auto it = b.secrets.find(org.name); it != b.secrets.end() && !contains(it->second, secret)) {
      return error_reply(400, "Error validating secret", "secret " + secret + " not found");
    }
    auto profile = text(j, "profile_name");
    if (!profile.empty()) {
      auto it = b.profiles.find(org.name);
      if (it == b.profiles.end() || !contains(it->second, profile)) {
        return error_reply(404, "Cluster profile not found", "profile " + profile + " not found");
      }
    }
    for (const auto& c : clusters) {
      if (c.org_id == org.id && c.name == name) {
        return error_reply(400, "Error during cluster creation", "duplicate entry");
      }
    }
    ClusterState c;
    c.id = next_cluster_id++;
    c.org_id = org.id;
    c.name = name;
    c.cloud = cloud;
    c.location = text(j, "location");
    c.secret_id = secret;
    c.profile = profile;
    c.request = call.body;
    c.created_at = now;
    c.create_ms = b.cluster_create_ms;
    c.helm_ms = b.helm_ready_ms;
    c.kube_token = "kube-token-" + std::to_string(c.id) + "-" + name;
    clusters.push_back(c);
    return json_reply(202, {{"name", name}, {"id", c.id}});
  }

  Reply delete_cluster(ClusterState& c, TimePoint now) {
    if (!c.deleting) {
      c.deleting = true;
      c.gone_at = now + milliseconds(b.cluster_delete_ms);
    }
    return json_reply(202, {{"status", 202}, {"name", c.name}, {"id", c.id}});
  }

  Reply config(const ClusterState& c, const std::string& status, const Call& call) const {
    if (status != "RUNNING") return error_reply(400, "Error getting kubeconfig", "cluster " + c.name + " is " + status);
    auto yaml = kubeconfig(c);
    auto accept = call.headers.count("accept") ? call.headers.at("accept") : std::string();
    if (b.kubeconfig_format == "yaml" || accept.find("application/json") == std::string::npos) {
      return {200, yaml, "text/plain"};
    }
    auto data = b.kubeconfig_format == "base64" ? util::base64_encode(yaml) : yaml;
    return json_reply(200, {{"status", 200}, {"data", data}});
  }

  Reply list_releases(const ClusterState& c, TimePoint now) const {
    // The real handler builds a nil slice and answers `null` when empty.
    if (c.releases.empty()) return {200, "null", "application/json"};
    auto out = nlohmann::json::array();
    for (const auto& [name, r] : c.releases) {
      out.push_back({{"name", name},
                     {"chart", chart_base(r.chart) + "-" + (r.version.empty() ? "0.1.0" : r.version)},
                     {"version", r.revision},
                     {"updated", "Fri May  4 10:00:00 2018"},
                     {"status", release_status(r, now)}});
    }
    return json_reply(200, out);
  }

  std::optional<Reply> parse_release_body(const Call& call, nlohmann::json& j) const {
    j = nlohmann::json::parse(call.body, nullptr, false);
    if (!j.is_object()) return error_reply(400, "Error during parsing request!", "invalid character in the body");
    if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty()) {
      return error_reply(400, "Error during parsing request!", "Key: 'name' Error:Field validation failed");
    }
    if (j.contains("values") && !j["values"].is_object()) {
      return error_reply(400, "Error during parsing request!", "values must be an object");
    }
    return std::nullopt;
  }

  void settle(ReleaseState& r, const std::string& pending, TimePoint now) {
    r.changed_at = now;
    r.pending = pending;
    r.ready_ms = b.release_ready_ms;
    r.lb_ms = b.lb_pending_ms;
    auto failed = b.failed_releases.find(r.name);
    r.final_status = failed == b.failed_releases.end() ? "DEPLOYED" : "FAILED";
    r.error = failed == b.failed_releases.end() ? "" : failed->second;
    if (failed != b.failed_releases.end() && b.release_failure_mode == "sync") r.ready_ms = 0;
  }

  Reply install(ClusterState& c, const Call& call, TimePoint now) {
    nlohmann::json j;
    if (auto bad = parse_release_body(call, j)) return *bad;
    auto name = j.contains("release_name") && j["release_name"].is_string() ? j["release_name"].get<std::string>()
                                                                            : std::string();
    if (name.empty()) name = "vigilant-mandrill-" + std::to_string(++generated_names);  // Helm names it
    if (c.releases.count(name)) {
      return error_reply(400, "Error creating deployment", "a release named " + name + " already exists");
    }
    ReleaseState r;
    r.name = name;
    r.chart = j["name"].get<std::string>();
    r.version = j.value("version", std::string());
    if (j.contains("values")) r.values = j["values"];
    r.last_body = call.body;
    r.host = "198.51.100." + std::to_string(next_host++);
    settle(r, "PENDING_INSTALL", now);
    auto& stored = c.releases[name] = r;
    if (stored.final_status == "FAILED" && b.release_failure_mode == "sync") {
      return error_reply(400, "Error creating deployment", "release " + name + " failed: " + stored.error);
    }
    return json_reply(201, {{"release_name", name}, {"notes", "Thank you for installing " + chart_base(r.chart)}});
  }

  Reply upgrade(ClusterState& c, const std::string& name, const Call& call, TimePoint now) {
    nlohmann::json j;
    if (auto bad = parse_release_body(call, j)) return *bad;
    auto it = c.releases.find(name);
    if (it == c.releases.end()) {
      return error_reply(500, "Error upgrading deployment", "\"" + name + "\" has no deployed releases");
    }
    auto& r = it->second;
    r.chart = j["name"].get<std::string>();
    r.version = j.value("version", std::string());
    r.reuse_values = j.value("reuse_values", false);
    auto values = j.contains("values") ? j["values"] : nlohmann::json::object();
    if (r.reuse_values) {
      merge_into(r.values, values);
    } else {
      r.values = values;
    }
    r.last_body = call.body;
    ++r.revision;
    settle(r, "PENDING_UPGRADE", now);
    if (r.final_status == "FAILED" && b.release_failure_mode == "sync") {
      return error_reply(500, "Error upgrading deployment", "UPGRADE FAILED: " + r.error);
    }
    return json_reply(201, {{"release_name", name}, {"notes", "Upgraded " + chart_base(r.chart)}});
  }

  Reply uninstall(ClusterState& c, const std::string& name) {
    if (!c.releases.erase(name)) {
      return error_reply(400, "Error deleting deployment", "release: \"" + name + "\" not found");
    }
    return json_reply(200, {{"status", 200}, {"message", "Deployment deleted!"}, {"name", name}});
  }

  Reply endpoints(const ClusterState& c, const Call& call, TimePoint now) const {
    auto q = call.query.find("releaseName");
    std::vector<const ReleaseState*> wanted;
    for (const auto& [name, r] : c.releases) {
      if (q == call.query.end() || q->second == name) wanted.push_back(&r);
    }
    std::erase_if(wanted, [&](const ReleaseState* r) {
      return contains(b.no_endpoint_releases, r->name) || release_status(*r, now) == "FAILED";
    });
    if (wanted.empty()) {
      return error_reply(404, "There is no public endpoint", "no LoadBalancer or ingress for the release");
    }
    for (const auto* r : wanted) {
      if (lb_pending(*r, now)) {
        return json_reply(
            202, {{"status", 202}, {"message", "There is at least one LoadBalancer type service with Pending state"}});
      }
    }
    auto list = nlohmann::json::array();
    for (const auto* r : wanted) {
      auto base = chart_base(r->chart);
      list.push_back({{"name", r->name + "-" + base},
                      {"host", r->host},
                      {"ports", {{"http", 80}}},
                      {"urls",
                       {{{"servicename", r->name + "-" + base},
                         {"url", "http://" + r->host + ":80/"},
                         {"helmreleasename", r->name}}}}});
    }
    return json_reply(200, {{"endpoints", list}});
  }

  Reply handle_api(const std::string& method, const std::string& api_path,
                   const std::vector<std::pair<std::string, std::string>>& query,
                   const std::map<std::string, std::string>& headers, const std::string& body) {
    auto segs = util::split(api_path, '/');
    if (!segs.empty() && segs.front().empty()) segs.erase(segs.begin());
    if (segs.size() < 2 || segs[0] != "api" || segs[1] != "v1") return not_found_route();
    Call call;
    call.method = method;
    for (std::size_t i = 2; i < segs.size(); ++i)
      call.segments.push_back(percent_decode(segs[i]));
    for (const auto& [k, v] : query)
      call.query[k] = v;
    call.headers = headers;
    call.body = body;
    Reply reply;
    bool synchronous = false;
    std::int64_t wait_ms = 0;
    {
      std::lock_guard lock(mu);
      reply = route(call);
      // 0.3.0 created and deleted clusters synchronously: the reply came
      // when the work was done.
      synchronous = b.generation == "0.3.0" && reply.status == 202;
      if (synchronous) wait_ms = method == "POST" ? b.cluster_create_ms : b.cluster_delete_ms;
    }
    if (!synchronous) return reply;
    if (wait_ms > 0) std::this_thread::sleep_for(milliseconds(wait_ms));
    auto j = nlohmann::json::parse(reply.body);
    if (method != "POST") {
      j["message"] = "Cluster deleted successfully";
      return json_reply(202, j);
    }
    std::lock_guard lock(mu);
    for (const auto& c : clusters) {
      if (c.id == j.value("id", std::int64_t{-1})) return json_reply(200, cluster_json(c, Clock::now()));
    }
    return json_reply(200, j);
  }
};

// --- Poco plumbing ---------------------------------------------------------------

namespace {

class ApiHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit ApiHandler(Server::Impl* impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    std::map<std::string, std::string> headers;
    for (const auto& [k, v] : req)
      headers[util::to_lower(k)] = v;
    std::string path;
    std::vector<std::pair<std::string, std::string>> query;
    split_target(req.getURI(), path, query);
    if (path.starts_with("/_test/") || path == "/_test") {
      control(req.getMethod(), path, body, resp);
      return;
    }

    Recorded rec;
    rec.started_ms = impl_->now_ms();
    rec.method = req.getMethod();
    rec.target = req.getURI();
    rec.headers = headers;
    rec.body = body;
    const auto& base = impl_->options.base_path;
    bool inside = base.empty() || path == base || path.starts_with(base + "/");
    rec.path = inside ? path.substr(base.size()) : path;
    {
      std::lock_guard lock(impl_->mu);
      rec.seq = ++impl_->seq;
    }
    if (inside) {
      CheckedRequest cr{rec.method, rec.path, query, headers, body};
      rec.violations = impl_->contract.check(cr);
    } else {
      rec.violations.push_back(rec.method + " " + path + ": outside the API's base path " + base);
    }

    auto fault = impl_->take_fault(rec.method, rec.path);
    if (fault && fault->delay_ms > 0) {
      rec.fault = "delay " + std::to_string(fault->delay_ms) + " ms";
      std::this_thread::sleep_for(milliseconds(fault->delay_ms));
    }
    if (fault && fault->reset) {
      rec.fault = "reset";
      rec.finished_ms = impl_->now_ms();
      store(std::move(rec));
      reset_connection(req);
      return;
    }
    Reply reply;
    if (fault && fault->status) {
      rec.fault = "status " + std::to_string(fault->status);
      reply = {fault->status, fault->body, "application/json"};
    } else if (inside) {
      reply = impl_->handle_api(rec.method, rec.path, query, headers, body);
    } else {
      reply = not_found_route();
    }
    rec.status = reply.status;
    rec.finished_ms = impl_->now_ms();
    bool head = rec.method == "HEAD";
    store(std::move(rec));
    send(resp, reply, head);
  }

 private:
  void store(Recorded rec) {
    std::lock_guard lock(impl_->mu);
    impl_->records.push_back(std::move(rec));
  }

  static void send(Poco::Net::HTTPServerResponse& resp, const Reply& reply, bool head) {
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    resp.setContentType(reply.content_type);
    if (head) {
      resp.setContentLength(0);
      resp.send();
      return;
    }
    resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    resp.send() << reply.body;
  }

  // An abortive close in the middle of the reply: the client sees a
  // connection reset and no usable reply. Resetting before any byte would
  // be invisible: libcurl silently resends a request whose reused
  // keep-alive connection died before answering.
  static void reset_connection(Poco::Net::HTTPServerRequest& req) {
    auto& impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(req);
    Poco::Net::StreamSocket socket = impl.detachSocket();
    static constexpr std::string_view partial = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
    socket.sendBytes(partial.data(), static_cast<int>(partial.size()));
    socket.setLinger(true, 0);
    socket.close();
  }

  void control(const std::string& method, const std::string& path, const std::string& body,
               Poco::Net::HTTPServerResponse& resp) {
    Reply reply;
    try {
      reply = control_reply(method, path, body);
    } catch (const std::invalid_argument& e) {
      reply = json_reply(400, {{"error", e.what()}});
    }
    send(resp, reply, false);
  }

  Reply control_reply(const std::string& method, const std::string& path, const std::string& body) {
    auto parsed = [&] {
      auto j = nlohmann::json::parse(body.empty() ? "{}" : body, nullptr, false);
      if (j.is_discarded()) throw std::invalid_argument("the body is not JSON");
      return j;
    };
    auto& impl = *impl_;
    if (path == "/_test/requests" && method == "GET") {
      auto out = nlohmann::json::array();
      std::lock_guard lock(impl.mu);
      auto records = impl.records;
      std::sort(records.begin(), records.end(), [](const Recorded& a, const Recorded& b) { return a.seq < b.seq; });
      for (const auto& r : records)
        out.push_back(to_json(r));
      return json_reply(200, out);
    }
    if (path == "/_test/violations" && method == "GET") {
      auto list = nlohmann::json::array();
      std::lock_guard lock(impl.mu);
      for (const auto& r : impl.records) {
        for (const auto& v : r.violations)
          list.push_back(v);
      }
      return json_reply(200, {{"count", list.size()}, {"violations", list}});
    }
    if (path == "/_test/config") {
      std::lock_guard lock(impl.mu);
      if (method == "POST") pipeline_api::apply(impl.b, parsed());
      return json_reply(200, to_json(impl.b));
    }
    if (path == "/_test/faults") {
      std::lock_guard lock(impl.mu);
      if (method == "DELETE") {
        impl.faults.clear();
      } else if (method == "POST") {
        auto j = parsed();
        if (j.is_array()) {
          for (const auto& f : j)
            impl.faults.push_back({fault_from(f)});
        } else {
          impl.faults.push_back({fault_from(j)});
        }
      }
      auto out = nlohmann::json::array();
      for (const auto& a : impl.faults)
        out.push_back(to_json(a.fault));
      return json_reply(200, out);
    }
    if (path == "/_test/state" && method == "GET") return json_reply(200, owner_->state());
    if (path == "/_test/reset" && method == "POST") {
      owner_->reset();
      return json_reply(200, {{"reset", true}});
    }
    if (path == "/_test/clusters" && method == "POST") {
      auto j = parsed();
      owner_->seed_cluster(j.value("org", std::string("acme")), j.at("name").get<std::string>(),
                           j.value("status", std::string("RUNNING")), j.value("cloud", std::string("amazon")));
      return json_reply(200, owner_->state());
    }
    if (path == "/_test/contract" && method == "GET") {
      auto list = nlohmann::json::array();
      for (const auto& c : corrections())
        list.push_back({{"what", c.what}, {"source", c.source}});
      return json_reply(200, {{"title", impl.contract.title()},
                              {"version", impl.contract.version()},
                              {"operations", impl.contract.operations().size()},
                              {"corrections", list}});
    }
    return json_reply(404, {{"error", "no control endpoint " + method + " " + path}});
  }

 public:
  Server* owner_ = nullptr;

 private:
  Server::Impl* impl_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(Server* owner, Server::Impl* impl) : owner_(owner), impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    auto* h = new ApiHandler(impl_);
    h->owner_ = owner_;
    return h;
  }

 private:
  Server* owner_;
  Server::Impl* impl_;
};

}  // namespace

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& base = impl_->options.base_path;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  Poco::Net::SocketAddress addr(impl_->options.host, static_cast<Poco::UInt16>(impl_->options.port));
  impl_->socket = std::make_unique<Poco::Net::ServerSocket>(addr, 64);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(impl_->options.max_threads);
  params->setKeepAlive(true);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(this, impl_.get()), *impl_->socket, params);
  impl_->server->start();
}

Server::~Server() {
  impl_->server->stopAll(true);
}

int Server::port() const {
  return impl_->socket->address().port();
}

std::string Server::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(port());
}

std::string Server::endpoint() const {
  return url() + impl_->options.base_path + "/api/v1";
}

void Server::configure(const nlohmann::json& patch) {
  std::lock_guard lock(impl_->mu);
  pipeline_api::apply(impl_->b, patch);
}

Behaviour Server::behaviour() const {
  std::lock_guard lock(impl_->mu);
  return impl_->b;
}

void Server::add_fault(const Fault& f) {
  std::lock_guard lock(impl_->mu);
  impl_->faults.push_back({f});
}

void Server::clear_faults() {
  std::lock_guard lock(impl_->mu);
  impl_->faults.clear();
}

void Server::seed_cluster(const std::string& org, const std::string& name, const std::string& status,
                          const std::string& cloud) {
  std::lock_guard lock(impl_->mu);
  auto& i = *impl_;
  std::int64_t org_id = 0;
  if (i.b.generation == "orgs") {
    bool found = false;
    for (const auto& o : i.b.orgs) {
      if (o.name == org) {
        org_id = o.id;
        found = true;
      }
    }
    if (!found) throw std::invalid_argument("no organization " + org);
  }
  ClusterState c;
  c.id = i.next_cluster_id++;
  c.org_id = org_id;
  c.name = name;
  c.cloud = cloud;
  c.location = "seeded";
  c.created_at = Clock::now();
  c.kube_token = "kube-token-" + std::to_string(c.id) + "-" + name;
  if (status == "RUNNING") {
    c.create_ms = 0;
    c.helm_ms = 0;
  } else if (status == "CREATING") {
    c.create_ms = i.b.cluster_create_ms;
    c.helm_ms = i.b.helm_ready_ms;
  } else {
    throw std::invalid_argument("a seeded cluster is RUNNING or CREATING, not " + status);
  }
  i.clusters.push_back(c);
}

std::vector<Recorded> Server::requests() const {
  std::lock_guard lock(impl_->mu);
  auto out = impl_->records;
  std::sort(out.begin(), out.end(), [](const Recorded& a, const Recorded& b) { return a.seq < b.seq; });
  return out;
}

std::vector<std::string> Server::violations() const {
  std::vector<std::string> out;
  for (const auto& r : requests()) {
    for (const auto& v : r.violations)
      out.push_back(v);
  }
  return out;
}

nlohmann::json Server::state() const {
  std::lock_guard lock(impl_->mu);
  auto now = Clock::now();
  auto out = nlohmann::json::array();
  for (const auto& c : impl_->clusters) {
    if (c.deleting && now >= c.gone_at) continue;
    auto j = impl_->cluster_json(c, now);
    j["org_id"] = c.org_id;
    j["secret_id"] = c.secret_id;
    j["profile_name"] = c.profile;
    j["request"] = c.request;
    j["helm_ready"] = impl_->helm_ready(c, now);
    auto releases = nlohmann::json::object();
    for (const auto& [name, r] : c.releases) {
      releases[name] = {{"chart", r.chart},
                        {"version", r.version},
                        {"revision", r.revision},
                        {"status", Impl::release_status(r, now)},
                        {"reuse_values", r.reuse_values},
                        {"values", r.values},
                        {"body", r.last_body}};
    }
    j["releases"] = releases;
    out.push_back(j);
  }
  return {{"clusters", out}};
}

void Server::reset() {
  std::lock_guard lock(impl_->mu);
  impl_->clusters.clear();
  impl_->records.clear();
  impl_->faults.clear();
}

}  // namespace sg::testing::pipeline_api
