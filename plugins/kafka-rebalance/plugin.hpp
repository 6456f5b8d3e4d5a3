#pragma once
#include "runtime/plugin.hpp"

namespace sg::kafka_rebalance {

// The schema plus Exec: what main() hands to sg::run_plugin.
Plugin plugin();

}  // namespace sg::kafka_rebalance
