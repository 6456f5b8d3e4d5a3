#include "kube/logs.hpp"

#include <thread>

#include <spdlog/spdlog.h>

#include "util/strings.hpp"

namespace sg::kube {

std::optional<LogLine> split_log_line(std::string_view line) {
  auto space = line.find(' ');
  auto ts = line.substr(0, space);
  if (ts.size() < 20 || ts[4] != '-' || ts[10] != 'T') return std::nullopt;
  auto tp = parse_rfc3339(std::string(ts));
  if (!tp) return std::nullopt;
  return LogLine{*tp, std::string(ts), space == std::string_view::npos ? std::string_view{} : line.substr(space + 1)};
}

bool LogResume::accept(const LogLine& line) {
  if (last_ && line.time < *last_) return false;  // before what we have shown
  if (last_ && line.time == *last_) {
    // Several lines can share a timestamp; the resumed stream repeats the
    // ones we delivered, in order, before any new one.
    if (replayed_at_last_ < delivered_at_last_) {
      ++replayed_at_last_;
      return false;
    }
    ++delivered_at_last_;
    ++replayed_at_last_;
    return true;
  }
  last_ = line.time;
  last_timestamp_ = line.timestamp;
  delivered_at_last_ = 1;
  replayed_at_last_ = 1;
  return true;
}

namespace {

// The container's state from the pod: "waiting", "running", "terminated",
// or "" when unknown. `gone` is set when the pod no longer exists.
std::string container_state(Client& client, const std::string& ns, const std::string& pod, const std::string& container,
                            bool& gone) {
  auto obj = client.try_get(resources::pods, ns, pod);
  gone = !obj;
  if (!obj) return {};
  const auto& status = (*obj)["status"];
  if (!status.contains("containerStatuses")) return status.value("phase", "") == "Pending" ? "waiting" : "";
  for (const auto& cs : status["containerStatuses"]) {
    if (!container.empty() && cs.value("name", "") != container) continue;
    const auto& st = cs.value("state", json::object());
    if (st.contains("terminated")) return "terminated";
    if (st.contains("running")) return "running";
    if (st.contains("waiting")) return "waiting";
  }
  return {};
}

}  // namespace

LogEnd follow_logs(Client& client, const std::string& ns, const std::string& pod,
                   const std::function<bool(std::string_view)>& on_line, const LogFollowOptions& options) {
  using clock = std::chrono::steady_clock;
  LogResume resume;
  auto cancel = client.cancel();
  std::chrono::milliseconds backoff{250};
  auto pause = [&](std::chrono::milliseconds d) {
    if (cancel) {
      if (!cancel->sleep_for(d)) throw Cancelled(cancel->exit_code());
    } else {
      std::this_thread::sleep_for(d);
    }
  };
  bool final_pass = false;
  while (true) {
    if (cancel) cancel->throw_if_cancelled();
    if (options.deadline && clock::now() >= *options.deadline) return LogEnd::Deadline;
    std::string q = "?timestamps=true";
    if (!final_pass) q += "&follow=true";
    if (!options.container.empty()) q += "&container=" + util::url_encode(options.container);
    if (!resume.since_time().empty()) q += "&sinceTime=" + util::url_encode(resume.since_time());
    resume.new_stream();
    bool stopped = false;
    auto timeout = std::chrono::milliseconds(0);
    if (options.deadline) {
      timeout = std::max(std::chrono::milliseconds(1),
                         std::chrono::duration_cast<std::chrono::milliseconds>(*options.deadline - clock::now()));
    }
    http::Response resp;
    try {
      resp = client.stream(
          resource_path(resources::pods, ns, pod, "log") + q,
          [&](std::string_view raw) {
            auto line = split_log_line(raw);
            if (!line) {
              // Without a timestamp (should not happen) deliver as is.
              if (!on_line(raw)) stopped = true;
              return !stopped;
            }
            if (resume.accept(*line) && !on_line(line->text)) stopped = true;
            return !stopped;
          },
          // A container may write a line of any length; show it in pieces
          // rather than fail the follow.
          timeout, options.deadline, true);
    } catch (const http::DeadlineExceeded&) {
      return LogEnd::Deadline;
    } catch (const http::TransportError& e) {
      if (options.deadline && clock::now() >= *options.deadline) return LogEnd::Deadline;
      spdlog::debug("log stream of pod {} dropped ({}); resuming", pod, e.what());
      pause(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    if (stopped) return LogEnd::Stopped;
    if (final_pass && resp.ok()) return LogEnd::ContainerTerminated;
    if (resp.status == 404) {
      bool gone = false;
      container_state(client, ns, pod, options.container, gone);
      if (gone) return LogEnd::PodGone;
    }
    if (!resp.ok()) {
      // 400 "container ... is waiting to start" while the image is pulled
      // or the pod is being scheduled: wait and try again.
      bool waiting = resp.status == 400 || resp.status == 404 || resp.status >= 500;
      if (!waiting) throw api_error(resp, "get", "log of pod \"" + pod + "\" in namespace \"" + ns + "\"");
      pause(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    backoff = std::chrono::milliseconds(250);
    // The follow ended: either the container terminated or the stream
    // dropped. Only the pod's status tells which.
    bool gone = false;
    auto state = container_state(client, ns, pod, options.container, gone);
    // A follow usually ends because the container exited, but the kubelet's
    // status update reaches the API server a moment later: look again a few
    // times, briefly, before treating it as a dropped stream.
    for (int i = 0; i < 8 && !gone && state != "terminated"; ++i) {
      pause(std::chrono::milliseconds(25));
      state = container_state(client, ns, pod, options.container, gone);
    }
    if (gone) return LogEnd::PodGone;
    if (state == "terminated") {
      // One non-following read picks up anything written between the drop
      // and the termination.
      final_pass = true;
      continue;
    }
    spdlog::debug("log stream of pod {} ended while the container is {}; resuming", pod, state);
  }
}

}  // namespace sg::kube
