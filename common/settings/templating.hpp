#pragma once
// `{{ .PLUGIN_X }}` / `{{ .DRONE_Y }}` references inside setting values, as
// Banzai's pipelines use them. Substitution is plain text: no HTML escaping
// (the original's html/template turned '+' into "&#43;") and backslashes are
// kept. Anything else between braces is left untouched, so Helm-style
// `{{ .Values.x }}` in chart values survives.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::settings {

using VariableLookup = std::function<std::optional<std::string>(const std::string&)>;

// Throws ParseFailure when a referenced variable is unset. Names of the
// variables used are appended to `referenced` (for redaction and for not
// flagging them as unknown settings).
std::string render_template(std::string_view text, const VariableLookup& lookup,
                            std::vector<std::string>* referenced = nullptr);

bool has_template(std::string_view text);

}  // namespace sg::settings
