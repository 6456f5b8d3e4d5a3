#include "json_schema.hpp"

#include <map>
#include <memory>
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

// One (schema, value) pair still to check, and where the value sits.
struct Task {
  const nlohmann::json* schema;
  const nlohmann::json* value;
  std::string at;
};

// Checks one pair and appends its children's pairs to `next` in document
// order. The walk keeps its own stack, so an instance nested however deep
// costs memory, never the call stack.
class Checker {
 public:
  explicit Checker(std::vector<std::string>& out) : out_(out) {}

  void check(const Task& t, std::vector<Task>& next) {
    const auto& s = *t.schema;
    const auto& v = *t.value;
    const std::string where = t.at.empty() ? "/" : t.at;
    for (const auto& [k, _] : s.items()) {
      if (!known_keywords().count(k)) out_.push_back("schema" + where + ": keyword `" + k + "` is not supported");
    }
    if (auto ty = s.find("type"); ty != s.end() && !has_type(v, ty->get<std::string>())) {
      out_.push_back(where + ": expected " + ty->get<std::string>() + ", got " + type_of(v));
      return;
    }
    if (auto e = s.find("enum"); e != s.end()) {
      bool found = false;
      for (const auto& option : *e)
        found = found || option == v;
      if (!found) out_.push_back(where + ": " + v.dump() + " is not one of " + e->dump());
    }
    if (v.is_string()) {
      const auto& str = v.get_ref<const std::string&>();
      if (auto m = s.find("minLength"); m != s.end() && str.size() < m->get<std::size_t>())
        out_.push_back(where + ": must not be empty");
      if (auto p = s.find("pattern"); p != s.end() && !re2::RE2::PartialMatch(str, pattern(p->get<std::string>())))
        out_.push_back(where + ": \"" + str + "\" does not match " + p->get<std::string>());
    }
    if (v.is_number()) {
      auto n = v.get<double>();
      if (auto m = s.find("minimum"); m != s.end() && n < m->get<double>())
        out_.push_back(where + ": " + v.dump() + " is below the minimum " + m->dump());
      if (auto m = s.find("maximum"); m != s.end() && n > m->get<double>())
        out_.push_back(where + ": " + v.dump() + " is above the maximum " + m->dump());
    }
    if (v.is_array()) {
      if (auto m = s.find("minItems"); m != s.end() && v.size() < m->get<std::size_t>())
        out_.push_back(where + ": needs at least " + m->dump() + " item(s)");
      if (auto items = s.find("items"); items != s.end()) {
        for (std::size_t i = 0; i < v.size(); ++i)
          next.push_back({&*items, &v[i], t.at + "/" + std::to_string(i)});
      }
    }
    if (v.is_object()) {
      if (auto r = s.find("required"); r != s.end()) {
        for (const auto& name : *r) {
          if (!v.contains(name.get<std::string>()))
            out_.push_back(where + ": `" + name.get<std::string>() + "` is required");
        }
      }
      static const nlohmann::json no_properties = nlohmann::json::object();
      auto pit = s.find("properties");
      const auto& props = pit != s.end() ? *pit : no_properties;
      const auto extra = s.find("additionalProperties");
      for (const auto& [k, child] : v.items()) {
        if (auto p = props.find(k); p != props.end()) {
          next.push_back({&*p, &child, t.at + "/" + k});
        } else if (extra != s.end() && extra->is_boolean() && !extra->get<bool>()) {
          std::string list;
          for (const auto& [n, _] : props.items())
            list += (list.empty() ? "" : ", ") + n;
          out_.push_back(where + ": unknown key `" + k + "` (known: " + list + ")");
        } else if (extra != s.end() && extra->is_object()) {
          next.push_back({&*extra, &child, t.at + "/" + k});
        }
      }
    }
  }

 private:
  // A schema's patterns, compiled once per validation. RE2 matches in time
  // linear in the value (std::regex backtracks, and recurses per character).
  const re2::RE2& pattern(const std::string& p) {
    auto it = patterns_.find(p);
    if (it == patterns_.end()) {
      re2::RE2::Options o;
      o.set_log_errors(false);
      it = patterns_.emplace(p, std::make_unique<re2::RE2>(p, o)).first;
      if (!it->second->ok()) out_.push_back("schema: pattern " + p + " is not RE2 syntax: " + it->second->error());
    }
    return *it->second;
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
