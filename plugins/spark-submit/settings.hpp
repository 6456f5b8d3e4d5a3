#pragma once
#include "settings/setting.hpp"

namespace sg::spark_submit {

// The one declaration of spark-submit's settings.
const settings::Schema& schema();

}  // namespace sg::spark_submit
