#include "kube/watch.hpp"

#include <algorithm>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "log/redactor.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace sg::kube {
namespace {

std::string uid_of(const json& obj) {
  const auto& meta = obj.contains("metadata") ? obj["metadata"] : json::object();
  auto uid = meta.value("uid", "");
  // Objects without a uid (rare, e.g. some tests) are keyed by name.
  return uid.empty() ? meta.value("namespace", "") + "/" + meta.value("name", "") : uid;
}

std::string rv_of(const json& obj) {
  return obj.contains("metadata") ? obj["metadata"].value("resourceVersion", "") : "";
}

}  // namespace

WatchEvent parse_watch_line(std::string_view line) {
  json doc;
  try {
    // The line is capped by the client (max_line_bytes); the depth limit is
    // far beyond any real object.
    doc = util::parse_json(line, {.max_depth = 512, .max_bytes = line.size()});
  } catch (const util::JsonError& e) {
    throw Error("malformed watch event from the API server (" + std::string(e.what()) +
                "): " + log::peer_text(line, 120));
  }
  if (!doc.is_object() || !doc.contains("type") || !doc["type"].is_string()) {
    throw Error("malformed watch event from the API server: " + log::peer_text(line, 120));
  }
  auto object = doc.value("object", json::object());
  // The bookkeeping reads these; a wrong type is a malformed event, not a
  // crash further down.
  try {
    if (!object.is_object()) throw util::JsonError("object: expected an object, got " + util::json_kind(object));
    if (auto meta = util::optional_field<json>(object, "metadata", "object")) {
      for (const char* key : {"uid", "name", "namespace", "resourceVersion"})
        util::optional_field<std::string>(*meta, key, "object.metadata");
    }
  } catch (const util::JsonError& e) {
    throw Error("malformed watch event from the API server (" + std::string(e.what()) +
                "): " + log::peer_text(line, 120));
  }
  return {doc["type"].get<std::string>(), std::move(object)};
}

std::vector<WatchEvent> WatchState::initial(const ListResult& list) {
  known_.clear();
  std::vector<WatchEvent> out;
  for (const auto& item : list.items) {
    known_[uid_of(item)] = {rv_of(item), item};
    out.push_back({"ADDED", item});
  }
  resource_version_ = list.resource_version;
  return out;
}

std::optional<WatchEvent> WatchState::apply(const WatchEvent& e) {
  auto rv = rv_of(e.object);
  if (e.type == "BOOKMARK") {
    if (!rv.empty()) resource_version_ = rv;
    return std::nullopt;
  }
  if (e.type != "ADDED" && e.type != "MODIFIED" && e.type != "DELETED") return e;
  if (!rv.empty()) resource_version_ = rv;
  auto uid = uid_of(e.object);
  auto it = known_.find(uid);
  if (e.type == "DELETED") {
    if (it == known_.end()) return std::nullopt;  // already reported gone
    known_.erase(it);
    return e;
  }
  if (it != known_.end() && it->second.resource_version == rv) return std::nullopt;  // replayed
  bool is_new = it == known_.end();
  known_[uid] = {rv, e.object};
  // After a reconnect the server may replay an object we know as ADDED;
  // what changed for the caller is a modification.
  return WatchEvent{is_new ? "ADDED" : "MODIFIED", e.object};
}

std::vector<WatchEvent> WatchState::relist(const ListResult& list) {
  std::vector<WatchEvent> out;
  std::set<std::string> present;
  for (const auto& item : list.items) {
    auto uid = uid_of(item);
    present.insert(uid);
    auto it = known_.find(uid);
    if (it == known_.end()) {
      out.push_back({"ADDED", item});
    } else if (it->second.resource_version != rv_of(item)) {
      out.push_back({"MODIFIED", item});
    }
    known_[uid] = {rv_of(item), item};
  }
  for (auto it = known_.begin(); it != known_.end();) {
    if (!present.count(it->first)) {
      out.push_back({"DELETED", it->second.object});
      it = known_.erase(it);
    } else {
      ++it;
    }
  }
  resource_version_ = list.resource_version;
  return out;
}

Watcher::Watcher(Client& client, Resource resource, std::string ns, WatchOptions options)
    : client_(client), resource_(std::move(resource)), ns_(std::move(ns)), options_(std::move(options)) {}

WatchEnd Watcher::run(const std::function<bool(const WatchEvent&)>& handler,
                      std::optional<std::chrono::steady_clock::time_point> deadline,
                      const std::function<bool()>& on_synced) {
  using clock = std::chrono::steady_clock;
  // The client's own deadline (the run's time limit) ends the watch too;
  // without this the retry loops below would spin on its DeadlineExceeded.
  if (auto client_deadline = client_.deadline(); client_deadline && (!deadline || *client_deadline < *deadline)) {
    deadline = client_deadline;
  }
  const auto what = describe(resource_, ns_);
  ListOptions lo{.label_selector = options_.label_selector, .field_selector = options_.field_selector};
  lo.max_items = options_.max_objects;
  auto past_deadline = [&] { return deadline && clock::now() >= *deadline; };
  auto cancel = client_.cancel();
  auto pause = [&](std::chrono::milliseconds d) {
    if (deadline) d = std::min(d, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock::now()));
    if (d.count() <= 0) return;
    if (cancel) {
      if (!cancel->sleep_for(d)) throw Cancelled(cancel->exit_code());
    } else {
      std::this_thread::sleep_for(d);
    }
  };

  WatchState state;
  std::chrono::milliseconds backoff{200};
  if (!options_.resource_version.empty()) {
    state.start_at(options_.resource_version);
    if (on_synced && !on_synced()) return WatchEnd::Stopped;
  }
  // The initial list must succeed before we can watch; retry it like a watch.
  while (options_.resource_version.empty()) {
    if (past_deadline()) return WatchEnd::Deadline;
    try {
      for (const auto& e : state.initial(client_.list(resource_, ns_, lo))) {
        if (!handler(e)) return WatchEnd::Stopped;
      }
      if (on_synced && !on_synced()) return WatchEnd::Stopped;
      break;
    } catch (const http::DeadlineExceeded&) {
      return WatchEnd::Deadline;
    } catch (const http::TransportError& e) {
      spdlog::debug("list {} failed ({}); retrying", what, e.what());
      pause(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }

  backoff = std::chrono::milliseconds(200);
  int failed_watches = 0;
  while (true) {
    if (cancel) cancel->throw_if_cancelled();
    if (past_deadline()) return WatchEnd::Deadline;
    auto server_timeout = options_.server_timeout;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::seconds>(*deadline - clock::now()) + std::chrono::seconds(1);
      server_timeout = std::max(std::chrono::seconds(1), std::min(server_timeout, left));
    }
    std::string q = "?watch=1&allowWatchBookmarks=true&resourceVersion=" + util::url_encode(state.resource_version()) +
                    "&timeoutSeconds=" + std::to_string(server_timeout.count());
    if (!options_.label_selector.empty()) q += "&labelSelector=" + util::url_encode(options_.label_selector);
    if (!options_.field_selector.empty()) q += "&fieldSelector=" + util::url_encode(options_.field_selector);

    bool gone = false;
    bool stopped = false;
    bool got_events = false;
    std::optional<ApiError> stream_error;
    try {
      auto resp = client_.stream(
          resource_path(resource_, ns_) + q,
          [&](std::string_view line) {
            if (line.empty()) return true;
            auto ev = parse_watch_line(line);
            got_events = true;
            if (ev.type == "ERROR") {
              const auto& c = ev.object.contains("code") ? ev.object["code"] : json();
              auto code = c.is_number_integer() ? c.get<std::int64_t>() : 0;
              if (code == 410) {
                gone = true;
              } else {
                stream_error = api_error_from_status(ev.object.dump(), "watch", what);
              }
              return false;
            }
            auto deliver = state.apply(ev);
            if (state.size() > options_.max_objects) {
              throw Error("watch " + what + ": more than " + std::to_string(options_.max_objects) + " objects",
                          "narrow the watch with a label or field selector");
            }
            if (deliver) {
              if (!handler(*deliver)) {
                stopped = true;
                return false;
              }
            }
            return true;
          },
          // Client-side limit a little above the server's, to catch a
          // connection that silently died.
          std::chrono::duration_cast<std::chrono::milliseconds>(server_timeout + std::chrono::seconds(15)),
          // A stream that stalls (half an event, then nothing) must still
          // end at the deadline, not 15 s after it.
          deadline);
      if (stopped) return WatchEnd::Stopped;
      if (stream_error) throw *stream_error;
      if (resp.status == 410) gone = true;
      if (!resp.ok() && !gone) {
        auto err = api_error(resp, "watch", what);
        if (resp.status < 500 && resp.status != 429) throw err;
        last_error_ = err.what();
        // A watch cache that never catches up with the listed
        // resourceVersion answers 504 "Too large resource version" forever;
        // like client-go's reflector, fall back to a fresh list (served
        // from etcd) instead of retrying the same watch until the deadline.
        if (++failed_watches >= 3) {
          spdlog::info("watch {} keeps failing ({}); listing again", what, last_error_);
          failed_watches = 0;
          gone = true;
        } else {
          spdlog::debug("{}; retrying", err.what());
          pause(backoff);
          backoff = std::min(backoff * 2, options_.max_backoff);
          continue;
        }
      } else {
        failed_watches = 0;
      }
    } catch (const http::DeadlineExceeded&) {
      if (stopped) return WatchEnd::Stopped;
      return WatchEnd::Deadline;
    } catch (const http::TransportError& e) {
      if (stopped) return WatchEnd::Stopped;
      ++reconnects_;
      spdlog::debug("watch {} dropped ({}); reconnecting from resourceVersion {}", what, e.what(),
                    state.resource_version());
      pause(got_events ? std::chrono::milliseconds(0) : backoff);
      if (!got_events) backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    if (gone) {
      ++relists_;
      spdlog::debug("watch {}: resourceVersion {} expired; listing again", what, state.resource_version());
      try {
        for (const auto& e : state.relist(client_.list(resource_, ns_, lo))) {
          if (!handler(e)) return WatchEnd::Stopped;
        }
      } catch (const http::DeadlineExceeded&) {
        return WatchEnd::Deadline;
      } catch (const http::TransportError&) {
        pause(backoff);
      }
      continue;
    }
    // The server ended the watch at timeoutSeconds: resume where we were.
    ++reconnects_;
    backoff = std::chrono::milliseconds(200);
  }
}

}  // namespace sg::kube
