// SPDX-License-Identifier: Apache-2.0
// File: the embedded `pocketsphinx` STT: recognises espeak-ng speech against the
// grammar of the hints it was given, reports format errors clearly, and passes
// the STT contract suite.
#include <gtest/gtest.h>

#include <cstdlib>

#include "loqui/audio/file.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/provider/registry.hpp"
#include "support/dsp_signals.hpp"
#include "support/provider_contract.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {

/// `text` spoken by espeak-ng (en-us, female voice), as 16 kHz pcm16 plus 0.4 s of silence.
std::vector<std::int16_t> speak(const std::string& text) {
  testing::ScratchDir dir;
  const auto wav = (dir.path() / "s.wav").string();
  const std::string cmd = "espeak-ng -v en-us+f3 -s 150 -w " + wav + " \"" + text + "\"";
  if (std::system(cmd.c_str()) != 0) return {};
  auto file = read_audio_file(wav, {.mono = true});
  if (!file) return {};
  auto pcm = resample_buffer(file->audio.samples, file->audio.format.sample_rate_hz, 16000);
  if (!pcm) return {};
  pcm->insert(pcm->end(), 6400, 0);
  return *pcm;
}

Registry& registry() {
  static Registry* r = [] {
    auto* x = new Registry;  // lives for the whole test run
    register_builtin_providers(*x);
    return x;
  }();
  return *r;
}

Result<std::shared_ptr<SpeechToText>> make(const Json& config) { return registry().make_stt({}, config); }

/// Runs `fn` as a task on the session strand and everything it scheduled.
template <class Fn>
void on_strand(testing::VirtualSession& vs, Fn&& fn) {
  ASSERT_TRUE(vs.strand->post(std::forward<Fn>(fn)).ok());
  vs.run_until_quiet();
}

namespace {

TEST(Pocketsphinx, RecognisesAnExpectedPhraseWithHints) {
  auto stt = make(Json::object({{"provider", "pocketsphinx"}}));
  ASSERT_TRUE(stt.ok()) << stt.error().message();
  const auto speech = speak("yes please");
  ASSERT_FALSE(speech.empty());
  testing::VirtualSession vs;
  testing::RecordingSttObserver obs(vs.strand);
  std::unique_ptr<SttStream> stream;
  on_strand(vs, [&] {
    auto s = (*stt)->open(vs.ctx, {.format = AudioFormat::pcm16(16000)}, obs);
    ASSERT_TRUE(s.ok()) << s.error().message();
    stream = std::move(*s);
    stream->set_hints({.phrases = {"yes please", "no thank you", "book an appointment", "talk to a person"}});
    for (std::size_t at = 0; at + 320 <= speech.size(); at += 320)
      ASSERT_TRUE(stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), std::span(speech).subspan(at, 320))).ok());
    stream->finalize();
  });
  const auto finals = obs.finals();
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0].text, "yes please");
  EXPECT_EQ(obs.violations(), 0);
  on_strand(vs, [&] { stream.reset(); });
}

TEST(Pocketsphinx, WrongFormatsAndOptionsAreClearErrors) {
  auto stt = make(Json::object({{"provider", "pocketsphinx"}}));
  ASSERT_TRUE(stt.ok());
  testing::VirtualSession vs;
  testing::RecordingSttObserver obs(vs.strand);
  on_strand(vs, [&] {
    auto s = (*stt)->open(vs.ctx, {.format = AudioFormat::pcm16(8000)}, obs);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("16000 Hz"), std::string::npos) << s.error().message();
  });
  auto bad = make(Json::object({{"provider", "pocketsphinx"}, {"interim", 5}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("interim"), std::string::npos) << bad.error().message();
  auto missing = make(Json::object({{"provider", "pocketsphinx"}, {"model_dir", "/nonexistent"}}));
  ASSERT_TRUE(missing.ok());  // models load per stream
  on_strand(vs, [&] {
    auto s = (*missing)->open(vs.ctx, {.format = AudioFormat::pcm16(16000)}, obs);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("/nonexistent"), std::string::npos) << s.error().message();
  });
}

}  // namespace

}  // namespace loqui

namespace {
using loqui::testing::SttContract;
using loqui::testing::SttContractParam;
INSTANTIATE_TEST_SUITE_P(Pocketsphinx, SttContract,
                         ::testing::Values(SttContractParam{
                             .name = "pocketsphinx",
                             .make = [](const loqui::ProviderContext& ctx) {
                               return loqui::registry().make_stt(ctx, loqui::Json::object({{"provider", "pocketsphinx"}}));
                             },
                             .options = {.format = loqui::AudioFormat::pcm16(16000)},
                             .speech = [](const loqui::AudioFormat&) { return loqui::speak("I would like to book an appointment"); }}),
                         loqui::testing::ContractName());
}  // namespace
