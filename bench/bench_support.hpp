#pragma once
// What every bench needs the same way: medians in milliseconds, and a child
// environment that is this process's plus a few settings.
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sg::bench {

inline double ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The upper median; 0 for no samples.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

inline std::map<std::string, std::string> environment_with(const std::map<std::string, std::string>& overrides) {
  auto env = util::current_environment();
  for (const auto& [k, v] : overrides)
    env[k] = v;
  return env;
}

}  // namespace sg::bench
