#include "admin.hpp"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "runtime/error.hpp"
#include "util/strings.hpp"

namespace sg::kafka {

namespace {

// Transient errors (controller fail-over, leadership moving) are retried
// this many times, backing off 200 ms more each time: about 4 s in total,
// longer than a KRaft controller election in practice.
constexpr int kAttempts = 6;

std::string resource_label(ResourceType type, const std::string& name) {
  switch (type) {
    case ResourceType::kTopic:
      return "topic " + util::quote_for_message(name);
    case ResourceType::kBroker:
      return name.empty() ? std::string("the cluster-wide broker defaults") : "broker " + name;
    case ResourceType::kBrokerLogger:
      return "the loggers of broker " + name;
    default:
      return "resource " + util::quote_for_message(name);
  }
}

std::string join_ids(const std::map<std::int32_t, Endpoint>& brokers) {
  std::vector<std::string> ids;
  ids.reserve(brokers.size());
  for (const auto& [id, ep] : brokers)
    ids.push_back(std::to_string(id));
  return ids.empty() ? std::string("none") : util::join(ids, ", ");
}

}  // namespace

AdminClient::AdminClient(ClientConfig config) : config_(std::move(config)) {
  for (const auto& entry : config_.bootstrap_servers) {
    // A single "a:1,b:2" string is what CI settings usually hold.
    for (const auto& part : util::split(entry, ',')) {
      if (util::trim(part).empty()) continue;
      bootstrap_.push_back(Endpoint::parse(part));
    }
  }
  if (bootstrap_.empty()) {
    throw Error("no Kafka bootstrap servers given", "set at least one host:port of a broker listener");
  }
  if (uses_sasl(config_.security_protocol)) {
    if (config_.sasl_username.empty()) {
      throw Error(std::string(security_protocol_name(config_.security_protocol)) + " needs a SASL user name",
                  "set the SASL user, or use a security protocol without SASL");
    }
    if (config_.sasl_password.empty()) {
      throw Error("SASL user " + util::quote_for_message(config_.sasl_username) + " has no password",
                  "set the SASL password");
    }
  }
  if (config_.connect_timeout.count() <= 0 || config_.request_timeout.count() <= 0) {
    throw Error("Kafka connect and request timeouts must be positive");
  }
  settings_ = ConnectionSettings::from(config_);
}

AdminClient::~AdminClient() = default;

void AdminClient::close() {
  connections_.clear();
}

void AdminClient::pause(std::chrono::milliseconds d) const {
  if (config_.cancel != nullptr) {
    if (!config_.cancel->sleep_for(d)) throw Cancelled(config_.cancel->exit_code());
  } else {
    std::this_thread::sleep_for(d);
  }
}

BrokerConnection& AdminClient::slot(std::int32_t id, const Endpoint& endpoint) {
  auto& c = connections_[id];
  if (!c || !(c->endpoint() == endpoint)) c = std::make_unique<BrokerConnection>(id, endpoint, settings_);
  return *c;
}

void AdminClient::learn(const ClusterMetadata& md) {
  live_brokers_.clear();
  for (const auto& b : md.brokers) {
    if (b.port > 0 && b.port <= 65535) live_brokers_[b.id] = Endpoint{b.host, static_cast<std::uint16_t>(b.port)};
  }
  have_metadata_ = true;
  // Connections to brokers that left the metadata are to dead or fenced
  // brokers; drop them so they are not preferred.
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->first >= 0 && !live_brokers_.contains(it->first)) {
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
  // A bootstrap connection is some broker's listener: file it under that
  // broker's id, so that it is reused instead of opening a second one.
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->first < 0 && it->second->is_open()) {
      auto match = std::find_if(live_brokers_.begin(), live_brokers_.end(), [&](const auto& kv) {
        return util::iequals(kv.second.host, it->second->endpoint().host) &&
               kv.second.port == it->second->endpoint().port;
      });
      if (match != live_brokers_.end()) {
        auto existing = connections_.find(match->first);
        if (existing == connections_.end() || !existing->second->is_open()) {
          it->second->set_node_id(match->first);
          auto conn = std::move(it->second);
          it = connections_.erase(it);
          connections_[match->first] = std::move(conn);
          continue;
        }
      }
    }
    ++it;
  }
}

BrokerConnection& AdminClient::any_connection(const std::set<std::int32_t>& exclude) {
  for (auto& [id, c] : connections_) {
    if (id >= 0 && c->is_open() && !exclude.contains(id)) return *c;
  }
  std::vector<std::string> failures;
  auto try_open = [&](std::int32_t id, const Endpoint& ep) -> BrokerConnection* {
    auto& c = slot(id, ep);
    try {
      c.open();
      return &c;
    } catch (const TransportError& e) {
      spdlog::debug("kafka: {}", e.what());
      failures.emplace_back(e.what());
      return nullptr;
    }
  };
  for (const auto& [id, ep] : live_brokers_) {
    if (exclude.contains(id)) continue;
    if (auto* c = try_open(id, ep)) return *c;
  }
  for (std::size_t i = 0; i < bootstrap_.size(); ++i) {
    auto id = -1 - static_cast<std::int32_t>(i);
    if (exclude.contains(id)) continue;
    if (auto* c = try_open(id, bootstrap_[i])) return *c;
  }
  if (failures.empty()) {
    throw TransportError("no Kafka broker is left to try (every live broker failed this request)",
                         "check the brokers' health and the network");
  }
  throw TransportError("cannot reach any Kafka broker: " + util::join(failures, "; "),
                       "check the bootstrap servers, that they are " +
                           std::string(security_protocol_name(config_.security_protocol)) +
                           " listeners, and the network between this job and the cluster");
}

BrokerConnection& AdminClient::connection_to(std::int32_t broker_id) {
  if (!live_brokers_.contains(broker_id)) metadata(std::vector<std::string>{});
  auto it = live_brokers_.find(broker_id);
  if (it == live_brokers_.end()) {
    throw TransportError(
        "broker " + std::to_string(broker_id) +
            " is not among the live brokers in the cluster metadata (live: " + join_ids(live_brokers_) + ")",
        "the broker is down or fenced, or the id is wrong; requests for one broker's own state "
        "(its configs, its log dirs) can only be answered by that broker");
  }
  auto& c = slot(broker_id, it->second);
  c.open();
  return c;
}

template <class Request>
std::pair<typename Request::Response, std::string> AdminClient::send_any(const Request& request,
                                                                         std::chrono::milliseconds server_wait,
                                                                         bool idempotent) {
  std::set<std::int32_t> tried;
  for (int round = 0;; ++round) {
    BrokerConnection& conn = any_connection(tried);
    try {
      auto response = conn.send(request, server_wait);
      return {std::move(response), conn.describe()};
    } catch (const TransportError& e) {
      // A request that may have been processed is repeated only when doing
      // it twice is harmless.
      if ((e.request_sent() && !idempotent) || round >= 2) throw;
      spdlog::debug("kafka: {}; trying another broker", e.what());
      tried.insert(conn.node_id());
    }
  }
}

template <class Request>
typename Request::Response AdminClient::send_to(std::int32_t broker_id, const Request& request) {
  try {
    return connection_to(broker_id).send(request);
  } catch (const TransportError& e) {
    // Once more on a fresh connection: the broker may have restarted since
    // the last call. Every request sent to one broker is idempotent.
    spdlog::debug("kafka: {}; reconnecting once", e.what());
    return connection_to(broker_id).send(request);
  }
}

template <class F>
auto AdminClient::with_retries(const char* what, F&& attempt) {
  for (int i = 1;; ++i) {
    try {
      return attempt();
    } catch (const KafkaError& e) {
      if (!is_retriable(e.code()) || i >= kAttempts) throw;
      spdlog::debug("kafka: {}: {} (attempt {}/{}); refreshing metadata and retrying", what, e.what(), i, kAttempts);
    }
    pause(std::chrono::milliseconds(200 * i));
    try {
      metadata(std::vector<std::string>{});
    } catch (const TransportError& e) {
      spdlog::debug("kafka: metadata refresh failed: {}", e.what());
    }
  }
}

std::int32_t AdminClient::broker_id_of(ResourceType type, const std::string& name) const {
  if ((type != ResourceType::kBroker && type != ResourceType::kBrokerLogger) || name.empty()) return -1;
  if (name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) {
    throw Error("broker config resource " + util::quote_for_message(name) + " is not a broker id",
                "name a broker by its numeric id, or use \"\" for the cluster-wide broker defaults");
  }
  return std::stoi(name);
}

ClusterMetadata AdminClient::metadata(const std::optional<std::vector<std::string>>& topics) {
  MetadataRequest request;
  request.topics = topics;
  auto md = send_any(request, {}, true).first;
  learn(md);
  return md;
}

DescribeClusterResponse AdminClient::describe_cluster() {
  return with_retries("DescribeCluster", [&] {
    auto [response, via] = send_any(DescribeClusterRequest{}, {}, true);
    if (response.error != errc::kNone) {
      throw KafkaError(response.error, "DescribeCluster via " + via, response.error_message.value_or(""));
    }
    return response;
  });
}

std::vector<OngoingReassignment> AdminClient::list_reassignments(
    const std::optional<std::vector<TopicPartitions>>& partitions) {
  ListPartitionReassignmentsRequest request;
  request.timeout_ms = static_cast<std::int32_t>(config_.request_timeout.count());
  if (partitions) {
    // "All partitions of a topic" needs the partition count.
    std::vector<std::string> whole;
    for (const auto& tp : *partitions) {
      if (tp.partitions.empty()) whole.push_back(tp.topic);
    }
    ClusterMetadata md;
    if (!whole.empty()) md = metadata(whole);
    request.topics.emplace();
    for (const auto& tp : *partitions) {
      if (!tp.partitions.empty()) {
        request.topics->push_back(tp);
        continue;
      }
      const auto* t = md.topic(tp.topic);
      if (t == nullptr || t->error != errc::kNone) {
        throw KafkaError(t ? t->error : errc::kUnknownTopicOrPartition,
                         "ListPartitionReassignments of topic " + util::quote_for_message(tp.topic));
      }
      TopicPartitions all{tp.topic, {}};
      for (const auto& p : t->partitions)
        all.partitions.push_back(p.index);
      request.topics->push_back(std::move(all));
    }
  }
  return with_retries("ListPartitionReassignments", [&] {
    auto [response, via] = send_any(request, {}, true);
    if (response.error != errc::kNone) {
      throw KafkaError(response.error, "ListPartitionReassignments via " + via, response.error_message.value_or(""));
    }
    return response.reassignments;
  });
}

std::vector<PartitionResult> AdminClient::alter_reassignments(const std::vector<ReassignmentTarget>& targets,
                                                              std::chrono::milliseconds timeout) {
  if (targets.empty()) return {};
  AlterPartitionReassignmentsRequest request;
  request.timeout_ms = static_cast<std::int32_t>(timeout.count());
  request.partitions = targets;
  return with_retries("AlterPartitionReassignments", [&] {
    // Repeating it is harmless: the same target again is a no-op, and a
    // repeated cancel reports NO_REASSIGNMENT_IN_PROGRESS per partition.
    auto [response, via] = send_any(request, timeout, true);
    if (response.error != errc::kNone) {
      throw KafkaError(response.error,
                       "AlterPartitionReassignments of " + std::to_string(targets.size()) + " partition(s) via " + via,
                       response.error_message.value_or(""));
    }
    return response.results;
  });
}

std::vector<PartitionResult> AdminClient::elect_leaders(ElectionType type,
                                                        const std::optional<std::vector<TopicPartitions>>& partitions,
                                                        std::chrono::milliseconds timeout) {
  ElectLeadersRequest request;
  request.type = type;
  request.partitions = partitions;
  request.timeout_ms = static_cast<std::int32_t>(timeout.count());
  auto results = with_retries("ElectLeaders", [&] {
    auto [response, via] = send_any(request, timeout, true);
    if (response.error != errc::kNone) {
      throw KafkaError(response.error, "ElectLeaders via " + via);
    }
    return response.results;
  });
  for (auto& r : results) {
    // The leader already is the one we asked for: the goal is reached.
    if (r.error == errc::kElectionNotNeeded) {
      r.error = errc::kNone;
      r.message = "election not needed";
    }
  }
  return results;
}

std::vector<LogDir> AdminClient::describe_log_dirs(std::int32_t broker_id,
                                                   const std::optional<std::vector<TopicPartitions>>& topics) {
  DescribeLogDirsRequest request;
  request.topics = topics;
  auto response = send_to(broker_id, request);
  if (response.error != errc::kNone) {
    throw KafkaError(response.error, "DescribeLogDirs on broker " + std::to_string(broker_id));
  }
  return response.dirs;
}

std::vector<ConfigEntry> AdminClient::describe_configs(ResourceType type, const std::string& name,
                                                       const std::optional<std::vector<std::string>>& keys) {
  DescribeConfigsRequest request;
  request.resources.push_back(ConfigResource{type, name, keys});
  auto check = [&](DescribeConfigsResponse response, const std::string& via) {
    const std::string context = "DescribeConfigs of " + resource_label(type, name) + " via " + via;
    if (response.results.size() != 1) {
      throw ProtocolError(context + ": expected 1 result, got " + std::to_string(response.results.size()));
    }
    auto& result = response.results.front();
    if (result.error != errc::kNone) throw KafkaError(result.error, context, result.error_message.value_or(""));
    return std::move(result.entries);
  };
  auto broker = broker_id_of(type, name);
  if (broker >= 0) return check(send_to(broker, request), "broker " + name);
  return with_retries("DescribeConfigs", [&] {
    auto [response, via] = send_any(request, {}, true);
    return check(std::move(response), via);
  });
}

void AdminClient::incremental_alter_configs(ResourceType type, const std::string& name,
                                            const std::vector<ConfigOp>& ops, bool validate_only) {
  if (ops.empty()) return;
  IncrementalAlterConfigsRequest request;
  request.resources.push_back(AlterConfigsResource{type, name, ops});
  request.validate_only = validate_only;
  auto check = [&](const IncrementalAlterConfigsResponse& response, const std::string& via) {
    const std::string context = "IncrementalAlterConfigs of " + resource_label(type, name) + " via " + via;
    if (response.results.size() != 1) {
      throw ProtocolError(context + ": expected 1 result, got " + std::to_string(response.results.size()));
    }
    const auto& result = response.results.front();
    if (result.error != errc::kNone) throw KafkaError(result.error, context, result.error_message.value_or(""));
  };
  auto broker = broker_id_of(type, name);
  if (broker >= 0) {
    check(send_to(broker, request), "broker " + name);
    return;
  }
  // SET, DELETE, APPEND and SUBTRACT all end in the same state when
  // repeated, so a retry after a lost answer is safe.
  with_retries("IncrementalAlterConfigs", [&] {
    auto [response, via] = send_any(request, {}, true);
    check(response, via);
    return 0;
  });
}

std::vector<CreateTopicResult> AdminClient::create_topics(const std::vector<NewTopic>& topics,
                                                          std::chrono::milliseconds timeout, bool validate_only) {
  std::vector<CreateTopicResult> done;
  CreateTopicsRequest request;
  request.topics = topics;
  request.timeout_ms = static_cast<std::int32_t>(timeout.count());
  request.validate_only = validate_only;
  for (int attempt = 1; !request.topics.empty(); ++attempt) {
    // Not idempotent: a repeat after a lost answer would report
    // TOPIC_ALREADY_EXISTS for a topic this very call created.
    auto response = send_any(request, timeout, false).first;
    std::vector<NewTopic> again;
    for (auto& r : response.results) {
      if (r.error == errc::kNotController && attempt < kAttempts) {
        auto it = std::find_if(request.topics.begin(), request.topics.end(),
                               [&](const NewTopic& t) { return t.name == r.name; });
        if (it != request.topics.end()) {
          again.push_back(*it);
          continue;
        }
      }
      done.push_back(std::move(r));
    }
    request.topics = std::move(again);
    if (!request.topics.empty()) pause(std::chrono::milliseconds(200 * attempt));
  }
  return done;
}

std::vector<TopicResult> AdminClient::delete_topics(const std::vector<std::string>& names,
                                                    std::chrono::milliseconds timeout) {
  std::vector<TopicResult> done;
  DeleteTopicsRequest request;
  request.names = names;
  request.timeout_ms = static_cast<std::int32_t>(timeout.count());
  for (int attempt = 1; !request.names.empty(); ++attempt) {
    auto response = send_any(request, timeout, false).first;
    std::vector<std::string> again;
    for (auto& r : response.results) {
      if (r.error == errc::kNotController && attempt < kAttempts) {
        again.push_back(r.name);
        continue;
      }
      done.push_back(std::move(r));
    }
    request.names = std::move(again);
    if (!request.names.empty()) pause(std::chrono::milliseconds(200 * attempt));
  }
  return done;
}

ApiVersionsResponse AdminClient::api_versions(std::int32_t broker_id) {
  return connection_to(broker_id).api_versions();
}

KafkaError partition_error(const PartitionResult& result, const std::string& operation) {
  return {result.error, operation + " of " + result.topic + "-" + std::to_string(result.partition),
          result.message.value_or("")};
}

std::map<TopicPartition, std::int64_t> partition_sizes(const std::vector<LogDir>& dirs) {
  std::map<TopicPartition, std::int64_t> out;
  for (const auto& dir : dirs) {
    if (dir.error != errc::kNone) continue;
    for (const auto& p : dir.partitions) {
      if (!p.is_future) out[TopicPartition{p.topic, p.partition}] = p.size;
    }
  }
  return out;
}

}  // namespace sg::kafka
