// SPDX-License-Identifier: Apache-2.0
// File: pitch-synchronous time stretching for the jitter buffer (private), in the
// spirit of NetEq's Accelerate/PreemptiveExpand: find the pitch period by normalised
// autocorrelation on a ~4 kHz decimated copy (periods 2.5-15 ms, 66-400 Hz), then
// remove or repeat exactly one period with a linear cross-fade over that period.
// The caller applies it only where it is inaudible: strongly periodic (voiced)
// audio or quiet audio.
//
// Thread safety: plain value; confined to the owning jitter buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace loqui::jitter {

class TimeStretcher {
 public:
  struct Analysis {
    std::size_t period = 0;    ///< samples at the full rate (0: not enough input)
    double correlation = 0;    ///< normalised, -1..1, at that period
    double level_dbfs = -120;  ///< RMS of the two periods analysed
  };

  explicit TimeStretcher(int rate_hz);

  /// Samples analyse() needs for the longest period (two of them).
  std::size_t required_samples() const noexcept { return 2 * max_period_; }
  std::size_t max_period() const noexcept { return max_period_; }
  std::size_t min_period() const noexcept { return min_lag_ * static_cast<std::size_t>(decimation_); }

  /// Best period of the start of `x`, no longer than `max_period` samples nor half of
  /// x (so at low buffer levels only short periods are considered). period == 0
  /// when x is too short for the shortest period.
  Analysis analyse(std::span<const std::int16_t> x, std::size_t max_period = SIZE_MAX);

  /// RMS level of `x` in dBFS (-120 for silence or empty input).
  static double level_dbfs(std::span<const std::int16_t> x) noexcept;

  /// Removes one period of `period` samples from the start of x[0..n): x[0..period)
  /// becomes a cross-fade from x[0..) into x[period..), the rest moves down. The
  /// first sample is unchanged, so the output stays continuous. Needs n >= 2*period.
  /// Returns the new length n - period.
  static std::size_t remove_period(std::span<std::int16_t> x, std::size_t n, std::size_t period) noexcept;
  /// Inserts one period after x[0..period): a cross-fade from x[period..) back into
  /// x[0..) is inserted, the rest moves up. Needs n >= 2*period and x.size() >= n +
  /// period. Returns the new length n + period.
  static std::size_t insert_period(std::span<std::int16_t> x, std::size_t n, std::size_t period) noexcept;

 private:
  int decimation_;
  std::size_t min_lag_;     // decimated samples
  std::size_t max_lag_;     // decimated samples
  std::size_t max_period_;  // full-rate samples
  std::vector<float> dec_;  // decimated analysis buffer (fixed size)
};

}  // namespace loqui::jitter
