#pragma once
#include "runtime/plugin.hpp"

namespace sg::spark_submit {

Plugin plugin();

}  // namespace sg::spark_submit
