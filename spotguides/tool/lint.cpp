#include "lint.hpp"

#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <yaml-cpp/yaml.h>

#ifdef SPOTGUIDE_WITH_K8S_PROXY
#include "k8s-proxy/settings.hpp"
#endif
#include "pipeline/step_env.hpp"
#include "registry.hpp"
#include "render.hpp"
#include "settings/resolve.hpp"
#include "util/strings.hpp"
#include "yaml/bounded.hpp"

namespace sg::spotguide {
namespace {

using pipeline::Host;
using pipeline::is_from_secret;
using pipeline::setting_nodes;
using Severity = LintIssue::Severity;

// A stand-in for a secret's value that parses as the setting's type, so a
// secret-fed setting is checked for presence but not for its (unknown) value.
std::string placeholder_for(const settings::Setting* s) {
  if (!s) return "secret";
  switch (s->type) {
    case settings::Type::Int:
      return s->min ? std::to_string(*s->min) : "1";
    case settings::Type::Bool:
      return "true";
    case settings::Type::Duration:
      return "1s";
    case settings::Type::Enum:
      return s->choices.empty() ? "x" : s->choices.front();
    case settings::Type::Map:
      return "{}";
    default:
      return "secret";
  }
}

// The setting a step key or variable name means, by any accepted spelling.
const settings::Setting* setting_for(const settings::Schema& schema, const std::string& key_or_var) {
  auto key = settings::canonical_key(key_or_var);
  for (const auto& s : schema.settings) {
    for (const auto& bare : s.env_names) {
      if (settings::canonical_key(bare) == key) return &s;
    }
  }
  if (key.starts_with("PLUGIN_")) key.erase(0, 7);
  for (const auto& s : schema.settings) {
    if (settings::canonical_key(s.name) == key) return &s;
    for (const auto& a : s.aliases) {
      if (settings::canonical_key(a) == key) return &s;
    }
  }
  return nullptr;
}

// A scalar's text, or "" for a map or list where a name belongs (step_env
// reports those, naming the setting).
std::string text_of(const YAML::Node& n) {
  return n.IsScalar() ? n.Scalar() : std::string();
}

void collect_secret_names(const YAML::Node& n, std::set<std::string>& out) {
  if (is_from_secret(n)) {
    if (auto name = text_of(n["from_secret"]); !name.empty()) out.insert(name);
  } else if (n.IsMap()) {
    for (const auto& kv : n)
      collect_secret_names(kv.second, out);
  } else if (n.IsSequence()) {
    for (const auto& x : n)
      collect_secret_names(x, out);
  }
}

bool templated(const std::string& v) {
  return v.find("${") != std::string::npos || v.find("{{") != std::string::npos;
}

// True when message names one of vars as a whole word (PLUGIN_A, not PLUGIN_AB).
bool mentions_any(const std::string& message, const std::set<std::string>& vars) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (const auto& v : vars) {
    for (auto pos = message.find(v); pos != std::string::npos; pos = message.find(v, pos + 1)) {
      auto end = pos + v.size();
      if ((pos == 0 || !word(message[pos - 1])) && (end >= message.size() || !word(message[end]))) return true;
    }
  }
  return false;
}

// The proxy's own setting a forwarded variable's name is a likely typo of,
// by the proxy's rule (the one its run-time warning uses), or empty.
std::string near_miss(const std::string& plugin, const settings::Schema& schema, const std::string& var) {
#ifdef SPOTGUIDE_WITH_K8S_PROXY
  if (plugin == "k8s-proxy") return k8s_proxy::near_miss(schema, var);
#endif
  (void)plugin;
  (void)schema;
  (void)var;
  return {};
}

class StepLinter {
 public:
  StepLinter(Host host, std::string name, const YAML::Node& step, LintResult& out)
      : host_(host), name_(std::move(name)), step_(step), out_(out) {}

  void run() {
    if (!step_.IsMap() || !step_["image"]) return;
    if (!step_["image"].IsScalar()) {
      error("image must be a single value: the image to run");
      return;
    }
    auto image = step_["image"].Scalar();
    auto known = identify_image(image);
    if (!known) return;
    const auto* schema = plugin_schema(known->plugin);
    if (!schema) {
      warn("runs " + known->plugin + " (" + image + "), which this build of spotguide cannot check");
      return;
    }
    ++out_.steps_checked;
    auto env = environment(*schema);
    check_plain_secrets(*schema);
    check_placeholders();
    auto r = settings::resolve(*schema, env);
    report(r, "");
    if (schema->forward_unknown) check_proxied(known->plugin, *schema, env, r);
  }

 private:
  void error(std::string m) { out_.issues.push_back({Severity::Error, name_, std::move(m)}); }
  void warn(std::string m) { out_.issues.push_back({Severity::Warning, name_, std::move(m)}); }

  // The step's environment, with every referenced secret present.
  settings::Environment environment(const settings::Schema& schema) {
    std::set<std::string> secret_names;
    for (const auto& [key, value] : setting_nodes(host_, step_)) {
      collect_secret_names(value, secret_names);
    }
    if (auto e = step_["environment"]) collect_secret_names(e, secret_names);
    std::map<std::string, std::string> secrets;
    for (const auto& [key, value] : setting_nodes(host_, step_)) {
      if (is_from_secret(value)) secrets[text_of(value["from_secret"])] = placeholder_for(setting_for(schema, key));
    }
    for (const auto& n : secret_names)
      secrets.emplace(n, "secret");
    if (auto list = step_["secrets"]; list && list.IsSequence()) {
      for (const auto& s : list) {
        std::string source = s.IsMap() ? text_of(s["source"]) : text_of(s);
        std::string target = s.IsMap() ? text_of(s["target"]) : source;
        secrets[source] = placeholder_for(setting_for(schema, target));
        unchecked_.insert(util::to_upper(target));
      }
    }
    auto se = pipeline::step_environment(host_, name_, step_, secrets, {});
    for (const auto& e : se.errors)
      error(e);
    settings::Environment env;
    for (const auto& [k, v] : se.env) {
      env[k] = v;
      if (templated(v)) unchecked_.insert(k);
    }
    for (const auto& [key, value] : setting_nodes(host_, step_)) {
      if (is_from_secret(value)) unchecked_.insert("PLUGIN_" + util::to_upper(key));
    }
    // Cross-setting rules name settings, not variables ("endpoint must be a
    // URL"): a run-time value must not fail those either.
    std::set<std::string> names;
    for (const auto& var : unchecked_) {
      if (const auto* s = setting_for(schema, var)) names.insert(s->name);
    }
    unchecked_.insert(names.begin(), names.end());
    return env;
  }

  void check_plain_secrets(const settings::Schema& schema) {
    auto how = host_ == Host::Drone08 ? std::string("list it under `secrets:`") : std::string("use `from_secret:`");
    for (const auto& [key, value] : setting_nodes(host_, step_)) {
      const auto* s = setting_for(schema, key);
      if (!s || !s->is_secret() || is_from_secret(value) || value.IsNull()) continue;
      if (value.IsScalar() && (templated(value.Scalar()) || value.Scalar().empty())) continue;
      error("setting `" + key + "` is a secret but its value is written in the file; " + how + " instead");
    }
    if (auto e = step_["environment"]; e && e.IsMap()) {
      for (const auto& kv : e) {
        const auto* s = setting_for(schema, kv.first.Scalar());
        if (!s || !s->is_secret() || is_from_secret(kv.second)) continue;
        if (kv.second.IsScalar() && templated(kv.second.Scalar())) continue;
        error("environment variable " + kv.first.Scalar() + " carries secret setting `" + s->name +
              "` as a plain value; use `from_secret:` instead");
      }
    }
  }

  // Banzai's templates mark what a user must fill in with [[...]].
  void check_placeholders() {
    std::set<std::string> seen;
    std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
      if (n.IsScalar()) {
        for (const auto& m : find_placeholders(n.Scalar(), PlaceholderNames::Any))
          seen.insert(m.name);
      } else if (n.IsMap()) {
        for (const auto& kv : n)
          walk(kv.second);
      } else if (n.IsSequence()) {
        for (const auto& x : n)
          walk(x);
      }
    };
    // The loader bounds the step's depth, so this recursion is bounded too.
    walk(step_);
    for (const auto& p : seen)
      warn("placeholder [[" + p + "]] is not filled in (spotguide render fills a spotguide's template)");
  }

  void report(const settings::Resolution& r, const std::string& context) {
    for (const auto& e : r.errors) {
      // Values that only exist at run time cannot be judged here.
      if (mentions_any(e, unchecked_) || e.find("cannot be opened") != std::string::npos) continue;
      error(context + e);
    }
    for (const auto& w : r.warnings) {
      // An unknown key is almost always a typo the plugin would ignore.
      if (w.starts_with("unknown setting")) {
        error(context + w);
      } else {
        warn(context + w);
      }
    }
  }

  // k8s-proxy runs another image with the step's remaining settings: when
  // that image is one of our plugins, check them against its schema too.
  void check_proxied(const std::string& plugin, const settings::Schema& outer_schema, const settings::Environment& env,
                     const settings::Resolution& outer) {
    const settings::Schema* inner_schema = nullptr;
    std::optional<KnownImage> inner;
    auto it = env.find("PLUGIN_ORIGINAL_IMAGE");
    if (it != env.end()) inner = identify_image(it->second);
    if (inner) inner_schema = plugin_schema(inner->plugin);
    check_near_misses(plugin, outer_schema, env, outer, inner_schema);
    if (!inner) return;
    if (!inner_schema) {
      warn("the proxied image " + it->second + " runs " + inner->plugin +
           ", which this build of spotguide cannot check");
      return;
    }
    settings::Environment inner_env;
    for (const auto& [k, v] : env) {
      if (!k.starts_with("PLUGIN_") || !outer.consumed.count(k)) inner_env[k] = v;
    }
    report(settings::resolve(*inner_schema, inner_env), "(" + inner->plugin + ", run by k8s-proxy) ");
  }

  // A forwarded key a few edits from one of the proxy's own settings
  // (`memory_limt`) is almost always that setting misspelt: the proxy would
  // silently pass it on and run without the limit. It is an error unless the
  // proxied image is one of our plugins that reads the key itself.
  void check_near_misses(const std::string& plugin, const settings::Schema& outer_schema,
                         const settings::Environment& env, const settings::Resolution& outer,
                         const settings::Schema* inner_schema) {
    for (const auto& [var, value] : env) {
      if (!var.starts_with("PLUGIN_") || outer.consumed.count(var)) continue;
      if (inner_schema && setting_for(*inner_schema, var)) continue;
      auto guess = near_miss(plugin, outer_schema, var);
      if (guess.empty()) continue;
      error("setting `" + util::to_lower(var.substr(7)) + "` (" + var + ") is not a " + plugin +
            " setting and would be passed to the proxied image unread; did you mean " + plugin + "'s `" + guess +
            "` (" + settings::env_name(guess) + ")?");
    }
  }

  Host host_;
  std::string name_;
  YAML::Node step_;
  LintResult& out_;
  std::set<std::string> unchecked_;  // variables whose value is a secret or substituted at run time
};

}  // namespace

int LintResult::errors() const {
  int n = 0;
  for (const auto& i : issues)
    n += i.severity == Severity::Error;
  return n;
}

int LintResult::warnings() const {
  return static_cast<int>(issues.size()) - errors();
}

LintResult lint(const std::string& yaml_text, const yaml::Limits& limits) {
  LintResult out;
  std::vector<YAML::Node> docs;
  try {
    docs = yaml::load_all(yaml_text, "the file", limits);
  } catch (const yaml::YamlError& e) {
    out.issues.push_back({Severity::Error, "", e.what()});
    return out;
  }
  bool any_pipeline = false;
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const auto& doc = docs[d];
    if (!doc.IsMap()) continue;
    // A field of the wrong shape (`kind: [a]`, `image: {x: y}`) is named,
    // not left to yaml-cpp's "bad conversion".
    std::string step_name;
    try {
      // Drone 1.x files also hold `kind: secret` and `kind: signature` documents.
      if (auto kind = doc["kind"]; kind && !kind.IsScalar()) {
        out.issues.push_back(
            {Severity::Error, "",
             "document " + std::to_string(d + 1) + ": kind must be a single value (pipeline, secret, signature)"});
        continue;
      }
      if (doc["kind"] && doc["kind"].Scalar() != "pipeline") continue;
      auto host = pipeline::detect_host(doc);
      auto steps = pipeline::pipeline_steps(doc);
      if (steps.empty()) continue;
      any_pipeline = true;
      out.host = pipeline::host_name(host);
      for (const auto& [name, step] : steps) {
        step_name = name;
        StepLinter(host, name, step, out).run();
      }
    } catch (const YAML::Exception& e) {
      auto where = e.mark.is_null() ? std::string()
                                    : " (line " + std::to_string(e.mark.line + 1) + ", column " +
                                          std::to_string(e.mark.column + 1) + ")";
      out.issues.push_back({Severity::Error, step_name,
                            "document " + std::to_string(d + 1) + where +
                                ": a field has the wrong type (a map or list where a single value belongs, "
                                "or the reverse): " +
                                e.msg});
    }
  }
  if (!any_pipeline) {
    out.issues.push_back({Severity::Error, "",
                          "no pipeline found: expected `pipeline:` (Drone 0.8) or `steps:` (Drone 1.x, Woodpecker)"});
  }
  return out;
}

std::string format(const std::string& file, const LintResult& r) {
  std::string s;
  for (const auto& i : r.issues) {
    s += file + ": ";
    if (!i.step.empty()) s += "step `" + i.step + "`: ";
    s += i.severity == Severity::Error ? "error: " : "warning: ";
    s += i.message + "\n";
  }
  s += file + ": " + std::to_string(r.steps_checked) + " plugin step(s) checked (" +
       (r.host.empty() ? std::string("?") : r.host) + "), " + std::to_string(r.errors()) + " error(s), " +
       std::to_string(r.warnings()) + " warning(s)\n";
  return s;
}

}  // namespace sg::spotguide
