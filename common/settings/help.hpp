#pragma once
// Everything users read about settings is generated from the schema.
#include <string>

#include <nlohmann/json.hpp>

#include "settings/setting.hpp"

namespace sg::settings {

// --help: a human table.
std::string help_text(const Schema& schema);
// --help-json: JSON Schema (draft 2020-12), one property per setting, with
// x-secret, x-env and x-aliases extensions.
nlohmann::json json_schema(const Schema& schema);
// The README settings table (scripts/gen-docs puts it between markers).
std::string markdown_table(const Schema& schema);

}  // namespace sg::settings
