#include "detect.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace sg::spotguide {
namespace {

namespace fs = std::filesystem;

// A throwaway repository made with the git CLI, as a user's would be.
class Repo {
 public:
  Repo() {
    static std::mt19937_64 rng{std::random_device{}()};
    dir_ = fs::temp_directory_path() / ("sg-detect-" + std::to_string(rng()));
    fs::create_directories(dir_);
    git("init -q");
  }
  ~Repo() { fs::remove_all(dir_); }
  Repo(const Repo&) = delete;
  Repo& operator=(const Repo&) = delete;

  void write(const std::string& path, const std::string& text) const {
    fs::create_directories((dir_ / path).parent_path());
    std::ofstream(dir_ / path) << text;
  }
  void commit() const { git("add -A && git -C " + dir_.string() + " -c user.name=t -c user.email=t@e commit -qm c"); }
  const fs::path& dir() const { return dir_; }

 private:
  void git(const std::string& args) const {
    ASSERT_EQ(std::system(("git -C " + dir_.string() + " " + args + " >/dev/null").c_str()), 0) << args;
  }
  fs::path dir_;
};

std::vector<Spotguide> guides() {
  Spotguide spark;
  spark.name = "spark";
  spark.detect = {{{"pom.xml"}, {"org.apache.spark"}, 30, "a Maven project that depends on Spark"},
                  {{"*.py"}, {"pyspark"}, 10, "pyspark sources"}};
  Spotguide zeppelin;
  zeppelin.name = "zeppelin";
  zeppelin.detect = {{{"**/note.json"}, {"paragraphs"}, 40, "Zeppelin notebooks"}};
  return {spark, zeppelin};
}

TEST(Detect, GlobsMatchLikeGitignore) {
  EXPECT_TRUE(glob_match("pom.xml", "pom.xml"));
  EXPECT_TRUE(glob_match("pom.xml", "service/pom.xml"));
  EXPECT_FALSE(glob_match("pom.xml", "pom.xml.bak"));
  EXPECT_TRUE(glob_match("*.py", "src/jobs/pi.py"));
  EXPECT_TRUE(glob_match("**/note.json", "note.json"));
  EXPECT_TRUE(glob_match("**/note.json", "notebooks/2A94M5J1Z/note.json"));
  EXPECT_FALSE(glob_match("src/*.py", "src/a/b.py"));
  EXPECT_TRUE(glob_match("docker-compose*.yml", "docker-compose.prod.yml"));
  // Characters RE2 gives a meaning stay literal.
  EXPECT_TRUE(glob_match("a+b(1).[ch]", "a+b(1).[ch]"));
  EXPECT_FALSE(glob_match("a+b(1).[ch]", "aab1.c"));
  EXPECT_TRUE(glob_match("?.py", "x.py"));
  EXPECT_FALSE(glob_match("?.py", "xy.py"));
}

TEST(Detect, GlobsMatchInLinearTime) {
  // Backtracking takes exponential time on stars against a long near-miss.
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(50000, 'a')));
  EXPECT_FALSE(glob_match("**/**/**/**/**/x", std::string(20000, '/') + "y"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(Detect, ReadsTheHeadCommitNotTheWorkingTree) {
  Repo repo;
  repo.write("pom.xml", "<dependency><groupId>org.apache.spark</groupId></dependency>");
  repo.write("notebooks/x/note.json", R"({"paragraphs": []})");
  repo.commit();
  repo.write("jobs/pi.py", "import pyspark");  // not committed: no evidence
  auto matches = detect(read_head_files(repo.dir()), guides());
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0].spotguide, "zeppelin");
  EXPECT_EQ(matches[0].reasons, std::vector<std::string>{"Zeppelin notebooks (notebooks/x/note.json)"});
  EXPECT_EQ(matches[1].spotguide, "spark");
  EXPECT_EQ(matches[1].score, 30);
}

TEST(Detect, ContentMustMatchInTheSameFile) {
  Repo repo;
  repo.write("pom.xml", "<project>no spark here</project>");
  repo.commit();
  EXPECT_TRUE(detect(read_head_files(repo.dir()), guides()).empty());
}

TEST(Detect, RepositoryWithoutCommitsOrOutsideGitIsAClearError) {
  Repo repo;
  try {
    read_head_files(repo.dir());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("commit the files first"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_head_files("/"), std::runtime_error);
}

}  // namespace
}  // namespace sg::spotguide
