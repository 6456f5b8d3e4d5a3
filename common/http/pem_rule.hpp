#pragma once
// Certificates and keys given as settings (PEM text, base64 PEM, or a file
// path) checked while the settings are resolved: a key that is none of
// these is an invalid setting, exit 2 before anything connects, not a
// failure later.
#include <string>
#include <vector>

#include "settings/setting.hpp"

namespace sg::http {

// Each named setting, when set, must load as PEM (see load_pem). The message
// names the variable and setting; a secret's value is never quoted.
settings::Rule pem_rule(std::vector<std::string> setting_names);

}  // namespace sg::http
