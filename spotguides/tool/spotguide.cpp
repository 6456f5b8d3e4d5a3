#include "spotguide.hpp"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "json_schema.hpp"
#include "render.hpp"
#include "util/strings.hpp"
#include "yaml/bounded.hpp"

namespace sg::spotguide {
namespace {

// spotguide.schema.json, embedded by CMake (spotguide_schema.inc).
constexpr const char* kSchemaText =
#include "spotguide_schema.inc"
    ;

// A spotguide's files are small templates; 1 MiB leaves them room and
// keeps a stray large file in a spotguide directory from being read whole.
constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;

std::string read_text(const std::filesystem::path& p) {
  try {
    return yaml::read_file(p, kMaxFileBytes, "a spotguide's files are templates; keep them smaller");
  } catch (const yaml::YamlError& e) {
    throw SpotguideError(e.what());
  }
}

}  // namespace

const nlohmann::json& spotguide_schema() {
  static const nlohmann::json schema = nlohmann::json::parse(kSchemaText);
  return schema;
}

Spotguide parse_descriptor(const std::string& yaml_text, const std::string& file, std::vector<std::string>& problems) {
  Spotguide g;
  try {
    g.descriptor = yaml::to_json(yaml::load(yaml_text, file), file);
  } catch (const yaml::YamlError& e) {
    throw SpotguideError(e.what());
  }
  std::vector<std::string> invalid;
  for (const auto& p : validate(spotguide_schema(), g.descriptor))
    invalid.push_back(file + ": " + p);
  if (!invalid.empty()) throw SpotguideError(util::join(invalid, "\n"));

  // The schema guarantees every shape read below.
  g.name = g.descriptor["name"];
  g.description = g.descriptor["description"];
  for (const auto& p : g.descriptor["parameters"]) {
    Parameter param{p["name"], p["description"], p.value("default", ""), p.contains("default"),
                    p.value("required", false)};
    if (param.required && param.has_default)
      problems.push_back(file + ": parameter " + param.name + " is required and has a default; pick one");
    g.parameters.push_back(std::move(param));
  }
  for (const auto& r : g.descriptor["detect"]) {
    g.detect.push_back({r["files"].get<std::vector<std::string>>(), r.value("contains", std::vector<std::string>{}),
                        r.value("weight", 10), r["reason"]});
  }
  return g;
}

void check_templates(const Spotguide& g, const std::string& file, const std::string& pipeline_file,
                     const std::string& values_file, std::vector<std::string>& problems) {
  std::set<std::string> declared{kValuesPlaceholder};
  for (const auto& p : g.parameters)
    declared.insert(p.name);
  auto used = placeholders(g.pipeline_template);
  auto used_in_values = placeholders(g.values_template);
  used.insert(used_in_values.begin(), used_in_values.end());
  for (const auto& u : used) {
    if (!declared.count(u))
      problems.push_back(pipeline_file + ": placeholder [[ " + u + " ]] is not a parameter of spotguide.yaml");
  }
  for (const auto& p : g.parameters) {
    if (!used.count(p.name)) problems.push_back(file + ": parameter " + p.name + " is never used");
  }
  // [[ values ]] stands for values.yaml once rendered: it cannot be inside it.
  if (used_in_values.count(kValuesPlaceholder))
    problems.push_back(values_file + ": placeholder [[ " + std::string(kValuesPlaceholder) +
                       " ]] is values.yaml itself; use it in pipeline.yml");
}

Spotguide load_spotguide(const std::filesystem::path& dir) {
  auto file = (dir / "spotguide.yaml").string();
  std::vector<std::string> problems;
  auto g = parse_descriptor(read_text(file), file, problems);
  g.dir = dir;
  if (g.name != dir.filename().string())
    problems.push_back(file + ": name `" + g.name + "` differs from its directory `" + dir.filename().string() + "`");
  try {
    g.pipeline_template = read_text(dir / "pipeline.yml");
    g.values_template = read_text(dir / "values.yaml");
  } catch (const SpotguideError& e) {
    problems.emplace_back(e.what());
  }
  check_templates(g, file, (dir / "pipeline.yml").string(), (dir / "values.yaml").string(), problems);
  if (!problems.empty()) throw SpotguideError(util::join(problems, "\n"));
  return g;
}

std::vector<Spotguide> load_all(const std::filesystem::path& root) {
  std::vector<Spotguide> out;
  std::vector<std::string> problems;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    if (!entry.is_directory() || !std::filesystem::exists(entry.path() / "spotguide.yaml")) continue;
    try {
      out.push_back(load_spotguide(entry.path()));
    } catch (const SpotguideError& e) {
      problems.emplace_back(e.what());
    }
  }
  if (ec) throw SpotguideError(root.string() + ": " + ec.message());
  if (!problems.empty()) throw SpotguideError(util::join(problems, "\n"));
  if (out.empty()) throw SpotguideError(root.string() + ": no spotguides (no */spotguide.yaml)");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::filesystem::path default_root() {
  if (const char* d = std::getenv("SPOTGUIDE_DIR"); d && *d) return d;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share/spotguide-plugins/spotguides";
    if (std::filesystem::exists(installed)) return installed;
  }
  return SPOTGUIDE_SOURCE_SPOTGUIDES;
}

}  // namespace sg::spotguide
