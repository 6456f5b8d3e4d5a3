#include "pipeline/step_env.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "util/strings.hpp"
#include "yaml/bounded.hpp"

namespace sg::pipeline {
namespace {

// Scalar typing is common/yaml's, one mechanism for every YAML reader;
// Drone reads YAML 1.1 (Go's yaml.v2), so yes/no/on/off are booleans there.
yaml::JsonOptions typing(Host host) {
  yaml::JsonOptions o;
  o.yaml11_booleans = host != Host::Woodpecker;
  return o;
}

std::string setting_what(const std::string& key) {
  return "setting `" + key + "`";
}

// A scalar as the host writes it into a variable: Go's formatting of the
// value it typed.
std::string scalar_text(Host host, const YAML::Node& n, const std::string& what) {
  auto v = yaml::scalar_to_json(n, what, "the value", typing(host));
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_float()) return go_format_float(v.get<double>());
  return v.get<std::string>();
}

// The name in `{from_secret: name}`.
std::string secret_name(const YAML::Node& ref, const std::string& what) {
  auto n = ref["from_secret"];
  if (!n.IsScalar()) throw yaml::YamlError(what + ": from_secret must be the name of a secret");
  return n.Scalar();
}

// A setting's map or list as JSON; with resolve_nested_secrets (Woodpecker)
// every `{from_secret: name}` inside it becomes the secret's value.
nlohmann::json to_json(Host host, const YAML::Node& n, const std::string& what,
                       const std::map<std::string, std::string>& secrets, bool resolve_nested_secrets,
                       StepEnvironment& out) {
  auto options = typing(host);
  if (resolve_nested_secrets) {
    options.replace_map = [&](const YAML::Node& m) -> std::optional<nlohmann::json> {
      if (!is_from_secret(m)) return std::nullopt;
      auto name = secret_name(m, what);
      auto it = secrets.find(name);
      if (it == secrets.end()) {
        out.errors.push_back("secret " + name + " not found");
        return nlohmann::json("");
      }
      out.secret_values.push_back(it->second);
      return nlohmann::json(it->second);
    };
  }
  return yaml::to_json(n, what, {}, options);
}

bool all_scalars(const YAML::Node& seq) {
  for (const auto& x : seq) {
    if (!x.IsScalar() && !x.IsNull()) return false;
  }
  return true;
}

std::string encode(Host host, const YAML::Node& value, const std::string& what,
                   const std::map<std::string, std::string>& secrets, StepEnvironment& out) {
  bool nested = host == Host::Woodpecker;
  if (value.IsSequence()) {
    if (value.size() == 0) return "";
    if (all_scalars(value)) {
      std::vector<std::string> items;
      for (const auto& x : value)
        items.push_back(scalar_text(host, x, what));
      return util::join(items, ",");
    }
    return to_json(host, value, what, secrets, nested, out).dump();
  }
  if (value.IsMap()) return to_json(host, value, what, secrets, nested, out).dump();
  return scalar_text(host, value, what);
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

std::string encode_value(Host host, const YAML::Node& value) {
  StepEnvironment scratch;
  return encode(host, value, "the value", {}, scratch);
}

Host detect_host(const YAML::Node& doc) {
  if (doc["pipeline"]) return Host::Drone08;
  if (auto kind = doc["kind"]; kind && kind.IsScalar() && kind.Scalar() == "pipeline") return Host::Drone;
  return Host::Woodpecker;
}

namespace {

bool has_merge_key(const YAML::Node& n) {
  if (n.IsSequence()) {
    for (const auto& x : n) {
      if (has_merge_key(x)) return true;
    }
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (kv.first.Scalar() == "<<" || has_merge_key(kv.second)) return true;
    }
  }
  return false;
}

// A new tree with merge keys applied, none of whose nodes is a node of the
// parsed file. yaml-cpp gives every tree a set of the nodes it may reference,
// and putting a parsed node into a new tree merges the whole file's set into
// it: a copy of the file per step, quadratic in the number of steps. A cloned
// leaf brings a set of one and a parent takes over its children's sets, so a
// copy costs its size times its depth (bounded by the loader).
YAML::Node copy_resolved(const YAML::Node& n) {
  if (n.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& x : n)
      out.push_back(copy_resolved(x));
    return out;
  }
  if (!n.IsMap()) return YAML::Clone(n);
  // Keys in first-seen order; an explicit key replaces an earlier one, as in
  // yaml-cpp's own lookup, and a merged key is only added when absent.
  std::vector<std::pair<std::string, YAML::Node>> entries;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<YAML::Node> sources;
  for (const auto& kv : n) {
    const auto& key = kv.first.Scalar();
    if (key == "<<") {
      if (kv.second.IsSequence()) {
        for (const auto& src : kv.second)
          sources.push_back(src);
      } else {
        sources.push_back(kv.second);
      }
      continue;
    }
    auto [it, fresh] = index.emplace(key, entries.size());
    if (fresh) {
      entries.emplace_back(key, copy_resolved(kv.second));
    } else {
      entries[it->second].second = copy_resolved(kv.second);
    }
  }
  for (const auto& src : sources) {
    if (!src.IsMap()) continue;
    for (const auto& kv : copy_resolved(src)) {
      if (index.emplace(kv.first.Scalar(), entries.size()).second) entries.emplace_back(kv.first.Scalar(), kv.second);
    }
  }
  YAML::Node out(YAML::NodeType::Map);
  // force_insert appends; operator[] would search the map for every key.
  for (const auto& [key, value] : entries)
    out.force_insert(key, value);
  return out;
}

}  // namespace

// YAML 1.1 merge keys (`<<: *anchor`), which Drone and Woodpecker resolve
// (Go's yaml) and yaml-cpp keeps as an ordinary "<<" key. Explicit keys win.
// A step without merge keys is returned as it is, sharing the file's nodes.
YAML::Node resolve_merge_keys(const YAML::Node& n) {
  if (!has_merge_key(n)) return n;
  return copy_resolved(n);
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
      out.emplace_back(s["name"] && s["name"].IsScalar() ? s["name"].Scalar() : "", resolve_merge_keys(s));
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
  // A value of the wrong shape or type is an error naming the setting or
  // variable; the rest of the step is still read.
  auto guarded = [&](auto&& f) {
    try {
      f();
    } catch (const yaml::YamlError& e) {
      out.errors.emplace_back(e.what());
    }
  };
  if (auto image = step["image"]; image && image.IsScalar()) {
    out.image = image.Scalar();
  } else if (image) {
    out.errors.emplace_back("image must be a single value: the image to run");
  }
  build.step_name = step_name;
  for (auto& [k, v] : metadata_environment(host, build))
    out.env[k] = v;

  auto put_setting = [&](const std::string& key, const YAML::Node& value) {
    if (value.IsNull()) return;  // Drone skips nulls (drone/drone-yaml#13)
    std::string encoded;
    if (is_from_secret(value)) {
      auto name = secret_name(value, setting_what(key));
      auto it = secrets.find(name);
      if (it == secrets.end()) {
        out.errors.push_back("secret " + name + " not found for setting " + key);
        return;
      }
      encoded = it->second;
      out.secret_values.push_back(encoded);
    } else {
      encoded = encode(host, value, setting_what(key), secrets, out);
    }
    if (host == Host::Woodpecker && encoded.empty()) return;
    out.env[setting_key(host, key)] = encoded;
  };

  for (const auto& entry : setting_nodes(host, step))
    guarded([&] { put_setting(entry.first, entry.second); });
  if (host == Host::Drone08) {
    if (auto list = step["secrets"]; list && list.IsSequence()) {
      for (const auto& s : list) {
        guarded([&] {
          auto field = [&](const YAML::Node& n, const char* name) {
            if (!n.IsScalar()) throw yaml::YamlError(std::string("secrets: ") + name + " must be a secret's name");
            return n.Scalar();
          };
          std::string source = s.IsMap() ? field(s["source"], "source") : field(s, "an entry");
          std::string target = s.IsMap() ? field(s["target"], "target") : source;
          auto it = secrets.find(source);
          if (it == secrets.end()) {
            out.errors.push_back("secret " + source + " not found");
            return;
          }
          out.env[util::to_upper(target)] = it->second;
          out.secret_values.push_back(it->second);
        });
      }
    }
  }

  if (auto environment = step["environment"]; environment && environment.IsMap()) {
    for (const auto& kv : environment) {
      guarded([&] {
        const auto& name = kv.first.Scalar();
        auto what = "environment variable " + name;
        const auto& v = kv.second;
        if (!is_from_secret(v)) {
          out.env[name] = scalar_text(host, v, what);
          return;
        }
        auto secret = secret_name(v, what);
        auto it = secrets.find(secret);
        if (it == secrets.end()) {
          out.errors.push_back("secret " + secret + " not found");
          return;
        }
        out.env[name] = it->second;
        out.secret_values.push_back(it->second);
      });
    }
  }
  if (host == Host::Woodpecker) std::erase_if(out.env, [](const auto& kv) { return kv.second.empty(); });
  return out;
}

}  // namespace sg::pipeline
