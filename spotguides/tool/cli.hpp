#pragma once
#include <string>
#include <vector>

namespace sg::spotguide {

// The `spotguide` command line; returns the exit code (0 ok, 1 failed, 2 usage).
int run_cli(const std::vector<std::string>& args);

}  // namespace sg::spotguide
