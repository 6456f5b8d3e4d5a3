#include "render.hpp"

#include <cctype>
#include <vector>

#include "util/strings.hpp"
#include "yaml/bounded.hpp"

namespace sg::spotguide {
namespace {

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool lower_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool any_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

std::string substitute(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t last = 0;
  for (const auto& m : find_placeholders(text, PlaceholderNames::Parameter)) {
    out.append(text, last, m.pos - last);
    auto value = values.find(m.name);
    // [[ values ]] is values.yaml once rendered, so values.yaml itself cannot
    // hold it (the template checks say so; this keeps render total).
    if (value == values.end()) throw SpotguideError("placeholder [[ " + m.name + " ]] has no value here");
    out += value->second;
    last = m.pos + m.length;
  }
  out.append(text, last);
  return out;
}

}  // namespace

std::vector<PlaceholderMatch> find_placeholders(std::string_view text, PlaceholderNames names) {
  auto name_char = names == PlaceholderNames::Parameter ? lower_or_digit : any_name_char;
  std::vector<PlaceholderMatch> out;
  std::size_t i = 0;
  // A scan from one `[[` stops at the first character that is neither a name
  // character nor a blank, and no `[` is either, so no character is scanned
  // from more than two starts.
  while ((i = text.find("[[", i)) != std::string_view::npos) {
    std::size_t j = i + 2;
    while (j < text.size() && blank(text[j]))
      ++j;
    std::size_t start = j;
    while (j < text.size() && name_char(text[j]))
      ++j;
    std::size_t end = j;
    while (j < text.size() && blank(text[j]))
      ++j;
    bool named = end > start && (names == PlaceholderNames::Any || (text[start] >= 'a' && text[start] <= 'z'));
    if (named && text.substr(j, 2) == "]]") {
      out.push_back({i, j + 2 - i, std::string(text.substr(start, end - start))});
      i = j + 2;
    } else {
      ++i;  // "[[[x]]" holds one starting a character later
    }
  }
  return out;
}

std::set<std::string> placeholders(const std::string& text) {
  std::set<std::string> out;
  for (auto& m : find_placeholders(text, PlaceholderNames::Parameter))
    out.insert(std::move(m.name));
  return out;
}

Rendered render(const Spotguide& g, const std::map<std::string, std::string>& params) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> values;
  for (const auto& [k, v] : params) {
    bool known = false;
    for (const auto& p : g.parameters)
      known = known || p.name == k;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& p : g.parameters)
        names.push_back(p.name);
      problems.push_back("unknown parameter " + k + " for spotguide " + g.name +
                         " (its parameters: " + util::join(names, ", ") + ")");
    }
  }
  for (const auto& p : g.parameters) {
    if (auto it = params.find(p.name); it != params.end()) {
      values[p.name] = it->second;
    } else if (p.has_default) {
      values[p.name] = p.default_value;
    } else if (p.required) {
      problems.push_back("parameter " + p.name + " is required: " + p.description + " (pass --set " + p.name + "=...)");
    } else {
      values[p.name] = "";
    }
  }
  if (!problems.empty()) throw SpotguideError(util::join(problems, "\n"));

  Rendered r;
  r.values = substitute(g.values_template, values);
  try {
    auto what = "values.yaml of " + g.name + " once rendered";
    values[kValuesPlaceholder] = yaml::to_json(yaml::load(r.values, what), what).dump();
  } catch (const yaml::YamlError& e) {
    throw SpotguideError(std::string(e.what()) + " (check the parameters for quotes or colons)");
  }
  r.pipeline = substitute(g.pipeline_template, values);
  try {
    (void)yaml::load_all(r.pipeline, "pipeline.yml of " + g.name + " once rendered");
  } catch (const yaml::YamlError& e) {
    throw SpotguideError(std::string(e.what()) + " (check the parameters for quotes or colons)");
  }
  return r;
}

}  // namespace sg::spotguide
