#include "failure_clock.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "util/file.hpp"
#include "util/json.hpp"

namespace sg::kafka_rebalance {

std::set<BrokerId> FailureClock::observe(const std::set<BrokerId>& dead_now, TimePoint now,
                                         std::chrono::milliseconds grace) {
  for (auto it = first_seen_.begin(); it != first_seen_.end();) {
    it = dead_now.count(it->first) ? std::next(it) : first_seen_.erase(it);
  }
  std::set<BrokerId> due;
  for (auto b : dead_now) {
    auto [it, inserted] = first_seen_.emplace(b, now);
    if (now - it->second >= grace) due.insert(b);
  }
  return due;
}

std::string FailureClock::to_json() const {
  nlohmann::json j = {{"version", 1}, {"first_seen_ms", nlohmann::json::object()}};
  for (const auto& [b, t] : first_seen_) {
    j["first_seen_ms"][std::to_string(b)] =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  return j.dump(2);
}

FailureClock FailureClock::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = util::parse_json(text);
  } catch (const util::JsonError& e) {
    throw Error(std::string("the monitor state is not JSON: ") + e.what(),
                "delete the state file to start the grace clocks afresh");
  }
  if (!j.is_object() || !j.contains("first_seen_ms") || !j["first_seen_ms"].is_object()) {
    throw Error("the monitor state is not in the expected format",
                "delete the state file to start the grace clocks afresh");
  }
  FailureClock c;
  for (const auto& [k, v] : j["first_seen_ms"].items()) {
    auto id = parse_broker_id(k);
    if (!id) throw Error("the monitor state names broker \"" + k + "\", which is not a broker id");
    // Milliseconds since the epoch; the clock counts in nanoseconds, so
    // anything beyond a few centuries would overflow it.
    constexpr std::int64_t kMaxMs = std::int64_t{1} << 43;
    std::int64_t ms = -1;
    try {
      ms = util::as<std::int64_t>(v, "first_seen_ms." + k);
    } catch (const util::JsonError& e) {
      throw Error(std::string("the monitor state has a bad timestamp: ") + e.what(),
                  "delete the state file to start the grace clocks afresh");
    }
    if (ms < 0 || ms > kMaxMs) throw Error("the monitor state has a bad timestamp for broker " + k);
    c.first_seen_[*id] = TimePoint(std::chrono::milliseconds(ms));
  }
  return c;
}

FailureClock FailureClock::load(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  auto file = util::read_file_capped(path, max_bytes);
  if (file.status == util::FileRead::Status::CannotOpen)
    throw Error("cannot read the monitor state " + path, "check the state_file setting and permissions");
  // A directory or a failed read leaves no text, which from_json refuses.
  std::string text = file.status == util::FileRead::Status::IsDirectory ? std::string() : std::move(file.text);
  if (file.status == util::FileRead::Status::TooLarge) {
    throw Error("the monitor state " + path + " is larger than " + std::to_string(max_bytes >> 20) + " MiB",
                "state_file holds one timestamp per dead broker; point it at the monitor's own file, or raise "
                "max_file_mib");
  }
  try {
    return from_json(text);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + path + ")", e.hint());
  }
}

void FailureClock::save(const std::string& path) const {
  auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  auto tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) throw Error("cannot write the monitor state " + tmp, "check the state_file setting and permissions");
    f << to_json();
  }
  // rename() is atomic, so a crash never leaves half a state file behind.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error("cannot replace the monitor state " + path);
}

}  // namespace sg::kafka_rebalance
