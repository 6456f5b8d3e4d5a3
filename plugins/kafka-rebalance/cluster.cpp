#include "cluster.hpp"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "http/client.hpp"
#include "runtime/error.hpp"

namespace sg::kafka_rebalance {

std::set<BrokerId> parse_broker_ids(const std::vector<std::string>& items) {
  std::set<BrokerId> out;
  for (const auto& s : items) {
    // The settings rule has rejected anything that is not an id already.
    if (auto id = parse_broker_id(s)) out.insert(*id);
  }
  return out;
}

std::unique_ptr<kafka::AdminClient> connect(const settings::Values& v, const CancelToken& cancel) {
  kafka::ClientConfig c;
  c.bootstrap_servers = v.list("bootstrap_servers");
  c.security_protocol = *kafka::parse_security_protocol(v.str("security_protocol"));
  c.sasl_mechanism = *kafka::parse_sasl_mechanism(v.str("sasl_mechanism"));
  c.sasl_username = v.str("sasl_username");
  c.sasl_password = v.str("sasl_password");
  if (v.has("tls_ca")) c.tls.ca_pem = http::load_pem(v.str("tls_ca"), "tls_ca");
  if (v.has("tls_cert")) c.tls.cert_pem = http::load_pem(v.str("tls_cert"), "tls_cert");
  if (v.has("tls_key")) c.tls.key_pem = http::load_pem(v.str("tls_key"), "tls_key");
  c.tls.verify = !v.flag("tls_skip_verify");
  c.tls.server_name = v.str("tls_server_name");
  c.request_timeout = v.duration("request_timeout");
  c.cancel = &cancel;
  return std::make_unique<kafka::AdminClient>(c);
}

Observation observe(kafka::AdminClient& admin, const TopicFilter& filter, const std::set<BrokerId>& expected,
                    bool with_sizes) {
  Observation o;
  auto md = admin.metadata();
  std::set<BrokerId> live;
  for (const auto& b : md.brokers) {
    live.insert(b.id);
    o.topology.brokers.push_back({b.id, b.rack, true});
  }
  o.in_flight = admin.list_reassignments();
  // A partition being moved lists old and new replicas together; plan from
  // its target, so a re-run does not stack a second move on top of it.
  std::map<std::pair<std::string, std::int32_t>, std::vector<BrokerId>> targets;
  for (const auto& r : o.in_flight) {
    std::vector<BrokerId> target;
    for (auto b : r.replicas) {
      if (std::find(r.removing_replicas.begin(), r.removing_replicas.end(), b) == r.removing_replicas.end()) {
        target.push_back(b);
      }
    }
    targets[{r.topic, r.partition}] = target;
  }
  std::set<BrokerId> referenced;
  for (const auto& t : md.topics) {
    if (t.error != kafka::errc::kNone || !filter.matches(t.name)) continue;
    auto topic = o.topology.intern(t.name);
    for (const auto& p : t.partitions) {
      Partition part;
      part.topic = topic;
      part.index = p.index;
      part.replicas = p.replicas;
      if (auto it = targets.find({t.name, p.index}); it != targets.end()) part.replicas = it->second;
      // A fenced broker can linger in the ISR for a moment; only live
      // brokers count as in sync.
      for (auto r : p.isr) {
        if (live.count(r)) part.isr.push_back(r);
      }
      part.leader = live.count(p.leader) ? p.leader : -1;
      for (auto r : p.replicas)
        referenced.insert(r);
      o.topology.partitions.push_back(std::move(part));
    }
  }
  for (auto id : referenced) {
    if (!live.count(id)) o.dead.insert(id);
  }
  for (auto id : expected) {
    if (!live.count(id)) o.dead.insert(id);
  }
  for (auto id : o.dead)
    o.topology.brokers.push_back({id, std::nullopt, false});
  // A cluster reporting one broker or partition twice is not one to plan on.
  if (auto problem = topology_problem(o.topology)) {
    throw Error("the cluster's metadata is inconsistent: " + *problem, "nothing was planned; check the brokers");
  }
  std::sort(o.topology.brokers.begin(), o.topology.brokers.end(),
            [](const Broker& a, const Broker& b) { return a.id < b.id; });
  if (with_sizes) {
    std::map<kafka::TopicPartition, std::int64_t> sizes;
    bool all = true;
    for (auto id : live) {
      try {
        for (const auto& [tp, size] : kafka::partition_sizes(admin.describe_log_dirs(id))) {
          auto& s = sizes[tp];
          s = std::max(s, size);
        }
      } catch (const Error& e) {
        spdlog::warn("cannot read log-dir sizes from broker {}: {}; byte estimates will be partial", id, e.what());
        all = false;
      }
    }
    for (auto& p : o.topology.partitions) {
      auto it = sizes.find({o.topology.topic_name(p), p.index});
      if (it != sizes.end()) p.size_bytes = it->second;
    }
    o.sizes_known = all;
    if (auto problem = topology_problem(o.topology)) {
      throw Error("the brokers' log-dir sizes cannot be planned on: " + *problem, "nothing was planned");
    }
  }
  return o;
}

}  // namespace sg::kafka_rebalance
