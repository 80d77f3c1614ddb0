// SPDX-License-Identifier: Apache-2.0
// File: PitchConcealer (G.711 Appendix I style PLC): pitch detection, quality of
// the concealed signal against the true continuation, attenuation over long
// losses, continuity at both seams, silence in -> silence out, and the G.711/L16
// decoders' conceal() using it.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "loqui/audio/codecs.hpp"
#include "loqui/audio/g711.hpp"
#include "loqui/audio/plc.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

/// A voiced-speech stand-in: a harmonic series with a falling spectrum at
/// fundamental of exactly `period` samples.
std::vector<std::int16_t> voiced(int period, std::size_t n, double amplitude = 6000.0) {
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    double v = 0;
    for (int k = 1; k <= 8; ++k)
      v += std::sin(2.0 * std::numbers::pi * k * static_cast<double>(i) / period + 0.3 * k) / k;
    out[i] = static_cast<std::int16_t>(std::lround(amplitude * v / 2.0));
  }
  return out;
}

/// Feeds `good` in 10 ms frames, then conceals `lost` samples; returns them.
std::vector<std::int16_t> conceal_after(PitchConcealer& plc, std::vector<std::int16_t> good, std::size_t lost,
                                        std::size_t frame = 80) {
  for (std::size_t i = 0; i + frame <= good.size(); i += frame) plc.on_good(std::span(good).subspan(i, frame));
  std::vector<std::int16_t> out(lost);
  for (std::size_t i = 0; i < lost; i += frame) plc.conceal(std::span(out).subspan(i, std::min(frame, lost - i)));
  return out;
}

TEST(PitchConcealer, FindsThePitchPeriod) {
  for (int period : {45, 57, 80, 113}) {
    PitchConcealer plc(8000);
    (void)conceal_after(plc, voiced(period, 800), 80);
    EXPECT_EQ(plc.pitch_samples(), period) << "true period " << period;
  }
  // A high voice (period 25 < 40): the detector settles on a multiple, which repeats
  // just as well.
  PitchConcealer high(8000);
  (void)conceal_after(high, voiced(25, 800), 80);
  EXPECT_EQ(high.pitch_samples() % 25, 0) << high.pitch_samples();
  // And at 16 kHz the lengths scale: period 114 (140 Hz).
  PitchConcealer wide(16000);
  (void)conceal_after(wide, voiced(114, 1600), 160, 160);
  EXPECT_EQ(wide.pitch_samples(), 114);
}

TEST(PitchConcealer, ConcealedAudioContinuesAPeriodicSignal) {
  const int period = 63;
  const auto all = voiced(period, 800 + 80);  // 100 ms good + 10 ms to conceal
  const std::vector<std::int16_t> good(all.begin(), all.begin() + 800);
  const std::vector<std::int16_t> truth(all.begin() + 800, all.end());
  PitchConcealer plc(8000);
  const auto concealed = conceal_after(plc, good, 80);
  // Past the entry fade (a quarter period), the synthetic signal is the true one.
  const double snr = testing::snr_db(truth, concealed, period / 4, 80);
  EXPECT_GT(snr, 25.0);
  // Whereas simply repeating the last 10 ms would be badly out of phase.
  const std::vector<std::int16_t> repeat(good.end() - 80, good.end());
  EXPECT_LT(testing::snr_db(truth, repeat, period / 4, 80), 3.0);
}

TEST(PitchConcealer, SeamsAreContinuous) {
  const int period = 71;
  const auto x = voiced(period, 1600);
  // Largest sample-to-sample step of the real signal.
  int max_step = 0;
  for (std::size_t i = 1; i < x.size(); ++i) max_step = std::max(max_step, std::abs(x[i] - x[i - 1]));
  PitchConcealer plc(8000);
  std::vector<std::int16_t> good(x.begin(), x.begin() + 803);  // end at an arbitrary phase
  plc.on_good(good);
  std::vector<std::int16_t> lost(160);
  plc.conceal(lost);
  EXPECT_LE(std::abs(lost[0] - good.back()), max_step) << "click entering the loss";
  for (std::size_t i = 1; i < lost.size(); ++i)
    EXPECT_LE(std::abs(lost[i] - lost[i - 1]), max_step * 3 / 2) << "discontinuity inside the loss at " << i;
  // Recovery: real audio resumes at a phase unrelated to the synthetic signal.
  std::vector<std::int16_t> back(x.begin() + 1000, x.begin() + 1160);
  const std::vector<std::int16_t> original = back;
  plc.on_good(back);
  EXPECT_LE(std::abs(back[0] - lost.back()), max_step) << "click leaving the loss";
  // The cross-fade lasts 4 ms (+4 ms for the 10 ms beyond the first 10): 64 samples;
  // after it the audio is untouched.
  EXPECT_TRUE(std::equal(back.begin() + 64, back.end(), original.begin() + 64));
  EXPECT_NE(back[10], original[10]);
}

TEST(PitchConcealer, FadesOverLongLossesAndGoesSilentAt60ms) {
  PitchConcealer plc(8000);
  const auto good = voiced(60, 800);
  const auto out = conceal_after(plc, good, 800);  // 100 ms lost
  const double level = testing::rms(good);
  auto window_rms = [&](std::size_t from_ms) { return testing::rms(std::span(out).subspan(from_ms * 8, 80)); };
  EXPECT_NEAR(window_rms(0), level, level * 0.25);  // first 10 ms: full level
  EXPECT_GT(window_rms(10), window_rms(30));
  EXPECT_GT(window_rms(30), window_rms(50));
  EXPECT_NEAR(window_rms(30), level * 0.5, level * 0.15);  // linear fade from 10 to 60 ms
  for (std::size_t i = 480; i < out.size(); ++i) ASSERT_EQ(out[i], 0) << "not silent at sample " << i;
  EXPECT_EQ(plc.lost_samples(), 800u);
  EXPECT_EQ(plc.loss_events(), 1u);
  EXPECT_EQ(plc.concealed_samples_total(), 800u);
}

TEST(PitchConcealer, SilenceStaysSilentAndResetForgets) {
  PitchConcealer plc(8000);
  std::vector<std::int16_t> zeros(800, 0);
  const auto out = conceal_after(plc, zeros, 160);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](std::int16_t s) { return s == 0; }));
  PitchConcealer other(8000);
  (void)conceal_after(other, voiced(50, 800), 80);
  other.reset();
  std::vector<std::int16_t> after(80);
  other.conceal(after);
  EXPECT_TRUE(std::all_of(after.begin(), after.end(), [](std::int16_t s) { return s == 0; }));
}

TEST(G711Plc, DecoderConcealsThroughPitchRepetition) {
  auto dec = make_decoder(AudioFormat::mulaw8k());
  ASSERT_TRUE(dec.ok());
  const auto x = voiced(66, 960);
  std::vector<std::byte> payload(160);
  std::vector<std::int16_t> pcm(160);
  for (std::size_t i = 0; i < 800; i += 160) {
    mulaw_encode(std::span(x).subspan(i, 160), payload);
    auto n = (*dec)->decode(payload, pcm);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, 160u);
  }
  std::vector<std::int16_t> lost(160);
  EXPECT_EQ((*dec)->conceal(160, lost), 160u);
  const std::vector<std::int16_t> truth(x.begin() + 800, x.begin() + 960);
  EXPECT_GT(testing::snr_db(truth, lost, 20, 80), 15.0);

  // With PLC off, concealment is silence.
  auto plain = make_decoder(AudioFormat::alaw8k(), {.plc = false});
  ASSERT_TRUE(plain.ok());
  alaw_encode(std::span(x).first(160), payload);
  ASSERT_TRUE((*plain)->decode(payload, pcm).ok());
  std::vector<std::int16_t> quiet(160, 7);
  EXPECT_EQ((*plain)->conceal(160, quiet), 160u);
  EXPECT_TRUE(std::all_of(quiet.begin(), quiet.end(), [](std::int16_t s) { return s == 0; }));
  // conceal() never writes past `out`.
  std::vector<std::int16_t> small(40);
  EXPECT_EQ((*dec)->conceal(160, small), 40u);
}

}  // namespace
}  // namespace loqui
