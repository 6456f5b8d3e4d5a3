#include "settings/help.hpp"

#include <sstream>

#include "settings/parse.hpp"
#include "util/strings.hpp"

namespace sg::settings {
namespace {

std::string type_label(const Setting& s) {
  if (s.type == Type::Enum) return util::join(s.choices, "|");
  return std::string(type_name(s.type));
}

std::string env_names(const Setting& s) {
  std::vector<std::string> names{env_name(s.name)};
  for (const auto& a : s.aliases)
    names.push_back(env_name(a));
  for (const auto& b : s.env_names)
    names.push_back(b);
  return util::join(names, ", ");
}

nlohmann::json typed_default(const Setting& s) {
  switch (s.type) {
    case Type::Int:
      return parse_int(s.default_value);
    case Type::Bool:
      return parse_bool(s.default_value);
    case Type::List:
      return parse_list(s.default_value);
    case Type::Map:
      return parse_map(s.default_value);
    default:
      return s.default_value;
  }
}

// Wraps `text` to `width` columns, indenting continuation lines.
std::string wrap(const std::string& text, std::size_t width, std::size_t indent) {
  std::string out, line;
  for (const auto& word : util::split(text, ' ')) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  return out + line;
}

std::string md_escape(const std::string& s) {
  return util::replace_all(s, "|", "\\|");
}

}  // namespace

std::string help_text(const Schema& schema) {
  std::ostringstream out;
  out << schema.plugin << ": " << schema.summary << "\n\n"
      << "Settings come from the step's `settings:` as PLUGIN_<NAME> environment variables\n"
      << "(any spelling with -, . or _). `*` marks required settings; secret values are never printed.\n\n";
  for (const auto& s : schema.settings) {
    out << "  " << s.name << (s.required ? " *" : "") << (s.is_secret() ? " (secret)" : "") << "  [" << type_label(s)
        << "]";
    if (!s.default_value.empty()) out << "  default: " << s.default_value;
    out << "\n      env: " << env_names(s) << "\n      " << wrap(s.description, 74, 6) << "\n";
    if (!s.example.empty()) out << "      example: " << s.name << ": " << s.example << "\n";
  }
  out << "\nOptions: --help, --help-json (JSON Schema), --help-markdown (README table), --version\n"
      << "Exit codes: 0 ok, 1 failed, 2 invalid settings, 130/143 interrupted.\n";
  return out.str();
}

nlohmann::json json_schema(const Schema& schema) {
  auto props = nlohmann::json::object();
  auto required = nlohmann::json::array();
  for (const auto& s : schema.settings) {
    nlohmann::json p;
    switch (s.type) {
      case Type::Int:
        p["type"] = "integer";
        if (s.min) p["minimum"] = *s.min;
        if (s.max) p["maximum"] = *s.max;
        break;
      case Type::Bool:
        p["type"] = "boolean";
        break;
      case Type::Duration:
        p["type"] = {"string", "integer"};
        p["pattern"] = "^([0-9]+|([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+)$";
        break;
      case Type::Enum:
        p["type"] = "string";
        p["enum"] = s.choices;
        break;
      case Type::List:
        p["type"] = "array";
        p["items"] = {{"type", "string"}};
        break;
      case Type::Map:
        p["type"] = "object";
        break;
      case Type::Path:
        p["type"] = "string";
        p["x-path"] = true;
        break;
      case Type::String:
      case Type::Secret:
        p["type"] = "string";
        break;
    }
    p["description"] = s.description;
    if (!s.default_value.empty()) p["default"] = typed_default(s);
    p["x-secret"] = s.is_secret();
    p["x-type"] = std::string(type_name(s.type));
    nlohmann::json env = {env_name(s.name)};
    for (const auto& a : s.aliases)
      env.push_back(env_name(a));
    for (const auto& b : s.env_names)
      env.push_back(b);
    p["x-env"] = env;
    if (!s.aliases.empty()) p["x-aliases"] = s.aliases;
    if (!s.example.empty()) p["examples"] = {s.example};
    props[s.name] = p;
    if (s.required) required.push_back(s.name);
  }
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"$id", "urn:spotguide-plugins:" + schema.plugin + ":settings"},
          {"title", schema.plugin + " settings"},
          {"description", schema.summary},
          {"type", "object"},
          {"properties", props},
          {"required", required},
          {"additionalProperties", schema.forward_unknown}};
}

std::string markdown_table(const Schema& schema) {
  std::ostringstream out;
  out << "| Setting | Type | Default | Description |\n|---|---|---|---|\n";
  for (const auto& s : schema.settings) {
    std::string name = "`" + s.name + "`";
    if (s.required) name += " **(required)**";
    if (s.is_secret()) name += " *(secret)*";
    std::string desc = md_escape(s.description);
    std::vector<std::string> extra;
    for (const auto& a : s.aliases)
      extra.push_back("`" + a + "`");
    for (const auto& b : s.env_names)
      extra.push_back("`" + b + "`");
    if (!extra.empty()) desc += " Also read from: " + util::join(extra, ", ") + ".";
    if (!s.example.empty()) desc += " Example: `" + md_escape(s.example) + "`.";
    out << "| " << name << " | " << md_escape(type_label(s)) << " | "
        << (s.default_value.empty() ? "" : "`" + md_escape(s.default_value) + "`") << " | " << desc << " |\n";
  }
  return out.str();
}

}  // namespace sg::settings
