#pragma once
#include "settings/setting.hpp"

namespace sg::kafka_rebalance {

// The one declaration of kafka-rebalance's settings.
const settings::Schema& schema();

}  // namespace sg::kafka_rebalance
