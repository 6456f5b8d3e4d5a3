// The shipped spotguides, through the library and the `spotguide` command.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "lint.hpp"
#include "render.hpp"
#include "spotguide.hpp"
#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::spotguide {
namespace {

namespace fs = std::filesystem;

fs::path shipped() {
  return fs::path(SPOTGUIDE_SOURCE_DIR) / "spotguides";
}

util::ProcessResult spotguide(const std::vector<std::string>& args, const std::string& cwd = {}) {
  std::vector<std::string> argv{sg::testing::bin_dir() + "/spotguide"};
  argv.insert(argv.end(), args.begin(), args.end());
  return util::run_process(argv, {{"PATH", "/usr/bin:/bin"}, {"SPOTGUIDE_DIR", shipped().string()}},
                           std::chrono::seconds(30), cwd);
}

std::map<std::string, std::string> required_params(const Spotguide& g) {
  std::map<std::string, std::string> p;
  for (const auto& param : g.parameters) {
    if (param.required) p[param.name] = "example-" + param.name;
  }
  return p;
}

TEST(Spotguides, AllFiveLoadRenderAndLintClean) {
  auto all = load_all(shipped());
  std::vector<std::string> names;
  for (const auto& g : all)
    names.push_back(g.name);
  EXPECT_EQ(names, (std::vector<std::string>{"kafka", "serverless", "spark", "tidb", "zeppelin"}));
  for (const auto& g : all) {
    auto r = render(g, required_params(g));
    EXPECT_TRUE(placeholders(r.pipeline).empty()) << g.name;
    auto l = lint(r.pipeline);
    EXPECT_EQ(l.errors(), 0) << format(g.name, l);
  }
}

TEST(Spotguides, ABrokenDescriptorIsRefusedWithEveryProblem) {
  static std::mt19937_64 rng{std::random_device{}()};
  auto root = fs::temp_directory_path() / ("sg-guides-" + std::to_string(rng()));
  fs::create_directories(root);
  fs::copy(shipped() / "kafka", root / "kafka", fs::copy_options::recursive);
  {
    std::ofstream f(root / "kafka/spotguide.yaml", std::ios::app);
    f << "colour: blue\n";
  }
  {
    std::ofstream f(root / "kafka/pipeline.yml", std::ios::app);
    f << "# [[ undeclared ]]\n";
  }
  try {
    load_all(root);
    ADD_FAILURE() << "loaded a broken spotguide";
  } catch (const SpotguideError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key `colour`"), std::string::npos) << e.what();
  }
  fs::remove(root / "kafka/spotguide.yaml");
  fs::copy(shipped() / "kafka/spotguide.yaml", root / "kafka/spotguide.yaml");
  try {
    load_all(root);
    ADD_FAILURE() << "loaded a template with an undeclared placeholder";
  } catch (const SpotguideError& e) {
    EXPECT_NE(std::string(e.what()).find("[[ undeclared ]] is not a parameter"), std::string::npos) << e.what();
  }
  fs::remove_all(root);
}

TEST(SpotguideCli, ListCheckRenderAndUsage) {
  auto list = spotguide({"list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("tidb\t"), std::string::npos);
  auto check = spotguide({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  auto out = fs::temp_directory_path() / ("sg-render-" + std::to_string(::getpid()) + ".yml");
  auto r = spotguide({"render", "kafka", "--set", "cluster_name=prod", "--set", "brokers=5", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::stringstream ss;
  ss << std::ifstream(out).rdbuf();
  auto text = ss.str();
  EXPECT_NE(text.find("cluster_name: \"prod\""), std::string::npos) << text;
  EXPECT_NE(text.find(R"("brokers":5)"), std::string::npos) << text;
  auto lint_rendered = spotguide({"lint", out.string()});
  EXPECT_EQ(lint_rendered.exit_code, 0) << lint_rendered.out;
  fs::remove(out);

  auto missing = spotguide({"render", "kafka"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("parameter cluster_name is required"), std::string::npos) << missing.err;
  EXPECT_EQ(spotguide({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(spotguide({"render", "nope"}).exit_code, 2);
}

TEST(SpotguideCli, LintExitsNonZeroOnErrors) {
  auto bad = fs::temp_directory_path() / ("sg-bad-" + std::to_string(::getpid()) + ".yml");
  std::ofstream(bad)
      << "steps:\n  - name: x\n    image: spotguide-plugins/kafka-rebalance\n    settings: {mode: nope}\n";
  auto r = spotguide({"lint", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("step `x`: error:"), std::string::npos) << r.out;
  fs::remove(bad);
  auto banzai = spotguide(
      {"lint", std::string(SPOTGUIDE_SOURCE_DIR) + "/tests/fixtures/banzai-pipelines/spark-pi.aws.pipeline.yml"});
  EXPECT_EQ(banzai.exit_code, 0) << banzai.out;
}

TEST(SpotguideCli, LintReadsAtMostTheInputCap) {
  // /dev/zero never ends: lint stops after the cap, not after gigabytes.
  auto start = std::chrono::steady_clock::now();
  auto zero = spotguide({"lint", "/dev/zero"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(zero.exit_code, 1);
  EXPECT_NE(zero.err.find("/dev/zero: larger than the 16 MiB limit; pass --max-input-mib"), std::string::npos)
      << zero.err;
  auto one = spotguide({"--max-input-mib", "1", "lint", "/dev/zero"});
  EXPECT_NE(one.err.find("larger than the 1 MiB limit"), std::string::npos) << one.err;
  EXPECT_EQ(spotguide({"--max-input-mib", "0", "lint", "/dev/zero"}).exit_code, 2);
  EXPECT_EQ(spotguide({"--max-input-mib", "2x", "lint", "/dev/zero"}).exit_code, 2);
}

TEST(SpotguideCli, DetectNamesTheSpotguideAndWhy) {
  static std::mt19937_64 rng{std::random_device{}()};
  auto repo = fs::temp_directory_path() / ("sg-app-" + std::to_string(rng()));
  fs::create_directories(repo);
  std::ofstream(repo / "pom.xml") << "<artifactId>kafka-streams</artifactId>";
  ASSERT_EQ(std::system(("cd " + repo.string() +
                         " && git init -q && git add -A && git -c user.name=t -c user.email=t@e commit -qm c")
                            .c_str()),
            0);
  auto r = spotguide({"detect", repo.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("kafka\n")) << r.out;
  EXPECT_NE(r.out.find("a Kafka Streams application (pom.xml)"), std::string::npos) << r.out;
  fs::remove_all(repo);
}

}  // namespace
}  // namespace sg::spotguide
