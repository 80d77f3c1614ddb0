// SPDX-License-Identifier: Apache-2.0
// File: VadFeatureExtractor (see vad_features.hpp), the FFT it uses and the model
// evaluation.
#include "audio/vad_features.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace loqui::detail {

namespace {
constexpr float kBinHz = 31.25f;  // rate / window at both rates (32 ms window)
constexpr std::array<float, kVadBands + 1> kBandEdgesHz = {80,   250,  500,  750,  1000, 1500, 2000,
                                                           2500, 3000, 3800, 5000, 6500, 7900};
constexpr int kLagMin = 20;   // on an 8 kHz lag grid: 400 Hz
constexpr int kLagMax = 100;  // 80 Hz
constexpr float kEps = 1e-10f;

// Noise floor tracker (dB per 10 ms frame): fall fast towards dips, rise slowly
// (kRiseSlow under modulated sound, kRiseSteady under a steady one).
constexpr float kFall = 0.25f;
constexpr float kRiseSlow = 0.03f;
constexpr float kRiseSteady = 0.5f;

std::size_t bin_of(float hz) { return static_cast<std::size_t>(std::lround(hz / kBinHz)); }

float db(float power) { return 10.0f * std::log10(power + kEps); }

}  // namespace

void NoiseFloor::update(float level_db, float steadiness) noexcept {
  const float d = level_db - floor_db;
  floor_db += d < 0 ? kFall * d : std::min(d, kRiseSlow + (kRiseSteady - kRiseSlow) * steadiness);
}

void Modulation::update(float level_db) noexcept {
  mean += 0.1f * (level_db - mean);
  const float dev = level_db - mean;
  var += 0.1f * (dev * dev - var);
}

float Modulation::std_db() const noexcept { return std::sqrt(var); }

float Modulation::steadiness() const noexcept { return std::clamp(2.0f - std_db(), 0.0f, 1.0f); }

float vad_model_eval(const VadModel& m, std::span<const float, kVadInputs> x) noexcept {
  static_assert(kVadInputs % 4 == 0);
  std::array<float, kVadInputs> z;
  for (std::size_t i = 0; i < kVadInputs; ++i) z[i] = (x[i] - m.mean[i]) * m.inv_std[i];
  float out = m.b2;
  for (std::size_t h = 0; h < kVadHidden; ++h) {
    const float* w = &m.w1[h * kVadInputs];
    // Four independent sums: the dot product vectorises without reassociating.
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (std::size_t i = 0; i < kVadInputs; i += 4) {
      a0 += w[i] * z[i];
      a1 += w[i + 1] * z[i + 1];
      a2 += w[i + 2] * z[i + 2];
      a3 += w[i + 3] * z[i + 3];
    }
    out += m.w2[h] * std::tanh(m.b1[h] + ((a0 + a1) + (a2 + a3)));
  }
  return 1.0f / (1.0f + std::exp(-out));
}

RealFft::RealFft(std::size_t n)
    : n_(n), m_(n / 2), re_(m_), im_(m_), tw_re_(m_ / 2), tw_im_(m_ / 2), sp_re_(m_ + 1), sp_im_(m_ + 1), bitrev_(m_) {
  for (std::size_t j = 0; j < m_ / 2; ++j) {
    const double a = -2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(m_);
    tw_re_[j] = static_cast<float>(std::cos(a));
    tw_im_[j] = static_cast<float>(std::sin(a));
  }
  for (std::size_t k = 0; k <= m_; ++k) {
    const double a = -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n_);
    sp_re_[k] = static_cast<float>(std::cos(a));
    sp_im_[k] = static_cast<float>(std::sin(a));
  }
  std::size_t bits = 0;
  while ((std::size_t{1} << bits) < m_) ++bits;
  for (std::size_t i = 0; i < m_; ++i) {
    std::uint32_t r = 0;
    for (std::size_t b = 0; b < bits; ++b)
      if (i & (std::size_t{1} << b)) r |= 1u << (bits - 1 - b);
    bitrev_[i] = r;
  }
}

void RealFft::power(std::span<const float> x, std::span<float> out) noexcept {
  // z[j] = x[2j] + i x[2j+1], in bit-reversed order.
  for (std::size_t j = 0; j < m_; ++j) {
    re_[bitrev_[j]] = x[2 * j];
    im_[bitrev_[j]] = x[2 * j + 1];
  }
  for (std::size_t len = 2; len <= m_; len <<= 1) {
    const std::size_t half = len / 2;
    const std::size_t step = m_ / len;
    for (std::size_t i = 0; i < m_; i += len) {
      for (std::size_t j = 0; j < half; ++j) {
        const float wr = tw_re_[j * step], wi = tw_im_[j * step];
        const std::size_t a = i + j, b = a + half;
        const float tr = wr * re_[b] - wi * im_[b];
        const float ti = wr * im_[b] + wi * re_[b];
        re_[b] = re_[a] - tr;
        im_[b] = im_[a] - ti;
        re_[a] += tr;
        im_[a] += ti;
      }
    }
  }
  // Split: X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i.
  for (std::size_t k = 0; k <= m_; ++k) {
    const std::size_t k1 = k % m_, k2 = (m_ - k) % m_;
    const float zr = re_[k1], zi = im_[k1], cr = re_[k2], ci = -im_[k2];
    const float er = 0.5f * (zr + cr), ei = 0.5f * (zi + ci);
    const float dr = 0.5f * (zr - cr), di = 0.5f * (zi - ci);
    const float or_ = di, oi = -dr;  // (d) / i
    const float xr = er + sp_re_[k] * or_ - sp_im_[k] * oi;
    const float xi = ei + sp_re_[k] * oi + sp_im_[k] * or_;
    out[k] = xr * xr + xi * xi;
  }
}

VadFeatureExtractor::VadFeatureExtractor(int sample_rate)
    : rate_(sample_rate),
      frame_(static_cast<std::size_t>(sample_rate / 100)),
      window_(sample_rate >= 16000 ? 512 : 256),
      fft_(window_),
      hann_(window_),
      history_(window_, 0.0f),
      windowed_(window_),
      power_(window_ / 2 + 1) {
  for (std::size_t i = 0; i < window_; ++i)
    hann_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (static_cast<double>(i) + 0.5) /
                                                        static_cast<double>(window_)));
  const float nyquist = static_cast<float>(sample_rate) / 2.0f;
  bands_used_ = 0;
  for (std::size_t b = 0; b <= kVadBands; ++b) band_edges_[b] = bin_of(kBandEdgesHz[b]);
  for (std::size_t b = 0; b < kVadBands; ++b)
    if (kBandEdgesHz[b + 1] < nyquist) bands_used_ = b + 1;
  total_lo_ = bin_of(80);
  total_hi_ = bin_of(3800);
  flat_lo_ = bin_of(300);
  flat_hi_ = bin_of(3800);
  pitch_lo_ = bin_of(80);
  pitch_hi_ = bin_of(1500);
  lags_ = static_cast<std::size_t>(kLagMax - kLagMin + 1);
  const std::size_t bins = pitch_hi_ - pitch_lo_;
  cos_table_.resize(lags_ * bins);
  window_ac_.resize(lags_);
  ac_.resize(lags_);
  const double w0 = [&] {
    double s = 0;
    for (float w : hann_) s += static_cast<double>(w) * w;
    return s;
  }();
  const std::size_t lag_scale = static_cast<std::size_t>(sample_rate / 8000);
  for (std::size_t l = 0; l < lags_; ++l) {
    const double lag_s = static_cast<double>(kLagMin + static_cast<int>(l)) / 8000.0;
    for (std::size_t k = 0; k < bins; ++k)
      cos_table_[k * lags_ + l] = static_cast<float>(
          std::cos(2.0 * std::numbers::pi * static_cast<double>(pitch_lo_ + k) * kBinHz * lag_s));
    const std::size_t tau = static_cast<std::size_t>(kLagMin + static_cast<int>(l)) * lag_scale;
    double s = 0;
    for (std::size_t i = 0; i + tau < window_; ++i) s += static_cast<double>(hann_[i]) * hann_[i + tau];
    window_ac_[l] = static_cast<float>(std::max(s / w0, 0.05));
  }
}

void VadFeatureExtractor::reset() noexcept {
  std::fill(history_.begin(), history_.end(), 0.0f);
  noise_.fill({});
  noise_total_ = {};
  noise_frame_ = {};
  mod_ = {};
  frames_seen_ = 0;
  harm_ema_ = prev_level_db_ = foreground_db_ = 0;
  ema_.fill(0);
  level_dbfs_ = -120.0;
  total_snr_db_ = 0;
}

float VadFeatureExtractor::harmonicity() noexcept {
  const std::size_t bins = pitch_hi_ - pitch_lo_;
  const float* p = &power_[pitch_lo_];
  float r0 = 0;
  for (std::size_t k = 0; k < bins; ++k) r0 += p[k];
  if (r0 <= kEps) return 0.0f;
  // r[lag] = sum_k p[k] cos(2 pi f_k lag): bins outer, lags inner (independent sums).
  std::fill(ac_.begin(), ac_.end(), 0.0f);
  for (std::size_t k = 0; k < bins; ++k) {
    const float* c = &cos_table_[k * lags_];
    const float pk = p[k];
    for (std::size_t l = 0; l < lags_; ++l) ac_[l] += pk * c[l];
  }
  float best = 0;
  for (std::size_t l = 0; l < lags_; ++l) best = std::max(best, ac_[l] / window_ac_[l]);
  return std::clamp(best / r0, 0.0f, 1.0f);
}

void VadFeatureExtractor::compute(std::span<const std::int16_t> frame, std::span<float, kVadInputs> out) noexcept {
  // Slide the analysis window by one frame.
  std::copy(history_.begin() + static_cast<std::ptrdiff_t>(frame_), history_.end(), history_.begin());
  double acc = 0;
  std::size_t crossings = 0;
  const std::size_t base = window_ - frame_;
  for (std::size_t i = 0; i < frame_; ++i) {
    const float s = static_cast<float>(frame[i]) * (1.0f / 32768.0f);
    history_[base + i] = s;
    acc += static_cast<double>(s) * s;
    if (i > 0) crossings += (frame[i] >= 0) != (frame[i - 1] >= 0);
  }
  const double rms = std::sqrt(acc / static_cast<double>(frame_));
  level_dbfs_ = rms <= 1e-6 ? -120.0 : 20.0 * std::log10(rms);

  for (std::size_t i = 0; i < window_; ++i) windowed_[i] = history_[i] * hann_[i];
  fft_.power(windowed_, power_);

  std::array<float, kVadFeatures> f{};
  const auto band_db = [&](std::size_t lo, std::size_t hi) {
    float e = 0;
    for (std::size_t k = lo; k < hi; ++k) e += power_[k];
    return db(e / static_cast<float>(hi - lo));
  };
  std::array<float, kVadBands> level{};
  for (std::size_t b = 0; b < bands_used_; ++b) level[b] = band_db(band_edges_[b], band_edges_[b + 1]);
  const float total = band_db(total_lo_, total_hi_);
  // Until the window is full of real audio, the floors just follow the level.
  const bool priming = frames_seen_ * frame_ < window_;
  ++frames_seen_;
  if (priming) {
    for (std::size_t b = 0; b < bands_used_; ++b) noise_[b].floor_db = level[b];
    noise_total_.floor_db = total;
    noise_frame_.floor_db = static_cast<float>(level_dbfs_);
    prev_level_db_ = total;
    mod_.mean = total;
    foreground_db_ = total;
  }
  const float steady = mod_.steadiness();
  for (std::size_t b = 0; b < bands_used_; ++b) {
    f[b] = std::clamp(level[b] - noise_[b].floor_db, -5.0f, 40.0f) / 10.0f;
    noise_[b].update(level[b], steady);
  }
  total_snr_db_ = total - noise_total_.floor_db;
  f[kVadBands] = std::clamp(total_snr_db_, -5.0f, 40.0f) / 10.0f;
  noise_total_.update(total, steady);

  // Spectral flatness (dB, <= 0): log of geometric over arithmetic mean.
  // (logs of products of 8 bins: one log per 8 bins; doubles keep the products in range)
  double log_sum = 0, lin_sum = 0, prod = 1;
  for (std::size_t k = flat_lo_, n = 0; k < flat_hi_; ++k) {
    prod *= static_cast<double>(power_[k]) + kEps;
    lin_sum += power_[k];
    if (++n % 8 == 0 || k + 1 == flat_hi_) {
      log_sum += std::log(prod);
      prod = 1;
    }
  }
  const double nb = static_cast<double>(flat_hi_ - flat_lo_);
  const double flat_db = 10.0 / std::numbers::ln10 * (log_sum / nb - std::log(lin_sum / nb + kEps));
  f[kVadBands + 1] = static_cast<float>(std::clamp(flat_db, -30.0, 0.0) / 10.0);

  const float h = harmonicity();
  f[kVadBands + 2] = h;
  // Temporal modulation of the log-energy (~200 ms memory).
  mod_.update(total);
  f[kVadBands + 3] = std::min(mod_.std_db(), 30.0f) / 10.0f;
  harm_ema_ += 0.15f * (h - harm_ema_);
  f[kVadBands + 4] = harm_ema_;
  f[kVadBands + 5] = std::clamp(total - prev_level_db_, -20.0f, 20.0f) / 10.0f;
  prev_level_db_ = total;
  // Foreground level: fast attack, 2 dB/s release, not below the noise floor.
  foreground_db_ = total > foreground_db_ ? foreground_db_ + 0.5f * (total - foreground_db_) : foreground_db_ - 0.02f;
  foreground_db_ = std::max(foreground_db_, noise_total_.floor_db);
  f[kVadBands + 6] = std::clamp(total - foreground_db_, -30.0f, 5.0f) / 10.0f;
  f[kVadBands + 7] = std::clamp(foreground_db_ - noise_total_.floor_db, 0.0f, 50.0f) / 10.0f;
  // The current 10 ms alone.
  const auto frame_db = static_cast<float>(level_dbfs_);
  f[kVadBands + 8] = std::clamp(frame_db - noise_frame_.floor_db, -5.0f, 40.0f) / 10.0f;
  noise_frame_.update(frame_db, steady);
  f[kVadBands + 9] = static_cast<float>(crossings) / static_cast<float>(frame_ - 1);

  for (std::size_t i = 0; i < kVadFeatures; ++i) {
    ema_[i] += 0.3f * (f[i] - ema_[i]);
    out[i] = f[i];
    out[kVadFeatures + i] = ema_[i];
  }
}

}  // namespace loqui::detail
