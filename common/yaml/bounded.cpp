#include "yaml/bounded.hpp"

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>

#include "util/file.hpp"
#include "util/strings.hpp"

namespace sg::yaml {
namespace {

std::string where(std::string_view what, const YAML::Mark& m) {
  std::string s(what);
  // yaml-cpp counts from 0 and has no position for nodes built in memory.
  if (m.line >= 0 && m.column >= 0) s += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  return s;
}

std::string mib(std::size_t bytes) {
  if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// Counts every node the walk reaches and the levels it is nested in; both
// are checked before a container is entered, so neither the count nor the
// walk's own stack can run past the limits.
class Budget {
 public:
  Budget(std::string_view what, const Limits& limits) : what_(what), limits_(limits) {}

  void visit(const YAML::Node& n) {
    if (++count_ > limits_.max_nodes) {
      throw YamlError(where(what_, n.Mark()) + ": expands to more than " + std::to_string(limits_.max_nodes) +
                      " nodes (each use of an alias counts its anchor's nodes again); simplify the aliases");
    }
  }

  void enter(const YAML::Node& n, std::size_t level) const {
    if (level > limits_.max_depth) {
      throw YamlError(where(what_, n.Mark()) + ": nested more than " + std::to_string(limits_.max_depth) +
                      " levels deep");
    }
  }

 private:
  std::string_view what_;
  const Limits& limits_;
  std::size_t count_ = 0;
};

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view unsigned_part(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, by hand (no regex
// engine on input text).
bool decimal_float(std::string_view s) {
  s = unsigned_part(s);
  auto e = s.find_first_of("eE");
  auto mantissa = s.substr(0, e);
  if (e != std::string_view::npos && !digits(unsigned_part(s.substr(e + 1)))) return false;
  auto dot = mantissa.find('.');
  if (dot == std::string_view::npos) return digits(mantissa);
  auto whole = mantissa.substr(0, dot);
  auto fraction = mantissa.substr(dot + 1);
  if (whole.empty()) return digits(fraction);
  return digits(whole) && (fraction.empty() || digits(fraction));
}

std::optional<bool> yaml11_boolean(const std::string& s) {
  for (const char* w : {"yes", "Yes", "YES", "on", "On", "ON"}) {
    if (s == w) return true;
  }
  for (const char* w : {"no", "No", "NO", "off", "Off", "OFF"}) {
    if (s == w) return false;
  }
  return std::nullopt;
}

nlohmann::json scalar(const YAML::Node& n, std::string_view what, const std::string& path, const JsonOptions& options) {
  if (n.IsNull()) return nullptr;
  const std::string& s = n.Scalar();
  if (!util::valid_utf8(s)) throw YamlError(where(what, n.Mark()) + ": " + path + " is not valid UTF-8");
  // "!" is yaml-cpp's tag for a quoted scalar: quoting makes a string.
  if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return s;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (options.yaml11_booleans) {
    if (auto b = yaml11_boolean(s)) return *b;
  }
  if (digits(unsigned_part(s))) {
    std::int64_t v = 0;
    const char* first = s.data() + (s[0] == '+' ? 1 : 0);
    auto r = std::from_chars(first, s.data() + s.size(), v);
    if (r.ec != std::errc{}) {
      throw YamlError(where(what, n.Mark()) + ": " + path +
                      " is an integer outside the 64-bit range; quote it if it is meant as text");
    }
    return v;
  }
  if (decimal_float(s)) {
    double v = 0;
    const char* first = s.data() + (s[0] == '+' ? 1 : 0);
    auto r = std::from_chars(first, s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) {
      throw YamlError(where(what, n.Mark()) + ": " + path +
                      " is a number outside the range of a double; quote it if it is meant as text");
    }
    return v;
  }
  return s;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// The parser's events, counted before any tree is built: a node is one
// event, an alias adds the expanded size of its anchor's subtree (known once
// that subtree closed), so the count is what a full walk of the tree would
// visit. Memory is one frame per open container (at most max_depth) and one
// size per anchor.
class Counter : public YAML::EventHandler {
 public:
  Counter(std::string_view what, const Limits& limits) : what_(what), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& m) override {
    // yaml-cpp 0.7 reads a ',' at document level as an empty document and
    // then starts the next one at the same place, forever (LoadAll never
    // returns). A document that starts where the previous one did has read
    // nothing: the text is not YAML there.
    if (last_document_start_ && *last_document_start_ == m.pos) {
      throw YamlError(where(what_, m) + ": not valid YAML here (a ',' outside a [...] or {...} collection?)");
    }
    last_document_start_ = m.pos;
    anchor_size_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override { leaf(m, anchor); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(m, anchor);
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    auto it = anchor_size_.find(anchor);
    // An alias inside its own anchor makes yaml-cpp build a tree that
    // contains itself: every walk over it would never end. Go's yaml refuses
    // it too ("anchor value contains itself").
    if (it == anchor_size_.end()) {
      throw YamlError(where(what_, m) + ": an alias refers to a value that contains it; YAML data cannot nest itself");
    }
    add(m, it->second);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(m, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(m, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  void add(const YAML::Mark& m, std::size_t n) {
    // total_ <= max_nodes and n <= max_nodes + 1 here, so this cannot wrap.
    if (n > limits_.max_nodes - total_) {
      throw YamlError(where(what_, m) + ": expands to more than " + std::to_string(limits_.max_nodes) +
                      " nodes (each use of an alias counts its anchor's nodes again); simplify the aliases");
    }
    total_ += n;
  }
  void leaf(const YAML::Mark& m, YAML::anchor_t anchor) {
    add(m, 1);
    if (anchor != YAML::NullAnchor) anchor_size_[anchor] = 1;
  }
  void open(const YAML::Mark& m, YAML::anchor_t anchor) {
    if (open_.size() + 1 > limits_.max_depth) {
      throw YamlError(where(what_, m) + ": nested more than " + std::to_string(limits_.max_depth) + " levels deep");
    }
    open_.push_back({anchor, total_});
    add(m, 1);
  }
  void close() {
    auto frame = open_.back();
    open_.pop_back();
    if (frame.anchor != YAML::NullAnchor) anchor_size_[frame.anchor] = total_ - frame.start;
  }

  struct Open {
    YAML::anchor_t anchor;
    std::size_t start;
  };
  std::string_view what_;
  const Limits& limits_;
  std::vector<Open> open_;
  std::unordered_map<YAML::anchor_t, std::size_t> anchor_size_;
  std::size_t total_ = 0;
  std::optional<int> last_document_start_;
};

}  // namespace

std::vector<YAML::Node> load_all(std::string_view text, std::string_view what, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    throw YamlError(std::string(what) + ": " + std::to_string(text.size()) + " bytes, more than the " +
                    mib(limits.max_bytes) + " limit");
  }
  std::vector<YAML::Node> docs;
  try {
    std::istringstream events{std::string(text)};
    YAML::Parser parser(events);
    Counter counter(what, limits);
    while (parser.HandleNextDocument(counter)) {
    }
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp's message names the position and the grammar rule, not content.
    throw YamlError(std::string(what) + ": not valid YAML: " + e.what());
  }
  return docs;
}

YAML::Node load(std::string_view text, std::string_view what, const Limits& limits) {
  auto docs = load_all(text, what, limits);
  if (docs.empty()) return YAML::Node(YAML::NodeType::Null);
  if (docs.size() > 1)
    throw YamlError(std::string(what) + ": holds " + std::to_string(docs.size()) + " YAML documents; expected one");
  return docs.front();
}

std::string read_file(const std::filesystem::path& path, std::size_t max_bytes, std::string_view how_to_raise) {
  auto r = util::read_file_capped(path, max_bytes);
  switch (r.status) {
    case util::FileRead::Status::Ok:
      return std::move(r.text);
    case util::FileRead::Status::IsDirectory:
      throw YamlError(path.string() + ": is a directory, not a file");
    case util::FileRead::Status::TooLarge:
      throw YamlError(path.string() + ": larger than the " + mib(max_bytes) + " limit; " + std::string(how_to_raise));
    default:
      throw YamlError(path.string() + ": cannot be read");
  }
}

nlohmann::json scalar_to_json(const YAML::Node& n, std::string_view what, const std::string& name,
                              const JsonOptions& options) {
  if (!n.IsNull() && !n.IsScalar()) throw YamlError(where(what, n.Mark()) + ": " + name + " must be a single value");
  return scalar(n, what, name, options);
}

nlohmann::json to_json(const YAML::Node& root, std::string_view what, const Limits& limits) {
  return to_json(root, what, limits, JsonOptions{});
}

nlohmann::json to_json(const YAML::Node& root, std::string_view what, const Limits& limits,
                       const JsonOptions& options) {
  Budget budget(what, limits);
  struct Frame {
    YAML::const_iterator it, end;
    nlohmann::json* target;
    std::string path;
    std::size_t index;
    bool map;
  };
  std::vector<Frame> stack;
  nlohmann::json out;
  // Fills *target with n: a scalar at once, a container empty, its children
  // later from the stack (a json* into an object or a pre-sized array stays
  // valid while siblings are added).
  auto convert = [&](const YAML::Node& n, nlohmann::json* target, std::string path) {
    budget.visit(n);
    if (n.IsMap() && options.replace_map) {
      if (auto replaced = options.replace_map(n)) {
        *target = std::move(*replaced);
        return;
      }
    }
    if (n.IsMap()) {
      budget.enter(n, stack.size() + 1);
      *target = nlohmann::json::object();
      stack.push_back({n.begin(), n.end(), target, std::move(path), 0, true});
    } else if (n.IsSequence()) {
      budget.enter(n, stack.size() + 1);
      *target = nlohmann::json::array();
      target->get_ref<nlohmann::json::array_t&>().resize(n.size());
      stack.push_back({n.begin(), n.end(), target, std::move(path), 0, false});
    } else {
      *target = scalar(n, what, path.empty() ? std::string("the value") : path, options);
    }
  };
  convert(root, &out, "");
  while (!stack.empty()) {
    auto& top = stack.back();
    if (top.it == top.end) {
      stack.pop_back();
      continue;
    }
    auto item = *top.it;
    ++top.it;
    if (top.map) {
      YAML::Node key = item.first, value = item.second;
      budget.visit(key);
      if (!key.IsScalar()) throw YamlError(where(what, key.Mark()) + ": a map key must be a plain value");
      const std::string& k = key.Scalar();
      auto path = child_path(top.path, k);
      if (!util::valid_utf8(k)) throw YamlError(where(what, key.Mark()) + ": a key is not valid UTF-8");
      auto& obj = top.target->get_ref<nlohmann::json::object_t&>();
      auto [slot, inserted] = obj.emplace(k, nullptr);
      if (!inserted) throw YamlError(where(what, key.Mark()) + ": key " + path + " appears twice");
      convert(value, &slot->second, std::move(path));
    } else {
      auto& arr = top.target->get_ref<nlohmann::json::array_t&>();
      auto i = top.index++;
      // A sequence cannot grow while it is walked; the check keeps a
      // miscounted size from writing past the array.
      if (i >= arr.size()) throw YamlError(where(what, item.Mark()) + ": sequence changed while read");
      YAML::Node element = item;
      convert(element, &arr[i], top.path + "[" + std::to_string(i) + "]");
    }
  }
  return out;
}

}  // namespace sg::yaml
