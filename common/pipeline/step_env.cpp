#include "pipeline/step_env.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "util/strings.hpp"

namespace sg::pipeline {
namespace {

enum class Kind { Null, Bool, Int, Float, String };

bool yaml11(Host h) {
  return h != Host::Woodpecker;
}

std::size_t digits_at(std::string_view s, std::size_t i) {
  std::size_t n = 0;
  while (i + n < s.size() && s[i + n] >= '0' && s[i + n] <= '9')
    ++n;
  return n;
}

// [-+]?[0-9]+, checked by hand: libstdc++'s std::regex recurses per
// character and a long scalar would overflow the stack.
bool is_int_text(std::string_view s) {
  std::size_t i = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  auto n = digits_at(s, i);
  return n > 0 && i + n == s.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_float_text(std::string_view s) {
  std::size_t i = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  auto whole = digits_at(s, i);
  i += whole;
  if (i < s.size() && s[i] == '.') {
    auto frac = digits_at(s, i + 1);
    if (whole == 0 && frac == 0) return false;
    i += 1 + frac;
  } else if (whole == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    auto exp = digits_at(s, i);
    if (exp == 0) return false;
    i += exp;
  }
  return i == s.size();
}

// yaml-cpp keeps scalars as text; tag "!" marks quoted (non-plain) scalars,
// so plain ones get YAML's implicit typing, which differs by YAML version.
Kind scalar_kind(Host host, const YAML::Node& n) {
  if (n.IsNull()) return Kind::Null;
  if (n.Tag() == "!") return Kind::String;
  const auto& s = n.Scalar();
  static const std::set<std::string> bool12 = {"true", "false", "True", "False", "TRUE", "FALSE"};
  static const std::set<std::string> bool11 = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no",
                                               "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") return Kind::Null;
  if (bool12.count(s) || (yaml11(host) && bool11.count(s) && s.size() > 1)) return Kind::Bool;
  if (is_int_text(s)) return Kind::Int;
  if (is_float_text(s)) return Kind::Float;
  return Kind::String;
}

bool bool_value(const std::string& s) {
  auto l = util::to_lower(s);
  return l == "true" || l == "yes" || l == "y" || l == "on";
}

std::string scalar_text(Host host, const YAML::Node& n) {
  switch (scalar_kind(host, n)) {
    case Kind::Null:
      return "";
    case Kind::Bool:
      return bool_value(n.Scalar()) ? "true" : "false";
    case Kind::Int: {
      long long v = 0;
      const auto& s = n.Scalar();
      auto [ptr, ec] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), v);
      // Beyond 64 bits the text goes through as written, never wrapped.
      if (ec != std::errc()) return s;
      return std::to_string(v);
    }
    case Kind::Float:
      return go_format_float(std::stod(n.Scalar()));
    case Kind::String:
      return n.Scalar();
  }
  return n.Scalar();
}

nlohmann::json to_json(Host host, const YAML::Node& n, const std::map<std::string, std::string>& secrets,
                       bool resolve_nested_secrets, StepEnvironment& out) {
  if (resolve_nested_secrets && is_from_secret(n)) {
    auto name = n["from_secret"].as<std::string>();
    auto it = secrets.find(name);
    if (it == secrets.end()) {
      out.errors.push_back("secret " + name + " not found");
      return "";
    }
    out.secret_values.push_back(it->second);
    return it->second;
  }
  if (n.IsMap()) {
    auto obj = nlohmann::json::object();
    for (const auto& kv : n)
      obj[kv.first.Scalar()] = to_json(host, kv.second, secrets, resolve_nested_secrets, out);
    return obj;
  }
  if (n.IsSequence()) {
    auto arr = nlohmann::json::array();
    for (const auto& x : n)
      arr.push_back(to_json(host, x, secrets, resolve_nested_secrets, out));
    return arr;
  }
  switch (scalar_kind(host, n)) {
    case Kind::Null:
      return nullptr;
    case Kind::Bool:
      return bool_value(n.Scalar());
    case Kind::Int:
      return std::stoll(n.Scalar());
    case Kind::Float:
      return std::stod(n.Scalar());
    case Kind::String:
      return n.Scalar();
  }
  return nullptr;
}

bool all_scalars(const YAML::Node& seq) {
  for (const auto& x : seq) {
    if (!x.IsScalar() && !x.IsNull()) return false;
  }
  return true;
}

std::string encode(Host host, const YAML::Node& value, const std::map<std::string, std::string>& secrets,
                   StepEnvironment& out) {
  bool nested = host == Host::Woodpecker;
  if (value.IsSequence()) {
    if (value.size() == 0) return "";
    if (all_scalars(value)) {
      std::vector<std::string> items;
      for (const auto& x : value)
        items.push_back(scalar_text(host, x));
      return util::join(items, ",");
    }
    return to_json(host, value, secrets, nested, out).dump();
  }
  if (value.IsMap()) return to_json(host, value, secrets, nested, out).dump();
  return scalar_text(host, value);
}

std::string setting_key(Host host, const std::string& key) {
  auto up = util::to_upper(key);
  if (host == Host::Woodpecker) {
    for (char& c : up) {
      if (c == '-' || c == '.') c = '_';
    }
  }
  return "PLUGIN_" + up;
}

const std::set<std::string>& reserved_08_keys() {
  static const std::set<std::string> keys = {
      "image",      "commands",  "secrets",   "environment",  "when",      "group",      "volumes",
      "privileged", "pull",      "detach",    "network_mode", "networks",  "entrypoint", "command",
      "shm_size",   "mem_limit", "cpu_quota", "cpu_shares",   "dns",       "dns_search", "extra_hosts",
      "labels",     "devices",   "ulimits",   "tmpfs",        "isolation", "depends_on", "failure"};
  return keys;
}

}  // namespace

bool is_from_secret(const YAML::Node& n) {
  return n.IsMap() && n.size() == 1 && n["from_secret"];
}

std::vector<std::pair<std::string, YAML::Node>> setting_nodes(Host host, const YAML::Node& step) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (host == Host::Drone08) {
    for (const auto& kv : step) {
      if (!reserved_08_keys().count(kv.first.Scalar())) out.emplace_back(kv.first.Scalar(), kv.second);
    }
  } else if (auto settings = step["settings"]; settings && settings.IsMap()) {
    for (const auto& kv : settings)
      out.emplace_back(kv.first.Scalar(), kv.second);
  }
  return out;
}

const char* host_name(Host h) {
  switch (h) {
    case Host::Drone:
      return "drone";
    case Host::Drone08:
      return "drone-0.8";
    case Host::Woodpecker:
      return "woodpecker";
  }
  return "?";
}

std::string go_format_float(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // shortest round-trip: d.ddde±x
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  auto e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  std::string out;
  // Go's 'g' with shortest precision switches to %e when exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  } else if (exp < 0) {
    out = "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<std::size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<std::size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<std::size_t>(exp) + 1) + "." + digits.substr(static_cast<std::size_t>(exp) + 1);
  }
  return neg ? "-" + out : out;
}

nlohmann::json yaml_to_json(const YAML::Node& value) {
  StepEnvironment scratch;
  return to_json(Host::Woodpecker, value, {}, false, scratch);
}

std::string encode_value(Host host, const YAML::Node& value) {
  StepEnvironment scratch;
  return encode(host, value, {}, scratch);
}

Host detect_host(const YAML::Node& doc) {
  if (doc["pipeline"]) return Host::Drone08;
  if (doc["kind"] && doc["kind"].as<std::string>() == "pipeline") return Host::Drone;
  return Host::Woodpecker;
}

// YAML 1.1 merge keys (`<<: *anchor`), which Drone and Woodpecker resolve
// (Go's yaml) and yaml-cpp keeps as an ordinary "<<" key. Explicit keys win.
YAML::Node resolve_merge_keys(const YAML::Node& n) {
  if (n.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& x : n)
      out.push_back(resolve_merge_keys(x));
    return out;
  }
  if (!n.IsMap()) return n;
  YAML::Node out(YAML::NodeType::Map);
  auto merge_from = [&](const YAML::Node& src) {
    if (!src.IsMap()) return;
    for (const auto& kv : resolve_merge_keys(src)) {
      if (!out[kv.first.Scalar()]) out[kv.first.Scalar()] = kv.second;
    }
  };
  for (const auto& kv : n) {
    if (kv.first.Scalar() != "<<") out[kv.first.Scalar()] = resolve_merge_keys(kv.second);
  }
  if (auto m = n["<<"]) {
    if (m.IsSequence()) {
      for (const auto& src : m)
        merge_from(src);
    } else {
      merge_from(m);
    }
  }
  return out;
}

std::vector<std::pair<std::string, YAML::Node>> pipeline_steps(const YAML::Node& doc) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  auto steps = doc["pipeline"] ? doc["pipeline"] : doc["steps"];
  if (!steps) return out;
  if (steps.IsMap()) {
    for (const auto& kv : steps)
      out.emplace_back(kv.first.Scalar(), resolve_merge_keys(kv.second));
  } else if (steps.IsSequence()) {
    for (const auto& s : steps)
      out.emplace_back(s["name"] ? s["name"].as<std::string>() : "", resolve_merge_keys(s));
  }
  return out;
}

std::map<std::string, std::string> metadata_environment(Host host, const Build& b) {
  std::map<std::string, std::string> env;
  std::string slug = b.repo_owner + "/" + b.repo_name;
  // The DRONE_* set Drone gives every step; Woodpecker copies it for plugin steps.
  auto drone_common = [&] {
    env["DRONE_REPO"] = slug;
    env["DRONE_REPO_OWNER"] = b.repo_owner;
    env["DRONE_REPO_NAME"] = b.repo_name;
    env["DRONE_COMMIT_SHA"] = b.commit;
    env["DRONE_COMMIT"] = b.commit;
    env["DRONE_BRANCH"] = b.branch;
    env["DRONE_COMMIT_BRANCH"] = b.branch;
    env["DRONE_BUILD_NUMBER"] = b.build_number;
    env["DRONE_BUILD_EVENT"] = b.event;
  };
  switch (host) {
    case Host::Drone:
      drone_common();
      env["DRONE"] = "true";
      env["CI"] = "true";
      env["DRONE_WORKSPACE"] = b.workspace;
      env["DRONE_STEP_NAME"] = b.step_name;
      env["DRONE_CARD_PATH"] = "/dev/stdout";
      // Drone 1.x still sets the legacy CI_* names; CI_REPO_NAME is the slug.
      env["CI_REPO"] = slug;
      env["CI_REPO_NAME"] = slug;
      env["CI_COMMIT_SHA"] = b.commit;
      env["CI_BUILD_NUMBER"] = b.build_number;
      env["CI_WORKSPACE"] = b.workspace;
      break;
    case Host::Drone08:
      drone_common();
      env["DRONE"] = "true";
      env["CI"] = "drone";
      env["DRONE_WORKSPACE"] = b.workspace;
      env["CI_REPO"] = slug;
      env["CI_REPO_NAME"] = slug;
      env["CI_COMMIT_SHA"] = b.commit;
      env["CI_BUILD_NUMBER"] = b.build_number;
      env["CI_BUILD_EVENT"] = b.event;
      env["CI_WORKSPACE"] = b.workspace;
      break;
    case Host::Woodpecker:
      env["CI"] = "woodpecker";
      env["CI_REPO"] = slug;
      env["CI_REPO_OWNER"] = b.repo_owner;
      env["CI_REPO_NAME"] = b.repo_name;
      env["CI_COMMIT_SHA"] = b.commit;
      env["CI_COMMIT_BRANCH"] = b.branch;
      env["CI_PIPELINE_NUMBER"] = b.build_number;
      env["CI_PIPELINE_EVENT"] = b.event;
      env["CI_WORKSPACE"] = b.workspace;
      env["CI_STEP_NAME"] = b.step_name;
      // The compatibility subset Woodpecker adds for plugin steps only: no
      // DRONE_WORKSPACE, no card path, and a build status that is always success.
      drone_common();
      env["DRONE_BUILD_STATUS"] = "success";
      break;
  }
  return env;
}

StepEnvironment step_environment(Host host, const std::string& step_name, const YAML::Node& step,
                                 const std::map<std::string, std::string>& secrets, Build build) {
  StepEnvironment out;
  if (step["image"]) out.image = step["image"].as<std::string>();
  build.step_name = step_name;
  for (auto& [k, v] : metadata_environment(host, build))
    out.env[k] = v;

  auto put_setting = [&](const std::string& key, const YAML::Node& value) {
    if (value.IsNull()) return;  // Drone skips nulls (drone/drone-yaml#13)
    std::string encoded;
    if (is_from_secret(value)) {
      auto name = value["from_secret"].as<std::string>();
      auto it = secrets.find(name);
      if (it == secrets.end()) {
        out.errors.push_back("secret " + name + " not found for setting " + key);
        return;
      }
      encoded = it->second;
      out.secret_values.push_back(encoded);
    } else {
      encoded = encode(host, value, secrets, out);
    }
    if (host == Host::Woodpecker && encoded.empty()) return;
    out.env[setting_key(host, key)] = encoded;
  };

  for (const auto& [key, value] : setting_nodes(host, step))
    put_setting(key, value);
  if (host == Host::Drone08) {
    if (auto list = step["secrets"]) {
      for (const auto& s : list) {
        std::string source = s.IsMap() ? s["source"].as<std::string>() : s.as<std::string>();
        std::string target = s.IsMap() ? s["target"].as<std::string>() : source;
        auto it = secrets.find(source);
        if (it == secrets.end()) {
          out.errors.push_back("secret " + source + " not found");
          continue;
        }
        out.env[util::to_upper(target)] = it->second;
        out.secret_values.push_back(it->second);
      }
    }
  }

  if (auto environment = step["environment"]) {
    for (const auto& kv : environment) {
      const auto& v = kv.second;
      if (is_from_secret(v)) {
        auto it = secrets.find(v["from_secret"].as<std::string>());
        if (it == secrets.end()) {
          out.errors.push_back("secret " + v["from_secret"].as<std::string>() + " not found");
          continue;
        }
        out.env[kv.first.Scalar()] = it->second;
        out.secret_values.push_back(it->second);
      } else {
        out.env[kv.first.Scalar()] = scalar_text(host, v);
      }
    }
  }
  if (host == Host::Woodpecker) std::erase_if(out.env, [](const auto& kv) { return kv.second.empty(); });
  return out;
}

}  // namespace sg::pipeline
