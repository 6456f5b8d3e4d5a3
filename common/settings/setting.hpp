#pragma once
// The one declaration of a plugin's settings. Env parsing, validation,
// --help, --help-json (JSON Schema), the README tables and `spotguide lint`
// all read this table, so nothing about a setting is written twice.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::settings {

enum class Type { String, Int, Bool, Duration, Enum, List, Map, Path, Secret };

std::string_view type_name(Type t);

inline constexpr std::size_t kDefaultMaxBytes = 512 * 1024;

struct Setting {
  std::string name;  // snake_case; read from PLUGIN_<NAME> (any -, . or _ spelling)
  Type type = Type::String;
  std::string default_value;  // textual, parsed like an env value; empty means none
  bool required = false;
  bool secret = false;                 // Type::Secret implies it; any type may be secret (e.g. a map)
  std::vector<std::string> aliases;    // other setting names, read as PLUGIN_<ALIAS>
  std::vector<std::string> env_names;  // bare variables (Drone 0.8 secrets), e.g. KUBERNETES_TOKEN
  std::string description;
  std::string example;                // YAML value as a user would write it
  std::vector<std::string> choices;   // Enum only
  std::optional<std::int64_t> min{};  // Int only
  std::optional<std::int64_t> max{};  // Int only
  bool must_exist = false;            // Path only: validated before any side effect
  // Duration only. A zero timeout or interval would mean "never wait" or
  // "spin", so 0 is invalid unless a setting says what 0 means.
  bool allow_zero = false;
  std::size_t max_bytes = kDefaultMaxBytes;

  bool is_secret() const { return secret || type == Type::Secret; }
};

class Values;

// A cross-setting rule ("broker_ids is required when mode is remove-brokers").
// It appends human messages naming the settings involved.
using Rule = std::function<void(const Values&, std::vector<std::string>& errors)>;

struct Schema {
  std::string plugin;   // executable name, e.g. "k8s-proxy"
  std::string summary;  // one line
  std::vector<Setting> settings;
  std::vector<Rule> rules;
  // k8s-proxy forwards the proxied step's own PLUGIN_* settings, so unknown
  // keys are expected there and must not produce typo warnings.
  bool forward_unknown = false;

  // Appends the settings every plugin shares (log_level, debug, output).
  Schema& with_common();
  const Setting* find(std::string_view name) const;
};

// Canonical form used to match any spelling of a key: upper-case, with '-'
// and '.' folded to '_' (Drone keeps dashes, Woodpecker folds them).
std::string canonical_key(std::string_view name);
// PLUGIN_<NAME> as Woodpecker and the docs spell it.
std::string env_name(std::string_view setting_name);

}  // namespace sg::settings
