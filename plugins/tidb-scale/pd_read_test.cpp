#include "pd_read.hpp"

#include <functional>

#include <gtest/gtest.h>

#include "util/json.hpp"

namespace sg::tidb_scale {
namespace {

using nlohmann::json;

std::string refusal(const std::function<void()>& read) {
  try {
    read();
  } catch (const util::JsonError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(PdRead, StoresOfEveryStateSortedById) {
  auto stores = read_stores(json::parse(R"({"count":2,"stores":[
    {"store":{"id":4,"address":"127.0.0.1:20164","state_name":"Tombstone"},"status":{"region_count":0}},
    {"store":{"id":1,"address":"127.0.0.1:20161","state_name":"Up"},"status":{"region_count":18,"leader_count":6}}]})"));
  ASSERT_EQ(stores.size(), 2u);
  EXPECT_EQ(stores[0].id, 1u);
  EXPECT_EQ(stores[0].leader_count, 6);
  EXPECT_EQ(stores[1].state, StoreState::Tombstone);
  EXPECT_EQ(refusal([] { read_stores(json::parse(R"({"stores":[{"store":{"id":"1"}}]})")); }),
            "stores[0].store.id: expected an integer, got a string");
  EXPECT_EQ(refusal([] { read_stores(json::parse("[]")); }), "stores: expected an object, got an array");
}

TEST(PdRead, MaxReplicasBelowOneIsRefused) {
  EXPECT_EQ(read_max_replicas(json::parse(R"({"max-replicas":5})")), 5);
  EXPECT_EQ(read_max_replicas(json::object()), 3);
  // Zero would let the removal rule (keep max-replicas stores Up) delete every store.
  EXPECT_EQ(refusal([] { read_max_replicas(json::parse(R"({"max-replicas":0})")); }),
            "config/replicate.max-replicas: expected at least 1, got 0");
  EXPECT_EQ(refusal([] { read_region_count(json::parse(R"({"count":-1})"), "regions/check/miss-peer"); }),
            "regions/check/miss-peer.count: expected a count (0 or more), got -1");
}

TEST(PdRead, EvictingStoresAreTheKeysThatAreStoreIds) {
  auto ids = read_evicting(json::parse(R"({"store-id-ranges":{"1":[],"18446744073709551615":[],
    "-1":[],"7x":[]," 3":[],"+4":[],"18446744073709551616":[],"":[]}})"));
  // "-1" is not the largest id and "7x" is not store 7: both are no store at all.
  EXPECT_EQ(ids, (std::set<std::uint64_t>{1, 18446744073709551615u}));
  EXPECT_TRUE(read_evicting(json::parse(R"({"store-id-ranges":[1]})")).empty());
  EXPECT_TRUE(read_evicting(json::parse("404")).empty());
}

TEST(PdRead, LeaderHealthMembersSchedulers) {
  EXPECT_EQ(read_leader(json::parse(R"({"name":"pd2","member_id":1})")), "pd2");
  EXPECT_EQ(read_leader(json::parse(R"({"name":""})")), std::nullopt);
  EXPECT_EQ(read_leader(json::parse("[]")), std::nullopt);
  auto health = read_health(json::parse(R"([{"name":"pd1","health":true},{"name":"pd2"}])"));
  ASSERT_EQ(health.size(), 2u);
  EXPECT_TRUE(health[0].healthy);
  EXPECT_FALSE(health[1].healthy);
  EXPECT_EQ(read_member_names(json::parse(R"({"members":[{"name":"pd1"},{}]})")),
            (std::vector<std::string>{"pd1", ""}));
  EXPECT_EQ(refusal([] { read_schedulers(json::parse(R"(["a",1])")); }),
            "schedulers[1]: expected a string, got an integer");
}

}  // namespace
}  // namespace sg::tidb_scale
