// SPDX-License-Identifier: Apache-2.0
// File: the embedded espeak TTS: audio with word timings for a sentence (virtual
// and real time, native and resampled rates), streaming input, voice and config
// errors; and the provider contract suites run against it.
#include <gtest/gtest.h>

#include "loqui/audio/convert.hpp"
#include "loqui/provider/registry.hpp"
#include "support/provider_contract.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::CallGuard;
using testing::RecordingTtsObserver;
using testing::TtsEvent;
using testing::VirtualSession;

Result<std::shared_ptr<TextToSpeech>> make(std::string_view json) {
  static Registry* registry = [] {
    auto* r = new Registry();
    register_builtin_providers(*r);
    return r;
  }();
  auto cfg = Json::parse(json);
  if (!cfg) return std::move(cfg).error();
  return registry->make_tts({}, *cfg);
}

struct Spoken {
  std::vector<std::int16_t> pcm;
  std::vector<WordTiming> words;
  AudioFormat format;
  Duration duration() const { return format.duration_of(static_cast<std::int64_t>(pcm.size())); }
};

Spoken speak_virtual(TextToSpeech& tts, std::string_view text, AudioFormat format) {
  VirtualSession s;
  RecordingTtsObserver obs(s.strand);
  auto stream = tts.open(s.ctx, {.format = format}, obs);
  EXPECT_TRUE(stream.ok()) << stream.error().to_string();
  if (!stream) return {};
  {
    CallGuard g(obs.calls());
    EXPECT_TRUE((*stream)->send_text(text).ok());
    EXPECT_TRUE((*stream)->flush().ok());
  }
  EXPECT_TRUE(obs.events.empty());  // never inside the calls
  s.run_until_quiet();
  EXPECT_EQ(obs.dones(), 1);
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(obs.violations(), 0);
  if (obs.utterances.empty()) return {};
  return {obs.utterances[0], obs.words(), format};
}

double dbfs(const Spoken& s, Duration from, Duration to) {
  const auto a = static_cast<std::size_t>(s.format.samples_in(from));
  const auto b = std::min(static_cast<std::size_t>(s.format.samples_in(to)), s.pcm.size());
  if (b <= a) return -200;
  return rms_dbfs(std::span<const std::int16_t>(s.pcm).subspan(a, b - a));
}

TEST(Espeak, ASentenceWithWordTimings) {
  auto tts = make(R"({"provider": "espeak", "voice": "en-us"})");
  ASSERT_TRUE(tts.ok()) << tts.error().to_string();
  EXPECT_EQ((*tts)->capabilities().output_formats.front(), AudioFormat::pcm16(22050));
  EXPECT_TRUE((*tts)->capabilities().word_timings);
  const Spoken s = speak_virtual(**tts, "The quick brown fox jumps over the lazy dog.", AudioFormat::pcm16(22050));
  const std::vector<std::string> expected = {"The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"};
  ASSERT_EQ(s.words.size(), expected.size());
  Duration last{};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const WordTiming& w = s.words[i];
    EXPECT_EQ(w.word, expected[i]);
    EXPECT_GE(w.start, last) << w.word;
    EXPECT_GT(w.end, w.start) << w.word;
    EXPECT_LE(w.end, s.duration()) << w.word;
    // Each word's span holds speech, so the timings line up with the audio.
    EXPECT_GT(dbfs(s, w.start, w.end), -35.0) << w.word;
    last = w.start;
  }
  // About 2.5 s at 175 words per minute.
  EXPECT_GT(s.duration(), 1500ms);
  EXPECT_LT(s.duration(), 4000ms);
  EXPECT_LT(s.words.front().start, 200ms);
}

TEST(Espeak, ResampledOutputKeepsTheTimings) {
  auto tts = make(R"({"provider": "espeak"})");
  ASSERT_TRUE(tts.ok()) << tts.error().to_string();
  const std::string text = "Your appointment is on Tuesday at three.";
  const Spoken native = speak_virtual(**tts, text, AudioFormat::pcm16(22050));
  for (int rate : {8000, 16000, 48000}) {
    const Spoken s = speak_virtual(**tts, text, AudioFormat::pcm16(rate));
    ASSERT_EQ(s.words.size(), native.words.size()) << rate;
    // espeak-ng's own output varies by a few ms between runs of the same text, so
    // compare with a tolerance well below a word.
    for (std::size_t i = 0; i < s.words.size(); ++i) {
      EXPECT_NEAR(to_ms(s.words[i].start), to_ms(native.words[i].start), 25.0) << s.words[i].word;
      EXPECT_EQ(s.words[i].word, native.words[i].word);
      EXPECT_GT(dbfs(s, s.words[i].start, s.words[i].end), -35.0) << s.words[i].word << " at " << rate;
    }
    EXPECT_NEAR(to_ms(s.duration()), to_ms(native.duration()), 25.0) << rate;
    EXPECT_GT(rms_dbfs(s.pcm), -40.0) << rate;
  }
}

TEST(Espeak, StreamingInputSpeaksWholeSentencesBeforeFlush) {
  auto tts = make(R"({"provider": "espeak"})");
  ASSERT_TRUE(tts.ok());
  VirtualSession s;
  RecordingTtsObserver obs(s.strand);
  auto stream = (*tts)->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs).value();
  ASSERT_TRUE(stream->send_text("Hello there. How are").ok());
  s.run_until_quiet();
  const auto words_before = obs.words();
  ASSERT_EQ(words_before.size(), 2u);  // "Hello there." only: the rest is not a sentence yet
  EXPECT_EQ(words_before[1].word, "there");
  EXPECT_FALSE(obs.of(TtsEvent::Kind::audio).empty());
  EXPECT_EQ(obs.dones(), 0);
  ASSERT_TRUE(stream->send_text(" you today").ok());
  ASSERT_TRUE(stream->flush().ok());
  s.run_until_quiet();
  ASSERT_EQ(obs.dones(), 1);
  const auto words = obs.words();
  ASSERT_EQ(words.size(), 6u);
  EXPECT_EQ(words[5].word, "today");
  // Timings of the second job continue after the first one's audio.
  EXPECT_GT(words[2].start, words[1].end);
}

TEST(Espeak, Utf8WordsAndRateAndPitch) {
  auto slow = make(R"({"provider": "espeak", "voice": "en-us+f3", "rate_wpm": 120, "pitch": 70})");
  auto fast = make(R"({"provider": "espeak", "rate_wpm": 320})");
  ASSERT_TRUE(slow.ok()) << slow.error().to_string();
  ASSERT_TRUE(fast.ok());
  const std::string text = "A café crème, please.";
  const Spoken a = speak_virtual(**slow, text, AudioFormat::pcm16(22050));
  const Spoken b = speak_virtual(**fast, text, AudioFormat::pcm16(22050));
  ASSERT_EQ(a.words.size(), 4u);
  EXPECT_EQ(a.words[1].word, "café");
  EXPECT_EQ(a.words[2].word, "crème");
  EXPECT_GT(a.duration(), b.duration() * 3 / 2);
}

TEST(Espeak, RealTimeWorkerDeliversOnTheStrand) {
  auto tts = make(R"({"provider": "espeak"})");
  ASSERT_TRUE(tts.ok());
  auto rt = Runtime::create({.threads = 0}).value();
  auto strand = rt->make_strand("call");
  RecordingTtsObserver obs(strand);
  std::unique_ptr<TtsStream> stream;
  ASSERT_TRUE(strand->post([&] {
                       CallGuard g(obs.calls());
                       stream = (*tts)->open({.strand = strand}, {.format = AudioFormat::pcm16(16000)}, obs).value();
                       EXPECT_TRUE(stream->send_text("One sentence. And another one.").ok());
                       EXPECT_TRUE(stream->flush().ok());
                     })
                  .ok());
  const auto limit = std::chrono::steady_clock::now() + 20s;
  while (obs.dones() == 0 && obs.errors() == 0 && std::chrono::steady_clock::now() < limit) {
    (void)rt->poll();
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(obs.dones(), 1);
  EXPECT_EQ(obs.violations(), 0);
  EXPECT_EQ(obs.words().size(), 5u);
  EXPECT_GT(obs.utterances.at(0).size(), 16000u / 2);
  ASSERT_TRUE(strand->post([&] { stream.reset(); }).ok());
  (void)rt->poll();
  rt->stop();
}

TEST(Espeak, UnknownVoiceAndBadConfigAreClearErrors) {
  auto voice = make(R"({"provider": "espeak", "voice": "xx-nope"})");
  ASSERT_FALSE(voice.ok());
  EXPECT_EQ(voice.error().code(), errc::not_found);
  EXPECT_NE(voice.error().message().find("tts.voice: espeak voice 'xx-nope' not found"), std::string::npos)
      << voice.error().message();
  EXPECT_NE(voice.error().message().find("en-us"), std::string::npos) << voice.error().message();
  auto variant = make(R"({"provider": "espeak", "voice": "en-us+nonexistent"})");
  ASSERT_FALSE(variant.ok());
  EXPECT_EQ(variant.error().code(), errc::not_found);
  EXPECT_NE(variant.error().message().find("variant 'nonexistent'"), std::string::npos) << variant.error().message();

  auto rate = make(R"({"provider": "espeak", "rate_wpm": 1000, "speed": 2})");
  ASSERT_FALSE(rate.ok());
  EXPECT_EQ(rate.error().code(), errc::invalid_config);
  EXPECT_NE(rate.error().message().find("tts.rate_wpm: expected an integer between 80 and 450"), std::string::npos);
  EXPECT_NE(rate.error().message().find("tts.speed: unknown key"), std::string::npos);

  auto tts = make(R"({"provider": "espeak"})");
  ASSERT_TRUE(tts.ok());
  VirtualSession s;
  RecordingTtsObserver obs(s.strand);
  auto other_voice = (*tts)->open(s.ctx, {.format = AudioFormat::pcm16(22050), .voice = "nope"}, obs);
  ASSERT_FALSE(other_voice.ok());
  EXPECT_EQ(other_voice.error().code(), errc::not_found);
  auto format = (*tts)->open(s.ctx, {.format = AudioFormat::mulaw8k()}, obs);
  ASSERT_FALSE(format.ok());
  EXPECT_EQ(format.error().code(), errc::format_mismatch);
}

// ---------------------------------------------------------------- contract

Result<std::shared_ptr<TextToSpeech>> espeak(const ProviderContext&) { return make(R"({"provider": "espeak"})"); }

using testing::TtsContract;
using testing::TtsContractParam;
INSTANTIATE_TEST_SUITE_P(
    Espeak, TtsContract,
    ::testing::Values(TtsContractParam{.name = "virtual_22k", .make = espeak, .options = {.format = AudioFormat::pcm16(22050)}},
                      TtsContractParam{.name = "virtual_16k", .make = espeak, .options = {.format = AudioFormat::pcm16(16000)}},
                      TtsContractParam{.name = "real_time_8k",
                                       .make = espeak,
                                       .options = {.format = AudioFormat::pcm16(8000)},
                                       .timing = {.time = TimeMode::real_time, .settle = 300ms}}),
    testing::ContractName());

}  // namespace
}  // namespace loqui
