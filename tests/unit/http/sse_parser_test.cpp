// SPDX-License-Identifier: Apache-2.0
// File: SseParser: framing, line ends, comments, fields, chunk boundaries, limits.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "loqui/net/sse.hpp"

namespace loqui {
namespace {

struct Ev {
  std::string event, data, id;
  friend bool operator==(const Ev&, const Ev&) = default;
};
std::ostream& operator<<(std::ostream& os, const Ev& e) {
  return os << "{event='" << e.event << "' data='" << e.data << "' id='" << e.id << "'}";
}

std::vector<Ev> feed_all(SseParser& p, const std::vector<std::string>& chunks) {
  std::vector<Ev> out;
  for (const auto& c : chunks) {
    auto s = p.feed(c);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    for (const auto& e : p.events()) out.push_back({std::string(e.event), std::string(e.data), std::string(e.id)});
  }
  return out;
}

std::vector<Ev> parse(const std::string& text) {
  SseParser p;
  return feed_all(p, {text});
}

TEST(SseParser, SingleEventAndDone) {
  EXPECT_EQ(parse("data: hello\n\ndata: [DONE]\n\n"), (std::vector<Ev>{{"", "hello", ""}, {"", "[DONE]", ""}}));
}

TEST(SseParser, MultiLineDataIsJoinedWithNewline) {
  EXPECT_EQ(parse("data: {\"a\":\ndata: 1}\n\n"), (std::vector<Ev>{{"", "{\"a\":\n1}", ""}}));
}

TEST(SseParser, AllLineEndingsGiveTheSameEvents) {
  const std::vector<Ev> want{{"", "a\nb", ""}, {"x", "c", ""}};
  EXPECT_EQ(parse("data: a\ndata: b\n\nevent: x\ndata: c\n\n"), want);
  EXPECT_EQ(parse("data: a\r\ndata: b\r\n\r\nevent: x\r\ndata: c\r\n\r\n"), want);
  EXPECT_EQ(parse("data: a\rdata: b\r\revent: x\rdata: c\r\r"), want);
  EXPECT_EQ(parse("data: a\r\ndata: b\n\revent: x\rdata: c\n\r\n"), want);
}

TEST(SseParser, EverySplitPointGivesTheSameEvents) {
  const std::string text =
      "\xEF\xBB\xBF: OPENROUTER PROCESSING\r\n\r\nid: 7\r\nevent: error\r\ndata: {\"error\":\r\ndata: 1}\r\n\r\n"
      ": ping\n\ndata:\n\ndata: x\rretry: 250\r\r";
  const auto whole = parse(text);
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0], (Ev{"error", "{\"error\":\n1}", "7"}));
  EXPECT_EQ(whole[1], (Ev{"", "", "7"}));
  EXPECT_EQ(whole[2], (Ev{"", "x", "7"}));
  for (std::size_t i = 0; i <= text.size(); ++i) {
    for (std::size_t j = i; j <= text.size(); j += 3) {
      SseParser p;
      auto got = feed_all(p, {text.substr(0, i), text.substr(i, j - i), text.substr(j)});
      ASSERT_EQ(got, whole) << "split at " << i << "," << j;
    }
  }
  SseParser bytewise;
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  EXPECT_EQ(feed_all(bytewise, bytes), whole);
}

TEST(SseParser, CommentsAreCountedAndNeverDispatched) {
  SseParser p;
  auto got = feed_all(p, {": OPENROUTER PROCESSING\n\n:\n\n: ping\ndata: a\n: mid-event comment\ndata: b\n\n"});
  EXPECT_EQ(got, (std::vector<Ev>{{"", "a\nb", ""}}));
  EXPECT_EQ(p.comments(), 4u);
  EXPECT_EQ(p.dispatched(), 1u);
}

TEST(SseParser, EmptyDataLineGivesAnEventWithEmptyData) {
  EXPECT_EQ(parse("data:\n\n"), (std::vector<Ev>{{"", "", ""}}));
  EXPECT_EQ(parse("data\n\n"), (std::vector<Ev>{{"", "", ""}}));
}

TEST(SseParser, BlankLineWithoutDataDispatchesNothing) {
  // A gateway's "id:" followed by a ping comment makes a field-only event: nothing.
  SseParser p;
  EXPECT_TRUE(feed_all(p, {"id: 42\n\n: ping\n\nevent: x\n\n"}).empty());
  EXPECT_EQ(feed_all(p, {"data: y\n\n"}), (std::vector<Ev>{{"", "y", "42"}}));  // id persists, event reset
}

TEST(SseParser, OnlyOneLeadingSpaceIsStripped) {
  EXPECT_EQ(parse("data:  two\n\ndata:none\n\n"), (std::vector<Ev>{{"", " two", ""}, {"", "none", ""}}));
}

TEST(SseParser, IdWithNulIsIgnoredAndRetryNeedsDigits) {
  SseParser p;
  using namespace std::string_literals;
  ASSERT_TRUE(p.feed("id: a\0b\ndata: 1\nretry: 12x\n\nretry: 300\ndata: 2\n\n"s).ok());
  ASSERT_EQ(p.events().size(), 2u);
  EXPECT_EQ(p.events()[0].id, "");
  EXPECT_FALSE(p.events()[0].retry_ms.has_value());
  EXPECT_EQ(p.events()[1].retry_ms, 300);
}

TEST(SseParser, CrAtTheEndOfAFeedAndLfAtTheStartOfTheNextAreOneLineEnd) {
  SseParser p;
  EXPECT_EQ(feed_all(p, {"data: a\r", "\ndata: b\r", "\n\r", "\n"}), (std::vector<Ev>{{"", "a\nb", ""}}));
}

TEST(SseParser, ByteOrderMarkOnlyAtTheStart) {
  SseParser p;
  EXPECT_EQ(feed_all(p, {"\xEF", "\xBB", "\xBF", "data: a\n\n"}), (std::vector<Ev>{{"", "a", ""}}));
  // A BOM later in the stream is data, not skipped.
  EXPECT_EQ(parse("data: a\n\n\xEF\xBB\xBF" "data: b\n\n").size(), 1u);
}

TEST(SseParser, OversizedLineOrEventFailsAndStaysFailedUntilReset) {
  SseParser p({.max_event_bytes = 16});
  auto s = p.feed("data: 0123456789abcdefXYZ");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), errc::overflow);
  EXPECT_FALSE(p.feed("\n\n").ok());
  p.reset();
  EXPECT_TRUE(p.feed("data: ok\n\n").ok());
  ASSERT_EQ(p.events().size(), 1u);
  SseParser q({.max_event_bytes = 16});
  EXPECT_FALSE(q.feed("data: 0123456\ndata: 789abcdef\ndata: x\n").ok());  // event data, not one line
}

TEST(SseParser, FinishReportsAPartialEvent) {
  SseParser p;
  ASSERT_TRUE(p.feed("data: a\n\ndata: b\n").ok());
  EXPECT_EQ(p.events().size(), 1u);
  EXPECT_TRUE(p.finish());
  ASSERT_TRUE(p.feed("data: c\n\n").ok());
  EXPECT_FALSE(p.finish());
  ASSERT_TRUE(p.feed(": just a comment\n").ok());
  EXPECT_FALSE(p.finish());
  ASSERT_TRUE(p.feed("data: half").ok());
  EXPECT_TRUE(p.finish());
}

}  // namespace
}  // namespace loqui
