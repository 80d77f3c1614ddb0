// SPDX-License-Identifier: Apache-2.0
// File: PitchConcealer, the G.711 Appendix I style packet-loss concealment.
#include "loqui/audio/plc.hpp"

#include <algorithm>
#include <cmath>

namespace loqui {
namespace {

// Appendix I figures, in ms (they are samples / 8 at 8 kHz).
constexpr double kHistoryMs = 48.75;   // 390 samples
constexpr double kPitchMinMs = 5.0;    // 40 samples: 200 Hz
constexpr double kPitchMaxMs = 15.0;   // 120 samples: 66 Hz
constexpr double kCorrWindowMs = 20.0;  // 160 samples compared at each lag
constexpr double kTwoPeriodsAtMs = 10.0;
constexpr double kThreePeriodsAtMs = 20.0;
constexpr double kFadeStartMs = 10.0;
constexpr double kSilentAtMs = 60.0;
constexpr double kRecoverMs = 4.0;      // cross-fade into good audio, +4 ms per further 10 ms lost
constexpr double kRecoverMaxMs = 10.0;

std::int16_t saturate(float v) noexcept {
  return static_cast<std::int16_t>(std::lrint(std::clamp(v, -32768.0f, 32767.0f)));
}

}  // namespace

PitchConcealer::PitchConcealer(int sample_rate_hz) : rate_(std::clamp(sample_rate_hz, 4000, 96000)) {
  history_.assign(ms(kHistoryMs), 0.0f);
  ring_.assign(history_.size(), 0);
  const std::size_t max_pitch = ms(kPitchMaxMs);
  cycle_.assign(3 * max_pitch, 0.0f);
  prev_cycle_.assign(3 * max_pitch, 0.0f);
  tail_.assign(max_pitch, 0.0f);
  scores_.assign(max_pitch + 1, 0.0f);
}

std::size_t PitchConcealer::ms(double milliseconds) const noexcept {
  return static_cast<std::size_t>(std::lround(milliseconds * rate_ / 1000.0));
}

void PitchConcealer::reset() noexcept {
  std::fill(history_.begin(), history_.end(), 0.0f);
  std::fill(ring_.begin(), ring_.end(), std::int16_t{0});
  ring_pos_ = 0;
  lost_ = 0;
  pitch_ = 0;
  periods_ = 0;
  fade_left_ = 0;
}

void PitchConcealer::remember(std::span<const std::int16_t> samples) noexcept {
  // Good audio goes into a ring of pcm16 (cheap: every decoded packet passes here);
  // it is unrolled into floats only when a loss starts.
  const std::size_t h = ring_.size();
  const auto src = samples.subspan(samples.size() - std::min(samples.size(), h));
  std::size_t done = 0;
  while (done < src.size()) {
    const std::size_t n = std::min(src.size() - done, h - ring_pos_);
    std::copy_n(src.begin() + static_cast<std::ptrdiff_t>(done), n, ring_.begin() + static_cast<std::ptrdiff_t>(ring_pos_));
    done += n;
    ring_pos_ = (ring_pos_ + n) % h;
  }
}

void PitchConcealer::unroll_history() noexcept {
  const std::size_t h = ring_.size();
  for (std::size_t i = 0; i < h; ++i) history_[i] = static_cast<float>(ring_[(ring_pos_ + i) % h]);
}

int PitchConcealer::find_pitch() noexcept {
  const std::size_t h = history_.size();
  const std::size_t w = ms(kCorrWindowMs);
  const std::size_t pmin = ms(kPitchMinMs);
  const std::size_t pmax = ms(kPitchMaxMs);
  const float* x = history_.data() + (h - w);  // the most recent window
  double e0 = 0;
  for (std::size_t n = 0; n < w; ++n) e0 += static_cast<double>(x[n]) * x[n];
  if (e0 < 1.0) return static_cast<int>(pmin);  // silence: any period repeats silence
  // Normalised cross-correlation of the window with the window `lag` earlier.
  double best_score = -2.0;
  std::size_t best = pmin;
  for (std::size_t lag = pmin; lag <= pmax; ++lag) {
    const float* y = x - lag;
    double c = 0, e = 0;
    for (std::size_t n = 0; n < w; ++n) {
      c += static_cast<double>(x[n]) * y[n];
      e += static_cast<double>(y[n]) * y[n];
    }
    const double score = e > 0 ? c / std::sqrt(e * e0) : 0.0;
    scores_[lag] = static_cast<float>(score);
    if (score > best_score) {
      best_score = score;
      best = lag;
    }
  }
  // A multiple of the true period correlates as well as the period itself; prefer
  // the shortest one that does (repeating one short period sounds most natural).
  for (std::size_t div : {3u, 2u}) {
    const std::size_t cand = (best + div / 2) / div;
    if (cand < pmin) continue;
    std::size_t local = cand;
    for (std::size_t l = std::max(pmin, cand - 1); l <= std::min(pmax, cand + 1); ++l)
      if (scores_[l] > scores_[local]) local = l;
    if (scores_[local] >= 0.9 * best_score) {
      best = local;
      break;
    }
  }
  return static_cast<int>(best);
}

void PitchConcealer::build_cycle(int periods) noexcept {
  const std::size_t h = history_.size();
  const auto p = static_cast<std::size_t>(pitch_);
  const std::size_t len = p * static_cast<std::size_t>(periods);
  const std::size_t overlap = std::max<std::size_t>(1, p / 4);
  const float* src = history_.data() + (h - len);
  for (std::size_t i = 0; i < len; ++i) cycle_[i] = src[i];
  // Where the cycle wraps, its end must lead into its start: blend the last quarter
  // period towards the samples one period earlier, which precede the start.
  for (std::size_t i = len - overlap; i < len; ++i) {
    const float w = static_cast<float>(i - (len - overlap) + 1) / static_cast<float>(overlap + 1);
    cycle_[i] = (1.0f - w) * src[i] + w * src[i - p];
  }
  cycle_len_ = len;
  periods_ = periods;
}

float PitchConcealer::next_synthetic() noexcept {
  float v = cycle_[cycle_pos_];
  if (++cycle_pos_ >= cycle_len_) cycle_pos_ = 0;
  if (fade_left_ > 0) {
    // Moving to a longer cycle: cross-fade from the previous one.
    const float w = static_cast<float>(fade_left_) / static_cast<float>(fade_len_ + 1);
    v = (1.0f - w) * v + w * prev_cycle_[prev_pos_];
    if (++prev_pos_ >= prev_len_) prev_pos_ = 0;
    --fade_left_;
  }
  return v;
}

float PitchConcealer::gain_at(std::size_t lost) const noexcept {
  const std::size_t start = ms(kFadeStartMs);
  const std::size_t end = ms(kSilentAtMs);
  if (lost < start) return 1.0f;
  if (lost >= end) return 0.0f;
  return 1.0f - static_cast<float>(lost - start) / static_cast<float>(end - start);
}

void PitchConcealer::conceal(std::span<std::int16_t> out) noexcept {
  const std::size_t h = history_.size();
  for (auto& sample : out) {
    if (lost_ == 0) {
      ++events_;
      unroll_history();
      pitch_ = find_pitch();
      cycle_pos_ = 0;
      fade_left_ = 0;
      build_cycle(1);
      entry_len_ = std::max<std::size_t>(1, static_cast<std::size_t>(pitch_) / 4);
      for (std::size_t j = 0; j < entry_len_; ++j) tail_[j] = history_[h - 1 - j];
    } else if ((lost_ == ms(kTwoPeriodsAtMs) && periods_ == 1) || (lost_ == ms(kThreePeriodsAtMs) && periods_ == 2)) {
      // Cycle more periods of the past: less buzz in longer losses. The last period
      // sits at the end of the longer cycle, so the position moves on by one period.
      std::copy(cycle_.begin(), cycle_.begin() + static_cast<std::ptrdiff_t>(cycle_len_), prev_cycle_.begin());
      prev_len_ = cycle_len_;
      prev_pos_ = cycle_pos_;
      build_cycle(periods_ + 1);
      cycle_pos_ = (prev_pos_ + static_cast<std::size_t>(pitch_)) % cycle_len_;
      fade_len_ = std::max<std::size_t>(1, static_cast<std::size_t>(pitch_) / 4);
      fade_left_ = fade_len_;
    }
    float v = next_synthetic();
    if (lost_ < entry_len_) {
      // Into the loss: fade from the time-reversed end of the good audio, which is
      // continuous with its last sample, to the synthetic signal.
      const float w = static_cast<float>(lost_ + 1) / static_cast<float>(entry_len_ + 1);
      v = w * v + (1.0f - w) * tail_[lost_];
    }
    sample = saturate(v * gain_at(lost_));
    ++lost_;
  }
  concealed_total_ += out.size();
}

void PitchConcealer::on_good(std::span<std::int16_t> samples) noexcept {
  if (lost_ > 0) {
    // Out of the loss: cross-fade from the synthetic continuation into the audio.
    const std::size_t ten = ms(10.0);
    const std::size_t extra = lost_ > ten ? (lost_ - 1) / ten : 0;
    std::size_t len = std::min(ms(kRecoverMs) * (1 + extra), ms(kRecoverMaxMs));
    len = std::min(len, samples.size());
    for (std::size_t j = 0; j < len; ++j) {
      const float syn = next_synthetic() * gain_at(lost_ + j);
      const float w = static_cast<float>(j + 1) / static_cast<float>(len + 1);
      samples[j] = saturate(w * static_cast<float>(samples[j]) + (1.0f - w) * syn);
    }
    lost_ = 0;
  }
  remember(samples);
}

}  // namespace loqui
