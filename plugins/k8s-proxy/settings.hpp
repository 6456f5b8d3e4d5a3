#pragma once
#include <string>
#include <string_view>

#include "settings/setting.hpp"

namespace sg::k8s_proxy {

// The one declaration of k8s-proxy's settings.
const settings::Schema& schema();

// For a PLUGIN_* variable that k8s-proxy forwards to the step: the setting
// of k8s-proxy's own its name is a few edits away from (a likely typo, such
// as PLUGIN_MEMORY_LIMT), or empty.
std::string near_miss(const settings::Schema& schema, std::string_view var);

}  // namespace sg::k8s_proxy
