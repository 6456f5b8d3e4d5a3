#include "settings/setting.hpp"

#include "util/strings.hpp"

namespace sg::settings {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::String:
      return "string";
    case Type::Int:
      return "int";
    case Type::Bool:
      return "bool";
    case Type::Duration:
      return "duration";
    case Type::Enum:
      return "enum";
    case Type::List:
      return "list";
    case Type::Map:
      return "map";
    case Type::Path:
      return "path";
    case Type::Secret:
      return "secret";
  }
  return "string";
}

std::string canonical_key(std::string_view name) {
  std::string out = util::to_upper(name);
  for (char& c : out) {
    if (c == '-' || c == '.') c = '_';
  }
  return out;
}

std::string env_name(std::string_view setting_name) {
  return "PLUGIN_" + canonical_key(setting_name);
}

Schema& Schema::with_common() {
  settings.push_back({.name = "log_level",
                      .type = Type::Enum,
                      .default_value = "info",
                      .description = "Log verbosity. Secrets are redacted at every level.",
                      .example = "debug",
                      .choices = {"trace", "debug", "info", "warn", "error"}});
  settings.push_back({.name = "debug",
                      .type = Type::Bool,
                      .default_value = "false",
                      .description = "Shorthand for log_level: debug.",
                      .example = "true"});
  settings.push_back({.name = "max_response_mib",
                      .type = Type::Int,
                      .default_value = "16",
                      .description = "The largest response body accepted from an HTTP peer (API server, PD, Pipeline "
                                     "API), in MiB; a Kubernetes list page may have 64 MiB or this, whichever is "
                                     "larger. Bounds memory whatever a peer sends.",
                      .example = "64",
                      .min = 1,
                      .max = 4096});
  settings.push_back({.name = "output",
                      .type = Type::Enum,
                      .default_value = "text",
                      .description = "Result format on stdout: a human summary, or one JSON document for machines.",
                      .example = "json",
                      .choices = {"text", "json"}});
  return *this;
}

const Setting* Schema::find(std::string_view name) const {
  for (const auto& s : settings) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace sg::settings
