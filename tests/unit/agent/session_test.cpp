// SPDX-License-Identifier: Apache-2.0
// Scenario tests of the Session / turn manager under virtual time with mock
// providers and a synthetic caller.
#include <gtest/gtest.h>

#include "support/session_harness.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;
using testing::CallHarness;

std::string role_texts(const std::vector<ChatMessage>& h, Role role) {
  std::string out;
  for (const auto& m : h)
    if (m.role == role) out += "[" + m.content + "]";
  return out;
}

TEST(SessionTest, GreetsThenAnswersOneTurnStreaming) {
  CallHarness c;
  c.cfg.greeting = "Hello, thanks for calling.";
  c.stt.transcripts = {{"I'd like to book an appointment."}};
  c.llm.replies = {{.text = "Sure. Your appointment is booked for Tuesday at 3 pm. We will send you a reminder the "
                             "day before. Anything else?"}};
  ASSERT_TRUE(c.start());
  c.quiet(3s);
  c.say(1500ms);
  const TimePoint speech_end = c.now();
  c.quiet(9s);

  // The greeting, then the reply in two chunks (the first sentence is too short
  // alone, so it merges with the next).
  EXPECT_EQ(c.tts_p->utterances(),
            (std::vector<std::string>{"Hello, thanks for calling.",
                                      "Sure. Your appointment is booked for Tuesday at 3 pm.",
                                      "We will send you a reminder the day before.", "Anything else?"}));
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.transcript.size(), 3u);
  EXPECT_EQ(r.transcript[0].speaker, Speaker::agent);
  EXPECT_EQ(r.transcript[1].text, "I'd like to book an appointment.");
  const std::string reply =
      "Sure. Your appointment is booked for Tuesday at 3 pm. We will send you a reminder the day before. Anything else?";
  EXPECT_EQ(r.transcript[2].text, reply);
  EXPECT_FALSE(r.transcript[2].interrupted);
  EXPECT_EQ(r.transcript[2].heard_text, r.transcript[2].text);

  ASSERT_EQ(r.turns.size(), 1u);
  const TurnMetrics& m = r.turns[0];
  ASSERT_TRUE(m.user_speech_end && m.end_of_turn && m.llm_first_token && m.tts_first_audio && m.agent_audio_start);
  // The VAD places the end of speech at the last voiced frame.
  EXPECT_LE(to_ms(speech_end - *m.user_speech_end), 20.0);
  // Finished sentence: the minimum endpointing delay (300 ms) applies.
  EXPECT_EQ(m.endpointing_wait, 300ms);
  // STT final 150 ms after the VAD's 200 ms hangover => turn ends at +350 ms.
  EXPECT_EQ(*m.end_of_turn - *m.user_speech_end, 350ms);
  EXPECT_EQ(*m.llm_first_token - *m.llm_request, 200ms);
  EXPECT_EQ(*m.tts_first_audio - *m.tts_request, 40ms);
  ASSERT_TRUE(m.voice_to_voice && m.loqui_overhead);
  // Under virtual time loqui itself takes no time: every millisecond is accounted for.
  EXPECT_EQ(*m.loqui_overhead, Duration::zero());
  EXPECT_EQ(*m.voice_to_voice, m.endpointing_wait + m.provider_wait);
  EXPECT_EQ(m.llm_provider, "mock");

  // Streaming: the first audio went out before the LLM finished generating.
  const auto deltas = c.all<LlmDelta>();
  ASSERT_FALSE(deltas.empty());
  EXPECT_LT(*m.tts_first_audio, deltas.back().at);

  // History: system, greeting, user, reply.
  const auto h = c.session->history();
  EXPECT_EQ(role_texts(h, Role::user), "[I'd like to book an appointment.]");
  EXPECT_EQ(role_texts(h, Role::assistant),
            "[Hello, thanks for calling.][" + reply + "]");
  EXPECT_EQ(c.session->state(), TurnState::listening);
  EXPECT_GT(c.sink.total_samples(), 16000);
  // Agent audio is placed contiguously on the timeline.
  for (std::size_t i = 1; i < c.sink.chunks.size(); ++i)
    EXPECT_GE(c.sink.chunks[i].timestamp, c.sink.chunks[i - 1].timestamp + c.sink.chunks[i - 1].samples);
}

}  // namespace
}  // namespace loqui
