#pragma once
// The one way to read YAML that came from outside: a pipeline file a user
// lints, a spotguide descriptor, a template once rendered. yaml-cpp has no
// limit of its own but its parser's depth (2,000, deep enough to overflow a
// recursive walk), and it keeps an alias (`*a`) as a node shared with its
// anchor: parsing a 1 KB "billion laughs" file is cheap, but every walk over
// it visits each alias again, 10^9 nodes. So the input size is checked before
// parsing, then the text is parsed once as a stream of events, which builds
// nothing, counting nesting and every node each time an alias makes it
// reachable; only a text within the limits is built into a tree. A tree
// load_all returned may then be walked recursively by anyone: its depth and
// expanded size are bounded.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace sg::yaml {

struct Limits {
  // Input bytes, checked before parsing.
  std::size_t max_bytes = std::size_t{16} << 20;
  // Nesting levels of maps and sequences (a scalar at the top is depth 0).
  std::size_t max_depth = 64;
  // Nodes once aliases are expanded: an alias counts its target's whole
  // subtree every time it is used.
  std::size_t max_nodes = 1'000'000;
};

// What went wrong and where (line and column), never the input's content.
class YamlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every document of `text`, each checked against `limits`. `what` names the
// input in messages ("spotguide.yaml", a file path).
std::vector<YAML::Node> load_all(std::string_view text, std::string_view what, const Limits& limits = {});

// The one document of `text` (a Null node for an empty text); a second
// document is an error.
YAML::Node load(std::string_view text, std::string_view what, const Limits& limits = {});

// At most `max_bytes` of the file at `path`, read in chunks so /dev/zero or a
// huge file fails after reading max_bytes + 1 bytes, not all of it. The
// error says the limit and `how_to_raise` it.
std::string read_file(const std::filesystem::path& path, std::size_t max_bytes, std::string_view how_to_raise);

// A checked YAML tree as JSON, without recursion. Scalar typing is YAML 1.2's
// core schema, restricted to what JSON can hold:
//   - a quoted scalar, or one tagged !!str, is a string;
//   - plain `~`, `null`, `Null`, `NULL` or nothing at all is null;
//   - plain `true`/`True`/`TRUE` and `false`/`False`/`FALSE` are booleans
//     (YAML 1.1's yes/no/on/off stay strings);
//   - plain decimal integers ([-+]?[0-9]+) are integers; one outside the
//     64-bit signed range is an error, never a wrapped or rounded value;
//   - plain decimal floats (1.5, .5, 1e3, -2.5E-3) are numbers;
//   - everything else is a string: 0x1F, 0o17, .inf, .nan, 1_000.
// Map keys must be scalars and appear once; strings must be valid UTF-8.
// Errors name the line and column and the key path, never a value.
nlohmann::json to_json(const YAML::Node& root, std::string_view what, const Limits& limits = {});

// What a reader of YAML 1.1 (Drone, through Go's yaml.v2) sees differently,
// and a hook for maps that stand for something else.
struct JsonOptions {
  // Plain yes/Yes/YES, no/No/NO, on/On/ON, off/Off/OFF are booleans too.
  bool yaml11_booleans = false;
  // Asked about every map before it is converted; a value it returns
  // replaces the map (step_env resolves `{from_secret: name}` this way).
  std::function<std::optional<nlohmann::json>(const YAML::Node&)> replace_map;
};

nlohmann::json to_json(const YAML::Node& root, std::string_view what, const Limits& limits, const JsonOptions& options);

// One scalar (or null) node as JSON, typed as to_json types it: null, a
// boolean, an integer, a number or a string. `name` is what messages call it.
nlohmann::json scalar_to_json(const YAML::Node& n, std::string_view what, const std::string& name,
                              const JsonOptions& options = {});

}  // namespace sg::yaml
