#include "json_schema.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>

#include <re2/re2.h>

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

bool known_type(const std::string& t) {
  for (const char* name : {"object", "array", "string", "boolean", "integer", "number", "null"}) {
    if (t == name) return true;
  }
  return false;
}

// A value as a message quotes it: JSON, so control characters are escaped
// and invalid UTF-8 (which YAML lets through) is replaced, and cut short, so
// an array of many bad items quoting a long value each stays readable.
std::string brief(const nlohmann::json& v) {
  auto text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  constexpr std::size_t kMax = 80;
  if (text.size() > kMax) {
    std::size_t cut = kMax - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;  // not inside a UTF-8 sequence
    text.resize(cut);
    text += "...";
  }
  return text;
}

// At most this many property names in an "unknown key" message.
constexpr std::size_t kListedKeys = 20;

// One (schema, value) pair still to check, and where the value sits.
struct Task {
  const nlohmann::json* schema;
  const nlohmann::json* value;
  std::string at;
};

// Checks one pair and appends its children's pairs to `next` in document
// order. The walk keeps its own stack, so an instance nested however deep
// costs memory, never the call stack. A keyword of the wrong form in the
// schema is reported like an unsupported one ("schema/x: ...") and not
// applied, so a broken schema is an error list, never an exception.
class Checker {
 public:
  explicit Checker(std::vector<std::string>& out) : out_(out) {}

  void check(const Task& t, std::vector<Task>& next) {
    const auto& s = *t.schema;
    const auto& v = *t.value;
    const std::string where = t.at.empty() ? "/" : t.at;
    if (!s.is_object()) {
      out_.push_back("schema" + where + ": a schema must be an object, not " + type_of(s));
      return;
    }
    for (const auto& item : s.items()) {
      if (!known_keywords().count(item.key()))
        out_.push_back("schema" + where + ": keyword `" + item.key() + "` is not supported");
    }
    auto bad = [&](const char* keyword, const char* form) {
      out_.push_back("schema" + where + ": `" + keyword + "` must be " + form);
    };
    auto count = [&](const char* keyword) -> std::optional<std::uint64_t> {
      auto m = s.find(keyword);
      if (m == s.end()) return std::nullopt;
      if (!m->is_number_unsigned()) {
        bad(keyword, "a count (0 or more)");
        return std::nullopt;
      }
      return m->get<std::uint64_t>();
    };
    auto number = [&](const char* keyword) -> const nlohmann::json* {
      auto m = s.find(keyword);
      if (m == s.end()) return nullptr;
      if (!m->is_number()) {
        bad(keyword, "a number");
        return nullptr;
      }
      return &*m;
    };
    if (auto ty = s.find("type"); ty != s.end()) {
      if (!ty->is_string() || !known_type(ty->get_ref<const std::string&>())) {
        bad("type", "one of object, array, string, boolean, integer, number, null");
      } else if (!has_type(v, ty->get_ref<const std::string&>())) {
        out_.push_back(where + ": expected " + ty->get<std::string>() + ", got " + type_of(v));
        return;
      }
    }
    if (auto e = s.find("enum"); e != s.end()) {
      if (!e->is_array()) {
        bad("enum", "a list of values");
      } else {
        bool found = false;
        for (const auto& option : *e)
          found = found || option == v;
        if (!found) out_.push_back(where + ": " + brief(v) + " is not one of " + brief(*e));
      }
    }
    if (v.is_string()) {
      const auto& str = v.get_ref<const std::string&>();
      if (auto m = count("minLength"); m && str.size() < *m) out_.push_back(where + ": must not be empty");
      if (auto p = s.find("pattern"); p != s.end()) {
        if (!p->is_string()) {
          bad("pattern", "a regular expression (a string)");
        } else if (const auto* re = pattern(p->get_ref<const std::string&>());
                   re && !re2::RE2::PartialMatch(str, *re)) {
          out_.push_back(where + ": " + brief(v) + " does not match " + p->get<std::string>());
        }
      }
    }
    if (v.is_number()) {
      auto n = v.get<double>();
      if (const auto* m = number("minimum"); m && n < m->get<double>())
        out_.push_back(where + ": " + v.dump() + " is below the minimum " + m->dump());
      if (const auto* m = number("maximum"); m && n > m->get<double>())
        out_.push_back(where + ": " + v.dump() + " is above the maximum " + m->dump());
    }
    if (v.is_array()) {
      if (auto m = count("minItems"); m && v.size() < *m)
        out_.push_back(where + ": needs at least " + std::to_string(*m) + " item(s)");
      if (auto items = s.find("items"); items != s.end()) {
        for (std::size_t i = 0; i < v.size(); ++i)
          next.push_back({&*items, &v[i], t.at + "/" + std::to_string(i)});
      }
    }
    if (v.is_object()) check_object(t, s, v, where, next);
  }

 private:
  void check_object(const Task& t, const nlohmann::json& s, const nlohmann::json& v, const std::string& where,
                    std::vector<Task>& next) {
    if (auto r = s.find("required"); r != s.end()) {
      if (!r->is_array()) {
        out_.push_back("schema" + where + ": `required` must be a list of names");
      } else {
        for (const auto& name : *r) {
          if (!name.is_string()) {
            out_.push_back("schema" + where + ": `required` must be a list of names");
          } else if (!v.contains(name.get_ref<const std::string&>())) {
            out_.push_back(where + ": `" + name.get<std::string>() + "` is required");
          }
        }
      }
    }
    static const nlohmann::json no_properties = nlohmann::json::object();
    const nlohmann::json* props = &no_properties;
    if (auto pit = s.find("properties"); pit != s.end()) {
      if (pit->is_object()) {
        props = &*pit;
      } else {
        out_.push_back("schema" + where + ": `properties` must be an object of schemas");
      }
    }
    const auto extra = s.find("additionalProperties");
    if (extra != s.end() && !extra->is_boolean() && !extra->is_object()) {
      out_.push_back("schema" + where + ": `additionalProperties` must be true, false or a schema");
    }
    std::string known;  // built once, for every unknown key of this object
    for (const auto& item : v.items()) {
      const auto& k = item.key();
      const auto& child = item.value();
      if (auto p = props->find(k); p != props->end()) {
        next.push_back({&*p, &child, t.at + "/" + k});
      } else if (extra != s.end() && extra->is_boolean() && !extra->get<bool>()) {
        if (known.empty()) known = known_keys(*props);
        out_.push_back(where + ": unknown key `" + k + "` (known: " + known + ")");
      } else if (extra != s.end() && extra->is_object()) {
        next.push_back({&*extra, &child, t.at + "/" + k});
      }
    }
  }

  static std::string known_keys(const nlohmann::json& props) {
    std::string list;
    std::size_t n = 0;
    for (const auto& item : props.items()) {
      if (n++ == kListedKeys) {
        list += ", ... (" + std::to_string(props.size()) + " in all)";
        break;
      }
      list += (list.empty() ? "" : ", ") + item.key();
    }
    return list.empty() ? "none" : list;
  }

  // A schema's patterns, compiled once per validation. RE2 matches in time
  // linear in the value (std::regex backtracks, and recurses per character).
  // nullptr for a pattern RE2 cannot compile, reported once.
  const re2::RE2* pattern(const std::string& p) {
    auto it = patterns_.find(p);
    if (it == patterns_.end()) {
      re2::RE2::Options o;
      o.set_log_errors(false);
      it = patterns_.emplace(p, std::make_unique<re2::RE2>(p, o)).first;
      if (!it->second->ok()) out_.push_back("schema: pattern " + p + " is not RE2 syntax: " + it->second->error());
    }
    return it->second->ok() ? it->second.get() : nullptr;
  }

  std::vector<std::string>& out_;
  std::map<std::string, std::unique_ptr<re2::RE2>> patterns_;
};

}  // namespace

std::vector<std::string> validate(const nlohmann::json& schema, const nlohmann::json& instance) {
  std::vector<std::string> out;
  Checker checker(out);
  // Depth first, children in document order, so problems read top to bottom.
  std::vector<Task> stack{{&schema, &instance, ""}};
  std::vector<Task> children;
  while (!stack.empty()) {
    auto task = std::move(stack.back());
    stack.pop_back();
    children.clear();
    checker.check(task, children);
    for (auto it = children.rbegin(); it != children.rend(); ++it)
      stack.push_back(std::move(*it));
  }
  return out;
}

}  // namespace sg::spotguide
