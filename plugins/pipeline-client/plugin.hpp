#pragma once
#include "runtime/plugin.hpp"

namespace sg::pipeline_client {

Plugin plugin();

}  // namespace sg::pipeline_client
