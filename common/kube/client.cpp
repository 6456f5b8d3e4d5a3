#include "kube/client.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "log/redactor.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace sg::kube {

std::string resource_path(const Resource& r, const std::string& ns, const std::string& name,
                          const std::string& subresource) {
  std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + util::url_encode(ns);
  p += "/" + r.plural;
  if (!name.empty()) p += "/" + util::url_encode(name);
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

std::string describe(const Resource& r, const std::string& ns, const std::string& name) {
  std::string s = r.plural;
  if (!name.empty()) s += " \"" + name + "\"";
  if (r.namespaced && !ns.empty()) s += " in namespace \"" + ns + "\"";
  return s;
}

Client::Client(Config config, ClientOptions options)
    : config_(std::move(config)), options_(std::move(options)), credentials_(std::make_shared<Credentials>(config_)) {
  while (!config_.server.empty() && config_.server.back() == '/')
    config_.server.pop_back();
  if (config_.insecure_skip_tls_verify && !config_.ca_pem.empty()) {
    // kubectl refuses this combination; it almost always hides a mistake.
    throw Error("the kubeconfig sets both a CA certificate and insecure-skip-tls-verify",
                "remove insecure-skip-tls-verify; the CA is enough");
  }
}

std::shared_ptr<http::Client> Client::transport() {
  auto gen = credentials_->generation();
  std::lock_guard lock(transport_mu_);
  if (!transport_ || gen != transport_generation_) {
    http::Options o;
    o.tls.verify = !config_.insecure_skip_tls_verify;
    o.tls.ca = config_.ca_pem;
    o.tls.server_name = config_.tls_server_name;
    auto [cert, key] = credentials_->client_certificate();
    o.tls.client_cert = cert;
    o.tls.client_key = key;
    o.total_timeout = options_.request_timeout;
    o.max_body_bytes = options_.max_body_bytes;
    o.max_line_bytes = options_.max_line_bytes;
    o.deadline_setting = options_.deadline_setting;
    o.size_setting = options_.size_setting;
    o.retry = options_.retry;
    o.cancel = options_.cancel;
    o.user_agent = options_.user_agent;
    transport_ = std::make_shared<http::Client>(o);
    transport_generation_ = gen;
  }
  return transport_;
}

http::Response Client::send(const std::string& method, const std::string& path, const std::string& body,
                            const std::string& content_type, std::optional<bool> idempotent,
                            const std::function<bool(std::string_view)>* on_line,
                            std::optional<std::chrono::milliseconds> timeout, std::optional<std::size_t> max_body_bytes,
                            http::Deadline deadline, bool split_long_lines) {
  auto until = this->deadline();
  if (deadline && (!until || *deadline < *until)) until = deadline;
  for (int attempt = 0;; ++attempt) {
    http::Request req;
    req.method = method;
    req.url = config_.server + path;
    req.body = body;
    req.idempotent = idempotent;
    req.timeout = timeout;
    req.deadline = until;
    req.max_body_bytes = max_body_bytes;
    req.split_long_lines = split_long_lines;
    req.headers.emplace_back("Accept", "application/json");
    if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
    if (auto auth = credentials_->authorization(); !auth.empty()) req.headers.emplace_back("Authorization", auth);
    auto t = transport();
    auto resp = on_line ? t->stream_lines(req, *on_line) : t->send(req);
    // A rotated token file or an expired exec credential shows up as a 401;
    // one fresh attempt with new credentials is what client-go does too.
    if (resp.status == 401 && attempt == 0 && credentials_->invalidate()) {
      spdlog::debug("401 from {}; refreshing credentials and retrying once", path);
      continue;
    }
    return resp;
  }
}

void Client::set_deadline(http::Deadline d) {
  std::lock_guard lock(transport_mu_);
  options_.deadline = d;
}

http::Deadline Client::deadline() const {
  std::lock_guard lock(transport_mu_);
  return options_.deadline;
}

json Client::expect_json(const http::Response& resp, const std::string& verb, const std::string& what) {
  if (!resp.ok()) throw api_error(resp, verb, what);
  // The body is already capped in size; the depth limit is far beyond any
  // real object (CRD schemas nest deepest) and keeps a hostile one cheap.
  try {
    return util::parse_json(resp.body, {.max_depth = 512, .max_bytes = resp.body.size()});
  } catch (const util::JsonError& e) {
    throw Error(verb + " " + what + ": the API server returned invalid JSON (" + e.what() + ")",
                "check that " + http::url_for_message(config_.server) + " is a Kubernetes API server");
  }
}

json Client::get(const Resource& r, const std::string& ns, const std::string& name) {
  return expect_json(send("GET", resource_path(r, ns, name), {}, {}), "get", describe(r, ns, name));
}

std::optional<json> Client::try_get(const Resource& r, const std::string& ns, const std::string& name) {
  auto resp = send("GET", resource_path(r, ns, name), {}, {});
  if (resp.status == 404) return std::nullopt;
  return expect_json(resp, "get", describe(r, ns, name));
}

ListResult Client::list(const Resource& r, const std::string& ns, const ListOptions& opts) {
  ListResult out;
  std::string cont;
  int restarts = 0;
  while (true) {
    std::string q = "?limit=" + std::to_string(opts.limit);
    if (!opts.label_selector.empty()) q += "&labelSelector=" + util::url_encode(opts.label_selector);
    if (!opts.field_selector.empty()) q += "&fieldSelector=" + util::url_encode(opts.field_selector);
    if (!cont.empty()) {
      q += "&continue=" + util::url_encode(cont);
    } else if (!opts.resource_version.empty()) {
      q += "&resourceVersion=" + util::url_encode(opts.resource_version);
    }
    // A page of 500 large objects (pods with long specs) can pass the
    // ordinary cap and still be a real answer.
    constexpr std::size_t list_page_cap = std::size_t{64} << 20;
    auto resp = send("GET", resource_path(r, ns) + q, {}, {}, {}, nullptr, {},
                     std::max(list_page_cap, options_.max_body_bytes));
    // A continue token outlives an etcd compaction only for so long; like
    // client-go's pager, start the list over rather than fail.
    if (resp.status == 410 && !cont.empty() && restarts++ < 3) {
      spdlog::debug("list {}: continue token expired; listing from the start", describe(r, ns));
      out = {};
      cont.clear();
      continue;
    }
    auto doc = expect_json(resp, "list", describe(r, ns));
    std::string next;
    try {
      auto items = util::optional_field<json>(doc, "items", "list").value_or(json::array());
      if (!items.is_array()) throw util::JsonError("list.items: expected an array, got " + util::json_kind(items));
      for (auto& item : items)
        out.items.push_back(std::move(item));
      auto meta = util::optional_field<json>(doc, "metadata", "list").value_or(json::object());
      out.resource_version = util::optional_field<std::string>(meta, "resourceVersion", "list.metadata").value_or("");
      next = util::optional_field<std::string>(meta, "continue", "list.metadata").value_or("");
    } catch (const util::JsonError& e) {
      throw Error("list " + describe(r, ns) + ": the API server's answer is not a list (" + e.what() + ")",
                  "check that " + http::url_for_message(config_.server) + " is a Kubernetes API server");
    }
    if (!next.empty() && next == cont) {
      throw Error("list " + describe(r, ns) + ": the API server sent the same continue token twice",
                  "check that " + http::url_for_message(config_.server) + " is a Kubernetes API server");
    }
    cont = next;
    if (out.items.size() > opts.max_items) {
      throw Error("list " + describe(r, ns) + ": more than " + std::to_string(opts.max_items) + " objects",
                  "narrow the list with a label or field selector");
    }
    if (cont.empty()) break;
  }
  return out;
}

json Client::create(const Resource& r, const std::string& ns, const json& object) {
  auto name = object.contains("metadata") ? object["metadata"].value("name", "") : "";
  // POST is not idempotent in general, but a retried create that already
  // succeeded shows up as AlreadyExists, which callers handle; so retrying
  // transport failures is safe for named objects.
  bool named = !name.empty();
  return expect_json(send("POST", resource_path(r, ns), object.dump(), "application/json", named), "create",
                     describe(r, ns, name));
}

json Client::replace(const Resource& r, const std::string& ns, const std::string& name, const json& object) {
  return expect_json(send("PUT", resource_path(r, ns, name), object.dump(), "application/json"), "update",
                     describe(r, ns, name));
}

json Client::patch(const Resource& r, const std::string& ns, const std::string& name, const json& patch, PatchType type,
                   const std::string& field_manager, bool force) {
  std::string ct;
  switch (type) {
    case PatchType::Merge:
      ct = "application/merge-patch+json";
      break;
    case PatchType::Strategic:
      ct = "application/strategic-merge-patch+json";
      break;
    case PatchType::Json:
      ct = "application/json-patch+json";
      break;
    case PatchType::Apply:
      ct = "application/apply-patch+yaml";
      break;
  }
  std::string q;
  if (!field_manager.empty()) q += "?fieldManager=" + util::url_encode(field_manager);
  if (force) q += std::string(q.empty() ? "?" : "&") + "force=true";
  // Merge and apply patches state the desired values, so repeating them is
  // harmless; JSON patches (add/remove) are not.
  bool idempotent = type != PatchType::Json;
  return expect_json(send("PATCH", resource_path(r, ns, name) + q, patch.dump(), ct, idempotent), "patch",
                     describe(r, ns, name));
}

json Client::apply(const Resource& r, const std::string& ns, const json& object, const std::string& field_manager,
                   bool force) {
  auto name = object.at("metadata").at("name").get<std::string>();
  return patch(r, ns, name, object, PatchType::Apply, field_manager, force);
}

bool Client::remove(const Resource& r, const std::string& ns, const std::string& name, Propagation propagation,
                    std::optional<int> grace_seconds) {
  json opts = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  switch (propagation) {
    case Propagation::Background:
      opts["propagationPolicy"] = "Background";
      break;
    case Propagation::Foreground:
      opts["propagationPolicy"] = "Foreground";
      break;
    case Propagation::Orphan:
      opts["propagationPolicy"] = "Orphan";
      break;
  }
  if (grace_seconds) opts["gracePeriodSeconds"] = *grace_seconds;
  auto resp = send("DELETE", resource_path(r, ns, name), opts.dump(), "application/json");
  if (resp.status == 404) return false;
  expect_json(resp, "delete", describe(r, ns, name));
  return true;
}

std::string Client::get_text(const std::string& path) {
  auto resp = send("GET", path, {}, {});
  if (!resp.ok()) throw api_error(resp, "get", path);
  return resp.body;
}

http::Response Client::stream(const std::string& path_and_query, const std::function<bool(std::string_view)>& on_line,
                              std::chrono::milliseconds timeout, http::Deadline deadline, bool split_long_lines) {
  return send("GET", path_and_query, {}, {}, true, &on_line, timeout, {}, deadline, split_long_lines);
}

Config resolve_config(const ConfigSources& s) {
  Config c;
  bool found = false;
  if (!s.inline_kubeconfig.empty()) {
    log::redactor().add_secret(s.inline_kubeconfig);
    c = kubeconfig_from_inline(s.inline_kubeconfig, s.context);
    found = true;
  } else if (!s.server.empty()) {
    c.server = s.server;
    c.token = s.token;
    c.source = "server and token settings";
    if (!s.ca.empty()) c.ca_pem = http::load_pem(s.ca, "the CA certificate setting");
    if (!s.client_cert.empty()) c.client_cert_pem = http::load_pem(s.client_cert, "the client certificate setting");
    if (!s.client_key.empty()) c.client_key_pem = http::load_pem(s.client_key, "the client key setting");
    found = true;
  } else {
    std::vector<std::string> paths;
    for (const auto& p : s.kubeconfig_paths) {
      std::error_code ec;
      if (!p.empty() && std::filesystem::exists(p, ec)) paths.push_back(p);
    }
    if (paths.empty()) {
      if (const char* kc = std::getenv("KUBECONFIG"); kc && *kc) paths = split_kubeconfig_env(kc);
    }
    if (paths.empty()) {
      if (const char* home = std::getenv("HOME")) {
        auto p = std::string(home) + "/.kube/config";
        std::error_code ec;
        if (std::filesystem::exists(p, ec)) paths.push_back(p);
      }
    }
    if (!paths.empty()) {
      c = load_kubeconfig_files(paths, s.context);
      found = true;
    } else if (in_cluster_available()) {
      c = in_cluster_config();
      found = true;
    }
  }
  if (!found) {
    throw SettingsError("no way to reach a Kubernetes cluster was given",
                        "set kubeconfig (inline), or kube_server with kube_token, or put a kubeconfig at " +
                            (s.kubeconfig_paths.empty() ? std::string("~/.kube/config") : s.kubeconfig_paths.front()) +
                            ", or run inside a cluster");
  }
  if (s.insecure_skip_tls_verify) {
    // An explicit opt-out wins over a CA from the kubeconfig (the client
    // refuses the combination); http::Client logs the loud warning.
    c.insecure_skip_tls_verify = true;
    c.ca_pem.clear();
  }
  if (!s.tls_server_name.empty()) c.tls_server_name = s.tls_server_name;
  if (!s.namespace_.empty()) c.namespace_ = s.namespace_;
  return c;
}

}  // namespace sg::kube
