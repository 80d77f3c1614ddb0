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
                                      "Sure. Your appointment is booked for Tuesday at three p m.",
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

namespace loqui {
namespace {

using namespace std::chrono_literals;
using testing::CallHarness;

// No scenario may leave the session stuck waiting on itself.
void expect_settled(const CallHarness& c) {
  const TurnState s = c.session->state();
  EXPECT_TRUE(s == TurnState::listening || s == TurnState::ended) << "stuck in " << to_string(s);
}

const std::string kLongReply =
    "Our clinic is open Monday to Friday from eight in the morning until six in the evening, and on Saturdays "
    "from nine until noon. We are closed on Sundays and on public holidays.";

// ------------------------------------------------------------ end of turn

TEST(EndOfTurnTest, MidSentencePauseDoesNotEndTheTurn) {
  CallHarness c;
  c.stt.transcripts = {{"I'd like to book"}, {"on Tuesday at three."}};
  ASSERT_TRUE(c.start());
  c.say(1200ms);
  c.quiet(600ms);  // a thinking pause after an unfinished phrase
  EXPECT_EQ(c.count<EndOfTurn>(), 0);
  c.say(1000ms);
  const TimePoint second_end = c.now();
  c.quiet(3s);
  const auto eots = c.all<EndOfTurn>();
  ASSERT_EQ(eots.size(), 1u);
  EXPECT_EQ(eots[0].text, "I'd like to book on Tuesday at three.");
  // A finished sentence: the minimum delay, the STT final arriving 350 ms after speech end.
  EXPECT_NEAR(to_ms(eots[0].at - second_end), 350.0, 20.0);
  ASSERT_EQ(c.llm_p->requests().size(), 1u);
  EXPECT_EQ(c.llm_p->requests()[0].messages.back().content, "I'd like to book on Tuesday at three.");
  expect_settled(c);
}

TEST(EndOfTurnTest, FinishedSentencesEndSoonerThanTrailingConjunctions) {
  CallHarness c;
  c.stt.transcripts = {{"What time do you open?"}, {"I want to come in and"}};
  c.llm.default_reply = {.text = "Sure."};
  ASSERT_TRUE(c.start());
  c.say(1000ms);
  c.quiet(3s);
  c.say(1000ms);
  c.quiet(4s);
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.turns.size(), 2u);
  EXPECT_EQ(r.turns[0].endpointing_wait, 300ms);   // endpointing_ms.min
  EXPECT_EQ(r.turns[1].endpointing_wait, 1500ms);  // endpointing_ms.max
  EXPECT_EQ(*r.turns[1].end_of_turn - *r.turns[1].user_speech_end, 1500ms);
  expect_settled(c);
}

TEST(EndOfTurnTest, EndpointingLimitsComeFromTheConfig) {
  CallHarness c;
  c.cfg.turn.endpointing_min = 500ms;
  c.cfg.turn.endpointing_max = 2000ms;
  c.stt.transcripts = {{"Yes."}, {"um"}, {"Tuesday works"}};
  ASSERT_TRUE(c.start());
  for (int i = 0; i < 3; ++i) {
    c.say(600ms);
    c.quiet(4s);
  }
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.turns.size(), 3u);
  EXPECT_EQ(r.turns[0].endpointing_wait, 500ms);
  EXPECT_EQ(r.turns[1].endpointing_wait, 2000ms);
  EXPECT_EQ(r.turns[2].endpointing_wait, 1250ms);  // neither: halfway
}

TEST(EndOfTurnTest, CallerGoingOnBeforeTheAgentSpeaksMakesOneTurn) {
  CallHarness c;
  c.stt.transcripts = {{"I'd like to book."}, {"for Tuesday afternoon"}};
  c.llm.first_token_latency = 1s;  // the answer is not ready when the caller goes on
  c.llm.default_reply = {.text = "Sure."};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(450ms);  // the turn ended after 350 ms: the LLM is thinking
  ASSERT_EQ(c.count<EndOfTurn>(), 1);
  c.say(1s);
  c.quiet(4s);
  const auto reqs = c.llm_p->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].messages.back().content, "I'd like to book. for Tuesday afternoon");
  int users = 0;
  for (const auto& m : c.session->history()) users += m.role == Role::user;
  EXPECT_EQ(users, 1);
  const CallRecord r = c.session->call_record();
  EXPECT_EQ(r.interruptions, 0);
  EXPECT_EQ(c.count<Interrupted>(), 0);
  ASSERT_EQ(r.turns.size(), 1u);
  ASSERT_EQ(r.transcript.size(), 2u);
  EXPECT_EQ(r.transcript[0].text, "I'd like to book. for Tuesday afternoon");
  EXPECT_EQ(c.tts_p->utterances(), (std::vector<std::string>{"Sure."}));
  expect_settled(c);
}

TEST(EndOfTurnTest, NoiseWithoutWordsIsNotATurn) {
  CallHarness c;
  c.stt.transcripts = {{""}};
  ASSERT_TRUE(c.start());
  c.say(400ms);
  c.quiet(3s);
  EXPECT_EQ(c.count<EndOfTurn>(), 0);
  EXPECT_TRUE(c.llm_p->requests().empty());
  expect_settled(c);
}

// ------------------------------------------------------------ barge-in

struct BargeIn {
  CallHarness c;
  TimePoint audio_start{};
  void run_until_agent_speaks() {
    ASSERT_TRUE(c.start());
    c.say(1000ms);
    for (int i = 0; i < 200 && c.count<AgentAudioStarted>() == 0; ++i) c.quiet(20ms);
    ASSERT_EQ(c.count<AgentAudioStarted>(), 1);
    audio_start = c.all<AgentAudioStarted>()[0].at;
  }
};

TEST(BargeInTest, WaitStopInterruptsAtOnceAndHistoryKeepsTheHeardWords) {
  BargeIn b;
  CallHarness& c = b.c;
  c.stt.transcripts = {{"What are your hours?"}, {"wait, stop"}};
  c.llm.replies = {{.text = kLongReply}, {.text = "Of course, go ahead."}};
  c.options.playback_reports = true;
  b.run_until_agent_speaks();
  c.quiet(1500ms);
  // The transport says the caller has heard exactly one second of the answer.
  const std::int64_t first_ts = c.sink.chunks.front().timestamp;
  c.session->report_playback(first_ts + 16000);
  c.say(900ms);
  c.quiet(3s);

  const auto ints = c.all<Interrupted>();
  ASSERT_EQ(ints.size(), 1u);
  ASSERT_EQ(c.sink.clears.size(), 1u);
  // The clear went out in the same instant as the decision: within one frame.
  EXPECT_EQ(c.sink.clears[0], ints[0].at);
  // Words whose middle was played within the first second: "Our"(0-165 ms),
  // "clinic"(225-555), "is"(615-725), "open"(785-1005); "Monday" starts at 1065.
  EXPECT_EQ(ints[0].heard_text, "Our clinic is open");
  const CallRecord r = c.session->call_record();
  ASSERT_GE(r.transcript.size(), 3u);
  EXPECT_EQ(r.transcript[1].speaker, Speaker::agent);
  EXPECT_TRUE(r.transcript[1].interrupted);
  EXPECT_EQ(r.transcript[1].heard_text, "Our clinic is open");
  EXPECT_EQ(r.interruptions, 1);
  // The next LLM request carries only what was heard, then the caller's words.
  const auto reqs = c.llm_p->requests();
  ASSERT_EQ(reqs.size(), 2u);
  const auto& msgs = reqs[1].messages;
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs[msgs.size() - 2].role, Role::assistant);
  EXPECT_EQ(msgs[msgs.size() - 2].content, "Our clinic is open");
  EXPECT_EQ(msgs.back().content, "wait, stop");
  // No audio of the interrupted answer was handed out after the clear.
  for (const auto& ch : c.sink.chunks) {
    if (ch.delivered > c.sink.clears[0]) {
      EXPECT_GE(ch.play_at, *r.turns[1].agent_audio_start);
    }
  }
  EXPECT_TRUE(r.turns[0].interrupted);
  expect_settled(c);
}

TEST(BargeInTest, WithoutPlaybackReportsHeardTextFollowsRealTime) {
  BargeIn b;
  CallHarness& c = b.c;
  c.stt.transcripts = {{"What are your hours?"}, {"hold on please"}};
  c.llm.replies = {{.text = kLongReply}, {.text = "Yes?"}};
  b.run_until_agent_speaks();
  c.quiet(640ms);
  c.say(900ms);
  c.quiet(3s);
  const auto ints = c.all<Interrupted>();
  ASSERT_EQ(ints.size(), 1u);
  // Decided when the first interim word arrived (300 ms of speech + 50 ms); by then
  // about a second of the answer had played.
  const double played_ms = to_ms(ints[0].at - b.audio_start);
  EXPECT_NEAR(played_ms, 1000.0, 60.0);
  EXPECT_EQ(ints[0].heard_text, "Our clinic is open");
  EXPECT_EQ(kLongReply.rfind(ints[0].heard_text + " " + ints[0].unheard_text.substr(0, 6), 0), 0u);
}

TEST(BargeInTest, WithoutWordTimingsHeardTextIsEstimatedFromTheAudio) {
  BargeIn b;
  CallHarness& c = b.c;
  c.tts.word_timings = false;
  c.stt.transcripts = {{"What are your hours?"}, {"hold on please"}};
  c.llm.replies = {{.text = kLongReply}, {.text = "Yes?"}};
  b.run_until_agent_speaks();
  c.quiet(1500ms);
  c.say(900ms);
  c.quiet(3s);
  const auto ints = c.all<Interrupted>();
  ASSERT_EQ(ints.size(), 1u);
  // A word-boundary prefix of what was said, neither nothing nor everything.
  EXPECT_FALSE(ints[0].heard_text.empty());
  EXPECT_EQ(kLongReply.rfind(ints[0].heard_text, 0), 0u);
  EXPECT_EQ(kLongReply[ints[0].heard_text.size()], ' ');
  EXPECT_FALSE(ints[0].unheard_text.empty());
}

TEST(BargeInTest, HeardTextIsInWrittenWordsWhenTtsReadsNormalisedText) {
  BargeIn b;
  CallHarness& c = b.c;
  c.stt.transcripts = {{"How much is it?"}, {"wait, that much?"}};
  c.llm.replies = {{.text = "The fee is $1,250.50 for the visit, and parking costs $5 per hour at the entrance."},
                   {.text = "Yes."}};
  c.options.playback_reports = true;
  b.run_until_agent_speaks();
  c.quiet(1500ms);
  c.session->report_playback(c.sink.chunks.front().timestamp + 16000);  // one second heard
  c.say(900ms);
  c.quiet(3s);
  // TTS read the normalised text ...
  EXPECT_EQ(c.tts_p->utterances()[0],
            "The fee is one thousand two hundred fifty dollars and fifty cents for the visit,");
  // ... and in one second said "The fee is one": less than half of the amount.
  const auto ints = c.all<Interrupted>();
  ASSERT_EQ(ints.size(), 1u);
  EXPECT_EQ(ints[0].heard_text, "The fee is");
  EXPECT_EQ(ints[0].unheard_text.rfind("$1,250.50 for the visit,", 0), 0u);
}

TEST(BargeInTest, BackchannelsDoNotInterrupt) {
  BargeIn b;
  CallHarness& c = b.c;
  c.stt.transcripts = {{"What are your hours?"}, {"uh-huh"}, {"mm-hmm"}};
  c.llm.replies = {{.text = kLongReply}};
  b.run_until_agent_speaks();
  c.quiet(1s);
  c.say(500ms);
  c.quiet(2s);
  c.say(400ms);
  c.quiet(12s);
  EXPECT_EQ(c.count<Interrupted>(), 0);
  EXPECT_TRUE(c.sink.clears.empty());
  const CallRecord r = c.session->call_record();
  EXPECT_EQ(r.backchannels_ignored, 2);
  ASSERT_EQ(r.transcript.size(), 2u);  // the question and the full answer
  EXPECT_FALSE(r.transcript[1].interrupted);
  EXPECT_EQ(r.transcript[1].heard_text, kLongReply);
  EXPECT_EQ(c.llm_p->requests().size(), 1u);
  for (const auto& m : c.session->history()) EXPECT_EQ(m.content.find("uh-huh"), std::string::npos);
  expect_settled(c);
}

TEST(BargeInTest, ShortSpeechBelowMinDurationDoesNotInterrupt) {
  BargeIn b;
  CallHarness& c = b.c;
  c.cfg.turn.interruption_min_duration = 600ms;
  c.stt.transcripts = {{"What are your hours?"}, {"sorry"}};
  c.llm.replies = {{.text = kLongReply}};
  b.run_until_agent_speaks();
  c.quiet(1s);
  c.say(400ms);
  c.quiet(12s);
  EXPECT_EQ(c.count<Interrupted>(), 0);
  EXPECT_EQ(c.session->call_record().backchannels_ignored, 1);
}

TEST(BargeInTest, FalseInterruptionResumes) {
  BargeIn b;
  CallHarness& c = b.c;
  c.cfg.turn.interruption_min_words = 0;  // duration alone interrupts
  c.stt.transcripts = {{"What are your hours?"}, {""}};  // a cough: no words
  c.llm.replies = {{.text = kLongReply}};
  b.run_until_agent_speaks();
  c.quiet(1s);
  c.say(500ms);
  c.quiet(15s);
  const auto ints = c.all<Interrupted>();
  ASSERT_EQ(ints.size(), 2u);
  EXPECT_FALSE(ints[0].resumed);
  EXPECT_TRUE(ints[1].resumed);
  EXPECT_FALSE(ints[0].unheard_text.empty());
  // The agent says the rest; the interruption was within the recovery window.
  const auto utts = c.tts_p->utterances();
  EXPECT_EQ(utts.back(), ints[0].unheard_text);
  EXPECT_LE(to_ms(ints[1].at - ints[0].at), 1000.0);
  EXPECT_EQ(c.session->call_record().false_interruptions, 1);
  EXPECT_EQ(c.llm_p->requests().size(), 1u);
  expect_settled(c);
}

// ------------------------------------------------------------ determinism

std::string run_reference_call() {
  CallHarness c;
  c.cfg.greeting = "Hi there, how can I help you today?";
  c.stt.transcripts = {{"What are your hours?"}, {"wait, and on Sunday?"}, {"uh-huh"}, {"Thanks, bye."}};
  c.llm.replies = {{.text = kLongReply}, {.text = "We are closed on Sundays."}, {.text = "Goodbye!"}};
  (void)c.start();
  c.quiet(3s);
  c.say(1s);
  c.quiet(2500ms);
  c.say(900ms);
  c.quiet(1500ms);
  c.say(300ms);
  c.quiet(4s);
  c.say(800ms);
  c.quiet(4s);
  c.session->stop("caller_hangup");
  (void)c.rt->run_until_idle();
  std::string events;
  for (const auto& e : c.events) events += std::string(event_name(e)) + "@" + std::to_string(to_ms(event_time(e))) + ";";
  return to_json(c.session->call_record()).dump() + "\n" + events;
}

TEST(DeterminismTest, TheSameCallTwiceGivesTheSameRecordAndEvents) {
  const std::string a = run_reference_call();
  const std::string b = run_reference_call();
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("\"interrupted\":true"), std::string::npos);
  EXPECT_NE(a.find("caller_hangup"), std::string::npos);
}

}  // namespace
}  // namespace loqui

namespace loqui {
namespace {

TEST(SessionTest, GreetWithLlmAsksTheModelForTheOpeningLine) {
  testing::CallHarness c;
  c.cfg.greet_with_llm = true;
  c.llm.replies = {{.text = "Riverside Clinic, how can I help?",
                    .hints = RecognitionHints{.state = "start", .phrases = {"book an appointment"}}}};
  ASSERT_TRUE(c.start());
  c.quiet(4s);
  // The model was asked with the system prompt only, and its answer was spoken.
  const auto requests = c.llm_p->requests();
  ASSERT_EQ(requests.size(), 1u);
  for (const auto& m : requests[0].messages) EXPECT_NE(m.role, Role::user);
  EXPECT_EQ(c.tts_p->utterances(), (std::vector<std::string>{"Riverside Clinic, how can I help?"}));
  // Its recognition hints reached the STT before the caller said anything.
  const auto hints = c.stt_p->record().hints;
  ASSERT_EQ(hints.size(), 1u);
  EXPECT_EQ(hints[0].phrases, (std::vector<std::string>{"book an appointment"}));
}

TEST(AgentConfigTest, GreetingAndGreetWithLlmExcludeEachOther) {
  auto cfg = AgentConfig::parse(Json::parse(R"({"agent": {"greeting": "Hi", "greet_with_llm": true}})").value(), ".");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message().find("agent.greet_with_llm"), std::string::npos) << cfg.error().message();
}

}  // namespace
}  // namespace loqui
