#pragma once
#include "runtime/plugin.hpp"

namespace sg::k8s_proxy {

Plugin plugin();

}  // namespace sg::k8s_proxy
