// SPDX-License-Identifier: Apache-2.0
// File: the Fallback providers under virtual time: switching mid-turn with discard,
// timeouts, circuit-breaker timing (exact times), replay of STT audio, TTS text
// replay, exceptions and garbage from providers, construction from JSON.
#include <gtest/gtest.h>

#include "loqui/provider/fallback.hpp"
#include "loqui/provider/mock.hpp"
#include "loqui/provider/registry.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::at_ms;
using testing::CallGuard;
using testing::feed;
using testing::LlmEvent;
using testing::RecordingLlmObserver;
using testing::RecordingSttObserver;
using testing::RecordingTtsObserver;
using testing::SttEvent;
using testing::TtsEvent;
using testing::user_says;
using testing::VirtualSession;

std::shared_ptr<MockLanguageModel> mock_llm(std::string name, std::string reply,
                                            std::vector<MockFailure> failures = {}) {
  MockLlmOptions o;
  o.name = std::move(name);
  o.default_reply = {.text = std::move(reply)};
  o.failures = std::move(failures);
  return MockLanguageModel::create(o).value();
}

MockFailure fail_at(int at, MockFailure::Mode mode, int after = 0, errc code = errc::provider_unavailable) {
  return {.at = at, .mode = mode, .code = code, .after = after};
}

// Runs one generation starting at the current time; returns its observer.
RecordingLlmObserver generate(VirtualSession& s, LlmSession& session, std::string text = "hello") {
  RecordingLlmObserver obs(s.strand);
  {
    CallGuard g(obs.calls());
    Status st = session.generate(user_says(std::move(text)), obs);
    EXPECT_TRUE(st.ok()) << (st ? "" : st.error().to_string());
  }
  s.run_until_quiet();
  EXPECT_EQ(obs.violations(), 0);
  return obs;
}

// ---------------------------------------------------------------- LLM

TEST(LlmFallback, ErrorMidTurnSwitchesAndTellsTheConsumerToDiscard) {
  VirtualSession s;
  auto primary = mock_llm("primary", "one two three four", {fail_at(1, MockFailure::Mode::error, 2)});
  auto secondary = mock_llm("secondary", "the secondary answer");
  auto fb = LlmFallback::create({{primary, {}}, {secondary, {}}}).value();
  EXPECT_EQ(fb->info().description, "fallback: primary -> secondary");
  auto session = fb->open(s.ctx).value();
  auto obs = generate(s, *session);

  auto providers = obs.of(LlmEvent::Kind::provider);
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0].text, "primary");
  EXPECT_FALSE(providers[0].restarted);
  EXPECT_EQ(providers[0].at, at_ms(200));
  // The primary failed at 240 ms, instead of its third token; the secondary got the
  // same request at once and answered 200 ms later.
  EXPECT_EQ(providers[1].text, "secondary");
  EXPECT_TRUE(providers[1].restarted);
  EXPECT_EQ(providers[1].at, at_ms(440));
  EXPECT_EQ(obs.text(), "the secondary answer");
  EXPECT_EQ(obs.terminals(), 1);
  ASSERT_NE(obs.first(LlmEvent::Kind::done), nullptr);
  ASSERT_EQ(secondary->requests().size(), 1u);
  EXPECT_EQ(secondary->requests()[0].messages.back().content, "hello");
}

TEST(LlmFallback, FirstTokenTimeoutSwitchesWithoutDiscard) {
  VirtualSession s;
  auto primary = mock_llm("primary", "never", {fail_at(1, MockFailure::Mode::hang)});
  auto secondary = mock_llm("secondary", "quick");
  auto fb = LlmFallback::create({{primary, {.first_output_timeout = 500ms}}, {secondary, {}}}).value();
  auto session = fb->open(s.ctx).value();
  auto obs = generate(s, *session);
  auto providers = obs.of(LlmEvent::Kind::provider);
  ASSERT_EQ(providers.size(), 1u);  // nothing of the primary reached the consumer
  EXPECT_EQ(providers[0].text, "secondary");
  EXPECT_FALSE(providers[0].restarted);
  EXPECT_EQ(obs.first(LlmEvent::Kind::text)->at, at_ms(700));
  EXPECT_EQ(obs.text(), "quick");
}

TEST(LlmFallback, StallAfterTheFirstTokenSwitches) {
  VirtualSession s;
  auto primary = mock_llm("primary", "one two three", {fail_at(1, MockFailure::Mode::hang, 1)});
  auto secondary = mock_llm("secondary", "complete answer");
  auto fb = LlmFallback::create({{primary, {.idle_timeout = 300ms}}, {secondary, {}}}).value();
  auto session = fb->open(s.ctx).value();
  auto obs = generate(s, *session);
  auto providers = obs.of(LlmEvent::Kind::provider);
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_TRUE(providers[1].restarted);
  EXPECT_EQ(providers[1].at, at_ms(200 + 300 + 200));
  EXPECT_EQ(obs.text(), "complete answer");
}

TEST(LlmFallback, CircuitBreakerOpensAfterNFailuresAndProbesAfterTheCoolDown) {
  VirtualSession s;
  // The primary fails its first two turns, then works.
  auto primary = mock_llm("primary", "primary answer",
                          {fail_at(1, MockFailure::Mode::error), fail_at(2, MockFailure::Mode::error)});
  auto secondary = mock_llm("secondary", "secondary answer");
  auto fb = LlmFallback::create({{primary, {.failure_threshold = 2, .cooldown = 10s}}, {secondary, {}}}).value();
  auto session = fb->open(s.ctx).value();

  // Turn 1 at 0 ms: the primary fails at 200 ms (1 failure, circuit still closed).
  EXPECT_EQ(generate(s, *session).text(), "secondary answer");
  EXPECT_EQ(fb->health(s.rt->now())[0].state, CircuitBreaker::State::closed);
  // Turn 2 at 1000 ms: fails at 1200 ms: the circuit opens at 1200 ms.
  s.advance_to(at_ms(1000));
  EXPECT_EQ(generate(s, *session).text(), "secondary answer");
  auto h = fb->health(s.rt->now());
  EXPECT_EQ(h[0].state, CircuitBreaker::State::open);
  EXPECT_EQ(h[0].consecutive_failures, 2);
  EXPECT_EQ(h[0].failures, 2u);
  EXPECT_EQ(h[1].successes, 2u);
  // Turn 3 at 2000 ms: the primary is skipped: the secondary answers at 2200 ms.
  s.advance_to(at_ms(2000));
  auto t3 = generate(s, *session);
  EXPECT_EQ(t3.of(LlmEvent::Kind::provider)[0].text, "secondary");
  EXPECT_EQ(t3.first(LlmEvent::Kind::text)->at, at_ms(2200));
  EXPECT_EQ(primary->requests().size(), 2u);
  // Open until the cool-down ends at 11200 ms.
  s.advance_to(at_ms(11200) - 1ns);
  EXPECT_EQ(fb->health(s.rt->now())[0].state, CircuitBreaker::State::open);
  // From 11200 ms it is half-open: the next turn probes it; it works: closed.
  s.advance_to(at_ms(11200));
  EXPECT_EQ(fb->health(s.rt->now())[0].state, CircuitBreaker::State::half_open);
  auto probe = generate(s, *session);
  EXPECT_EQ(probe.of(LlmEvent::Kind::provider)[0].text, "primary");
  EXPECT_EQ(probe.first(LlmEvent::Kind::text)->at, at_ms(11400));
  EXPECT_EQ(probe.text(), "primary answer");
  EXPECT_EQ(fb->health(s.rt->now())[0].state, CircuitBreaker::State::closed);
  EXPECT_EQ(fb->health(s.rt->now())[0].consecutive_failures, 0);
}

TEST(LlmFallback, AFailedProbeReopensTheCircuit) {
  VirtualSession s;
  auto primary = mock_llm("primary", "x", {fail_at(1, MockFailure::Mode::error), fail_at(2, MockFailure::Mode::error)});
  auto secondary = mock_llm("secondary", "y");
  auto fb = LlmFallback::create({{primary, {.failure_threshold = 1, .cooldown = 5s}}, {secondary, {}}}).value();
  auto session = fb->open(s.ctx).value();
  (void)generate(s, *session);  // primary fails at 200 ms: open until 5200 ms
  s.advance_to(at_ms(5200));
  (void)generate(s, *session);  // probe at 5200 ms fails at 5400 ms: open until 10400 ms
  s.advance_to(at_ms(10400) - 1ns);
  EXPECT_EQ(fb->health(s.rt->now())[0].state, CircuitBreaker::State::open);
  s.advance_to(at_ms(10400));
  EXPECT_EQ(fb->health(s.rt->now())[0].state, CircuitBreaker::State::half_open);
}

TEST(CircuitBreaker, HalfOpenAdmitsOneProbeAtATime) {
  CircuitBreaker b(2, 1s);
  const TimePoint t0 = at_ms(0);
  EXPECT_TRUE(b.try_acquire(t0));
  b.record_failure(t0);
  EXPECT_EQ(b.state(t0), CircuitBreaker::State::closed);
  b.record_failure(t0);
  EXPECT_EQ(b.state(t0), CircuitBreaker::State::open);
  EXPECT_FALSE(b.try_acquire(t0 + 999ms));
  bool probe = false;
  EXPECT_TRUE(b.try_acquire(t0 + 1s, &probe));
  EXPECT_TRUE(probe);
  EXPECT_FALSE(b.try_acquire(t0 + 1s));  // the probe is in flight
  b.release(true);                        // cancelled: no verdict
  EXPECT_TRUE(b.try_acquire(t0 + 1s, &probe));
  b.record_success(t0 + 2s);
  EXPECT_EQ(b.state(t0 + 2s), CircuitBreaker::State::closed);
  CircuitBreaker off(0, 1s);
  for (int i = 0; i < 10; ++i) off.record_failure(t0);
  EXPECT_TRUE(off.try_acquire(t0));
}

TEST(LlmFallback, AllProvidersFailingGivesOneErrorNamingEach) {
  VirtualSession s;
  auto a = mock_llm("a", "x", {fail_at(1, MockFailure::Mode::error, 0, errc::provider_quota)});
  auto b = mock_llm("b", "y", {fail_at(1, MockFailure::Mode::error, 1, errc::provider_unavailable)});
  auto fb = LlmFallback::create({{a, {}}, {b, {}}}).value();
  auto session = fb->open(s.ctx).value();
  auto obs = generate(s, *session);
  ASSERT_EQ(obs.terminals(), 1);
  const auto errors = obs.of(LlmEvent::Kind::error);
  ASSERT_EQ(errors.size(), 1u);
  const Error& e = errors[0].error;
  EXPECT_EQ(e.code(), errc::provider_unavailable);
  EXPECT_EQ(e.provider(), "b");
  EXPECT_NE(e.message().find("all 2 llm providers failed"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("a: provider_quota"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("b: provider_unavailable"), std::string::npos) << e.message();
  EXPECT_FALSE(session->busy());
}

TEST(LlmFallback, EveryCircuitOpenFailsAtOnce) {
  VirtualSession s;
  auto a = mock_llm("a", "x", {fail_at(1, MockFailure::Mode::error)});
  auto fb = LlmFallback::create({{a, {.failure_threshold = 1, .cooldown = 60s}}}).value();
  auto session = fb->open(s.ctx).value();
  (void)generate(s, *session);
  RecordingLlmObserver obs(s.strand);
  Status st = session->generate(user_says("again"), obs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), errc::provider_unavailable);
  EXPECT_NE(st.error().message().find("circuit is open"), std::string::npos);
  s.run_until_quiet();
  EXPECT_TRUE(obs.events.empty());
}

TEST(LlmFallback, ExceptionsAndGarbageBecomeFailoverNotCrashes) {
  VirtualSession s;
  auto thrower = mock_llm("thrower", "x", {fail_at(1, MockFailure::Mode::throw_exception)});
  auto garbage = mock_llm("garbage", "y", {fail_at(1, MockFailure::Mode::garbage, 1)});
  auto good = mock_llm("good", "fine");
  auto fb = LlmFallback::create({{thrower, {}}, {garbage, {}}, {good, {}}}).value();
  auto session = fb->open(s.ctx).value();
  auto obs = generate(s, *session);
  EXPECT_EQ(obs.text(), "fine");
  EXPECT_TRUE(obs.tool_calls().empty());
  auto providers = obs.of(LlmEvent::Kind::provider);
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0].text, "garbage");  // its first token got through before the garbage
  EXPECT_EQ(providers[1].text, "good");
  EXPECT_TRUE(providers[1].restarted);
  auto h = fb->health(s.rt->now());
  EXPECT_EQ(h[0].failures, 1u);
  EXPECT_EQ(h[1].failures, 1u);
}

TEST(LlmFallback, CancelStopsEverythingAndFreesTheSession) {
  VirtualSession s;
  auto primary = mock_llm("primary", "a b c d e f", {});
  auto fb = LlmFallback::create({{primary, {.first_output_timeout = 1s}}}).value();
  auto session = fb->open(s.ctx).value();
  RecordingLlmObserver obs(s.strand);
  ASSERT_TRUE(session->generate(user_says("x"), obs).ok());
  s.advance(230ms);
  session->cancel();
  session->cancel();
  obs.cancelled = true;
  s.run_until_quiet();
  EXPECT_EQ(obs.after_cancel, 0);
  EXPECT_FALSE(session->busy());
  EXPECT_EQ(generate(s, *session).text(), "a b c d e f");
}

TEST(LlmFallback, EachGenerationStartsAgainFromThePrimary) {
  VirtualSession s;
  auto primary = mock_llm("primary", "from primary", {fail_at(1, MockFailure::Mode::error)});
  auto secondary = mock_llm("secondary", "from secondary");
  auto fb = LlmFallback::create({{primary, {}}, {secondary, {}}}).value();
  auto session = fb->open(s.ctx).value();
  EXPECT_EQ(generate(s, *session).text(), "from secondary");
  EXPECT_EQ(generate(s, *session).text(), "from primary");
}

// ---------------------------------------------------------------- TTS

std::shared_ptr<MockTextToSpeech> mock_tts(std::string name, std::vector<MockFailure> failures = {},
                                           Duration first_audio = 40ms) {
  MockTtsOptions o;
  o.name = std::move(name);
  o.failures = std::move(failures);
  o.first_audio_latency = first_audio;
  return MockTextToSpeech::create(o).value();
}

TEST(TtsFallback, ErrorMidUtteranceReplaysTheTextOnTheNextProvider) {
  VirtualSession s;
  auto primary = mock_tts("primary", {fail_at(1, MockFailure::Mode::error, 3)});
  auto secondary = mock_tts("secondary");
  auto fb = TtsFallback::create({{primary, {}}, {secondary, {}}}).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = fb->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  {
    CallGuard g(obs.calls());
    ASSERT_TRUE(stream->send_text("Hello there").ok());
    ASSERT_TRUE(stream->flush().ok());
  }
  s.run_until_quiet();
  EXPECT_EQ(obs.violations(), 0);
  auto providers = obs.of(TtsEvent::Kind::provider);
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0].provider, "primary");
  EXPECT_EQ(providers[0].at, at_ms(40));
  // Chunks at 40, 60, 80 ms; the error at 100 ms; the secondary's first audio 40 ms later.
  EXPECT_EQ(providers[1].provider, "secondary");
  EXPECT_TRUE(providers[1].restarted);
  EXPECT_EQ(providers[1].at, at_ms(140));
  EXPECT_EQ(obs.dones(), 1);
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(secondary->utterances(), std::vector<std::string>{"Hello there"});
  // What the consumer kept is exactly one whole utterance of the secondary.
  ASSERT_EQ(obs.utterances.size(), 1u);
  auto words = obs.words();
  ASSERT_GE(words.size(), 2u);
  EXPECT_EQ(words.back().word, "there");
  EXPECT_EQ(obs.utterances[0].size(), 16u * (275 + 60 + 275 + 60));  // "Hello" + gap + "there" + gap
  // Later utterances stay on the secondary.
  ASSERT_TRUE(stream->send_text("next").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.dones(), 2);
  EXPECT_EQ(secondary->utterances().size(), 2u);
  EXPECT_EQ(primary->utterances().size(), 1u);
}

TEST(TtsFallback, FirstAudioTimeoutAndWrongFormatSwitch) {
  VirtualSession s;
  auto hang = mock_tts("hang", {fail_at(1, MockFailure::Mode::hang)});
  auto garbage = mock_tts("garbage", {fail_at(1, MockFailure::Mode::garbage, 1)});
  auto good = mock_tts("good");
  auto fb = TtsFallback::create({{hang, {.first_output_timeout = 300ms}}, {garbage, {}}, {good, {}}}).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = fb->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  s.advance(100ms);
  ASSERT_TRUE(stream->send_text("one two").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  auto providers = obs.of(TtsEvent::Kind::provider);
  ASSERT_EQ(providers.size(), 2u);
  // No audio from "hang" by 400 ms (flush + 300): "garbage" starts at 440 ms, sends
  // one good chunk, then a frame in the wrong format: "good" takes over.
  EXPECT_EQ(providers[0].provider, "garbage");
  EXPECT_EQ(providers[0].at, at_ms(440));
  EXPECT_EQ(providers[1].provider, "good");
  EXPECT_TRUE(providers[1].restarted);
  for (const auto& e : obs.of(TtsEvent::Kind::audio)) EXPECT_EQ(e.format, AudioFormat::pcm16(16000));
  EXPECT_EQ(obs.dones(), 1);
}

TEST(TtsFallback, AllFailingClosesTheStreamWithOneError) {
  VirtualSession s;
  auto a = mock_tts("a", {fail_at(1, MockFailure::Mode::error)});
  auto b = mock_tts("b", {fail_at(1, MockFailure::Mode::error)});
  auto fb = TtsFallback::create({{a, {}}, {b, {}}}).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = fb->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  ASSERT_TRUE(stream->send_text("x").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.errors(), 1);
  EXPECT_EQ(obs.dones(), 0);
  EXPECT_EQ(stream->send_text("y").error().code(), errc::closed);
}

TEST(TtsFallback, ThrowingFlushIsContainedAndDeferred) {
  VirtualSession s;
  auto thrower = mock_tts("thrower", {fail_at(1, MockFailure::Mode::throw_exception)});
  auto good = mock_tts("good");
  auto fb = TtsFallback::create({{thrower, {}}, {good, {}}}).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = fb->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  {
    CallGuard g(obs.calls());
    ASSERT_TRUE(stream->send_text("spoken anyway").ok());
    ASSERT_TRUE(stream->flush().ok());  // the exception does not reach the consumer
  }
  s.run_until_quiet();
  EXPECT_EQ(obs.violations(), 0);
  EXPECT_EQ(obs.dones(), 1);
  EXPECT_EQ(obs.of(TtsEvent::Kind::provider)[0].provider, "good");
}

TEST(TtsFallback, FormatsAreTheIntersection) {
  MockTtsOptions a;
  a.sample_rates = {8000, 16000};
  MockTtsOptions b;
  b.sample_rates = {16000, 24000};
  b.name = "b";
  auto fb = TtsFallback::create({{MockTextToSpeech::create(a).value(), {}}, {MockTextToSpeech::create(b).value(), {}}})
                .value();
  EXPECT_EQ(fb->capabilities().output_formats, std::vector<AudioFormat>{AudioFormat::pcm16(16000)});
  b.sample_rates = {24000};
  auto none = TtsFallback::create({{MockTextToSpeech::create(a).value(), {}}, {MockTextToSpeech::create(b).value(), {}}});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), errc::invalid_config);
}

// ---------------------------------------------------------------- STT

std::shared_ptr<MockSpeechToText> mock_stt(std::string name, std::vector<std::string> texts,
                                           std::vector<MockFailure> failures = {}) {
  MockSttOptions o;
  o.name = std::move(name);
  for (auto& t : texts) o.transcripts.push_back({std::move(t)});
  o.failures = std::move(failures);
  return MockSpeechToText::create(o).value();
}

TEST(SttFallback, ErrorMidUtteranceReplaysItsAudioToTheNextProvider) {
  VirtualSession s;
  auto primary = mock_stt("primary", {"hello world"}, {fail_at(1, MockFailure::Mode::error, 1)});
  auto secondary = mock_stt("secondary", {"hello wide world"});
  auto fb = SttFallback::create({{primary, {}}, {secondary, {}}}).value();
  RecordingSttObserver obs(s.strand);
  auto stream = fb->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 1000ms, 200ms).ok());
  stream->finalize();
  s.run_until_quiet();
  EXPECT_EQ(obs.violations(), 0);
  auto providers = obs.of(SttEvent::Kind::provider);
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0].provider, "primary");
  EXPECT_EQ(providers[0].at, at_ms(330));  // its first interim
  EXPECT_EQ(providers[1].provider, "secondary");
  EXPECT_TRUE(providers[1].restarted);  // the primary's interim is void
  // The error struck at 630 ms; the 600 ms of audio so far were replayed at once,
  // so the secondary's two interims for them came 50 ms later.
  EXPECT_EQ(providers[1].at, at_ms(680));
  auto finals = obs.finals();
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0].text, "hello wide world");
  EXPECT_TRUE(finals[0].from_finalize);
  EXPECT_EQ(finals[0].audio_start, 0ms);
  EXPECT_EQ(finals[0].audio_end, 1000ms);
  EXPECT_EQ(obs.of(SttEvent::Kind::transcript).back().at, at_ms(1350));
  EXPECT_EQ(secondary->record().audio_received, 1200ms);
}

TEST(SttFallback, ReplayStartsAfterTheLastFinalAndResultsKeepTheStreamTimeline) {
  VirtualSession s;
  auto primary = mock_stt("primary", {"first turn", "second"}, {fail_at(2, MockFailure::Mode::hang)});
  auto secondary = mock_stt("secondary", {"second turn"});
  auto fb = SttFallback::create({{primary, {.first_output_timeout = 500ms}}, {secondary, {}}}).value();
  RecordingSttObserver obs(s.strand);
  auto stream = fb->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 600ms, 200ms).ok());
  stream->finalize();  // at 800 ms
  ASSERT_TRUE(feed(s, *stream, 0ms, 400ms).ok());
  ASSERT_TRUE(feed(s, *stream, 500ms, 100ms).ok());  // utterance 2 from 1200 ms: the primary hangs
  stream->finalize();                                // at 1800 ms
  s.run_until_quiet();
  auto finals = obs.finals();
  ASSERT_EQ(finals.size(), 2u);
  EXPECT_EQ(finals[0].text, "first turn");
  EXPECT_EQ(finals[1].text, "second turn");
  // No final by 2300 ms: the secondary got the audio from the first finalize()
  // on (800 ms), and its result is placed on the stream's own timeline.
  EXPECT_EQ(secondary->record().audio_received, 1000ms);
  EXPECT_EQ(finals[1].audio_start, 1200ms);
  EXPECT_EQ(finals[1].audio_end, 1700ms);
  EXPECT_EQ(obs.of(SttEvent::Kind::transcript).back().at, at_ms(2300 + 150));
  EXPECT_EQ(obs.finalize_answers(), 2);
}

TEST(SttFallback, FormatAndOpenErrors) {
  VirtualSession s;
  MockSttOptions o;
  o.open_error = Error(errc::provider_auth, "bad key");
  o.name = "locked";
  auto locked = MockSpeechToText::create(o).value();
  auto good = mock_stt("good", {"fine"});
  auto fb = SttFallback::create({{locked, {}}, {good, {}}}).value();
  RecordingSttObserver obs(s.strand);
  auto stream = fb->open(s.ctx, {}, obs);
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(feed(s, **stream, 300ms, 0ms).ok());
  (*stream)->finalize();
  s.run_until_quiet();
  EXPECT_EQ(obs.of(SttEvent::Kind::provider)[0].provider, "good");
  auto bad = fb->open(s.ctx, {.format = AudioFormat::mulaw8k()}, obs);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), errc::format_mismatch);
  auto only_locked = SttFallback::create({{locked, {}}}).value();
  auto none = only_locked->open(s.ctx, {}, obs);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), errc::provider_auth);
  EXPECT_EQ(none.error().provider(), "locked");
}

// ---------------------------------------------------------------- Registry

TEST(FallbackConfig, RegistryBuildsFallbacksFromJson) {
  VirtualSession s;
  Registry registry;
  register_builtin_providers(registry);
  ProviderContext pc{.runtime = s.rt.get()};
  auto cfg = Json::parse(R"({"provider": "mock", "name": "groq", "default_reply": "x",
      "failures": [{"turn": 1, "mode": "hang"}],
      "routing": {"first_token_timeout_ms": 800, "failure_threshold": 1, "cooldown_ms": 1000},
      "fallback": [{"provider": "mock", "default_reply": "from backup", "routing": {"label": "backup"}}]})")
                 .value();
  auto llm = registry.make_llm(pc, cfg);
  ASSERT_TRUE(llm.ok()) << llm.error().to_string();
  EXPECT_EQ((*llm)->info().name, "fallback");
  EXPECT_EQ((*llm)->info().description, "fallback: groq -> backup");
  auto session = (*llm)->open(s.ctx).value();
  auto obs = generate(s, *session);
  EXPECT_EQ(obs.text(), "from backup");
  EXPECT_EQ(obs.first(LlmEvent::Kind::text)->at, at_ms(800 + 200));

  // "routing" alone wraps one provider (timeouts without a second provider).
  auto single = registry.make_tts(pc, Json::parse(R"({"provider":"mock","routing":{"first_audio_timeout_ms":100}})").value());
  ASSERT_TRUE(single.ok()) << single.error().to_string();
  EXPECT_EQ((*single)->info().description, "fallback: mock");
  auto stt = registry.make_stt(pc, Json::parse(R"({"provider":"mock","fallback":[{"provider":"mock"}],
      "routing":{"final_timeout_ms":500,"replay_ms":10000}})").value());
  ASSERT_TRUE(stt.ok()) << stt.error().to_string();
  EXPECT_EQ((*stt)->info().description, "fallback: mock -> mock#2");
}

TEST(FallbackConfig, BadFallbackConfigsNameThePath) {
  VirtualSession s;
  Registry registry;
  register_builtin_providers(registry);
  ProviderContext pc{.runtime = s.rt.get()};
  auto message = [&](std::string_view json) {
    auto r = registry.make_llm(pc, Json::parse(json).value());
    EXPECT_FALSE(r.ok()) << json;
    return r.ok() ? std::string() : r.error().message();
  };
  const std::string unknown = message(R"({"provider":"mock","fallback":[{"provider":"nope"}]})");
  EXPECT_NE(unknown.find("llm.fallback[0].provider: unknown llm provider 'nope' (registered: "), std::string::npos)
      << unknown;
  EXPECT_NE(unknown.find("mock"), std::string::npos) << unknown;
  EXPECT_NE(message(R"({"provider":"mock","fallback":{}})").find("llm.fallback: expected a non-empty array"),
            std::string::npos);
  EXPECT_NE(message(R"({"provider":"mock","fallback":[{"provider":"mock","fallback":[]}]})")
                .find("llm.fallback[0].fallback"),
            std::string::npos);
  EXPECT_NE(message(R"({"provider":"mock","routing":{"first_audio_timeout_ms":5}})")
                .find("llm.routing.first_audio_timeout_ms: unknown key"),
            std::string::npos);
  EXPECT_NE(message(R"({"provider":"mock","fallback":[{"provider":"mock","tokens_per_s":-1}]})")
                .find("llm.fallback[0].tokens_per_s"),
            std::string::npos);
}

}  // namespace
}  // namespace loqui
