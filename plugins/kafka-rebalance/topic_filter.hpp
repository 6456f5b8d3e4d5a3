#pragma once
// Which topics a run plans for: topics_include / topics_exclude. The patterns
// run on RE2, whose matching time is linear in the topic name whatever the
// pattern: a filter such as ^(a+)+$ that makes a backtracking engine take
// seconds per topic would stall a plan over a million partitions.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace sg::settings {
class Values;
}

namespace sg::kafka_rebalance {

// Why `pattern` is not a usable filter (RE2 syntax: no backreferences or
// look-around), or nullopt when it compiles.
std::optional<std::string> topic_pattern_error(std::string_view pattern);

struct TopicFilter {
  std::shared_ptr<const re2::RE2> include;
  std::shared_ptr<const re2::RE2> exclude;

  // True when the topic matches include (anywhere in the name, as a search)
  // and not exclude. No patterns: every topic.
  bool matches(std::string_view topic) const;

  // Patterns that do not compile are a settings error (exit 2) naming the setting.
  static TopicFilter make(std::optional<std::string_view> include, std::optional<std::string_view> exclude);
  static TopicFilter from(const settings::Values& v);
};

}  // namespace sg::kafka_rebalance
