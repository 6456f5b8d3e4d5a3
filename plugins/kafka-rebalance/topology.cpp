#include "topology.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "util/json.hpp"

namespace sg::kafka_rebalance {

std::uint32_t Topology::intern(std::string_view topic) {
  // Linear scan over the few distinct topics is cheaper than a map for the
  // common case of parsing partitions grouped by topic.
  if (!topics.empty() && topics.back() == topic) return static_cast<std::uint32_t>(topics.size() - 1);
  for (std::size_t i = 0; i < topics.size(); ++i) {
    if (topics[i] == topic) return static_cast<std::uint32_t>(i);
  }
  topics.emplace_back(topic);
  return static_cast<std::uint32_t>(topics.size() - 1);
}

const Broker* Topology::broker(BrokerId id) const {
  for (const auto& b : brokers) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

std::optional<BrokerId> parse_broker_id(std::string_view text) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  auto v = std::stoll(std::string(text));
  if (v > std::numeric_limits<BrokerId>::max()) return std::nullopt;
  return static_cast<BrokerId>(v);
}

namespace {

// A non-negative int32 (broker ids, partition numbers), never a wrapped
// value: broker 5000000000 must fail, not become broker 705032704.
std::int32_t int32_field(const nlohmann::json& x, const std::string& where) {
  if (!x.is_number_integer()) throw Error(where + " must be an integer");
  if (x.is_number_unsigned() ? x.get<std::uint64_t>() > static_cast<std::uint64_t>(INT32_MAX)
                             : (x.get<std::int64_t>() < 0 || x.get<std::int64_t>() > INT32_MAX)) {
    throw Error(where + " is " + x.dump() + ", out of range (0 to " + std::to_string(INT32_MAX) + ")");
  }
  return static_cast<std::int32_t>(x.get<std::int64_t>());
}

std::vector<BrokerId> ids(const nlohmann::json& arr, const std::string& where) {
  if (!arr.is_array()) throw Error(where + " must be an array of broker ids");
  std::vector<BrokerId> out;
  out.reserve(arr.size());
  for (const auto& x : arr)
    out.push_back(int32_field(x, where + " broker id"));
  return out;
}

// Everything below is wrong as a file author's mistake: the file is a
// setting, so it is a settings error (exit 2) naming topology_file.
Topology parse_topology_unchecked(std::string_view json_text, std::size_t max_bytes);

}  // namespace

std::optional<std::string> topology_problem(const Topology& t) {
  std::set<BrokerId> brokers;
  for (const auto& b : t.brokers) {
    if (!brokers.insert(b.id).second) return "broker " + std::to_string(b.id) + " appears twice";
  }
  std::set<std::pair<std::uint32_t, std::int32_t>> partitions;
  // Byte totals are sums of size x replicas; bounding the sum here keeps
  // every later sum in the planner from overflowing.
  constexpr std::int64_t kMaxTotal = INT64_MAX / 4;
  std::int64_t total = 0;
  for (const auto& p : t.partitions) {
    if (!partitions.insert({p.topic, p.index}).second) {
      return "partition " + t.topic_name(p) + "-" + std::to_string(p.index) + " appears twice";
    }
    auto size = std::max<std::int64_t>(0, p.size_bytes);
    auto replicas = static_cast<std::int64_t>(p.replicas.size());
    if (size > (kMaxTotal - total) / std::max<std::int64_t>(1, replicas)) {
      return "partition " + t.topic_name(p) + "-" + std::to_string(p.index) + ": size_bytes " +
             std::to_string(p.size_bytes) + " makes the total size overflow";
    }
    total += size * replicas;
  }
  return std::nullopt;
}

Topology parse_topology(std::string_view json_text, std::size_t max_bytes) {
  try {
    auto t = parse_topology_unchecked(json_text, max_bytes);
    if (auto problem = topology_problem(t)) throw Error(*problem + " in the topology file");
    return t;
  } catch (const SettingsError&) {
    throw;
  } catch (const Error& e) {
    throw SettingsError("topology_file: " + std::string(e.what()),
                        e.hint().empty() ? "see the topology_file setting for the format" : e.hint());
  } catch (const util::JsonError& e) {
    throw SettingsError("topology_file: " + std::string(e.what()), "see the topology_file setting for the format");
  }
}

namespace {

Topology parse_topology_unchecked(std::string_view json_text, std::size_t max_bytes) {
  auto doc = util::parse_json(json_text, {.max_bytes = max_bytes});
  if (!doc.is_object())
    throw Error("the topology file is not a JSON object", "see the topology_file setting for the format");
  Topology t;
  if (!doc.contains("brokers") || !doc["brokers"].is_array()) throw Error("the topology file has no \"brokers\" array");
  std::set<BrokerId> seen;
  for (const auto& b : doc["brokers"]) {
    if (!b.is_object() || !b.contains("id") || !b["id"].is_number_integer()) {
      throw Error("every broker in the topology file needs an integer \"id\"");
    }
    Broker br;
    br.id = int32_field(b["id"], "broker id");
    if (!seen.insert(br.id).second)
      throw Error("broker " + std::to_string(br.id) + " appears twice in the topology file");
    auto where = "broker " + std::to_string(br.id);
    br.rack = util::optional_field<std::string>(b, "rack", where);
    br.alive = util::optional_field<bool>(b, "alive", where).value_or(true);
    t.brokers.push_back(std::move(br));
  }
  if (!doc.contains("partitions") || !doc["partitions"].is_array()) {
    throw Error("the topology file has no \"partitions\" array");
  }
  t.partitions.reserve(doc["partitions"].size());
  for (const auto& p : doc["partitions"]) {
    if (!p.is_object() || !p.contains("topic") || !p["topic"].is_string() || !p.contains("partition") ||
        !p["partition"].is_number_integer()) {
      throw Error("every partition in the topology file needs \"topic\" (string) and \"partition\" (integer)");
    }
    Partition part;
    part.topic = t.intern(p["topic"].get<std::string>());
    part.index = int32_field(p["partition"], "partition of topic " + p["topic"].get<std::string>());
    auto where = "partition " + p["topic"].get<std::string>() + "-" + std::to_string(part.index);
    if (!p.contains("replicas")) throw Error(where + " has no \"replicas\"");
    part.replicas = ids(p["replicas"], where + " replicas");
    std::set<BrokerId> distinct(part.replicas.begin(), part.replicas.end());
    if (distinct.size() != part.replicas.size()) throw Error(where + " lists a broker twice in its replicas");
    auto alive = [&](BrokerId id) {
      const auto* b = t.broker(id);
      return b && b->alive;
    };
    if (p.contains("isr")) {
      part.isr = ids(p["isr"], where + " isr");
    } else {
      for (auto r : part.replicas) {
        if (alive(r)) part.isr.push_back(r);
      }
    }
    if (p.contains("leader") && !p["leader"].is_null()) {
      part.leader = int32_field(p["leader"], where + " leader");
    } else {
      part.leader = part.isr.empty() ? -1 : part.isr.front();
    }
    if (p.contains("size_bytes")) {
      const auto& sz = p["size_bytes"];
      if (!sz.is_number_integer() || (sz.is_number_unsigned() && sz.get<std::uint64_t>() > INT64_MAX) ||
          sz.get<std::int64_t>() < -1) {
        throw Error(where + " size_bytes must be an integer from -1 (unknown) to " + std::to_string(INT64_MAX));
      }
      part.size_bytes = sz.get<std::int64_t>();
    }
    t.partitions.push_back(std::move(part));
  }
  return t;
}

}  // namespace

std::string to_reassignment_json(const std::vector<Assignment>& assignments) {
  // Written by hand rather than through a DOM: a plan can hold a million
  // entries, and this keeps Kafka's field order (topic, partition, replicas).
  std::string out = "{\"version\":1,\"partitions\":[";
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    const auto& a = assignments[i];
    if (i) out += ',';
    out += "{\"topic\":";
    out += nlohmann::json(a.topic).dump();
    out += ",\"partition\":" + std::to_string(a.partition) + ",\"replicas\":[";
    for (std::size_t r = 0; r < a.replicas.size(); ++r) {
      if (r) out += ',';
      out += std::to_string(a.replicas[r]);
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::vector<Assignment> parse_reassignment_json(std::string_view json_text, std::size_t max_bytes) {
  nlohmann::json doc;
  try {
    doc = util::parse_json(json_text, {.max_bytes = max_bytes});
  } catch (const util::JsonError& e) {
    throw Error(std::string("the plan is not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("partitions") || !doc["partitions"].is_array()) {
    throw Error("the plan is not in Kafka's reassignment format",
                "expected {\"version\":1,\"partitions\":[{\"topic\":...,\"partition\":...,\"replicas\":[...]}]}");
  }
  if (auto version = doc.find("version"); version != doc.end() && *version != 1) {
    throw Error("unsupported reassignment JSON version " +
                (version->is_number_integer() ? version->dump() : util::json_kind(*version)) + "; expected 1");
  }
  std::vector<Assignment> out;
  std::set<std::pair<std::string, std::int32_t>> seen;
  for (const auto& p : doc["partitions"]) {
    if (!p.is_object() || !p.contains("topic") || !p["topic"].is_string() || !p.contains("partition") ||
        !p["partition"].is_number_integer() || !p.contains("replicas")) {
      throw Error("every entry of the plan needs topic, partition and replicas");
    }
    Assignment a{p["topic"].get<std::string>(), 0, {}};
    a.partition = int32_field(p["partition"], "plan entry partition of topic " + a.topic);
    a.replicas = ids(p["replicas"], "plan entry " + a.topic + "-" + std::to_string(a.partition));
    if (a.replicas.empty())
      throw Error("plan entry " + a.topic + "-" + std::to_string(a.partition) + " has no replicas");
    std::set<BrokerId> distinct(a.replicas.begin(), a.replicas.end());
    if (distinct.size() != a.replicas.size()) {
      throw Error("plan entry " + a.topic + "-" + std::to_string(a.partition) + " lists a broker twice");
    }
    if (!seen.insert({a.topic, a.partition}).second) {
      throw Error("plan lists " + a.topic + "-" + std::to_string(a.partition) + " twice");
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace sg::kafka_rebalance
