#include "yaml/bounded.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

namespace sg::yaml {
namespace {

using Clock = std::chrono::steady_clock;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const YamlError& e) {
    return e.what();
  }
  return "";
}

// The classic: each level holds nine aliases of the one below, so the ten
// levels expand to 10^9 strings from less than 1 KB of text.
std::string billion_laughs() {
  std::string s = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {
    auto prev = "*a" + std::to_string(i - 1);
    s += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 0; j < 8; ++j)
      s += ", " + prev;
    s += "]\n";
  }
  return s;
}

TEST(BoundedYaml, AliasBombFailsFastNamingTheLimit) {
  auto text = billion_laughs();
  ASSERT_LT(text.size(), 1024u);
  auto start = Clock::now();
  auto e = error_of([&] { load_all(text, "bomb.yml"); });
  auto took = Clock::now() - start;
  EXPECT_NE(e.find("bomb.yml:"), std::string::npos) << e;
  EXPECT_NE(e.find("expands to more than 1000000 nodes"), std::string::npos) << e;
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(BoundedYaml, AliasesWithinTheLimitLoadAndCountEachUse) {
  // 3 uses of a 4-node anchor: 1 (root map) + 2 keys + ... fits in 40, not in 12.
  std::string text = "base: &b {x: 1, y: 2}\nuse: [*b, *b, *b]\n";
  Limits roomy;
  roomy.max_nodes = 40;
  auto docs = load_all(text, "f", roomy);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(to_json(docs[0], "f", roomy)["use"][2]["y"], 2);
  Limits tight;
  tight.max_nodes = 12;
  EXPECT_NE(error_of([&] { load_all(text, "f", tight); }).find("expands to more than 12 nodes"), std::string::npos);
}

TEST(BoundedYaml, DepthIsBoundedBeforeAnyTreeIsBuilt) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto e = error_of([&] { load(deep, "deep.yml"); });
  EXPECT_NE(e.find("deep.yml:1:65: nested more than 64 levels deep"), std::string::npos) << e;
  std::string ok(64, '[');
  ok += std::string(64, ']');
  EXPECT_TRUE(load(ok, "ok.yml").IsSequence());
  // Deeper than yaml-cpp's own parser guard: still our clear error, no crash.
  std::string very(40000, '[');
  EXPECT_NE(error_of([&] { load(very, "v"); }).find("nested more than 64"), std::string::npos);
}

TEST(BoundedYaml, InputBytesAreCheckedFirst) {
  Limits l;
  l.max_bytes = 10;
  EXPECT_EQ(error_of([&] { load("a: 1234567890", "big.yml", l); }), "big.yml: 13 bytes, more than the 10 bytes limit");
  EXPECT_EQ(load("a: 1", "small.yml", l)["a"].Scalar(), "1");
}

// Found by fuzzing: yaml-cpp 0.7 reads a ',' at document level as an empty
// document without moving on, so loading it never ended.
TEST(BoundedYaml, AStrayCommaIsAnErrorNotAnEndlessStreamOfDocuments) {
  for (const char* text : {",", "---\n,\n", "a: 1\n---\n, b\n"}) {
    auto start = std::chrono::steady_clock::now();
    try {
      load_all(text, "f.yaml");
      ADD_FAILURE() << text;
    } catch (const YamlError& e) {
      EXPECT_NE(std::string(e.what()).find("not valid YAML"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << text;
  }
}

TEST(BoundedYaml, InvalidYamlAndSeveralDocumentsAreErrors) {
  EXPECT_NE(error_of([] { load("a: [", "bad.yml"); }).find("bad.yml: not valid YAML"), std::string::npos);
  EXPECT_NE(error_of([] { load("a: 1\n---\nb: 2\n", "two.yml"); }).find("holds 2 YAML documents"), std::string::npos);
  EXPECT_TRUE(load("", "empty.yml").IsNull());
  EXPECT_EQ(load_all("a: 1\n---\nb: 2\n", "two.yml").size(), 2u);
}

TEST(BoundedYaml, ScalarTypingIsYaml12Core) {
  auto j = to_json(load(R"(
s_quoted: "1"
s_single: 'true'
s_tag: !!str 5
n1: ~
n2: null
n3:
b1: true
b2: FALSE
yes_is_text: yes
on_is_text: on
i1: 42
i2: -7
i3: +3
i4: 007
f1: 1.5
f2: .5
f3: 1e3
f4: -2.5E-3
f5: 5.
hex: 0x1F
inf: .inf
under: 1_000
text: hello world
)",
                        "t"),
                   "t");
  EXPECT_EQ(j["s_quoted"], "1");
  EXPECT_EQ(j["s_single"], "true");
  EXPECT_EQ(j["s_tag"], "5");
  EXPECT_TRUE(j["n1"].is_null());
  EXPECT_TRUE(j["n2"].is_null());
  EXPECT_TRUE(j["n3"].is_null());
  EXPECT_EQ(j["b1"], true);
  EXPECT_EQ(j["b2"], false);
  EXPECT_EQ(j["yes_is_text"], "yes");
  EXPECT_EQ(j["on_is_text"], "on");
  EXPECT_EQ(j["i1"], 42);
  EXPECT_TRUE(j["i1"].is_number_integer());
  EXPECT_EQ(j["i2"], -7);
  EXPECT_EQ(j["i3"], 3);
  EXPECT_EQ(j["i4"], 7);
  EXPECT_DOUBLE_EQ(j["f1"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j["f2"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["f3"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(j["f4"].get<double>(), -0.0025);
  EXPECT_DOUBLE_EQ(j["f5"].get<double>(), 5.0);
  EXPECT_EQ(j["hex"], "0x1F");
  EXPECT_EQ(j["inf"], ".inf");
  EXPECT_EQ(j["under"], "1_000");
  EXPECT_EQ(j["text"], "hello world");
}

TEST(BoundedYaml, OverflowDuplicatesComplexKeysAndBadUtf8AreNamedErrors) {
  auto conv = [](const std::string& text) { return error_of([&] { to_json(load(text, "f"), "f"); }); };
  EXPECT_EQ(conv("a:\n  big: 9223372036854775808\n"),
            "f:2:8: a.big is an integer outside the 64-bit range; quote it if it is meant as text");
  EXPECT_EQ(to_json(load("m: -9223372036854775808", "f"), "f")["m"], INT64_MIN);
  EXPECT_NE(conv("f: 1e999").find("f is a number outside the range of a double"), std::string::npos);
  EXPECT_EQ(conv("a: 1\nb: 2\na: 3\n"), "f:3:1: key a appears twice");
  EXPECT_NE(conv("? [x]\n: 1\n").find("a map key must be a plain value"), std::string::npos);
  auto bad = conv("list: [ok, \"\xff\xfe\"]\n");
  EXPECT_NE(bad.find("list[1] is not valid UTF-8"), std::string::npos) << bad;
  EXPECT_EQ(bad.find('\xff'), std::string::npos);
}

TEST(BoundedYaml, ToJsonBoundsTreesBuiltInMemoryToo) {
  // A tree nobody parsed (built by code) still cannot drive to_json past its limits.
  YAML::Node n(YAML::NodeType::Sequence);
  for (int i = 0; i < 100; ++i)
    n.push_back(i);
  Limits l;
  l.max_nodes = 50;
  EXPECT_NE(error_of([&] { to_json(n, "built", l); }).find("expands to more than 50 nodes"), std::string::npos);
  YAML::Node deep(YAML::NodeType::Sequence);
  YAML::Node cur = deep;
  for (int i = 0; i < 70; ++i) {
    YAML::Node child(YAML::NodeType::Sequence);
    cur.push_back(child);
    cur.reset(child);  // rebinds; `cur = child` would assign contents
  }
  EXPECT_NE(error_of([&] { to_json(deep, "built"); }).find("nested more than 64 levels deep"), std::string::npos);
  auto j = to_json(load("a: {b: [1, {c: x}]}", "f"), "f");
  EXPECT_EQ(j.dump(), R"({"a":{"b":[1,{"c":"x"}]}})");
}

TEST(BoundedYaml, AnAliasInsideItsOwnAnchorIsRefused) {
  // yaml-cpp would build a sequence that contains itself: no walk ends.
  auto e = error_of([] { load("a: &x [1, *x]\n", "f"); });
  EXPECT_EQ(e, "f:1:11: an alias refers to a value that contains it; YAML data cannot nest itself");
  EXPECT_NE(error_of([] { load("m: &m {k: *m}\n", "f"); }).find("contains it"), std::string::npos);
  // An alias after its anchor closed is fine.
  EXPECT_EQ(to_json(load("a: &x [1]\nb: *x\n", "f"), "f").dump(), R"({"a":[1],"b":[1]})");
}

TEST(BoundedYaml, Yaml11BooleansAndMapReplacementAreOptions) {
  auto doc = load("a: yes\nb: Off\nc: \"yes\"\nd: y\ns: {from: x}\n", "f");
  EXPECT_EQ(to_json(doc, "f").dump(), R"({"a":"yes","b":"Off","c":"yes","d":"y","s":{"from":"x"}})");
  JsonOptions o;
  o.yaml11_booleans = true;
  o.replace_map = [](const YAML::Node& m) -> std::optional<nlohmann::json> {
    if (m["from"]) return "replaced " + m["from"].Scalar();
    return std::nullopt;
  };
  // y/n stay strings: Go's yaml.v2 reads them as strings in a value.
  EXPECT_EQ(to_json(doc, "f", {}, o).dump(), R"({"a":true,"b":false,"c":"yes","d":"y","s":"replaced x"})");
  EXPECT_EQ(scalar_to_json(doc["a"], "f", "a", o), true);
  EXPECT_EQ(scalar_to_json(load("'1'", "f"), "f", "v"), "1");
  EXPECT_EQ(error_of([&] { scalar_to_json(doc["s"], "f", "s"); }), "f:5:4: s must be a single value");
}

TEST(BoundedYaml, ReadFileStopsAtTheCap) {
  auto start = Clock::now();
  auto e = error_of([] { read_file("/dev/zero", std::size_t{1} << 20, "pass --max-bytes to raise it"); });
  EXPECT_EQ(e, "/dev/zero: larger than the 1 MiB limit; pass --max-bytes to raise it");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  auto dir = std::filesystem::temp_directory_path() / ("bounded_yaml_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "p.yml";
  std::ofstream(file) << "steps: []\n";
  EXPECT_EQ(read_file(file, 10, ""), "steps: []\n");
  EXPECT_NE(error_of([&] { read_file(file, 9, "raise it"); }).find("larger than the 9 bytes limit; raise it"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_file(dir, 9, ""); }).find("is a directory"), std::string::npos);
  EXPECT_NE(error_of([&] { read_file(dir / "missing", 9, ""); }).find("cannot be read"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sg::yaml
