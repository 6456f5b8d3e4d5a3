#include "settings/values.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "runtime/error.hpp"
#include "settings/parse.hpp"
#include "settings/secret_rule.hpp"
#include "util/file.hpp"

namespace sg::settings {
namespace {
const std::string kEmpty;
const std::vector<std::string> kEmptyList;
const nlohmann::json kEmptyMap = nlohmann::json::object();

// A map that is not secret as a whole (Spark confs, an environment) can still
// hold a credential under a key that says so.
nlohmann::json redact_credential_leaves(const nlohmann::json& j) {
  if (!j.is_object()) return j;
  auto out = nlohmann::json::object();
  for (const auto& [k, v] : j.items()) {
    if (v.is_string() && (is_credential_conf_key(k) || is_secret_variable(k))) {
      out[k] = "<redacted>";
    } else {
      out[k] = v.is_object() ? redact_credential_leaves(v) : v;
    }
  }
  return out;
}
}  // namespace

const Entry* Values::entry(std::string_view name, Type a) const {
  const Setting* s = schema_ ? schema_->find(name) : nullptr;
  if (!s) throw std::logic_error("setting '" + std::string(name) + "' is not declared in the schema");
  bool stringy = a == Type::String;
  bool type_ok =
      s->type == a || (stringy && (s->type == Type::Enum || s->type == Type::Path || s->type == Type::Secret));
  if (!type_ok) {
    throw std::logic_error("setting '" + std::string(name) + "' is " + std::string(type_name(s->type)) +
                           ", accessed as " + std::string(type_name(a)));
  }
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

bool Values::has(std::string_view name) const {
  auto it = entries_.find(name);
  return it != entries_.end() && !std::holds_alternative<std::monostate>(it->second.value);
}

bool Values::is_set(std::string_view name) const {
  auto it = entries_.find(name);
  return it != entries_.end() && it->second.explicitly_set;
}

const std::string& Values::source(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? kEmpty : it->second.source;
}

const std::string& Values::str(std::string_view name) const {
  const Entry* e = entry(name, Type::String);
  if (!e || !std::holds_alternative<std::string>(e->value)) return kEmpty;
  return std::get<std::string>(e->value);
}

std::int64_t Values::integer(std::string_view name) const {
  const Entry* e = entry(name, Type::Int);
  if (!e || !std::holds_alternative<std::int64_t>(e->value)) return 0;
  return std::get<std::int64_t>(e->value);
}

bool Values::flag(std::string_view name) const {
  const Entry* e = entry(name, Type::Bool);
  if (!e || !std::holds_alternative<bool>(e->value)) return false;
  return std::get<bool>(e->value);
}

std::chrono::milliseconds Values::duration(std::string_view name) const {
  const Entry* e = entry(name, Type::Duration);
  if (!e || !std::holds_alternative<std::chrono::milliseconds>(e->value)) return std::chrono::milliseconds(0);
  return std::get<std::chrono::milliseconds>(e->value);
}

const std::vector<std::string>& Values::list(std::string_view name) const {
  const Entry* e = entry(name, Type::List);
  if (!e || !std::holds_alternative<std::vector<std::string>>(e->value)) return kEmptyList;
  return std::get<std::vector<std::string>>(e->value);
}

const nlohmann::json& Values::map(std::string_view name) const {
  const Entry* e = entry(name, Type::Map);
  if (!e || !std::holds_alternative<nlohmann::json>(e->value)) return kEmptyMap;
  return std::get<nlohmann::json>(e->value);
}

nlohmann::json Values::to_json_redacted() const {
  auto out = nlohmann::json::object();
  for (const auto& [name, e] : entries_) {
    const Setting* s = schema_ ? schema_->find(name) : nullptr;
    if (std::holds_alternative<std::monostate>(e.value)) continue;
    if (s && s->is_secret()) {
      out[name] = "<redacted>";
      continue;
    }
    // A named reference, not the binding: clang 14 cannot capture
    // structured bindings in a lambda (the fuzz build uses it).
    auto& slot = out[name];
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
          } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
            slot = format_duration(v);
          } else if constexpr (std::is_same_v<T, nlohmann::json>) {
            slot = redact_credential_leaves(v);
          } else {
            slot = v;
          }
        },
        e.value);
  }
  return out;
}

std::string read_setting_file(const Values& v, std::string_view name, std::size_t max_bytes) {
  const auto& path = v.str(name);
  auto r = util::read_file_capped(path, max_bytes);
  switch (r.status) {
    case util::FileRead::Status::Ok:
      return std::move(r.text);
    case util::FileRead::Status::CannotOpen:
      throw SettingsError("cannot read " + std::string(name) + " " + path, "check the path and its permissions");
    case util::FileRead::Status::TooLarge:
      throw SettingsError(std::string(name) + " " + path + " is larger than " + std::to_string(max_bytes) + " bytes",
                          "pass a smaller file; the limit guards against reading a device or an endless stream");
    default:
      throw SettingsError("cannot read " + std::string(name) + " " + path, "check that it is a readable file");
  }
}

}  // namespace sg::settings
