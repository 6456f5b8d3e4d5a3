#include "util/file.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace sg::util {
namespace {

TEST(ReadFileCapped, ReadsUpToTheCapAndNoFurther) {
  auto path = std::filesystem::temp_directory_path() / ("sg-file-" + std::to_string(::getpid()));
  std::ofstream(path) << std::string(1000, 'x');
  auto whole = read_file_capped(path, 1000);
  EXPECT_TRUE(whole.ok());
  EXPECT_EQ(whole.text.size(), 1000u);
  auto over = read_file_capped(path, 999);
  EXPECT_EQ(over.status, FileRead::Status::TooLarge);
  EXPECT_EQ(over.text.size(), 1000u);  // one byte past the cap, then it stops
  std::filesystem::remove(path);

  // A device that never ends costs the cap.
  auto zero = read_file_capped("/dev/zero", 1 << 20);
  EXPECT_EQ(zero.status, FileRead::Status::TooLarge);
  EXPECT_EQ(zero.text.size(), (1u << 20) + 1);

  EXPECT_EQ(read_file_capped("/nonexistent-sg-file", 10).status, FileRead::Status::CannotOpen);
  EXPECT_EQ(read_file_capped("/tmp", 10).status, FileRead::Status::IsDirectory);
}

}  // namespace
}  // namespace sg::util
