// SPDX-License-Identifier: Apache-2.0
// File: the mock providers under virtual time: scripted output, exact latency
// profiles, failures on cue, configuration from JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "loqui/audio/convert.hpp"
#include "loqui/provider/mock.hpp"
#include "loqui/provider/registry.hpp"
#include "support/recording_observers.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::CallGuard;
using testing::LlmEvent;
using testing::RecordingLlmObserver;
using testing::RecordingSttObserver;
using testing::RecordingTtsObserver;
using testing::SttEvent;
using testing::TtsEvent;

TimePoint at_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

struct VirtualSession {
  std::unique_ptr<Runtime> rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  std::shared_ptr<Strand> strand = rt->make_strand("call");
  SessionContext ctx{.strand = strand, .session_id = "s1"};
  void advance(Duration d) { ASSERT_TRUE(rt->advance_by(d).ok()); }
  void run_until_quiet() { ASSERT_TRUE(rt->run_until_quiet(rt->now() + 60s).ok()); }
};

// 20 ms frames: `speech` of a 300 Hz tone, then `silence`, each sent at its real
// position in time (virtual time advances 20 ms per frame). Stops at the first
// frame the stream refuses and returns that status.
Status feed(VirtualSession& s, SttStream& stream, Duration speech, Duration silence, int rate = 16000) {
  const AudioFormat fmt = AudioFormat::pcm16(rate);
  const std::int64_t n = fmt.samples_in(20ms);
  std::vector<std::int16_t> buf(static_cast<std::size_t>(n));
  static std::int64_t phase = 0;
  for (Duration t{}; t < speech + silence; t += 20ms) {
    for (std::int64_t i = 0; i < n; ++i) {
      buf[static_cast<std::size_t>(i)] =
          t < speech ? static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * 300 * (phase + i) / rate)) : 0;
    }
    phase += n;
    if (Status st = stream.send_audio(AudioFrame::view(fmt, buf)); !st) return st;
    s.advance(20ms);
  }
  return ok_status();
}

// ---------------------------------------------------------------- STT

TEST(MockStt, InterimsThenFinalOnTheLatencyProfile) {
  VirtualSession s;
  MockSttOptions o;
  o.transcripts = {{"hello there world", 0.9f}};
  auto stt = MockSpeechToText::create(o).value();
  RecordingSttObserver obs(s.strand);
  auto stream = stt->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 1000ms, 500ms).ok());
  {
    CallGuard g(obs.calls());
    stream->finalize();
  }
  s.run_until_quiet();

  auto started = obs.of(SttEvent::Kind::speech_started);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].at, at_ms(0));
  EXPECT_EQ(started[0].offset, 0ms);

  // One more word per 300 ms of utterance audio, 50 ms after that audio arrived.
  auto interims = obs.of(SttEvent::Kind::transcript);
  ASSERT_EQ(interims.size(), 4u);
  EXPECT_EQ(interims[0].transcript.text, "hello");
  EXPECT_EQ(interims[0].at, at_ms(280 + 50));
  EXPECT_EQ(interims[1].transcript.text, "hello there");
  EXPECT_EQ(interims[1].at, at_ms(580 + 50));
  EXPECT_EQ(interims[2].transcript.text, "hello there world");
  EXPECT_FALSE(interims[2].transcript.is_final);

  // The final: 150 ms after finalize() at t = 1500 ms.
  const SttEvent& fin = interims[3];
  EXPECT_EQ(fin.at, at_ms(1650));
  EXPECT_TRUE(fin.transcript.is_final);
  EXPECT_TRUE(fin.transcript.from_finalize);
  EXPECT_FALSE(fin.transcript.speech_final);
  EXPECT_EQ(fin.transcript.text, "hello there world");
  EXPECT_FLOAT_EQ(fin.transcript.confidence, 0.9f);
  EXPECT_EQ(fin.transcript.audio_start, 0ms);
  EXPECT_EQ(fin.transcript.audio_end, 1000ms);
  ASSERT_EQ(fin.transcript.words.size(), 3u);
  EXPECT_EQ(fin.transcript.words[1].text, "there");
  EXPECT_EQ(fin.transcript.words[1].start, Duration(333'333'333));
  EXPECT_EQ(fin.transcript.words[2].end, 1000ms);
  EXPECT_EQ(obs.violations(), 0);

  auto rec = stt->record();
  EXPECT_EQ(rec.streams_opened, 1);
  EXPECT_EQ(rec.finalize_calls, 1);
  EXPECT_EQ(rec.audio_received, 1500ms);
}

TEST(MockStt, FinalizeWithoutSpeechGivesAnEmptyFinal) {
  VirtualSession s;
  MockSttOptions o;
  o.transcripts = {{"first"}, {"second"}};
  auto stt = MockSpeechToText::create(o).value();
  RecordingSttObserver obs(s.strand);
  auto stream = stt->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 0ms, 200ms).ok());
  stream->finalize();
  s.run_until_quiet();
  ASSERT_TRUE(feed(s, *stream, 400ms, 100ms).ok());
  stream->finalize();
  s.run_until_quiet();
  auto finals = obs.finals();
  ASSERT_EQ(finals.size(), 2u);
  EXPECT_EQ(finals[0].text, "");
  EXPECT_TRUE(finals[0].from_finalize);
  EXPECT_EQ(finals[1].text, "first");  // the empty final did not consume the script
  EXPECT_EQ(obs.finalize_answers(), 2);
}

TEST(MockStt, VendorEndpointingEndsTheUtterance) {
  VirtualSession s;
  MockSttOptions o;
  o.transcripts = {{"book a table"}};
  o.endpointing = 500ms;
  o.interim_interval = 0ms;
  auto stt = MockSpeechToText::create(o).value();
  EXPECT_TRUE(stt->capabilities().vendor_endpointing);
  EXPECT_FALSE(stt->capabilities().interim_results);
  RecordingSttObserver obs(s.strand);
  auto stream = stt->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 1000ms, 700ms).ok());
  s.run_until_quiet();
  auto finals = obs.finals();
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_TRUE(finals[0].speech_final);
  EXPECT_FALSE(finals[0].from_finalize);
  // 500 ms of silence is complete with the frame sent at 1480 ms; final 150 ms later.
  auto t = obs.of(SttEvent::Kind::transcript);
  EXPECT_EQ(t[0].at, at_ms(1630));
  auto ends = obs.of(SttEvent::Kind::utterance_end);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].offset, 1000ms);
  // finalize() after the endpoint: nothing new was said, an empty answer.
  stream->finalize();
  s.run_until_quiet();
  ASSERT_EQ(obs.finals().size(), 2u);
  EXPECT_EQ(obs.finals()[1].text, "");
  EXPECT_TRUE(obs.finals()[1].from_finalize);
}

TEST(MockStt, ErrorOnTheSecondUtteranceClosesTheStream) {
  VirtualSession s;
  MockSttOptions o;
  o.transcripts = {{"one"}, {"two words"}};
  o.failures = {{.at = 2, .mode = MockFailure::Mode::error, .code = errc::provider_unavailable, .after = 1}};
  o.name = "primary";
  auto stt = MockSpeechToText::create(o).value();
  RecordingSttObserver obs(s.strand);
  auto stream = stt->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 400ms, 100ms).ok());
  stream->finalize();
  s.run_until_quiet();
  // The error strikes at the second interim (600 ms of audio + 50 ms): the stream
  // is closed and refuses later audio.
  Status fed = feed(s, *stream, 700ms, 0ms);
  ASSERT_FALSE(fed.ok());
  EXPECT_EQ(fed.error().code(), errc::closed);
  s.run_until_quiet();
  ASSERT_EQ(obs.errors(), 1);
  const Error& e = obs.of(SttEvent::Kind::error)[0].error;
  EXPECT_EQ(e.code(), errc::provider_unavailable);
  EXPECT_EQ(e.provider(), "primary");
  // One interim of utterance 2 was delivered before the failure.
  auto interims = obs.interims();
  ASSERT_FALSE(interims.empty());
  EXPECT_EQ(interims.back().text, "two");
  auto after = stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), std::vector<std::int16_t>(320)));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code(), errc::closed);
}

TEST(MockStt, HangGarbageAndThrowOnCue) {
  VirtualSession s;
  MockSttOptions o;
  o.transcripts = {{"a"}, {"b"}, {"c"}};
  o.interim_interval = 0ms;
  o.failures = {{.at = 1, .mode = MockFailure::Mode::garbage},
                {.at = 2, .mode = MockFailure::Mode::throw_exception},
                {.at = 3, .mode = MockFailure::Mode::hang}};
  auto stt = MockSpeechToText::create(o).value();
  RecordingSttObserver obs(s.strand);
  auto stream = stt->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 200ms, 0ms).ok());
  stream->finalize();
  s.run_until_quiet();
  ASSERT_EQ(obs.finals().size(), 1u);
  EXPECT_LT(obs.finals()[0].audio_end, obs.finals()[0].audio_start);
  ASSERT_TRUE(feed(s, *stream, 200ms, 0ms).ok());
  EXPECT_THROW(stream->finalize(), std::runtime_error);
  ASSERT_TRUE(feed(s, *stream, 200ms, 0ms).ok());
  stream->finalize();
  s.run_until_quiet();
  EXPECT_EQ(obs.finals().size(), 1u);  // the hang swallowed utterance 3
  EXPECT_EQ(obs.errors(), 0);
}

TEST(MockStt, RejectsFormatsItDoesNotAccept) {
  VirtualSession s;
  MockSttOptions o;
  o.sample_rates = {16000};
  auto stt = MockSpeechToText::create(o).value();
  RecordingSttObserver obs(s.strand);
  auto r = stt->open(s.ctx, {.format = AudioFormat::mulaw8k()}, obs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::format_mismatch);
  EXPECT_NE(r.error().message().find("pcm16/16000Hz/mono"), std::string::npos);
  auto ok = stt->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  auto bad = ok->send_audio(AudioFrame::view(AudioFormat::pcm16(8000), std::vector<std::int16_t>(160)));
  EXPECT_EQ(bad.error().code(), errc::format_mismatch);
}

TEST(MockStt, CancelStopsEverythingAtOnce) {
  VirtualSession s;
  MockSttOptions o;
  o.transcripts = {{"never heard"}};
  auto stt = MockSpeechToText::create(o).value();
  RecordingSttObserver obs(s.strand);
  auto stream = stt->open(s.ctx, {}, obs).value();
  ASSERT_TRUE(feed(s, *stream, 300ms, 0ms).ok());
  stream->finalize();
  stream->cancel();
  stream->cancel();
  obs.cancelled = true;
  s.run_until_quiet();
  EXPECT_EQ(obs.after_cancel, 0);
  EXPECT_EQ(stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), std::vector<std::int16_t>(320)))
                .error()
                .code(),
            errc::closed);
}

// ---------------------------------------------------------------- LLM

LlmRequest user_says(std::string text) {
  LlmRequest r;
  r.messages.push_back({.role = Role::system, .content = "You are a test."});
  r.messages.push_back({.role = Role::user, .content = std::move(text)});
  return r;
}

TEST(MockLlm, StreamsTokensOnTheLatencyProfile) {
  VirtualSession s;
  MockLlmOptions o;
  o.replies = {{.text = "Hello there, friend."}};
  auto llm = MockLanguageModel::create(o).value();
  auto session = llm->open(s.ctx).value();
  RecordingLlmObserver obs(s.strand);
  {
    CallGuard g(obs.calls());
    ASSERT_TRUE(session->generate(user_says("hi"), obs).ok());
  }
  EXPECT_TRUE(session->busy());
  s.run_until_quiet();
  auto text = obs.of(LlmEvent::Kind::text);
  ASSERT_EQ(text.size(), 3u);
  EXPECT_EQ(text[0].text, "Hello");
  EXPECT_EQ(text[0].at, at_ms(200));  // first token after 200 ms
  EXPECT_EQ(text[1].text, " there,");
  EXPECT_EQ(text[1].at, at_ms(220));  // then 50 tokens/s
  EXPECT_EQ(text[2].at, at_ms(240));
  EXPECT_EQ(obs.text(), "Hello there, friend.");
  ASSERT_EQ(obs.of(LlmEvent::Kind::usage).size(), 1u);
  EXPECT_EQ(obs.of(LlmEvent::Kind::usage)[0].usage.output_tokens, 3);
  EXPECT_GT(obs.of(LlmEvent::Kind::usage)[0].usage.input_tokens, 0);
  auto done = obs.of(LlmEvent::Kind::done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].finish, FinishReason::stop);
  EXPECT_EQ(done[0].at, at_ms(240));
  EXPECT_FALSE(session->busy());
  EXPECT_EQ(obs.violations(), 0);
  ASSERT_EQ(llm->requests().size(), 1u);
  EXPECT_EQ(llm->requests()[0].messages[1].content, "hi");
}

TEST(MockLlm, RulesMatchTheLastMessageAndRepliesRunInOrder) {
  VirtualSession s;
  MockLlmOptions o;
  o.replies = {{.text = "first"}, {.text = "second"}};
  o.rules = {{.user_contains = "BOOK",
              .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tuesday"})"}}}},
             {.tool_result = "check_availability", .reply = {.text = "Tuesday at 3 is free."}}};
  o.default_reply = {.text = "fallback"};
  auto llm = MockLanguageModel::create(o).value();
  auto session = llm->open(s.ctx).value();
  auto run = [&](const LlmRequest& req) {
    RecordingLlmObserver obs(s.strand);
    EXPECT_TRUE(session->generate(req, obs).ok());
    s.run_until_quiet();
    return obs;
  };
  EXPECT_EQ(run(user_says("hello")).text(), "first");
  auto booking = run(user_says("I'd like to book on Tuesday"));
  ASSERT_EQ(booking.tool_calls().size(), 1u);
  EXPECT_EQ(booking.tool_calls()[0].name, "check_availability");
  EXPECT_EQ(booking.tool_calls()[0].id, "call_2_1");
  EXPECT_EQ(booking.tool_calls()[0].parse_arguments().value()["day"].as_string(), "tuesday");
  EXPECT_EQ(booking.of(LlmEvent::Kind::done)[0].finish, FinishReason::tool_calls);
  LlmRequest with_result = user_says("I'd like to book on Tuesday");
  with_result.messages.push_back({.role = Role::assistant, .tool_calls = booking.tool_calls()});
  with_result.messages.push_back(
      {.role = Role::tool, .content = R"({"free":["15:00"]})", .tool_call_id = "call_2_1", .name = "check_availability"});
  EXPECT_EQ(run(with_result).text(), "Tuesday at 3 is free.");
  EXPECT_EQ(run(user_says("anything")).text(), "second");
  EXPECT_EQ(run(user_says("more")).text(), "fallback");
}

TEST(MockLlm, FailuresOnCue) {
  VirtualSession s;
  MockLlmOptions o;
  o.default_reply = {.text = "one two three four"};
  o.failures = {{.at = 1, .mode = MockFailure::Mode::error, .code = errc::provider_quota, .after = 2},
                {.at = 2, .mode = MockFailure::Mode::hang, .after = 1},
                {.at = 3, .mode = MockFailure::Mode::garbage},
                {.at = 4, .mode = MockFailure::Mode::throw_exception}};
  auto llm = MockLanguageModel::create(o).value();
  auto session = llm->open(s.ctx).value();

  RecordingLlmObserver err(s.strand);
  ASSERT_TRUE(session->generate(user_says("x"), err).ok());
  s.run_until_quiet();
  EXPECT_EQ(err.text(), "one two");
  ASSERT_EQ(err.terminals(), 1);
  EXPECT_EQ(err.of(LlmEvent::Kind::error)[0].error.code(), errc::provider_quota);
  EXPECT_EQ(err.of(LlmEvent::Kind::error)[0].at, at_ms(240));  // instead of the third token
  EXPECT_FALSE(session->busy());

  RecordingLlmObserver hang(s.strand);
  ASSERT_TRUE(session->generate(user_says("x"), hang).ok());
  s.run_until_quiet();
  EXPECT_EQ(hang.text(), "one");
  EXPECT_EQ(hang.terminals(), 0);
  EXPECT_TRUE(session->busy());
  EXPECT_EQ(session->generate(user_says("x"), hang).error().code(), errc::invalid_argument);
  session->cancel();
  EXPECT_FALSE(session->busy());

  RecordingLlmObserver garbage(s.strand);
  ASSERT_TRUE(session->generate(user_says("x"), garbage).ok());
  s.run_until_quiet();
  ASSERT_EQ(garbage.tool_calls().size(), 1u);
  EXPECT_TRUE(garbage.tool_calls()[0].name.empty());
  EXPECT_FALSE(garbage.tool_calls()[0].parse_arguments().ok());
  EXPECT_EQ(garbage.terminals(), 1);

  RecordingLlmObserver thrown(s.strand);
  EXPECT_THROW((void)session->generate(user_says("x"), thrown), std::runtime_error);
  EXPECT_FALSE(session->busy());
}

TEST(MockLlm, CancelInsideACallbackStopsTheGeneration) {
  VirtualSession s;
  MockLlmOptions o;
  o.default_reply = {.text = "a b c d e"};
  auto llm = MockLanguageModel::create(o).value();
  auto session = llm->open(s.ctx).value();
  struct Canceller : LlmObserver {
    LlmSession* session = nullptr;
    int texts = 0, terminals = 0;
    void on_text(std::string_view) override {
      if (++texts == 2) session->cancel();
    }
    void on_tool_call(const ToolCall&) override {}
    void on_done(FinishReason) override { ++terminals; }
    void on_error(const Error&) override { ++terminals; }
  } obs;
  obs.session = session.get();
  ASSERT_TRUE(session->generate(user_says("x"), obs).ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.texts, 2);
  EXPECT_EQ(obs.terminals, 0);
}

TEST(MockLlm, NextGenerationMayStartInsideOnDone) {
  VirtualSession s;
  MockLlmOptions o;
  o.replies = {{.text = "first"}, {.text = "second"}};
  auto llm = MockLanguageModel::create(o).value();
  auto session = llm->open(s.ctx).value();
  struct Chainer : LlmObserver {
    LlmSession* session = nullptr;
    std::string text;
    int done = 0;
    void on_text(std::string_view t) override { text += t; }
    void on_tool_call(const ToolCall&) override {}
    void on_done(FinishReason) override {
      if (++done == 1) {
        EXPECT_TRUE(session->generate(user_says("again"), *this).ok());
      }
    }
    void on_error(const Error&) override {}
  } obs;
  obs.session = session.get();
  ASSERT_TRUE(session->generate(user_says("x"), obs).ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.done, 2);
  EXPECT_EQ(obs.text, "firstsecond");
}

// ---------------------------------------------------------------- TTS

double rms_dbfs_of(const std::vector<std::int16_t>& pcm, std::int64_t from, std::int64_t to) {
  return rms_dbfs(std::span<const std::int16_t>(pcm).subspan(static_cast<std::size_t>(from),
                                                              static_cast<std::size_t>(to - from)));
}

TEST(MockTts, WordShapedAudioWithExactTimings) {
  VirtualSession s;
  auto tts = MockTextToSpeech::create({}).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = tts->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  EXPECT_EQ(stream->output_format(), AudioFormat::pcm16(16000));
  {
    CallGuard g(obs.calls());
    ASSERT_TRUE(stream->send_text("Hi there.").ok());
    ASSERT_TRUE(stream->flush().ok());
  }
  s.run_until_quiet();
  ASSERT_EQ(obs.dones(), 1);
  EXPECT_EQ(obs.violations(), 0);
  // "Hi": 2 x 55 = 110 ms; gap 60; "there.": 6 x 55 = 330 ms; gap 60 + sentence 200.
  auto words = obs.words();
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].word, "Hi");
  EXPECT_EQ(words[0].start, 0ms);
  EXPECT_EQ(words[0].end, 110ms);
  EXPECT_EQ(words[1].word, "there.");
  EXPECT_EQ(words[1].start, 170ms);
  EXPECT_EQ(words[1].end, 500ms);
  const auto& pcm = obs.utterances.at(0);
  ASSERT_EQ(pcm.size(), 16u * 760);
  EXPECT_GT(rms_dbfs_of(pcm, 16 * 10, 16 * 100), -20.0);   // inside "Hi"
  EXPECT_LT(rms_dbfs_of(pcm, 16 * 112, 16 * 168), -90.0);  // the gap
  EXPECT_GT(rms_dbfs_of(pcm, 16 * 200, 16 * 480), -20.0);  // inside "there."
  // First audio after 40 ms, then a 20 ms chunk every 20 ms; done with the last.
  auto audio = obs.of(TtsEvent::Kind::audio);
  ASSERT_EQ(audio.size(), 38u);
  EXPECT_EQ(audio[0].at, at_ms(40));
  EXPECT_EQ(audio[1].at, at_ms(60));
  EXPECT_EQ(audio[1].timestamp, 320);
  EXPECT_EQ(audio.back().at, at_ms(40 + 37 * 20));
  EXPECT_EQ(obs.of(TtsEvent::Kind::done)[0].at, audio.back().at);
  // Word timings arrive before the chunk holding the word's start.
  auto w = obs.of(TtsEvent::Kind::words);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1].at, at_ms(40 + 8 * 20));  // 170 ms is in chunk 8 (160..180 ms)
  EXPECT_EQ(tts->utterances(), std::vector<std::string>{"Hi there."});
}

TEST(MockTts, StreamingInputSpeaksCompleteWordsBeforeFlush) {
  VirtualSession s;
  MockTtsOptions o;
  o.synthesis_speed = 2.0;
  auto tts = MockTextToSpeech::create(o).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = tts->open(s.ctx, {.format = AudioFormat::pcm16(8000)}, obs).value();
  ASSERT_TRUE(stream->send_text("Hello wor").ok());  // "wor" is not complete yet
  s.advance(1s);
  auto words = obs.words();
  ASSERT_EQ(words.size(), 1u);
  EXPECT_EQ(words[0].word, "Hello");
  EXPECT_EQ(obs.dones(), 0);
  ASSERT_TRUE(stream->send_text("ld").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  ASSERT_EQ(obs.words().size(), 2u);
  EXPECT_EQ(obs.words()[1].word, "world");
  EXPECT_EQ(obs.dones(), 1);
  for (const auto& e : obs.of(TtsEvent::Kind::audio)) EXPECT_EQ(e.format, AudioFormat::pcm16(8000));
}

TEST(MockTts, UtterancesQueueAndClearDropsThem) {
  VirtualSession s;
  auto tts = MockTextToSpeech::create({}).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = tts->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  ASSERT_TRUE(stream->send_text("one").ok());
  ASSERT_TRUE(stream->flush().ok());
  ASSERT_TRUE(stream->send_text("two").ok());
  ASSERT_TRUE(stream->flush().ok());
  ASSERT_TRUE(stream->flush().ok());  // an empty utterance still gets its on_done
  s.run_until_quiet();
  EXPECT_EQ(obs.dones(), 3);
  ASSERT_EQ(obs.utterances.size(), 3u);
  EXPECT_TRUE(obs.utterances[2].empty());

  ASSERT_TRUE(stream->send_text("a long sentence that gets interrupted").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.advance(100ms);
  const auto frames_before = obs.of(TtsEvent::Kind::audio).size();
  stream->clear();
  s.run_until_quiet();
  EXPECT_EQ(obs.of(TtsEvent::Kind::audio).size(), frames_before);
  EXPECT_EQ(obs.dones(), 3);
  // Usable afterwards; timestamps restart with the new utterance.
  ASSERT_TRUE(stream->send_text("after").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.dones(), 4);
  EXPECT_EQ(obs.of(TtsEvent::Kind::audio)[frames_before].timestamp, 0);
}

TEST(MockTts, FailuresOnCue) {
  VirtualSession s;
  MockTtsOptions o;
  o.failures = {{.at = 1, .mode = MockFailure::Mode::garbage, .after = 2},
                {.at = 2, .mode = MockFailure::Mode::error, .code = errc::provider_failed, .after = 3}};
  auto tts = MockTextToSpeech::create(o).value();
  RecordingTtsObserver obs(s.strand);
  auto stream = tts->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  ASSERT_TRUE(stream->send_text("first utterance").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  auto audio = obs.of(TtsEvent::Kind::audio);
  ASSERT_GT(audio.size(), 3u);
  EXPECT_NE(audio[2].format, AudioFormat::pcm16(16000));  // the garbage frame
  EXPECT_EQ(obs.dones(), 1);
  ASSERT_TRUE(stream->send_text("second utterance").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.errors(), 1);
  EXPECT_EQ(obs.of(TtsEvent::Kind::audio).size(), audio.size() + 3);
  EXPECT_EQ(stream->send_text("x").error().code(), errc::closed);

  MockTtsOptions h;
  h.failures = {{.at = 1, .mode = MockFailure::Mode::hang}, {.at = 2, .mode = MockFailure::Mode::throw_exception}};
  auto hang = MockTextToSpeech::create(h).value();
  RecordingTtsObserver hobs(s.strand);
  auto hs = hang->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, hobs).value();
  ASSERT_TRUE(hs->send_text("never spoken").ok());
  ASSERT_TRUE(hs->flush().ok());
  s.run_until_quiet();
  EXPECT_TRUE(hobs.events.empty());
  ASSERT_TRUE(hs->send_text("boom").ok());
  EXPECT_THROW((void)hs->flush(), std::runtime_error);
}

// ---------------------------------------------------------------- config

TEST(MockConfig, BuiltFromJsonThroughTheRegistry) {
  VirtualSession s;
  Registry registry;
  register_builtin_providers(registry);
  ProviderContext pc{.runtime = s.rt.get()};
  auto cfg = Json::parse(R"({"provider": "mock", "name": "scripted", "first_token_ms": 100, "tokens_per_s": 10,
      "replies": ["Hi.", {"text": "Booked.", "tool_calls": [{"name": "book", "arguments": {"at": "15:00"}}]}],
      "rules": [{"user_contains": "bye", "reply": {"text": "Goodbye!", "hints": {"state": "end", "phrases": ["yes"]}}}],
      "failures": [{"turn": 4, "mode": "error", "error": "timeout"}]})")
                 .value();
  auto llm = registry.make_llm(pc, cfg).value();
  EXPECT_EQ(llm->info().name, "scripted");
  auto session = llm->open(s.ctx).value();
  RecordingLlmObserver a(s.strand);
  ASSERT_TRUE(session->generate(user_says("hello"), a).ok());
  s.run_until_quiet();
  EXPECT_EQ(a.text(), "Hi.");
  EXPECT_EQ(a.first(LlmEvent::Kind::text)->at, at_ms(100));
  RecordingLlmObserver b(s.strand);
  ASSERT_TRUE(session->generate(user_says("ok"), b).ok());
  s.run_until_quiet();
  ASSERT_EQ(b.tool_calls().size(), 1u);
  EXPECT_EQ(b.tool_calls()[0].arguments, R"({"at":"15:00"})");
  RecordingLlmObserver c(s.strand);
  ASSERT_TRUE(session->generate(user_says("Bye now"), c).ok());
  s.run_until_quiet();
  EXPECT_EQ(c.text(), "Goodbye!");
  ASSERT_EQ(c.of(LlmEvent::Kind::hints).size(), 1u);
  EXPECT_EQ(c.of(LlmEvent::Kind::hints)[0].hints.state, "end");
  RecordingLlmObserver d(s.strand);
  ASSERT_TRUE(session->generate(user_says("x"), d).ok());
  s.run_until_quiet();
  ASSERT_EQ(d.of(LlmEvent::Kind::error).size(), 1u);
  EXPECT_EQ(d.of(LlmEvent::Kind::error)[0].error.code(), errc::timeout);

  auto stt = registry.make_stt(pc, Json::parse(R"({"provider":"mock","transcripts":["a",{"text":"b","confidence":0.5}],
      "final_latency_ms": 80, "endpointing_ms": 300, "sample_rates": [8000]})").value());
  ASSERT_TRUE(stt.ok()) << stt.error().to_string();
  EXPECT_EQ((*stt)->capabilities().input_formats, std::vector<AudioFormat>{AudioFormat::pcm16(8000)});
  auto tts = registry.make_tts(pc, Json::parse(R"({"provider":"mock","first_audio_ms":10,"waveform":"noise",
      "failures":[{"utterance":2,"mode":"hang"}]})").value());
  ASSERT_TRUE(tts.ok()) << tts.error().to_string();
}

TEST(MockConfig, BadConfigsNameThePath) {
  VirtualSession s;
  Registry registry;
  register_builtin_providers(registry);
  ProviderContext pc{.runtime = s.rt.get()};
  auto bad = [&](ProviderKind kind, std::string_view json) -> std::string {
    auto cfg = Json::parse(json).value();
    Status st = ok_status();
    switch (kind) {
      case ProviderKind::stt: if (auto r = registry.make_stt(pc, cfg); !r) st = r.error(); break;
      case ProviderKind::llm: if (auto r = registry.make_llm(pc, cfg); !r) st = r.error(); break;
      case ProviderKind::tts: if (auto r = registry.make_tts(pc, cfg); !r) st = r.error(); break;
    }
    EXPECT_FALSE(st.ok()) << json;
    return st.ok() ? "" : st.error().message();
  };
  EXPECT_NE(bad(ProviderKind::llm, R"({"provider":"mock","replys":[]})").find("llm.replys: unknown key"),
            std::string::npos);
  EXPECT_NE(bad(ProviderKind::llm, R"({"provider":"mock","tokens_per_s":"fast"})").find("llm.tokens_per_s"),
            std::string::npos);
  EXPECT_NE(bad(ProviderKind::llm, R"({"provider":"mock","rules":[{"reply":"x"}]})").find("llm.rules[0]"),
            std::string::npos);
  EXPECT_NE(bad(ProviderKind::stt, R"({"provider":"mock","failures":[{"utterance":0}]})")
                .find("stt.failures[0].utterance"),
            std::string::npos);
  EXPECT_NE(bad(ProviderKind::stt, R"({"provider":"mock","failures":[{"mode":"explode"}]})").find("explode"),
            std::string::npos);
  EXPECT_NE(bad(ProviderKind::tts, R"({"provider":"mock","open_error":"nope"})").find("tts.open_error"),
            std::string::npos);
  EXPECT_NE(bad(ProviderKind::tts, R"({"provider":"mock","sample_rates":[12]})").find("tts.sample_rates"),
            std::string::npos);
}

TEST(MockConfig, OpenErrorIsReturnedByOpen) {
  VirtualSession s;
  MockTtsOptions o;
  o.open_error = Error(errc::provider_auth, "rejected");
  auto tts = MockTextToSpeech::create(o).value();
  RecordingTtsObserver obs(s.strand);
  auto r = tts->open(s.ctx, {}, obs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::provider_auth);
}

}  // namespace
}  // namespace loqui
