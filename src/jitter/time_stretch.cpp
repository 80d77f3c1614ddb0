// SPDX-License-Identifier: Apache-2.0
// File: pitch-period removal and insertion for the jitter buffer (see the header).
#include "jitter/time_stretch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace loqui::jitter {

TimeStretcher::TimeStretcher(int rate_hz) {
  decimation_ = std::max(1, rate_hz / 4000);
  const double dec_rate = static_cast<double>(rate_hz) / decimation_;
  min_lag_ = std::max<std::size_t>(2, static_cast<std::size_t>(std::lround(0.0025 * dec_rate)));
  max_lag_ = std::max(min_lag_ + 1, static_cast<std::size_t>(std::lround(0.015 * dec_rate)));
  max_period_ = max_lag_ * static_cast<std::size_t>(decimation_);
  dec_.assign(2 * max_lag_, 0.0f);
}

TimeStretcher::Analysis TimeStretcher::analyse(std::span<const std::int16_t> x, std::size_t max_period) {
  Analysis a;
  const std::size_t k = static_cast<std::size_t>(decimation_);
  // The longest lag that fits both the caller's limit and two periods of input.
  const std::size_t top = std::min({max_lag_, max_period / k, x.size() / (2 * k)});
  if (top < min_lag_) return a;
  // Decimate by averaging (a crude low-pass; enough to find the period).
  const std::size_t m_dec = 2 * top;
  for (std::size_t i = 0; i < m_dec; ++i) {
    float s = 0;
    for (std::size_t j = 0; j < k; ++j) s += static_cast<float>(x[i * k + j]);
    dec_[i] = s / static_cast<float>(k);
  }
  // Normalised correlation of the first `top` samples with the ones `lag` later.
  // The energy of the lagged window slides by one sample per lag.
  const std::size_t w = top;
  double e0 = 0;
  for (std::size_t i = 0; i < w; ++i) e0 += static_cast<double>(dec_[i]) * dec_[i];
  double e1 = 0;
  for (std::size_t i = min_lag_; i < min_lag_ + w; ++i) e1 += static_cast<double>(dec_[i]) * dec_[i];
  double best = -2.0;
  std::size_t best_lag = min_lag_;
  for (std::size_t lag = min_lag_; lag <= top; ++lag) {
    if (lag > min_lag_) {
      const double out = dec_[lag - 1];
      const double in = dec_[lag + w - 1];
      e1 += in * in - out * out;
    }
    double c = 0;
    for (std::size_t i = 0; i < w; ++i) c += static_cast<double>(dec_[i]) * dec_[i + lag];
    const double denom = std::sqrt(e0 * std::max(e1, 0.0));
    const double r = denom > 0 ? c / denom : 0.0;
    if (r > best) {
      best = r;
      best_lag = lag;
    }
  }
  a.period = best_lag * k;
  a.correlation = best;
  a.level_dbfs = level_dbfs(x.first(2 * a.period));
  return a;
}

double TimeStretcher::level_dbfs(std::span<const std::int16_t> x) noexcept {
  if (x.empty()) return -120.0;
  double e = 0;
  for (const auto v : x) e += static_cast<double>(v) * v;
  const double rms = std::sqrt(e / static_cast<double>(x.size())) / 32768.0;
  return rms > 1e-6 ? 20.0 * std::log10(rms) : -120.0;
}

namespace {
std::int16_t fade(std::int16_t from, std::int16_t to, std::size_t i, std::size_t n) {
  const double w = static_cast<double>(i) / static_cast<double>(n);
  const double v = (1.0 - w) * from + w * to;
  return static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
}
}  // namespace

std::size_t TimeStretcher::remove_period(std::span<std::int16_t> x, std::size_t n, std::size_t period) noexcept {
  if (period == 0 || n < 2 * period || x.size() < n) return n;
  for (std::size_t i = 0; i < period; ++i) x[i] = fade(x[i], x[period + i], i, period);
  std::memmove(x.data() + period, x.data() + 2 * period, (n - 2 * period) * sizeof(std::int16_t));
  return n - period;
}

std::size_t TimeStretcher::insert_period(std::span<std::int16_t> x, std::size_t n, std::size_t period) noexcept {
  if (period == 0 || n < 2 * period || x.size() < n + period) return n;
  // New layout: x[0..P) | fade(x[P..2P) -> x[0..P)) | x[P..n)
  std::memmove(x.data() + 2 * period, x.data() + period, (n - period) * sizeof(std::int16_t));
  // x[2P..2P+P) now holds the old x[P..2P); build the inserted period from it and x[0..P).
  for (std::size_t i = 0; i < period; ++i) x[period + i] = fade(x[2 * period + i], x[i], i, period);
  return n + period;
}

}  // namespace loqui::jitter
