#include "messages.hpp"

#include <algorithm>
#include <string_view>

#include "util/strings.hpp"

namespace sg::kafka {

namespace {

// Kafka nests per-partition data under topics; requests are built from flat
// lists, so group them, keeping the order in which topics first appear.
template <class T>
std::vector<std::pair<std::string, std::vector<const T*>>> group_by_topic(const std::vector<T>& items) {
  std::vector<std::pair<std::string, std::vector<const T*>>> groups;
  for (const auto& item : items) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == item.topic; });
    if (it == groups.end()) {
      groups.emplace_back(item.topic, std::vector<const T*>{});
      it = std::prev(groups.end());
    }
    it->second.push_back(&item);
  }
  return groups;
}

void write_topic_partitions(Writer& w, const TopicPartitions& tp) {
  w.string(tp.topic);
  w.int32_array(tp.partitions);
  w.tagged_fields();
}

void write_nullable_topic_partitions(Writer& w, const std::optional<std::vector<TopicPartitions>>& v) {
  if (v) {
    w.array(*v, write_topic_partitions);
  } else {
    w.null_array();
  }
}

// Kafka refuses topic names over 249 characters. The decoders below copy a
// topic's name into every one of its partitions' results, so without this
// bound one response of a long name and a long list of small partition
// entries would turn into gigabytes of copies (quadratic in its size).
constexpr std::size_t kMaxTopicNameBytes = 249;

std::string read_topic_name(Reader& r) {
  auto name = r.string();
  if (name.size() > kMaxTopicNameBytes) {
    r.fail("topic name of " + std::to_string(name.size()) + " bytes (Kafka allows at most " +
           std::to_string(kMaxTopicNameBytes) + ")");
  }
  return name;
}

// Whether Kafka could have a topic of this name: 1 to 249 of [a-zA-Z0-9._-]
// (brokers have always refused others at creation). A topic the metadata
// reports without an error but with another name did not come from a Kafka
// broker, and such a name would reach plans and logs verbatim.
bool legal_topic_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxTopicNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

// Partition results nested as [topic [partition, error, message]], the shape
// AlterPartitionReassignments and ElectLeaders share (field names differ).
std::vector<PartitionResult> read_partition_results(Reader& r) {
  std::vector<PartitionResult> out;
  std::size_t topics = r.array_length();
  for (std::size_t t = 0; t < topics; ++t) {
    std::string topic = read_topic_name(r);
    std::size_t partitions = r.array_length();
    for (std::size_t p = 0; p < partitions; ++p) {
      PartitionResult res;
      res.topic = topic;
      res.partition = r.i32();
      res.error = r.i16();
      res.message = r.nullable_string();
      r.tagged_fields();
      out.push_back(std::move(res));
    }
    r.tagged_fields();
  }
  return out;
}

BrokerMetadata read_broker(Reader& r) {
  BrokerMetadata b;
  b.id = r.i32();
  b.host = r.string();
  b.port = r.i32();
  b.rack = r.nullable_string();
  r.tagged_fields();
  return b;
}

}  // namespace

// --- ApiVersions -----------------------------------------------------------------

VersionRange ApiVersionsResponse::find(ApiKey api) const {
  for (const auto& e : api_keys) {
    if (e.api_key == static_cast<std::int16_t>(api)) return e.versions;
  }
  return {};
}

void ApiVersionsRequest::encode(Writer& w, std::int16_t version) const {
  if (version >= 3) {
    w.string(client_software_name);
    w.string(client_software_version);
  }
  w.tagged_fields();
}

ApiVersionsResponse ApiVersionsResponse::decode(Reader& r, std::int16_t version) {
  ApiVersionsResponse out;
  out.error = r.i16();
  out.api_keys = r.array([](Reader& rr) {
    ApiVersionEntry e;
    e.api_key = rr.i16();
    e.versions.min = rr.i16();
    e.versions.max = rr.i16();
    rr.tagged_fields();
    return e;
  });
  if (version >= 1) out.throttle_time_ms = r.i32();
  // SupportedFeatures, FinalizedFeatures, ... live in tags we do not need.
  r.tagged_fields();
  return out;
}

// --- Metadata --------------------------------------------------------------------

const PartitionMetadata* TopicMetadata::partition(std::int32_t index) const {
  for (const auto& p : partitions) {
    if (p.index == index) return &p;
  }
  return nullptr;
}

const BrokerMetadata* ClusterMetadata::broker(std::int32_t id) const {
  for (const auto& b : brokers) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

const TopicMetadata* ClusterMetadata::topic(std::string_view name) const {
  for (const auto& t : topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void MetadataRequest::encode(Writer& w, std::int16_t version) const {
  if (topics) {
    w.array(*topics, [version](Writer& ww, const std::string& name) {
      if (version >= 10) ww.uuid(Uuid{});  // by name: the id stays zero
      ww.string(name);
      ww.tagged_fields();
    });
  } else {
    w.null_array();
  }
  w.boolean(allow_auto_topic_creation);
  if (version >= 8 && version <= 10) w.boolean(false);  // IncludeClusterAuthorizedOperations
  w.boolean(include_topic_authorized_operations);
  w.tagged_fields();
}

ClusterMetadata ClusterMetadata::decode(Reader& r, std::int16_t version) {
  ClusterMetadata out;
  out.throttle_time_ms = r.i32();
  out.brokers = r.array(read_broker);
  out.cluster_id = r.nullable_string();
  out.controller_id = r.i32();
  out.topics = r.array([version](Reader& rt) {
    TopicMetadata t;
    t.error = rt.i16();
    // Nullable from v12 (topics asked for by id); we always ask by name.
    // With an error, the name is the one we asked for, echoed.
    t.name = rt.nullable_string().value_or("");
    if (t.error == errc::kNone && !legal_topic_name(t.name)) {
      rt.fail("topic " + util::quote_for_message(t.name) +
              " reported without an error has a name Kafka never "
              "allows (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-')");
    }
    if (version >= 10) t.topic_id = rt.uuid();
    t.internal = rt.boolean();
    t.partitions = rt.array([](Reader& rp) {
      PartitionMetadata p;
      p.error = rp.i16();
      p.index = rp.i32();
      p.leader = rp.i32();
      p.leader_epoch = rp.i32();
      p.replicas = rp.int32_array();
      p.isr = rp.int32_array();
      p.offline_replicas = rp.int32_array();
      rp.tagged_fields();
      return p;
    });
    t.authorized_operations = rt.i32();
    rt.tagged_fields();
    return t;
  });
  if (version <= 10) r.i32();  // ClusterAuthorizedOperations: moved to DescribeCluster
  r.tagged_fields();
  return out;
}

// --- DescribeCluster -------------------------------------------------------------

void DescribeClusterRequest::encode(Writer& w, std::int16_t version) const {
  w.boolean(include_cluster_authorized_operations);
  if (version >= 1) w.i8(endpoint_type);
  w.tagged_fields();
}

DescribeClusterResponse DescribeClusterResponse::decode(Reader& r, std::int16_t version) {
  DescribeClusterResponse out;
  out.throttle_time_ms = r.i32();
  out.error = r.i16();
  out.error_message = r.nullable_string();
  if (version >= 1) out.endpoint_type = r.i8();
  out.cluster_id = r.string();
  out.controller_id = r.i32();
  out.brokers = r.array(read_broker);
  out.cluster_authorized_operations = r.i32();
  r.tagged_fields();
  return out;
}

// --- ListPartitionReassignments --------------------------------------------------

void ListPartitionReassignmentsRequest::encode(Writer& w, std::int16_t) const {
  w.i32(timeout_ms);
  write_nullable_topic_partitions(w, topics);
  w.tagged_fields();
}

ListPartitionReassignmentsResponse ListPartitionReassignmentsResponse::decode(Reader& r, std::int16_t) {
  ListPartitionReassignmentsResponse out;
  out.throttle_time_ms = r.i32();
  out.error = r.i16();
  out.error_message = r.nullable_string();
  std::size_t topics = r.array_length();
  for (std::size_t t = 0; t < topics; ++t) {
    std::string topic = read_topic_name(r);
    std::size_t partitions = r.array_length();
    for (std::size_t p = 0; p < partitions; ++p) {
      OngoingReassignment o;
      o.topic = topic;
      o.partition = r.i32();
      o.replicas = r.int32_array();
      o.adding_replicas = r.int32_array();
      o.removing_replicas = r.int32_array();
      r.tagged_fields();
      out.reassignments.push_back(std::move(o));
    }
    r.tagged_fields();
  }
  r.tagged_fields();
  return out;
}

// --- AlterPartitionReassignments -------------------------------------------------

void AlterPartitionReassignmentsRequest::encode(Writer& w, std::int16_t) const {
  w.i32(timeout_ms);
  auto groups = group_by_topic(partitions);
  w.array(groups, [](Writer& wt, const auto& group) {
    wt.string(group.first);
    wt.array(group.second, [](Writer& wp, const ReassignmentTarget* target) {
      wp.i32(target->partition);
      wp.nullable_int32_array(target->replicas);
      wp.tagged_fields();
    });
    wt.tagged_fields();
  });
  w.tagged_fields();
}

AlterPartitionReassignmentsResponse AlterPartitionReassignmentsResponse::decode(Reader& r, std::int16_t) {
  AlterPartitionReassignmentsResponse out;
  out.throttle_time_ms = r.i32();
  out.error = r.i16();
  out.error_message = r.nullable_string();
  out.results = read_partition_results(r);
  r.tagged_fields();
  return out;
}

// --- ElectLeaders ----------------------------------------------------------------

void ElectLeadersRequest::encode(Writer& w, std::int16_t version) const {
  if (version >= 1) w.i8(static_cast<std::int8_t>(type));
  write_nullable_topic_partitions(w, partitions);
  w.i32(timeout_ms);
  w.tagged_fields();
}

ElectLeadersResponse ElectLeadersResponse::decode(Reader& r, std::int16_t version) {
  ElectLeadersResponse out;
  out.throttle_time_ms = r.i32();
  if (version >= 1) out.error = r.i16();
  out.results = read_partition_results(r);
  r.tagged_fields();
  return out;
}

// --- DescribeLogDirs -------------------------------------------------------------

void DescribeLogDirsRequest::encode(Writer& w, std::int16_t) const {
  write_nullable_topic_partitions(w, topics);
  w.tagged_fields();
}

DescribeLogDirsResponse DescribeLogDirsResponse::decode(Reader& r, std::int16_t version) {
  DescribeLogDirsResponse out;
  out.throttle_time_ms = r.i32();
  if (version >= 3) out.error = r.i16();
  out.dirs = r.array([version](Reader& rd) {
    LogDir d;
    d.error = rd.i16();
    d.path = rd.string();
    std::size_t topics = rd.array_length();
    for (std::size_t t = 0; t < topics; ++t) {
      std::string topic = read_topic_name(rd);
      std::size_t partitions = rd.array_length();
      for (std::size_t p = 0; p < partitions; ++p) {
        LogDirPartition part;
        part.topic = topic;
        part.partition = rd.i32();
        part.size = rd.i64();
        part.offset_lag = rd.i64();
        part.is_future = rd.boolean();
        rd.tagged_fields();
        d.partitions.push_back(std::move(part));
      }
      rd.tagged_fields();
    }
    if (version >= 4) {
      d.total_bytes = rd.i64();
      d.usable_bytes = rd.i64();
    }
    rd.tagged_fields();
    return d;
  });
  r.tagged_fields();
  return out;
}

// --- DescribeConfigs -------------------------------------------------------------

void DescribeConfigsRequest::encode(Writer& w, std::int16_t version) const {
  w.array(resources, [](Writer& wr, const ConfigResource& res) {
    wr.i8(static_cast<std::int8_t>(res.type));
    wr.string(res.name);
    if (res.keys) {
      wr.string_array(*res.keys);
    } else {
      wr.null_array();
    }
    wr.tagged_fields();
  });
  w.boolean(include_synonyms);
  if (version >= 3) w.boolean(include_documentation);
  w.tagged_fields();
}

DescribeConfigsResponse DescribeConfigsResponse::decode(Reader& r, std::int16_t version) {
  DescribeConfigsResponse out;
  out.throttle_time_ms = r.i32();
  out.results = r.array([version](Reader& rr) {
    ConfigResourceResult res;
    res.error = rr.i16();
    res.error_message = rr.nullable_string();
    res.type = static_cast<ResourceType>(rr.i8());
    res.name = rr.string();
    res.entries = rr.array([version](Reader& rc) {
      ConfigEntry e;
      e.name = rc.string();
      e.value = rc.nullable_string();
      e.read_only = rc.boolean();
      e.source = rc.i8();
      e.sensitive = rc.boolean();
      e.synonyms = rc.array([](Reader& rs) {
        ConfigSynonym s;
        s.name = rs.string();
        s.value = rs.nullable_string();
        s.source = rs.i8();
        rs.tagged_fields();
        return s;
      });
      if (version >= 3) {
        e.type = rc.i8();
        e.documentation = rc.nullable_string();
      }
      rc.tagged_fields();
      return e;
    });
    rr.tagged_fields();
    return res;
  });
  r.tagged_fields();
  return out;
}

// --- IncrementalAlterConfigs -----------------------------------------------------

void IncrementalAlterConfigsRequest::encode(Writer& w, std::int16_t) const {
  w.array(resources, [](Writer& wr, const AlterConfigsResource& res) {
    wr.i8(static_cast<std::int8_t>(res.type));
    wr.string(res.name);
    wr.array(res.ops, [](Writer& wc, const ConfigOp& op) {
      wc.string(op.name);
      wc.i8(static_cast<std::int8_t>(op.op));
      wc.nullable_string(op.op == ConfigOperation::kDelete ? std::nullopt : op.value);
      wc.tagged_fields();
    });
    wr.tagged_fields();
  });
  w.boolean(validate_only);
  w.tagged_fields();
}

IncrementalAlterConfigsResponse IncrementalAlterConfigsResponse::decode(Reader& r, std::int16_t) {
  IncrementalAlterConfigsResponse out;
  out.throttle_time_ms = r.i32();
  out.results = r.array([](Reader& rr) {
    AlterConfigsResourceResult res;
    res.error = rr.i16();
    res.error_message = rr.nullable_string();
    res.type = static_cast<ResourceType>(rr.i8());
    res.name = rr.string();
    rr.tagged_fields();
    return res;
  });
  r.tagged_fields();
  return out;
}

// --- CreateTopics ----------------------------------------------------------------

void CreateTopicsRequest::encode(Writer& w, std::int16_t) const {
  w.array(topics, [](Writer& wt, const NewTopic& t) {
    wt.string(t.name);
    wt.i32(t.num_partitions);
    wt.i16(t.replication_factor);
    wt.array(t.assignment, [](Writer& wa, const auto& a) {
      wa.i32(a.first);
      wa.int32_array(a.second);
      wa.tagged_fields();
    });
    wt.array(t.configs, [](Writer& wc, const auto& c) {
      wc.string(c.first);
      wc.nullable_string(c.second);
      wc.tagged_fields();
    });
    wt.tagged_fields();
  });
  w.i32(timeout_ms);
  w.boolean(validate_only);
  w.tagged_fields();
}

CreateTopicsResponse CreateTopicsResponse::decode(Reader& r, std::int16_t version) {
  CreateTopicsResponse out;
  out.throttle_time_ms = r.i32();
  out.results = r.array([version](Reader& rt) {
    CreateTopicResult t;
    t.name = rt.string();
    if (version >= 7) t.topic_id = rt.uuid();
    t.error = rt.i16();
    t.message = rt.nullable_string();
    t.num_partitions = rt.i32();
    t.replication_factor = rt.i16();
    // The resulting topic configs: not needed, but they must be read past.
    rt.nullable_array([](Reader& rc) {
      rc.string();
      rc.nullable_string();
      rc.boolean();
      rc.i8();
      rc.boolean();
      rc.tagged_fields();
      return 0;
    });
    rt.tagged_fields();
    return t;
  });
  r.tagged_fields();
  return out;
}

// --- DeleteTopics ----------------------------------------------------------------

void DeleteTopicsRequest::encode(Writer& w, std::int16_t version) const {
  if (version >= 6) {
    w.array(names, [](Writer& wt, const std::string& name) {
      wt.nullable_string(name);
      wt.uuid(Uuid{});
      wt.tagged_fields();
    });
  } else {
    w.string_array(names);
  }
  w.i32(timeout_ms);
  w.tagged_fields();
}

DeleteTopicsResponse DeleteTopicsResponse::decode(Reader& r, std::int16_t version) {
  DeleteTopicsResponse out;
  out.throttle_time_ms = r.i32();
  out.results = r.array([version](Reader& rt) {
    TopicResult t;
    t.name = rt.nullable_string().value_or("");
    if (version >= 6) t.topic_id = rt.uuid();
    t.error = rt.i16();
    if (version >= 5) t.message = rt.nullable_string();
    rt.tagged_fields();
    return t;
  });
  r.tagged_fields();
  return out;
}

// --- SASL ------------------------------------------------------------------------

void SaslHandshakeRequest::encode(Writer& w, std::int16_t) const {
  w.string(mechanism);
}

SaslHandshakeResponse SaslHandshakeResponse::decode(Reader& r, std::int16_t) {
  SaslHandshakeResponse out;
  out.error = r.i16();
  out.mechanisms = r.string_array();
  return out;
}

void SaslAuthenticateRequest::encode(Writer& w, std::int16_t) const {
  w.bytes(auth_bytes);
  w.tagged_fields();
}

SaslAuthenticateResponse SaslAuthenticateResponse::decode(Reader& r, std::int16_t version) {
  SaslAuthenticateResponse out;
  out.error = r.i16();
  out.error_message = r.nullable_string();
  out.auth_bytes = r.bytes();
  if (version >= 1) out.session_lifetime_ms = r.i64();
  r.tagged_fields();
  return out;
}

}  // namespace sg::kafka
