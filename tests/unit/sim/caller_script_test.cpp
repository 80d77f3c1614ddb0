// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/sim/caller_script.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;

TEST(CallerScript, ParsesLinesPausesAndCues) {
  auto s = CallerScript::parse(R"(# booking
Hi, I'd like to book an appointment.
Next Tuesday [pause 0.8s] at three in the afternoon.
[when agent speaks, after 1.2s] wait, stop, I have a question
[WHEN AGENT STOPS, after 300ms]   yes please
[pause 2s]
Thanks, bye.
)", "booking.txt");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->steps.size(), 6u);
  const auto& a = s->steps[0];
  EXPECT_EQ(a.kind, CallerStep::Kind::say);
  EXPECT_EQ(a.trigger, CallerStep::Trigger::reply);
  EXPECT_EQ(a.delay, kDefaultReplyDelay);
  EXPECT_EQ(a.line, 2);
  const auto& b = s->steps[1];
  ASSERT_EQ(b.segments.size(), 2u);
  EXPECT_EQ(b.segments[0].text, "Next Tuesday");
  EXPECT_EQ(b.segments[0].pause_after, 800ms);
  EXPECT_EQ(b.segments[1].text, "at three in the afternoon.");
  EXPECT_EQ(b.text(), "Next Tuesday at three in the afternoon.");
  EXPECT_EQ(s->steps[2].trigger, CallerStep::Trigger::agent_speaks);
  EXPECT_EQ(s->steps[2].delay, 1200ms);
  EXPECT_EQ(s->steps[2].text(), "wait, stop, I have a question");
  EXPECT_EQ(s->steps[3].trigger, CallerStep::Trigger::agent_stops);
  EXPECT_EQ(s->steps[3].delay, 300ms);
  EXPECT_EQ(s->steps[4].kind, CallerStep::Kind::pause);
  EXPECT_EQ(s->steps[4].delay, 2s);
  EXPECT_EQ(s->steps[5].line, 7);
}

TEST(CallerScript, ErrorsNameFileLineAndWhatWasExpected) {
  auto typo = CallerScript::parse("hello\n[whne agent speaks, after 1s] stop", "c.txt");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message(),
            "c.txt:2: unknown cue '[whne agent speaks, after 1s]' (expected [pause 1.5s], [when agent speaks, "
            "after 1.2s] TEXT or [when agent stops, after 0.3s] TEXT)");
  EXPECT_EQ(CallerScript::parse("[pause soon]", "c.txt").error().message(),
            "c.txt:1: bad pause length in '[pause soon]' (e.g. [pause 1.5s])");
  EXPECT_EQ(CallerScript::parse("[when agent sings, after 1s] la", "c.txt").error().message(),
            "c.txt:1: unknown agent event 'sings' (expected 'speaks' or 'stops')");
  EXPECT_EQ(CallerScript::parse("[when agent stops, after 1s]", "c.txt").error().message(),
            "c.txt:1: a cue needs text for the caller to say");
  EXPECT_EQ(CallerScript::parse("hi [pause", "c.txt").error().message(), "c.txt:1: unclosed '[' in line");
  EXPECT_EQ(CallerScript::parse("# only a comment\n\n", "c.txt").error().message(), "c.txt: the script has no lines");
  EXPECT_FALSE(CallerScript::parse_file("/nonexistent/caller.txt").ok());
}

}  // namespace
}  // namespace loqui
