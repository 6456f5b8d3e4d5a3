#include "kube/watch.hpp"

#include <gtest/gtest.h>

#include "util/line_buffer.hpp"

namespace sg::kube {
namespace {

json pod(const std::string& name, const std::string& uid, const std::string& rv) {
  return {{"kind", "Pod"}, {"metadata", {{"name", name}, {"uid", uid}, {"resourceVersion", rv}}}};
}

std::string event_line(const std::string& type, const json& obj) {
  return json{{"type", type}, {"object", obj}}.dump();
}

// A recorded stream, as the API server sends it: events, a bookmark, and
// the ERROR event carrying a 410 inside an HTTP 200 response.
std::string recorded_stream() {
  return event_line("ADDED", pod("a", "u-a", "11")) + "\n" + event_line("MODIFIED", pod("a", "u-a", "12")) + "\n" +
         event_line("BOOKMARK", {{"kind", "Pod"}, {"metadata", {{"resourceVersion", "15"}}}}) + "\n" +
         event_line("DELETED", pod("a", "u-a", "16")) + "\n" +
         event_line("ERROR", {{"kind", "Status"},
                              {"code", 410},
                              {"reason", "Expired"},
                              {"message", "too old resource version: 16 (40)"}}) +
         "\n";
}

}  // namespace

TEST(Watch, RecordedStreamSplitAtEveryByteGivesTheSameEvents) {
  const auto stream = recorded_stream();
  std::vector<std::string> want;
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    util::LineBuffer buf;
    WatchState state;
    state.initial({{}, "10"});
    std::vector<std::string> got;
    bool saw_gone = false;
    auto on_line = [&](std::string_view line) {
      auto ev = parse_watch_line(line);
      if (ev.type == "ERROR") {
        saw_gone = ev.object.value("code", 0) == 410;
        return false;
      }
      if (auto d = state.apply(ev)) got.push_back(d->type + ":" + d->object["metadata"].value("resourceVersion", ""));
      return true;
    };
    buf.feed(std::string_view(stream).substr(0, cut), on_line);
    buf.feed(std::string_view(stream).substr(cut), on_line);
    if (want.empty()) want = got;
    EXPECT_EQ(got, want) << "cut at " << cut;
    EXPECT_TRUE(saw_gone) << cut;
    EXPECT_EQ(state.resource_version(), "16") << cut;
  }
  EXPECT_EQ(want, (std::vector<std::string>{"ADDED:11", "MODIFIED:12", "DELETED:16"}));
}

TEST(Watch, BookmarksAdvanceTheResourceVersionSilently) {
  WatchState s;
  s.initial({{pod("a", "u-a", "5")}, "5"});
  EXPECT_FALSE(s.apply(parse_watch_line(event_line("BOOKMARK", {{"metadata", {{"resourceVersion", "99"}}}}))));
  EXPECT_EQ(s.resource_version(), "99");
}

TEST(Watch, ReplayedEventsAfterReconnectAreNotDuplicated) {
  WatchState s;
  auto init = s.initial({{pod("a", "u-a", "5")}, "5"});
  ASSERT_EQ(init.size(), 1u);
  EXPECT_FALSE(s.apply({"ADDED", pod("a", "u-a", "5")}));  // already known at rv 5
  auto m = s.apply({"ADDED", pod("a", "u-a", "7")});       // replayed as ADDED, but changed
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "MODIFIED");
  EXPECT_TRUE(s.apply({"DELETED", pod("a", "u-a", "8")}));
  EXPECT_FALSE(s.apply({"DELETED", pod("a", "u-a", "8")}));
}

TEST(Watch, RelistAfterGoneTurnsTheDifferenceIntoEvents) {
  WatchState s;
  s.initial({{pod("keep", "u1", "1"), pod("change", "u2", "2"), pod("vanish", "u3", "3")}, "3"});
  auto events = s.relist({{pod("keep", "u1", "1"), pod("change", "u2", "9"), pod("new", "u4", "10")}, "10"});
  std::vector<std::string> got;
  for (const auto& e : events)
    got.push_back(e.type + ":" + e.object["metadata"].value("name", ""));
  EXPECT_EQ(got, (std::vector<std::string>{"MODIFIED:change", "ADDED:new", "DELETED:vanish"}));
  EXPECT_EQ(s.resource_version(), "10");
  EXPECT_EQ(s.size(), 3u);
}

TEST(Watch, MalformedLinesAreErrorsNotCrashes) {
  EXPECT_THROW(parse_watch_line("{not json"), Error);
  EXPECT_THROW(parse_watch_line(R"({"object":{}})"), Error);
  EXPECT_THROW(parse_watch_line(""), Error);
}

}  // namespace sg::kube
