#pragma once
// List-then-watch that survives what real clusters do to long watches: the
// server closing them at timeoutSeconds, the connection dropping, the API
// server restarting, and "resourceVersion too old" (410 Gone, which arrives
// either as an HTTP status or as an ERROR event inside a 200 stream). After
// a 410 it lists again and turns the difference into events, so the caller
// sees no event lost and none duplicated.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/client.hpp"

namespace sg::kube {

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  json object;
};

// Parses one line of a watch stream; throws sg::Error on malformed input.
WatchEvent parse_watch_line(std::string_view line);

// The pure bookkeeping behind Watcher (unit-tested on recorded streams).
class WatchState {
 public:
  std::vector<WatchEvent> initial(const ListResult& list);
  void start_at(const std::string& resource_version) { resource_version_ = resource_version; }
  // The event to deliver, or nullopt for bookmarks and duplicates.
  std::optional<WatchEvent> apply(const WatchEvent& event);
  // Events that turn the known state into `list` (after a 410).
  std::vector<WatchEvent> relist(const ListResult& list);
  const std::string& resource_version() const { return resource_version_; }
  std::size_t size() const { return known_.size(); }

 private:
  struct Known {
    std::string resource_version;
    json object;
  };
  std::map<std::string, Known> known_;  // by uid
  std::string resource_version_;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // Start from this resourceVersion instead of listing first (the caller
  // already knows the state up to it).
  std::string resource_version;
  std::chrono::seconds server_timeout{300};  // timeoutSeconds per watch request
  std::chrono::milliseconds max_backoff{5'000};
  // Objects tracked at once; a server that invents objects without end
  // cannot grow the state without end.
  std::size_t max_objects = 100'000;
};

enum class WatchEnd { Stopped, Deadline };

class Watcher {
 public:
  Watcher(Client& client, Resource resource, std::string ns, WatchOptions options = {});
  // Delivers the current objects as ADDED, then every change, until the
  // handler returns false (Stopped) or the deadline passes (Deadline).
  // Throws sg::Cancelled on SIGTERM/SIGINT and ApiError on errors that
  // retrying cannot fix (403, 404 on the resource type, ...).
  // `on_synced` runs once after the initial objects were delivered (so a
  // caller can act on "nothing exists"); returning false stops.
  WatchEnd run(const std::function<bool(const WatchEvent&)>& handler,
               std::optional<std::chrono::steady_clock::time_point> deadline = {},
               const std::function<bool()>& on_synced = {});
  // Counters, for tests and debug logs.
  int reconnects() const { return reconnects_; }
  int relists() const { return relists_; }
  // The last retryable error the server answered a watch with (empty if
  // none), so a caller that hits its deadline can say why.
  const std::string& last_error() const { return last_error_; }

 private:
  Client& client_;
  Resource resource_;
  std::string ns_;
  WatchOptions options_;
  int reconnects_ = 0;
  int relists_ = 0;
  std::string last_error_;
};

}  // namespace sg::kube
