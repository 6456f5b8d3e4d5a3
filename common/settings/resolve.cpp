#include "settings/resolve.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>

#include "settings/parse.hpp"
#include "settings/secret_rule.hpp"
#include "settings/templating.hpp"
#include "util/strings.hpp"

namespace sg::settings {

Environment environment_from(char** envp) {
  Environment env;
  for (char** e = envp; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

namespace {

constexpr std::string_view kPrefix = "PLUGIN_";

// Variables some hosts set under PLUGIN_ that are not settings of ours.
bool host_owned(std::string_view var) {
  return var == "PLUGIN_ARTIFACT_FILE";
}

struct Candidate {
  std::string var;
  std::string value;
  int priority;  // lower wins
};

std::string describe_value(const Setting& s, const std::string& var, const std::string& raw) {
  if (s.is_secret()) return var + "=<redacted, " + std::to_string(raw.size()) + " bytes>";
  return var + "=" + util::quote_for_message(raw);
}

Value parse_typed(const Setting& s, const std::string& raw, const VariableLookup& lookup,
                  std::vector<std::string>& referenced) {
  auto render = [&](const std::string& text) { return render_template(text, lookup, &referenced); };
  switch (s.type) {
    case Type::String:
    case Type::Path:
    case Type::Secret:
      return render(raw);
    case Type::Int: {
      auto v = parse_int(render(raw));
      if ((s.min && v < *s.min) || (s.max && v > *s.max)) {
        std::string range = s.min && s.max ? "between " + std::to_string(*s.min) + " and " + std::to_string(*s.max)
                            : s.min        ? "at least " + std::to_string(*s.min)
                                           : "at most " + std::to_string(*s.max);
        throw ParseFailure("an integer " + range);
      }
      return v;
    }
    case Type::Bool:
      return parse_bool(render(raw));
    case Type::Duration: {
      auto d = parse_duration(render(raw));
      if (d.count() == 0 && !s.allow_zero) {
        throw ParseFailure("a duration greater than zero, such as 30s (0 would never wait or never time out)");
      }
      return d;
    }
    case Type::Enum: {
      auto v = util::trim(render(raw));
      for (const auto& c : s.choices) {
        if (util::iequals(c, v)) return c;
      }
      throw ParseFailure("one of: " + util::join(s.choices, ", "));
    }
    case Type::List: {
      auto items = parse_list(raw);
      for (auto& item : items)
        item = render(item);
      return items;
    }
    case Type::Map: {
      auto doc = parse_map(raw);
      // Templates apply to keys and string leaves, after parsing, so a
      // substituted value containing quotes or commas cannot break the syntax.
      std::function<nlohmann::json(const nlohmann::json&)> walk = [&](const nlohmann::json& j) -> nlohmann::json {
        if (j.is_string()) return render(j.get<std::string>());
        if (j.is_array()) {
          auto out = nlohmann::json::array();
          for (const auto& x : j)
            out.push_back(walk(x));
          return out;
        }
        if (j.is_object()) {
          auto out = nlohmann::json::object();
          for (const auto& [k, v] : j.items())
            out[render(k)] = walk(v);
          return out;
        }
        return j;
      };
      return walk(doc);
    }
  }
  return std::monostate{};
}

// Every string leaf of a parsed value, for the redactor: a secret map's
// values reach logs one at a time (an API server echoing one env var), not
// as the raw setting.
void collect_strings(const Value& v, std::vector<std::string>& out) {
  if (const auto* str = std::get_if<std::string>(&v)) {
    out.push_back(*str);
  } else if (const auto* list = std::get_if<std::vector<std::string>>(&v)) {
    out.insert(out.end(), list->begin(), list->end());
  } else if (const auto* j = std::get_if<nlohmann::json>(&v)) {
    // Iterative: the depth is bounded by the parser, but no walk should
    // depend on it.
    std::vector<const nlohmann::json*> stack{j};
    while (!stack.empty()) {
      const auto* cur = stack.back();
      stack.pop_back();
      if (cur->is_string()) {
        out.push_back(cur->get<std::string>());
      } else if (cur->is_structured()) {
        for (const auto& x : *cur)
          stack.push_back(&x);
      }
    }
  }
}

// Leaves of a non-secret map whose key marks a credential
// (spark.hadoop.fs.azure.account.key.x, DB_PASSWORD) are secret too.
void collect_credential_leaves(const nlohmann::json& j, std::vector<std::string>& out) {
  std::vector<const nlohmann::json*> stack{&j};
  while (!stack.empty()) {
    const auto* cur = stack.back();
    stack.pop_back();
    if (!cur->is_object()) continue;
    for (const auto& [k, v] : cur->items()) {
      if (v.is_string() && (is_credential_conf_key(k) || is_secret_variable(k))) out.push_back(v.get<std::string>());
      if (v.is_object()) stack.push_back(&v);
    }
  }
}

// Values too common to mask: a secret-named flag set to "true" is not a
// secret, and masking "true" would garble every line.
bool trivial_value(std::string_view v) {
  auto t = util::to_lower(util::trim(v));
  return t.size() < 4 || t == "true" || t == "false" || t == "null";
}

std::string expected_form(const Setting& s) {
  switch (s.type) {
    case Type::Int:
      return "an integer";
    case Type::Bool:
      return "true or false";
    case Type::Duration:
      return "a duration such as 30s or 5m";
    case Type::Enum:
      return "one of: " + util::join(s.choices, ", ");
    case Type::List:
      return "a list";
    case Type::Map:
      return "a map";
    default:
      return "a value";
  }
}

}  // namespace

std::string suggest(const Schema& schema, const std::string& unknown_key) {
  auto target = util::to_lower(canonical_key(unknown_key));
  std::string best;
  std::size_t best_d = std::string::npos;
  auto consider = [&](const std::string& name) {
    auto d = util::levenshtein(target, util::to_lower(canonical_key(name)));
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  };
  for (const auto& s : schema.settings) {
    consider(s.name);
    for (const auto& a : s.aliases)
      consider(a);
  }
  std::size_t limit = std::max<std::size_t>(2, target.size() / 3);
  return best_d <= limit ? best : std::string{};
}

Resolution resolve(const Schema& schema, const Environment& env) {
  Resolution r;
  r.values = Values(schema);

  // Index every spelling of every name and alias by its canonical key.
  std::map<std::string, std::pair<const Setting*, bool>> by_key;  // bool: is alias
  for (const auto& s : schema.settings) {
    by_key[canonical_key(s.name)] = {&s, false};
    for (const auto& a : s.aliases)
      by_key.emplace(canonical_key(a), std::make_pair(&s, true));
  }

  std::map<const Setting*, std::vector<Candidate>> candidates;
  std::vector<std::string> unknown;
  for (const auto& [var, value] : env) {
    if (!var.starts_with(kPrefix) || host_owned(var)) continue;
    auto key = canonical_key(std::string_view(var).substr(kPrefix.size()));
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      unknown.push_back(var);
      continue;
    }
    const auto [setting, is_alias] = it->second;
    int priority = is_alias ? 2 : (var == env_name(setting->name) ? 0 : 1);
    candidates[setting].push_back({var, value, priority});
  }
  for (const auto& s : schema.settings) {
    for (const auto& bare : s.env_names) {
      if (auto it = env.find(bare); it != env.end()) candidates[&s].push_back({bare, it->second, 3});
    }
  }

  // Secrets are known before anything is parsed, so even an error message
  // about a malformed secret cannot echo it.
  for (auto& [setting, cands] : candidates) {
    if (!setting->is_secret()) continue;
    for (const auto& c : cands) {
      if (!c.value.empty()) r.secret_values.push_back(c.value);
    }
  }

  // Variables whose names mark them as secrets (the clone credentials, a
  // forwarded PLUGIN_DB_PASSWORD) are masked whether or not a setting reads
  // them: a command may print them, a proxied step may echo them. Our own
  // settings are classified by the schema instead.
  for (const auto& [var, value] : env) {
    if (value.empty() || trivial_value(value)) continue;
    if (var.starts_with(kPrefix)) {
      auto it = by_key.find(canonical_key(std::string_view(var).substr(kPrefix.size())));
      if (it != by_key.end()) continue;
    }
    if (is_secret_variable(var)) r.secret_values.push_back(value);
  }

  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };

  for (const auto& s : schema.settings) {
    auto& cands = candidates[&s];
    // Woodpecker drops empty variables, so empty and unset must mean the same.
    std::erase_if(cands, [](const Candidate& c) { return c.value.empty(); });
    std::stable_sort(cands.begin(), cands.end(),
                     [](const Candidate& a, const Candidate& b) { return a.priority < b.priority; });
    for (const auto& c : cands)
      r.consumed.insert(c.var);
    for (std::size_t i = 1; i < cands.size(); ++i) {
      if (cands[i].value != cands[0].value) {
        r.errors.push_back(cands[0].var + " and " + cands[i].var + " both set setting " + s.name +
                           " with different values; keep only one of them");
        break;
      }
    }

    std::string raw;
    std::string source;
    bool explicit_set = !cands.empty();
    if (explicit_set) {
      raw = cands[0].value;
      source = cands[0].var;
    } else if (!s.default_value.empty()) {
      raw = s.default_value;
      source = "default";
    } else {
      if (s.required) {
        std::string msg = env_name(s.name) + " (setting " + s.name + ") is required: " + s.description;
        if (!s.example.empty()) msg += " Example: `" + s.name + ": " + s.example + "`.";
        r.errors.push_back(msg);
      }
      r.values.set(s.name, {std::monostate{}, "", false});
      continue;
    }

    if (raw.size() > s.max_bytes) {
      r.errors.push_back(source + " (setting " + s.name + ") is " + std::to_string(raw.size()) +
                         " bytes; the limit for this setting is " + std::to_string(s.max_bytes) +
                         " bytes. Pass large content as a file path instead.");
      continue;
    }
    if (!util::valid_utf8(raw)) {
      r.errors.push_back(source + " (setting " + s.name +
                         ") is not valid UTF-8; check the secret or file it came from.");
      continue;
    }
    try {
      std::vector<std::string> referenced;
      Value v = parse_typed(s, raw, lookup, referenced);
      for (const auto& name : referenced) {
        r.consumed.insert(name);
        // A plugin cannot tell which variables came from CI secrets. Only our
        // own non-secret settings and build metadata are known to be safe,
        // and build metadata only where its name marks no credential.
        bool safe = (name.starts_with("DRONE_") || name.starts_with("CI_")) && !is_secret_variable(name);
        if (name.starts_with(kPrefix)) {
          auto key_it = by_key.find(canonical_key(std::string_view(name).substr(kPrefix.size())));
          safe = key_it != by_key.end() && !key_it->second.first->is_secret();
        }
        if (!safe) r.secret_values.push_back(*lookup(name));
      }
      if (s.is_secret()) {
        collect_strings(v, r.secret_values);
      } else if (const auto* j = std::get_if<nlohmann::json>(&v)) {
        collect_credential_leaves(*j, r.secret_values);
      }
      if (s.type == Type::Path && s.must_exist) {
        const auto& path = std::get<std::string>(v);
        if (FILE* f = std::fopen(path.c_str(), "r")) {
          std::fclose(f);
        } else {
          throw ParseFailure("a path to an existing, readable file (" + path + " cannot be opened)");
        }
      }
      r.values.set(s.name, {std::move(v), source, explicit_set});
    } catch (const ParseFailure& e) {
      // The failure text may quote part of the value; the value of a secret
      // is registered whole, so a quoted fragment would escape the mask.
      std::string detail = s.is_secret() ? expected_form(s) : std::string(e.what());
      r.errors.push_back(describe_value(s, source, raw) + " (setting " + s.name + "): expected " + detail);
    } catch (const std::exception& e) {
      std::string detail = s.is_secret() ? std::string() : std::string(" (") + e.what() + ")";
      r.errors.push_back(describe_value(s, source, raw) + " (setting " + s.name + "): expected " + expected_form(s) +
                         detail);
    }
  }

  if (r.errors.empty()) {
    for (const auto& rule : schema.rules)
      rule(r.values, r.errors);
  }

  // One value may be registered by several routes (a bare secret name that
  // also reads as secret); the redactor needs each once.
  {
    std::set<std::string> seen;
    std::erase_if(r.secret_values, [&](const std::string& v) { return !seen.insert(v).second; });
  }

  if (!schema.forward_unknown) {
    for (const auto& var : unknown) {
      if (r.consumed.count(var)) continue;
      auto rest = var.substr(kPrefix.size());
      std::string msg = "unknown setting " + var + " (" + util::to_lower(rest) + ") is ignored";
      if (auto s = suggest(schema, rest); !s.empty()) msg += "; did you mean `" + s + "` (" + env_name(s) + ")?";
      r.warnings.push_back(msg);
    }
  }
  return r;
}

}  // namespace sg::settings
