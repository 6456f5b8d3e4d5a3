#include "json_schema.hpp"

#include <regex>
#include <set>

namespace sg::spotguide {
namespace {

const std::set<std::string>& known_keywords() {
  static const std::set<std::string> k = {"$schema",     "$id",        "title",
                                          "description", "type",       "enum",
                                          "required",    "properties", "additionalProperties",
                                          "items",       "minItems",   "minLength",
                                          "pattern",     "minimum",    "maximum",
                                          "default"};
  return k;
}

std::string type_of(const nlohmann::json& v) {
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  return "null";
}

bool has_type(const nlohmann::json& v, const std::string& t) {
  auto actual = type_of(v);
  return actual == t || (t == "number" && actual == "integer");
}

void check(const nlohmann::json& s, const nlohmann::json& v, const std::string& at, std::vector<std::string>& out) {
  const std::string where = at.empty() ? "/" : at;
  for (const auto& [k, _] : s.items()) {
    if (!known_keywords().count(k)) out.push_back("schema" + where + ": keyword `" + k + "` is not supported");
  }
  if (auto t = s.find("type"); t != s.end() && !has_type(v, t->get<std::string>())) {
    out.push_back(where + ": expected " + t->get<std::string>() + ", got " + type_of(v));
    return;
  }
  if (auto e = s.find("enum"); e != s.end()) {
    bool found = false;
    for (const auto& option : *e)
      found = found || option == v;
    if (!found) out.push_back(where + ": " + v.dump() + " is not one of " + e->dump());
  }
  if (v.is_string()) {
    const auto& str = v.get_ref<const std::string&>();
    if (auto m = s.find("minLength"); m != s.end() && str.size() < m->get<std::size_t>())
      out.push_back(where + ": must not be empty");
    if (auto p = s.find("pattern"); p != s.end() && !std::regex_search(str, std::regex(p->get<std::string>())))
      out.push_back(where + ": \"" + str + "\" does not match " + p->get<std::string>());
  }
  if (v.is_number()) {
    auto n = v.get<double>();
    if (auto m = s.find("minimum"); m != s.end() && n < m->get<double>())
      out.push_back(where + ": " + v.dump() + " is below the minimum " + m->dump());
    if (auto m = s.find("maximum"); m != s.end() && n > m->get<double>())
      out.push_back(where + ": " + v.dump() + " is above the maximum " + m->dump());
  }
  if (v.is_array()) {
    if (auto m = s.find("minItems"); m != s.end() && v.size() < m->get<std::size_t>())
      out.push_back(where + ": needs at least " + m->dump() + " item(s)");
    if (auto items = s.find("items"); items != s.end()) {
      for (std::size_t i = 0; i < v.size(); ++i)
        check(*items, v[i], at + "/" + std::to_string(i), out);
    }
  }
  if (v.is_object()) {
    if (auto r = s.find("required"); r != s.end()) {
      for (const auto& name : *r) {
        if (!v.contains(name.get<std::string>()))
          out.push_back(where + ": `" + name.get<std::string>() + "` is required");
      }
    }
    const auto props = s.value("properties", nlohmann::json::object());
    const auto extra = s.find("additionalProperties");
    for (const auto& [k, child] : v.items()) {
      if (auto p = props.find(k); p != props.end()) {
        check(*p, child, at + "/" + k, out);
      } else if (extra != s.end() && extra->is_boolean() && !extra->get<bool>()) {
        std::vector<std::string> names;
        for (const auto& [n, _] : props.items())
          names.push_back(n);
        std::string list;
        for (const auto& n : names)
          list += (list.empty() ? "" : ", ") + n;
        out.push_back(where + ": unknown key `" + k + "` (known: " + list + ")");
      } else if (extra != s.end() && extra->is_object()) {
        check(*extra, child, at + "/" + k, out);
      }
    }
  }
}

}  // namespace

std::vector<std::string> validate(const nlohmann::json& schema, const nlohmann::json& instance) {
  std::vector<std::string> out;
  check(schema, instance, "", out);
  return out;
}

}  // namespace sg::spotguide
