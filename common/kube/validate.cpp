#include "kube/validate.hpp"

#include <algorithm>
#include <cctype>

#include "http/pem_rule.hpp"
#include "kube/config.hpp"
#include "runtime/error.hpp"
#include "settings/parse.hpp"
#include "settings/values.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace sg::kube::validate {
namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}

// One label of a DNS-1123 name, without the length rule.
bool dns_label_chars(std::string_view s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (char c : s) {
    if (!lower_alnum(c) && c != '-') return false;
  }
  return true;
}

// Kubernetes' own wording, so a message matches what kubectl would say.
constexpr const char* kLabelRule =
    "a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
constexpr const char* kSubdomainRule =
    "a DNS-1123 subdomain: at most 253 characters of a-z, 0-9, '-' and '.', each dot-separated part starting and "
    "ending with a letter or digit";

// An optional run of digits starting at `i`; returns how many.
std::size_t digits_at(std::string_view s, std::size_t i) {
  std::size_t n = 0;
  while (i + n < s.size() && digit(s[i + n]))
    ++n;
  return n;
}

bool domain_component(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

// host[:port] of a registry: domain components, or a bracketed IPv6 address.
bool registry_domain(std::string_view s) {
  if (auto colon = s.rfind(':'); colon != std::string_view::npos && s.find(']', colon) == std::string_view::npos) {
    auto port = s.substr(colon + 1);
    if (port.empty() || digits_at(port, 0) != port.size()) return false;
    s = s.substr(0, colon);
  }
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') {
    for (char c : s.substr(1, s.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':') return false;
    }
    return true;
  }
  for (const auto& part : util::split(s, '.')) {
    if (!domain_component(part)) return false;
  }
  return !s.empty();
}

// alpha-numeric [separator alpha-numeric]*, separator one of . _ __ -+.
bool path_component(std::string_view s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (lower_alnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !lower_alnum(s[j]))
      ++j;
    auto sep = s.substr(i, j - i);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (sep != "." && sep != "_" && sep != "__" && !dashes) return false;
    i = j;
  }
  return true;
}

bool tag_ok(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return alnum(c) || c == '_'; };
  if (!word(t.front())) return false;
  for (char c : t) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool digest_ok(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto algo = d.substr(0, colon);
  auto hex = d.substr(colon + 1);
  if (!std::isalpha(static_cast<unsigned char>(algo.front()))) return false;
  for (char c : algo) {
    if (!alnum(c) && c != '-' && c != '_' && c != '+' && c != '.') return false;
  }
  if (hex.size() < 32) return false;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// PLUGIN_X="v" (setting x): expected ..., as every settings error reads.
std::string message(const settings::Values& v, const std::string& name, std::string_view value,
                    const std::string& problem) {
  const auto& source = v.source(name);
  std::string where = source.empty() || source == "default" ? "the default " : source + "=";
  return where + util::quote_for_message(value) + " (setting " + name + "): expected " + problem;
}

std::string check(Kind kind, std::string_view value) {
  switch (kind) {
    case Kind::Quantity:
      return quantity_problem(value);
    case Kind::DnsLabel:
      return dns_label_problem(value);
    case Kind::DnsSubdomain:
      return dns_subdomain_problem(value);
    case Kind::Image:
      return image_problem(value);
    case Kind::AbsolutePath:
      return !value.empty() && value.front() == '/' ? std::string{} : "an absolute path such as /drone/src";
  }
  return {};
}

void check_map(const settings::Values& v, const std::string& name, bool labels, std::vector<std::string>& errors) {
  if (!v.has(name)) return;
  const auto& m = v.map(name);
  for (const auto& [key, value] : m.items()) {
    if (auto p = qualified_name_problem(key); !p.empty()) {
      errors.push_back(v.source(name) + " (setting " + name + "): key " + util::quote_for_message(key) + ": expected " +
                       p);
      continue;
    }
    if (value.is_structured() || value.is_null()) {
      errors.push_back(v.source(name) + " (setting " + name + "): " + name + "." + key + " must be a string, not " +
                       util::json_kind(value));
      continue;
    }
    if (labels) {
      auto text = scalar_text(value);
      if (auto p = label_value_problem(text); !p.empty()) {
        errors.push_back(v.source(name) + " (setting " + name + "): " + name + "." + key + " = " +
                         util::quote_for_message(text) + ": expected " + p);
      }
    }
  }
}

}  // namespace

std::string quantity_problem(std::string_view text) {
  constexpr const char* kForm =
      "a Kubernetes quantity such as 500m, 512Mi, 2Gi or 1.5 (a number and an optional "
      "suffix n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei)";
  if (text.empty() || text.size() > 64) return kForm;
  if (text.front() == '-') return std::string("a quantity that is not negative: ") + kForm;
  std::size_t i = text.front() == '+' ? 1 : 0;
  std::size_t whole = digits_at(text, i);
  i += whole;
  std::size_t fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    fraction = digits_at(text, i);
    i += fraction;
  }
  if (whole + fraction == 0) return kForm;
  auto suffix = text.substr(i);
  static const char* const kSuffixes[] = {"",  "n", "u",  "m",  "k",  "M",  "G",  "T",
                                          "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  for (const char* s : kSuffixes) {
    if (suffix == s) return {};
  }
  // A decimal exponent: e or E and a signed integer.
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::size_t j = 1;
    if (suffix[j] == '+' || suffix[j] == '-') ++j;
    std::size_t n = digits_at(suffix, j);
    if (n > 0 && j + n == suffix.size()) return {};
  }
  return kForm;
}

std::string dns_label_problem(std::string_view text) {
  if (text.size() > 63 || !dns_label_chars(text)) return kLabelRule;
  return {};
}

std::string dns_subdomain_problem(std::string_view text) {
  if (text.empty() || text.size() > 253) return kSubdomainRule;
  for (const auto& part : util::split(text, '.')) {
    if (!dns_label_chars(part)) return kSubdomainRule;
  }
  return {};
}

std::string image_problem(std::string_view text) {
  constexpr const char* kForm =
      "an image reference such as maven:3-eclipse-temurin-17 or registry.example.com:5000/team/app:1.2 "
      "([registry/]lower-case path[:tag][@sha256:digest], no spaces)";
  if (text.empty() || text.size() > 4096) return kForm;
  std::string_view name = text;
  if (auto at = name.find('@'); at != std::string_view::npos) {
    if (!digest_ok(name.substr(at + 1))) return kForm;
    name = name.substr(0, at);
  }
  auto slash = name.rfind('/');
  if (auto colon = name.rfind(':');
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (!tag_ok(name.substr(colon + 1))) return kForm;
    name = name.substr(0, colon);
  }
  if (name.empty() || name.size() > 255) return kForm;
  auto parts = util::split(name, '/');
  std::size_t first_path = 0;
  // The first component is a registry when it looks like a host, as the
  // container runtimes decide it.
  const auto& first = parts.front();
  if (parts.size() > 1 && (first.find_first_of(".:") != std::string::npos || first == "localhost" ||
                           std::any_of(first.begin(), first.end(), [](char c) { return std::isupper(c) != 0; }))) {
    if (!registry_domain(first)) return kForm;
    first_path = 1;
  }
  for (std::size_t i = first_path; i < parts.size(); ++i) {
    if (!path_component(parts[i])) return kForm;
  }
  return {};
}

std::string qualified_name_problem(std::string_view text) {
  constexpr const char* kForm =
      "a key of the form [prefix/]name: name at most 63 characters of letters, digits, '-', '_' and '.', starting "
      "and ending with a letter or digit; prefix a DNS-1123 subdomain";
  auto slash = text.find('/');
  auto name = text;
  if (slash != std::string_view::npos) {
    if (!dns_subdomain_problem(text.substr(0, slash)).empty()) return kForm;
    name = text.substr(slash + 1);
  }
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) return kForm;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return kForm;
  }
  return {};
}

std::string label_value_problem(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() > 63 || !alnum(text.front()) || !alnum(text.back()))
    return "a label value: empty, or at most 63 characters of letters, digits, '-', '_' and '.', starting and ending "
           "with a letter or digit";
  for (char c : text) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.')
      return "a label value: empty, or at most 63 characters of letters, digits, '-', '_' and '.'";
  }
  return {};
}

std::string tolerations_problem(const nlohmann::json& tolerations) {
  if (!tolerations.is_array()) return "a JSON array of toleration objects, not " + util::json_kind(tolerations);
  for (std::size_t i = 0; i < tolerations.size(); ++i) {
    const auto& t = tolerations[i];
    std::string at = "tolerations[" + std::to_string(i) + "]";
    if (!t.is_object()) return at + " to be an object, not " + util::json_kind(t);
    for (const auto& [field, value] : t.items()) {
      std::string path = at + "." + field;
      if (field == "key" || field == "value") {
        if (!value.is_string()) return path + " to be a string, not " + util::json_kind(value);
      } else if (field == "operator") {
        if (!value.is_string() || (value != "Exists" && value != "Equal")) return path + " to be Exists or Equal";
      } else if (field == "effect") {
        if (!value.is_string() ||
            (value != "NoSchedule" && value != "PreferNoSchedule" && value != "NoExecute" && value != ""))
          return path + " to be NoSchedule, PreferNoSchedule or NoExecute";
      } else if (field == "tolerationSeconds") {
        if (!value.is_number_integer()) return path + " to be an integer, not " + util::json_kind(value);
      } else {
        return at + " to have only key, operator, value, effect and tolerationSeconds (found " +
               util::quote_for_message(field) + ")";
      }
    }
    if (t.value("operator", "Equal") == "Exists" && !t.value("value", std::string()).empty())
      return at + " to have no value when its operator is Exists";
  }
  return {};
}

std::string scalar_text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

settings::Rule rule(Kind kind, std::vector<std::string> setting_names) {
  return [kind, names = std::move(setting_names)](const settings::Values& v, std::vector<std::string>& errors) {
    for (const auto& name : names) {
      if (!v.has(name)) continue;
      const auto& value = v.str(name);
      if (auto p = check(kind, value); !p.empty()) errors.push_back(message(v, name, value, p));
    }
  };
}

settings::Rule subdomain_items_rule(std::string setting_name) {
  return [name = std::move(setting_name)](const settings::Values& v, std::vector<std::string>& errors) {
    for (const auto& item : v.list(name)) {
      if (auto p = dns_subdomain_problem(item); !p.empty())
        errors.push_back(message(v, name, item, "every item to be " + p));
    }
  };
}

settings::Rule labels_rule(std::string setting_name) {
  return [name = std::move(setting_name)](const settings::Values& v, std::vector<std::string>& errors) {
    check_map(v, name, true, errors);
  };
}

settings::Rule annotations_rule(std::string setting_name) {
  return [name = std::move(setting_name)](const settings::Values& v, std::vector<std::string>& errors) {
    check_map(v, name, false, errors);
  };
}

settings::Rule scalar_map_rule(std::string setting_name) {
  return [name = std::move(setting_name)](const settings::Values& v, std::vector<std::string>& errors) {
    if (!v.has(name)) return;
    for (const auto& [key, value] : v.map(name).items()) {
      if (value.is_structured() || value.is_null())
        errors.push_back(v.source(name) + " (setting " + name + "): " + name + "." + key + " must be a string, not " +
                         util::json_kind(value));
    }
  };
}

settings::Rule tolerations_rule(std::string setting_name) {
  return [name = std::move(setting_name)](const settings::Values& v, std::vector<std::string>& errors) {
    if (!v.has(name)) return;
    const auto& text = v.str(name);
    nlohmann::json parsed;
    try {
      parsed = settings::parse_json_strict(text);
    } catch (const std::exception& e) {
      errors.push_back(v.source(name) + " (setting " + name + ") is not complete JSON (" + e.what() +
                       "): expected a JSON array of toleration objects, such as "
                       "[{\"key\": \"dedicated\", \"operator\": \"Exists\"}]");
      return;
    }
    if (auto p = tolerations_problem(parsed); !p.empty())
      errors.push_back(v.source(name) + " (setting " + name + "): expected " + p);
  };
}

settings::Rule access_rule() {
  return [pem = http::pem_rule({"kube_ca", "kube_client_cert", "kube_client_key"})](const settings::Values& v,
                                                                                    std::vector<std::string>& errors) {
    pem(v, errors);
    if (v.has("kube_server")) {
      const auto& s = v.str("kube_server");
      if (!s.starts_with("https://") && !s.starts_with("http://"))
        errors.push_back(message(v, "kube_server", s, "an http(s) URL such as https://10.0.0.1:6443"));
    }
    if (v.has("kubeconfig")) {
      // Parsing reads no file and runs no credential plugin; what it finds
      // wrong is in the setting itself, so it is an invalid setting.
      try {
        (void)kubeconfig_from_inline(v.str("kubeconfig"), v.str("kube_context"));
      } catch (const Error& e) {
        errors.push_back(v.source("kubeconfig") + " (setting kubeconfig) is not a usable kubeconfig: " + e.what() +
                         (e.hint().empty() ? "" : "; " + e.hint()));
      }
    }
  };
}

}  // namespace sg::kube::validate
