#pragma once
// Parsed, validated setting values. Accessors are typed; asking for a name the
// schema does not declare, or with the wrong type, is a programming error.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "settings/setting.hpp"

namespace sg::settings {

using Value = std::variant<std::monostate, std::string, std::int64_t, bool, std::chrono::milliseconds,
                           std::vector<std::string>, nlohmann::json>;

struct Entry {
  Value value;
  std::string source;  // the variable it came from, or "default"
  bool explicitly_set = false;
};

class Values {
 public:
  Values() = default;
  // Keeps its own copy of the schema so values outlive the declaration.
  explicit Values(const Schema& schema) : schema_(std::make_shared<const Schema>(schema)) {}

  void set(const std::string& name, Entry e) { entries_[name] = std::move(e); }

  // True when the setting has a value (explicit or default).
  bool has(std::string_view name) const;
  // True only when the user set it.
  bool is_set(std::string_view name) const;
  const std::string& source(std::string_view name) const;

  // String, Enum, Path and Secret settings. Empty when unset without default.
  const std::string& str(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool flag(std::string_view name) const;
  std::chrono::milliseconds duration(std::string_view name) const;
  const std::vector<std::string>& list(std::string_view name) const;
  const nlohmann::json& map(std::string_view name) const;

  const Schema* schema() const { return schema_.get(); }
  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }

  // Values as JSON for dry runs and --output json; secrets are replaced.
  nlohmann::json to_json_redacted() const;

 private:
  const Entry* entry(std::string_view name, Type expected) const;
  std::shared_ptr<const Schema> schema_;
  std::map<std::string, Entry, std::less<>> entries_;
};

// The largest file read_setting_file reads unless told otherwise: far above
// any real plan, state or topology file, far below what /dev/zero would
// take a plugin to.
inline constexpr std::size_t kMaxSettingFileBytes = std::size_t{64} << 20;

// The contents of the file a Path setting names (plan_file, state_file, ...);
// a SettingsError naming the setting when it cannot be read or is larger
// than `max_bytes`.
std::string read_setting_file(const Values& v, std::string_view name, std::size_t max_bytes = kMaxSettingFileBytes);

}  // namespace sg::settings
