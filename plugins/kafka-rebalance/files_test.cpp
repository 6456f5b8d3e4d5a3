// kafka-rebalance's binary with offline files (no broker needed): the cap on
// a file a setting names, and the setting that raises it.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "test_paths.hpp"
#include "util/process.hpp"

namespace sg::kafka_rebalance {
namespace {

TEST(KafkaRebalanceFiles, TopologyOverMaxFileMibIsExit2AndTheSettingRaisesIt) {
  // 20,000 partitions: about 1.1 MB, over a 1 MiB cap.
  auto path = std::filesystem::temp_directory_path() / ("sg-topology-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream f(path);
    f << R"({"brokers":[{"id":1},{"id":2},{"id":3}],"partitions":[)";
    for (int i = 0; i < 20000; ++i) {
      f << (i ? "," : "") << R"({"topic":"topic-)" << i / 100 << R"(","partition":)" << i % 100 << R"(,"replicas":[)"
        << 1 + i % 3 << "," << 1 + (i + 1) % 3 << "]}";
    }
    f << "]}";
  }
  ASSERT_GT(std::filesystem::file_size(path), std::size_t{1} << 20);
  auto run = [&](const std::string& mib) {
    std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"}, {"PLUGIN_TOPOLOGY_FILE", path.string()}};
    if (!mib.empty()) env["PLUGIN_MAX_FILE_MIB"] = mib;
    return util::run_process({sg::testing::bin_dir() + "/kafka-rebalance"}, env, std::chrono::seconds(60));
  };
  auto capped = run("1");
  EXPECT_EQ(capped.exit_code, 2) << capped.out << capped.err;
  EXPECT_NE((capped.out + capped.err).find("is larger than max_file_mib (1 MiB)"), std::string::npos)
      << capped.out << capped.err;
  auto fits = run("");  // the default, 64 MiB
  EXPECT_EQ(fits.exit_code, 0) << fits.out << fits.err;
  EXPECT_EQ(run("0").exit_code, 2);  // below the setting's minimum
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sg::kafka_rebalance
