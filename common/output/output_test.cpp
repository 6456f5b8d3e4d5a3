#include "output/output.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "log/redactor.hpp"
#include "util/base64.hpp"

namespace sg::output {

TEST(Output, WritesKeyValueLinesOnlyOnSuccess) {
  auto dir = std::filesystem::temp_directory_path();
  auto ok_file = dir / ("sg-out-ok-" + std::to_string(::getpid()));
  auto fail_file = dir / ("sg-out-fail-" + std::to_string(::getpid()));
  std::filesystem::remove(ok_file);
  std::filesystem::remove(fail_file);
  {
    Report r("p", {{"DRONE_OUTPUT", ok_file.string()}}, Format::Text);
    r.set("JOB_NAME", "build-1");
    r.set("EXIT_CODE", "0");
    r.finish(0);
  }
  {
    Report r("p", {{"DRONE_OUTPUT", fail_file.string()}}, Format::Text);
    r.set("JOB_NAME", "build-2");
    r.finish(1, "boom");
  }
  std::ifstream in(ok_file);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "JOB_NAME=build-1\nEXIT_CODE=0\n");
  EXPECT_FALSE(std::filesystem::exists(fail_file));
  std::filesystem::remove(ok_file);
}

TEST(Output, RejectsBadKeysAndMultiLineValues) {
  Report r("p", {}, Format::Text);
  EXPECT_THROW(r.set("lower", "x"), std::logic_error);
  EXPECT_THROW(r.set("OK", "a\nb"), std::logic_error);
}

TEST(Output, CardIsBase64JsonBetweenEscapes) {
  log::redactor().add_secret("card-secret-value");
  Report r("k8s-proxy", {}, Format::Text);
  r.set("JOB", "j-1");
  r.data()["note"] = "has card-secret-value inside";
  auto bytes = r.card_bytes();
  ASSERT_TRUE(bytes.starts_with("\x1b]1338;"));
  ASSERT_TRUE(bytes.ends_with("\x1b]0m"));
  auto b64 = bytes.substr(7, bytes.size() - 7 - 4);
  auto json = nlohmann::json::parse(util::base64_decode(b64).value());
  EXPECT_EQ(json["data"]["plugin"], "k8s-proxy");
  EXPECT_EQ(json["data"]["outputs"]["JOB"], "j-1");
  EXPECT_EQ(json["data"]["note"], "has ****** inside");
  EXPECT_TRUE(json["schema"].get<std::string>().starts_with("https://"));
  log::redactor().clear();
}

TEST(Output, StatusNames) {
  EXPECT_EQ(status_for_exit_code(0), "success");
  EXPECT_EQ(status_for_exit_code(2), "invalid_settings");
  EXPECT_EQ(status_for_exit_code(143), "cancelled");
  EXPECT_EQ(status_for_exit_code(3), "failed");
}

}  // namespace sg::output
