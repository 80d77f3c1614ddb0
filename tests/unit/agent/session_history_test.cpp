// SPDX-License-Identifier: Apache-2.0
// Scenario tests: preemptive generation, vendor endpointing, LLM fallback within a
// turn and the history token budget, under virtual time with mock providers.
#include <gtest/gtest.h>

#include "support/session_harness.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;
using testing::CallHarness;

TEST(PreemptiveTest, HitSavesTheLlmLatency) {
  CallHarness c;
  c.cfg.turn.preemptive_generation = true;
  c.stt.transcripts = {{"I want to come in and"}};  // unfinished: the long endpointing delay
  c.llm.replies = {{.text = "Sure, when would you like to come in?"}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(5s);
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.turns.size(), 1u);
  const TurnMetrics& m = r.turns[0];
  EXPECT_EQ(m.preemptive, PreemptiveOutcome::hit);
  EXPECT_EQ(r.preemptive_hits, 1);
  EXPECT_EQ(m.endpointing_wait, 1500ms);
  // The LLM started on the final transcript (350 ms after speech end), so at the end
  // of turn only the TTS latency is left.
  EXPECT_EQ(*m.llm_request - *m.user_speech_end, 350ms);
  EXPECT_EQ(*m.agent_audio_start - *m.end_of_turn, 40ms);
  EXPECT_EQ(*m.loqui_overhead, Duration::zero());
  EXPECT_EQ(c.llm_p->requests().size(), 1u);
  EXPECT_EQ(c.tts_p->utterances(), (std::vector<std::string>{"Sure, when would you like to come in?"}));
}

TEST(PreemptiveTest, MissIsDiscardedWhenTheCallerGoesOn) {
  CallHarness c;
  c.cfg.turn.preemptive_generation = true;
  c.stt.transcripts = {{"I want to come in and"}, {"on Friday."}};
  c.llm.replies = {{.text = "Sure thing."}, {.text = "Friday it is."}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(900ms);  // the early answer is already being generated
  c.say(800ms);
  c.quiet(4s);
  const auto reqs = c.llm_p->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].messages.back().content, "I want to come in and");
  EXPECT_EQ(reqs[1].messages.back().content, "I want to come in and on Friday.");
  // The discarded answer was never spoken nor kept.
  EXPECT_EQ(c.tts_p->utterances(), (std::vector<std::string>{"Friday it is."}));
  const CallRecord r = c.session->call_record();
  EXPECT_EQ(r.preemptive_misses, 1);
  ASSERT_EQ(r.turns.size(), 1u);
  EXPECT_EQ(r.turns[0].preemptive, PreemptiveOutcome::miss);
  int users = 0;
  for (const auto& m : c.session->history()) users += m.role == Role::user;
  EXPECT_EQ(users, 1);
}

TEST(VendorEndpointingTest, SpeechFinalShortensTheWait) {
  CallHarness c;
  c.stt.endpointing = 200ms;  // the vendor decides the utterance ended
  c.stt.transcripts = {{"I want to come in and"}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(4s);
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.turns.size(), 1u);
  EXPECT_EQ(r.turns[0].endpointing_wait, 300ms);
}

TEST(LlmFallbackTest, AFailedLlmFallsBackWithinTheSameTurn) {
  CallHarness c;
  MockLlmOptions primary;
  primary.name = "primary";
  primary.failures = {{.at = 1}};
  MockLlmOptions secondary;
  secondary.name = "secondary";
  secondary.default_reply = {.text = "Hello from the backup."};
  c.llm_override = LlmFallback::create({{MockLanguageModel::create(primary).value(), {}},
                                        {MockLanguageModel::create(secondary).value(), {}}})
                       .value();
  c.stt.transcripts = {{"Hello?"}};
  ASSERT_TRUE(c.start());
  c.say(800ms);
  c.quiet(4s);
  EXPECT_EQ(c.tts_p->utterances(), (std::vector<std::string>{"Hello from the backup."}));
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.turns.size(), 1u);
  EXPECT_EQ(r.turns[0].llm_provider, "secondary");
  EXPECT_NE(std::find(r.providers_answered.begin(), r.providers_answered.end(), "secondary"),
            r.providers_answered.end());
}

TEST(HistoryTest, TokenBudgetDropsTheOldestTurnsAndKeepsASummary) {
  CallHarness c;
  c.cfg.system_prompt = "You are a test.";
  c.cfg.turn.history_max_tokens = 40;
  std::vector<std::size_t> dropped_sizes;
  c.options.summarize = [&](const std::vector<ChatMessage>& dropped) {
    dropped_sizes.push_back(dropped.size());
    return "the caller said hello " + std::to_string(dropped.size()) + " messages ago";
  };
  c.stt.transcripts = {{"First question about the opening hours of the clinic."},
                       {"Second question about parking near the clinic entrance."},
                       {"Third question about the price of a consultation."}};
  c.llm.default_reply = {.text = "That is a very good question, let me answer it."};
  ASSERT_TRUE(c.start());
  for (int i = 0; i < 3; ++i) {
    c.say(800ms);
    c.quiet(5s);
  }
  const auto reqs = c.llm_p->requests();
  ASSERT_EQ(reqs.size(), 3u);
  const auto& last = reqs[2].messages;
  EXPECT_EQ(last[0].content, "You are a test.");
  ASSERT_GE(last.size(), 3u);
  EXPECT_EQ(last[1].role, Role::system);
  EXPECT_NE(last[1].content.find("Earlier in the call"), std::string::npos);
  EXPECT_EQ(last.back().content, "Third question about the price of a consultation.");
  for (const auto& m : last) EXPECT_NE(m.content, "First question about the opening hours of the clinic.");
  EXPECT_FALSE(dropped_sizes.empty());
}

}  // namespace
}  // namespace loqui
