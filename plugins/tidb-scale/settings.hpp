#pragma once
#include "settings/setting.hpp"

namespace sg::tidb_scale {

// The one declaration of tidb-scale's settings.
const settings::Schema& schema();

}  // namespace sg::tidb_scale
