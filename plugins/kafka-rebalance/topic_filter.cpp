#include "topic_filter.hpp"

#include <re2/re2.h>

#include "runtime/error.hpp"
#include "settings/values.hpp"

namespace sg::kafka_rebalance {
namespace {

re2::RE2::Options options() {
  re2::RE2::Options o;
  // The pattern's error goes into our own message; RE2 would also print it
  // to stderr, outside the log format.
  o.set_log_errors(false);
  return o;
}

std::shared_ptr<const re2::RE2> compile(std::string_view pattern, std::string_view setting) {
  auto re = std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options());
  if (!re->ok()) {
    throw SettingsError(std::string(setting) + " is not a valid regular expression: " + re->error(),
                        "use RE2 syntax (https://github.com/google/re2/wiki/Syntax): no backreferences or "
                        "look-around");
  }
  return re;
}

}  // namespace

std::optional<std::string> topic_pattern_error(std::string_view pattern) {
  re2::RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options());
  if (re.ok()) return std::nullopt;
  return re.error();
}

bool TopicFilter::matches(std::string_view topic) const {
  re2::StringPiece t(topic.data(), topic.size());
  if (include && !re2::RE2::PartialMatch(t, *include)) return false;
  if (exclude && re2::RE2::PartialMatch(t, *exclude)) return false;
  return true;
}

TopicFilter TopicFilter::make(std::optional<std::string_view> include, std::optional<std::string_view> exclude) {
  TopicFilter f;
  if (include) f.include = compile(*include, "topics_include");
  if (exclude) f.exclude = compile(*exclude, "topics_exclude");
  return f;
}

TopicFilter TopicFilter::from(const settings::Values& v) {
  auto get = [&](std::string_view name) -> std::optional<std::string_view> {
    if (!v.has(name)) return std::nullopt;
    return v.str(name);
  };
  return make(get("topics_include"), get("topics_exclude"));
}

}  // namespace sg::kafka_rebalance
