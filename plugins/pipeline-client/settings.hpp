#pragma once
#include <string>
#include <utility>
#include <vector>

#include "settings/setting.hpp"

namespace sg::pipeline_client {

// The one declaration of pipeline-client's settings.
const settings::Schema& schema();

// Settings a step shares with the later steps of its build through the
// workspace's .env file: the setting name and its variable. Only these are
// ever written or read there, and none of them is secret.
const std::vector<std::pair<std::string, std::string>>& shared_settings();

}  // namespace sg::pipeline_client
