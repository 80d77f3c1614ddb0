// SPDX-License-Identifier: Apache-2.0
// File: the embedded pocketsphinx STT on speech synthesised by espeak-ng at test
// time: recognition with and without hint grammars, interim results, word
// timings, 8 kHz input, its own endpoint, config errors; and the STT contract
// suite (virtual and real time).
#include <gtest/gtest.h>

#include <set>

#include "loqui/audio/g711.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/flow/flow_text.hpp"
#include "support/builtin_registry.hpp"
#include "support/provider_contract.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {

using testing::RecordingSttObserver;
using testing::VirtualSession;

const Registry& registry() { return testing::builtin_registry(); }

/// espeak-ng speech of `text` at `rate`, followed by `silence_ms`.
std::vector<std::int16_t> speak(const std::string& text, int rate, int silence_ms = 600,
                                const std::string& voice = "en-us") {
  auto tts = registry().make_tts({}, Json::object({{"provider", "espeak"}, {"voice", voice}}));
  EXPECT_TRUE(tts.ok());
  if (!tts) return {};
  VirtualSession s;
  testing::RecordingTtsObserver obs(s.strand);
  auto stream = (*tts)->open(s.ctx, {.format = AudioFormat::pcm16(rate)}, obs);
  EXPECT_TRUE(stream.ok());
  if (!stream) return {};
  EXPECT_TRUE((*stream)->send_text(text).ok());
  EXPECT_TRUE((*stream)->flush().ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.utterances.size(), 1u);
  if (obs.utterances.empty()) return {};
  std::vector<std::int16_t> pcm = obs.utterances[0];
  pcm.resize(pcm.size() + static_cast<std::size_t>(rate / 1000 * silence_ms), 0);
  return pcm;
}

std::shared_ptr<SpeechToText> make(std::string_view json = R"({"provider": "pocketsphinx"})") {
  auto stt = registry().make_stt({}, Json::parse(json).value());
  EXPECT_TRUE(stt.ok()) << stt.error().to_string();
  return stt ? *stt : nullptr;
}

/// Fraction of the reference words found in the hypothesis (order-free).
double overlap(const std::string& ref, const std::string& hyp) {
  const auto r = detail::normalize_words(ref);
  const auto h = detail::normalize_words(hyp);
  std::multiset<std::string> pool(h.begin(), h.end());
  int hit = 0;
  for (const auto& w : r) {
    if (auto it = pool.find(w); it != pool.end()) {
      ++hit;
      pool.erase(it);
    }
  }
  return r.empty() ? 0 : static_cast<double>(hit) / static_cast<double>(r.size());
}

struct Recognized {
  std::string text;  ///< all finals joined
  RecordingSttObserver* obs = nullptr;
};

/// Streams `pcm` in 20 ms frames under virtual time, then finalizes.
std::string recognize(SpeechToText& stt, const std::vector<std::int16_t>& pcm, int rate, RecordingSttObserver& obs,
                      VirtualSession& s, const std::optional<RecognitionHints>& hints = std::nullopt) {
  const AudioFormat fmt = AudioFormat::pcm16(rate);
  auto stream = stt.open(s.ctx, {.format = fmt}, obs);
  EXPECT_TRUE(stream.ok()) << stream.error().to_string();
  if (!stream) return {};
  if (hints) (*stream)->set_hints(*hints);
  const std::size_t frame = static_cast<std::size_t>(rate / 50);
  for (std::size_t i = 0; i < pcm.size(); i += frame) {
    const std::size_t n = std::min(frame, pcm.size() - i);
    testing::CallGuard g(obs.calls());
    EXPECT_TRUE((*stream)->send_audio(AudioFrame::view(fmt, std::span(pcm).subspan(i, n), static_cast<std::int64_t>(i))).ok());
  }
  {
    testing::CallGuard g(obs.calls());
    (*stream)->finalize();
  }
  s.run_until_quiet();
  EXPECT_EQ(obs.finalize_answers(), 1);
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(obs.violations(), 0);
  std::string text;
  for (const auto& t : obs.finals())
    if (!t.text.empty()) text += (text.empty() ? "" : " ") + t.text;
  return text;
}

const std::string kSentence = "I would like to book an appointment tomorrow at ten";

RecognitionHints booking_hints() {
  return {.state = "greeting",
          .phrases = {"I would like to book an appointment", "book an appointment", "tomorrow at ten",
                      "what are your opening hours", "talk to a person"},
          .jsgf = ""};
}

TEST(Pocketsphinx, RecognisesASentenceWithHints) {
  auto stt = make();
  ASSERT_TRUE(stt);
  EXPECT_TRUE(stt->capabilities().recognition_hints);
  const auto pcm = speak(kSentence, 16000);
  VirtualSession s;
  RecordingSttObserver obs(s.strand);
  const std::string text = recognize(*stt, pcm, 16000, obs, s, booking_hints());
  // Measured: "on would like to book an appointment august do you" (the hint
  // grammar gets the request right; bench/asr has the word error rates).
  EXPECT_GE(overlap(kSentence, text), 0.5) << text;
  EXPECT_NE(text.find("book an appointment"), std::string::npos) << text;
  // Interim results came first, and the final has word timings inside the audio.
  ASSERT_FALSE(obs.interims().empty());
  const auto finals = obs.finals();
  ASSERT_FALSE(finals.empty());
  const Transcript& last_with_words = *std::find_if(finals.rbegin(), finals.rend(), [](const Transcript& t) {
    return !t.words.empty();
  });
  Duration prev{};
  for (const auto& w : last_with_words.words) {
    EXPECT_GE(w.start, prev) << w.text;
    EXPECT_GT(w.end, w.start) << w.text;
    EXPECT_LE(w.end, AudioFormat::pcm16(16000).duration_of(static_cast<std::int64_t>(pcm.size())) + std::chrono::milliseconds(20));
    prev = w.start;
  }
  EXPECT_FALSE(obs.of(testing::SttEvent::Kind::speech_started).empty());
}

TEST(Pocketsphinx, HintsBeatTheGeneralModel) {
  auto stt = make();
  ASSERT_TRUE(stt);
  const auto pcm = speak(kSentence, 16000);
  VirtualSession s1, s2;
  RecordingSttObserver general_obs(s1.strand), hinted_obs(s2.strand);
  const std::string general = recognize(*stt, pcm, 16000, general_obs, s1);
  const std::string hinted = recognize(*stt, pcm, 16000, hinted_obs, s2, booking_hints());
  // The general model turns espeak speech into something (about 70 % word error
  // rate, see docs/providers/pocketsphinx.md); the dialog's hints do much better.
  EXPECT_FALSE(general.empty());
  EXPECT_GT(overlap(kSentence, hinted), overlap(kSentence, general) + 0.3) << general << " | " << hinted;
}

TEST(Pocketsphinx, EightKilohertzInputIsResampled) {
  auto stt = make();
  ASSERT_TRUE(stt);
  EXPECT_EQ(stt->capabilities().input_formats.front(), AudioFormat::pcm16(16000));
  VirtualSession s;
  RecordingSttObserver obs(s.strand);
  const auto pcm = speak("yes please", 8000, 800);
  const std::string text =
      recognize(*stt, pcm, 8000, obs, s, RecognitionHints{.state = "confirm", .phrases = {"yes please", "no"}, .jsgf = ""});
  // Narrowband audio against the 16 kHz model is the weak spot (see
  // docs/providers/pocketsphinx.md); a short answer from the grammar still works.
  EXPECT_NE(text.find("yes"), std::string::npos) << text;
  const auto finals = obs.finals();
  ASSERT_FALSE(finals.empty());
  EXPECT_LE(finals.back().audio_end, AudioFormat::pcm16(8000).duration_of(static_cast<std::int64_t>(pcm.size())) +
                                         std::chrono::milliseconds(10));
}

TEST(Pocketsphinx, OwnEndpointClosesAnUtteranceBeforeFinalize) {
  auto stt = make();
  ASSERT_TRUE(stt);
  VirtualSession s;
  RecordingSttObserver obs(s.strand);
  auto pcm = speak("yes please", 16000, 1500);
  const std::string text =
      recognize(*stt, pcm, 16000, obs, s, RecognitionHints{.state = "confirm", .phrases = {"yes please", "no"}, .jsgf = ""});
  EXPECT_EQ(text, "yes please");
  const auto finals = obs.finals();
  ASSERT_EQ(finals.size(), 2u);
  EXPECT_TRUE(finals[0].speech_final);     // the decoder's own endpoint
  EXPECT_FALSE(finals[0].from_finalize);
  EXPECT_TRUE(finals[1].from_finalize);    // finalize() still answers, with nothing left
  EXPECT_EQ(finals[1].text, "");
}

TEST(Pocketsphinx, HintsArrivingDuringSilenceApplyToTheNextAnswer) {
  // As in a call: the stream gets silence while the agent talks, then the
  // dialog's hints, then the caller's answer (endpointing off, so nothing but the
  // hints closes the open utterance).
  auto stt = make(R"({"provider": "pocketsphinx", "endpointing": false})");
  ASSERT_TRUE(stt);
  VirtualSession s;
  RecordingSttObserver obs(s.strand);
  const AudioFormat fmt = AudioFormat::pcm16(16000);
  auto stream = stt->open(s.ctx, {.format = fmt}, obs);
  ASSERT_TRUE(stream.ok());
  std::vector<std::int16_t> pcm(16000, 0);  // 1 s of silence first
  auto send = [&](const std::vector<std::int16_t>& audio) {
    for (std::size_t i = 0; i < audio.size(); i += 320)
      ASSERT_TRUE((*stream)->send_audio(AudioFrame::view(fmt, std::span(audio).subspan(i, std::min<std::size_t>(320, audio.size() - i)))).ok());
    s.run_until_quiet();
  };
  send(pcm);
  (*stream)->set_hints(booking_hints());
  send(speak(kSentence, 16000));
  (*stream)->finalize();
  s.run_until_quiet();
  std::string text;
  for (const auto& t : obs.finals())
    if (!t.text.empty()) text += (text.empty() ? "" : " ") + t.text;
  EXPECT_NE(text.find("book an appointment"), std::string::npos) << text;
  EXPECT_EQ(obs.finalize_answers(), 1);
}

/// `text` spoken by espeak-ng `voice` through a telephone line: 8 kHz, G.711 mu-law.
std::vector<std::int16_t> telephone(const std::string& text, const std::string& voice) {
  std::vector<std::int16_t> pcm = speak(text, 8000, 600, voice);
  std::vector<std::byte> coded(pcm.size());
  mulaw_encode(pcm, coded);
  mulaw_decode(coded, pcm);
  return pcm;
}

// The built-in "espeak" transform adapts the model to espeak-ng speech on a
// telephone line. Measured here on sentences that are not among the adaptation
// sentences, with hints that hold their words (bench/asr measures the rest).
// espeak-ng's output varies a little with what it said before in the process,
// so the margin leaves room for that.
TEST(Pocketsphinx, EspeakAdaptationHelpsTelephoneAudio) {
#ifndef LOQUI_TEST_ESPEAK_ADAPTATION
  GTEST_SKIP() << "the built-in espeak transforms were not built (sphinxtrain, sphinxbase-utils, pocketsphinx)";
#endif
  auto plain = make(R"({"provider": "pocketsphinx", "remove_noise": false})");
  auto adapted = make(R"({"provider": "pocketsphinx", "remove_noise": false, "mllr_narrowband": "espeak"})");
  ASSERT_TRUE(plain && adapted);
  const std::vector<std::string> sentences = {
      "I would like to book an appointment tomorrow at ten", "Is there parking at the hotel",
      "Can I talk to a person please", "My daughter has a bad cough", "What time do you close on Friday",
      "We need a room for two nights"};
  double plain_score = 0, adapted_score = 0;
  std::string heard;
  for (const auto& text : sentences) {
    const auto pcm = telephone(text, "en-us");
    VirtualSession s1, s2;
    RecordingSttObserver o1(s1.strand), o2(s2.strand);
    const RecognitionHints hints{.state = "test", .phrases = sentences, .jsgf = ""};
    const std::string a = recognize(*plain, pcm, 8000, o1, s1, hints);
    const std::string b = recognize(*adapted, pcm, 8000, o2, s2, hints);
    plain_score += overlap(text, a);
    adapted_score += overlap(text, b);
    heard += a + " | " + b + "\n";
  }
  // Measured: 4.3-4.8 without, 5.4-5.5 with (word overlap summed over six).
  EXPECT_GT(adapted_score, plain_score + 0.3) << adapted_score << " vs " << plain_score << "\n" << heard;
}

TEST(Pocketsphinx, ConfigErrors) {
  auto bad = registry().make_stt({}, Json::parse(R"({"provider": "pocketsphinx", "modeldir": "x", "interim_ms": -1})").value());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("stt.modeldir: unknown key"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("stt.interim_ms"), std::string::npos) << bad.error().message();
  auto missing = registry().make_stt({}, Json::parse(R"({"provider": "pocketsphinx", "dictionary": "/no/such.dict"})").value());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), make_error_code(errc::not_found));
  EXPECT_NE(missing.error().message().find("stt.dictionary: '/no/such.dict' does not exist"), std::string::npos)
      << missing.error().message();
  auto no_mllr = registry().make_stt({}, Json::parse(R"({"provider": "pocketsphinx", "mllr": "/no/such.mllr"})").value());
  ASSERT_FALSE(no_mllr.ok());
  EXPECT_EQ(no_mllr.error().code(), make_error_code(errc::not_found));
  EXPECT_NE(no_mllr.error().message().find("stt.mllr: '/no/such.mllr' does not exist"), std::string::npos)
      << no_mllr.error().message();
  auto stt = make();
  VirtualSession s;
  RecordingSttObserver obs(s.strand);
  auto stream = stt->open(s.ctx, {.format = AudioFormat{.sample_rate_hz = 8000, .channels = 1, .encoding = Encoding::mulaw}}, obs);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.error().code(), make_error_code(errc::format_mismatch));
}

// ------------------------------------------------------------------ contract

Result<std::shared_ptr<SpeechToText>> contract_stt(const ProviderContext& ctx) {
  return registry().make_stt(ctx, Json::parse(R"({"provider": "pocketsphinx"})").value());
}

std::vector<std::int16_t> contract_speech(const AudioFormat& format) {
  return speak("book an appointment", format.sample_rate_hz, 500);
}

using testing::SttContract;
INSTANTIATE_TEST_SUITE_P(
    Pocketsphinx, SttContract,
    ::testing::Values(testing::SttContractParam{.name = "pocketsphinx",
                                                .make = contract_stt,
                                                .options = {.format = AudioFormat::pcm16(16000)},
                                                .speech = contract_speech},
                      testing::SttContractParam{.name = "pocketsphinx_real_time",
                                                .make = contract_stt,
                                                .options = {.format = AudioFormat::pcm16(16000)},
                                                .speech = contract_speech,
                                                .timing = {.time = TimeMode::real_time,
                                                           .settle = std::chrono::milliseconds(300)}}),
    testing::ContractName());

}  // namespace
}  // namespace loqui
