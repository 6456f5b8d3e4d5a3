#include "kube/wait.hpp"

#include <algorithm>

#include "kube/watch.hpp"
#include "log/redactor.hpp"
#include "settings/parse.hpp"
#include "util/strings.hpp"

namespace sg::kube {
namespace conditions {
namespace {

// obj[key] when obj is an object and the value a string, else "": the
// server's objects are read without trusting their shape.
std::string text(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& section(const json& obj, const char* key) {
  static const json empty = json::object();
  if (!obj.is_object()) return empty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : empty;
}

// A server-written reason or message, fit for one line of a message.
std::string said(const json& obj, const char* key) {
  return log::peer_text(text(obj, key), 300);
}

const json* find_condition(const json& obj, const std::string& type) {
  const auto& status = section(obj, "status");
  auto it = status.find("conditions");
  if (it == status.end() || !it->is_array()) return nullptr;
  for (const auto& c : *it) {
    if (text(c, "type") == type) return &c;
  }
  return nullptr;
}

bool condition_true(const json& obj, const std::string& type) {
  const auto* c = find_condition(obj, type);
  return c && text(*c, "status") == "True";
}

std::int64_t int_at(const json& obj, const char* name, const char* key) {
  const auto& sec = section(obj, name);
  auto it = sec.find(key);
  return it != sec.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

bool generation_observed(const json& obj) {
  return int_at(obj, "status", "observedGeneration") >= int_at(obj, "metadata", "generation");
}

std::int64_t replicas_wanted(const json& obj) {
  const auto& spec = section(obj, "spec");
  auto it = spec.find("replicas");
  return it != spec.end() && it->is_number_integer() ? it->get<std::int64_t>() : 1;
}

}  // namespace

Condition pod_phase(std::vector<std::string> phases) {
  return [phases](const json* obj) -> Verdict {
    if (!obj) return {WaitState::Pending, "pod does not exist yet"};
    const auto& status = section(*obj, "status");
    auto phase = text(status, "phase");
    if (phase.empty()) phase = "Pending";
    if (std::find(phases.begin(), phases.end(), phase) != phases.end()) return {WaitState::Done, phase};
    if (phase == "Failed") {
      auto reason = said(status, "reason");
      return {WaitState::Failed, "pod failed: " + (reason.empty() ? std::string("unknown reason") : reason) + " " +
                                     said(status, "message")};
    }
    return {WaitState::Pending, "phase " + log::peer_text(phase, 64)};
  };
}

Condition job_finished() {
  return [](const json* obj) -> Verdict {
    if (!obj) return {WaitState::Pending, "job does not exist yet"};
    if (condition_true(*obj, "Complete")) return {WaitState::Done, "complete"};
    if (condition_true(*obj, "Failed")) {
      const auto* c = find_condition(*obj, "Failed");
      return {WaitState::Failed, "job failed: " + said(*c, "reason") + ": " + said(*c, "message")};
    }
    return {WaitState::Pending, "active " + std::to_string(int_at(*obj, "status", "active")) + ", succeeded " +
                                    std::to_string(int_at(*obj, "status", "succeeded")) + ", failed " +
                                    std::to_string(int_at(*obj, "status", "failed"))};
  };
}

Condition deployment_rolled_out() {
  return [](const json* obj) -> Verdict {
    if (!obj) return {WaitState::Pending, "deployment does not exist yet"};
    const auto* progressing = find_condition(*obj, "Progressing");
    if (progressing && text(*progressing, "reason") == "ProgressDeadlineExceeded") {
      return {WaitState::Failed, "deployment exceeded its progress deadline: " + said(*progressing, "message")};
    }
    auto want = replicas_wanted(*obj);
    auto updated = int_at(*obj, "status", "updatedReplicas");
    auto available = int_at(*obj, "status", "availableReplicas");
    auto total = int_at(*obj, "status", "replicas");
    if (generation_observed(*obj) && updated >= want && available >= want && total <= updated) {
      return {WaitState::Done, "rolled out"};
    }
    return {WaitState::Pending, std::to_string(updated) + " of " + std::to_string(want) + " updated, " +
                                    std::to_string(available) + " available"};
  };
}

Condition statefulset_ready() {
  return [](const json* obj) -> Verdict {
    if (!obj) return {WaitState::Pending, "statefulset does not exist yet"};
    auto want = replicas_wanted(*obj);
    auto ready = int_at(*obj, "status", "readyReplicas");
    auto updated = int_at(*obj, "status", "updatedReplicas");
    const auto& st = section(*obj, "status");
    bool revision_done = text(st, "currentRevision") == text(st, "updateRevision");
    if (generation_observed(*obj) && ready >= want && (revision_done || updated >= want)) {
      return {WaitState::Done, "ready"};
    }
    return {WaitState::Pending, std::to_string(ready) + " of " + std::to_string(want) + " ready"};
  };
}

Condition deleted() {
  return [](const json* obj) -> Verdict {
    if (!obj) return {WaitState::Done, "deleted"};
    return {WaitState::Pending, "still exists"};
  };
}

}  // namespace conditions

json wait_for(Client& client, const Resource& r, const std::string& ns, const std::string& name,
              const Condition& condition, std::chrono::milliseconds timeout, const std::string& what) {
  Watcher watcher(client, r, ns, {.field_selector = "metadata.name=" + name});
  Verdict last = condition(nullptr);
  json final_object;
  bool have_object = false;
  bool seen_initial = false;
  std::optional<Verdict> outcome;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto evaluate = [&](const json* obj) {
    last = condition(obj);
    if (last.state != WaitState::Pending) outcome = last;
    return !outcome;
  };
  watcher.run(
      [&](const WatchEvent& e) {
        seen_initial = true;
        if (e.type == "DELETED") {
          have_object = false;
          return evaluate(nullptr);
        }
        final_object = e.object;
        have_object = true;
        return evaluate(&final_object);
      },
      deadline,
      // An absent object produces no event at all; judge that state too.
      [&] { return seen_initial || evaluate(nullptr); });
  if (outcome && outcome->state == WaitState::Done) return have_object ? final_object : json();
  if (outcome && outcome->state == WaitState::Failed) {
    throw Error(what + ": " + describe(r, ns, name) + " " + outcome->message);
  }
  // The run's time limit (the client's deadline) may end the wait first.
  if (auto run_deadline = client.deadline();
      run_deadline && *run_deadline < deadline && std::chrono::steady_clock::now() >= *run_deadline) {
    throw Error(
        "the time limit ran out while waiting for " + what + " of " + describe(r, ns, name) +
            "; last state: " + last.message,
        "raise " + client.options().deadline_setting + ", or look at the object's events with kubectl describe");
  }
  throw Error("timed out after " + settings::format_duration(timeout) + " waiting for " + what + " of " +
                  describe(r, ns, name) + "; last state: " + last.message,
              "raise the timeout, or look at the object's events with kubectl describe");
}

}  // namespace sg::kube
