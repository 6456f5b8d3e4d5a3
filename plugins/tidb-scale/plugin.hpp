#pragma once
#include "runtime/plugin.hpp"

namespace sg::tidb_scale {

// The schema plus Exec: what main() hands to sg::run_plugin.
Plugin plugin();

}  // namespace sg::tidb_scale
