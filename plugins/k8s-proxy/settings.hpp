#pragma once
#include "settings/setting.hpp"

namespace sg::k8s_proxy {

// The one declaration of k8s-proxy's settings.
const settings::Schema& schema();

}  // namespace sg::k8s_proxy
