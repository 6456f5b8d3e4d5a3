#pragma once
// Reads $SPOTGUIDE_RUN/<peer>/testenv.env, which `scripts/testenv <peer> up`
// writes. A missing file means the peer is not up: that is a test failure.
#include <map>
#include <string>

namespace sg::testing {

std::map<std::string, std::string> read_testenv(const std::string& peer);
// Runs `scripts/testenv <peer> <args>` (stderr passes through); exit code.
int run_testenv(const std::string& peer, const std::string& args);

}  // namespace sg::testing
