#include "http/pem_rule.hpp"

#include "http/client.hpp"
#include "runtime/error.hpp"
#include "settings/values.hpp"

namespace sg::http {

settings::Rule pem_rule(std::vector<std::string> setting_names) {
  return [names = std::move(setting_names)](const settings::Values& v, std::vector<std::string>& errors) {
    for (const auto& name : names) {
      if (!v.has(name) || v.str(name).empty()) continue;
      try {
        (void)load_pem(v.str(name), name);
      } catch (const Error&) {
        // load_pem's own text may quote a path; for a key that path may be
        // the secret itself, pasted into the wrong setting.
        errors.push_back(v.source(name) + " (setting " + name +
                         "): expected PEM text (-----BEGIN ...), its base64 encoding, or the path of a readable "
                         "PEM file");
      }
    }
  };
}

}  // namespace sg::http
