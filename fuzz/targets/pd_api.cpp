// PD's HTTP answers as tidb-scale reads them (health, leader, members,
// stores, config/replicate, region checks, schedulers, the evict-leader
// scheduler's config): the first byte picks the endpoint, the rest is its
// body. util::JsonError is the accepted refusal, both for a body that is not
// JSON within the limits and for one of the wrong shape; anything else
// escaping (nlohmann's type_error, std::out_of_range) is a bug.
#include "fuzz_input.hpp"
#include "pd_read.hpp"
#include "util/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ts = sg::tidb_scale;
  sg::fuzz::Input in(data, size);
  auto endpoint = in.choice() % 8;
  try {
    auto j = sg::util::parse_json(in.rest());
    switch (endpoint) {
      case 0:
        (void)ts::read_health(j);
        break;
      case 1:
        if (auto name = ts::read_leader(j); name && name->empty()) __builtin_trap();
        break;
      case 2:
        (void)ts::read_member_names(j);
        break;
      case 3: {
        auto stores = ts::read_stores(j);
        for (std::size_t i = 1; i < stores.size(); ++i) {
          if (stores[i - 1].id > stores[i].id) __builtin_trap();
        }
        break;
      }
      case 4:
        if (ts::read_max_replicas(j) < 1) __builtin_trap();
        break;
      case 5:
        if (ts::read_region_count(j, "regions/check/miss-peer") < 0) __builtin_trap();
        break;
      case 6:
        (void)ts::read_schedulers(j);
        break;
      default:
        (void)ts::read_evicting(j);
        break;
    }
  } catch (const sg::util::JsonError&) {
  }
  return 0;
}
