// SPDX-License-Identifier: Apache-2.0
// File: the feature front end of loqui's voice detector, shared by the detector
// (vad_detectors.cpp) and the offline trainer (bench/vad/vad_train.cpp) so the model
// is trained on exactly what it sees at run time.
//
// Per 10 ms frame, on a 32 ms Hann window (FFT 256 at 8 kHz, 512 at 16 kHz; 31.25 Hz
// bins at both rates):
//   * band energies in 12 bands (80 Hz .. 7.9 kHz; the 3 above 3.8 kHz are 0 at 8 kHz)
//     against a per-band adaptive noise floor (fast fall, slow rise: a leaky
//     minimum tracker, independent of the model's output) -> sub-band SNRs;
//   * total SNR (80-3800 Hz), spectral flatness (300-3800 Hz);
//   * harmonicity: peak of the normalised autocorrelation (80-400 Hz pitch lags),
//     computed from the 80-1500 Hz power spectrum and corrected for the window;
//   * temporal modulation: running std-dev of the frame log-energy (~200 ms),
//     smoothed harmonicity and the frame-to-frame level change;
//   * foreground level: the frame level against a tracked level of the loudest
//     recent sound (fast attack, 2 dB/s release, never below the noise floor), and
//     that level against the noise floor. Target speech is the foreground; babble
//     sits 10-20 dB under it — features alone cannot tell one voice from many;
//   * the current 10 ms frame alone (the 32 ms window still holds 22 ms of the
//     past, which would delay the end of speech): its level against its own noise
//     floor, and its zero-crossing rate.
// The model input is these kVadFeatures values followed by their exponential
// moving average (a ~30 ms memory): kVadInputs values.
//
// Thread safety: per-stream state, confined to one strand.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace loqui::detail {

inline constexpr std::size_t kVadBands = 12;
inline constexpr std::size_t kVadFeatures = kVadBands + 10;
inline constexpr std::size_t kVadInputs = 2 * kVadFeatures;
inline constexpr std::size_t kVadHidden = 24;

/// A trained model (a view of its weights): input standardisation, one tanh hidden
/// layer, sigmoid output. `inputs`/`hidden` record the shape it was trained with;
/// weights from an older feature set are caught by shape_ok() at run time rather
/// than at compile time, so the trainer still builds after the features change.
struct VadModel {
  std::size_t inputs = 0, hidden = 0;
  const float* mean = nullptr;     ///< [inputs]
  const float* inv_std = nullptr;  ///< [inputs]
  const float* w1 = nullptr;       ///< [hidden][inputs], row-major
  const float* b1 = nullptr;       ///< [hidden]
  const float* w2 = nullptr;       ///< [hidden]
  float b2 = 0;
  bool shape_ok() const noexcept { return inputs == kVadInputs && hidden == kVadHidden && mean && w1; }
};

/// The committed weights (src/audio/vad_model_weights.cpp, written by vad_train).
extern const VadModel kVadModel8k;
extern const VadModel kVadModel16k;

/// Adaptive noise floor in dB, one per band: falls fast into dips, rises slowly
/// (fast only when the level has been steady: a new stationary noise is learnt in
/// about a second, speech lifts the floor by a few dB at most).
struct NoiseFloor {
  float floor_db = 0;
  /// `steadiness` in [0, 1]: 1 for a stationary level, 0 for speech-like modulation.
  void update(float level_db, float steadiness) noexcept;
};

/// Running mean and std-dev of a log-energy (~200 ms memory) and the steadiness
/// NoiseFloor wants (1 at <= 1 dB std-dev, 0 at >= 2 dB).
struct Modulation {
  float mean = 0, var = 0;
  void update(float level_db) noexcept;
  float std_db() const noexcept;
  float steadiness() const noexcept;
};

/// Evaluates the model; `x` has kVadInputs values.
float vad_model_eval(const VadModel& model, std::span<const float, kVadInputs> x) noexcept;

/// Power spectrum of a real signal of a fixed power-of-two length n: one complex
/// radix-2 FFT of length n/2 over the even/odd samples, then the split step.
/// Buffers and twiddles are allocated by the constructor; power() never allocates.
class RealFft {
 public:
  explicit RealFft(std::size_t n);
  std::size_t size() const noexcept { return n_; }
  /// |X[k]|^2 for k = 0 .. n/2 of `x` (n samples) into `out` (n/2 + 1 values).
  void power(std::span<const float> x, std::span<float> out) noexcept;

 private:
  std::size_t n_, m_;
  std::vector<float> re_, im_;          ///< the half-length complex sequence
  std::vector<float> tw_re_, tw_im_;    ///< e^{-2 pi i j / m}, j < m/2
  std::vector<float> sp_re_, sp_im_;    ///< e^{-2 pi i k / n}, k <= m (split step)
  std::vector<std::uint32_t> bitrev_;
};

class VadFeatureExtractor {
 public:
  /// `sample_rate` 8000 or 16000 (checked by the caller).
  explicit VadFeatureExtractor(int sample_rate);

  /// Analyses one 10 ms frame (sample_rate / 100 samples) and writes kVadInputs
  /// model inputs into `out`.
  void compute(std::span<const std::int16_t> frame, std::span<float, kVadInputs> out) noexcept;
  void reset() noexcept;

  int sample_rate() const noexcept { return rate_; }
  std::size_t frame_samples() const noexcept { return frame_; }
  /// Level of the last frame analysed (dBFS over the 10 ms frame).
  double level_dbfs() const noexcept { return level_dbfs_; }
  /// Total SNR of the last frame (dB over the 80-3800 Hz noise floor).
  float total_snr_db() const noexcept { return total_snr_db_; }

 private:
  float harmonicity() noexcept;

  int rate_;
  std::size_t frame_;
  std::size_t window_;
  RealFft fft_;
  std::vector<float> hann_;
  std::vector<float> history_;  ///< last window_ samples, oldest first
  std::vector<float> windowed_;
  std::vector<float> power_;
  std::array<std::size_t, kVadBands + 1> band_edges_{};  ///< bin index edges
  std::size_t bands_used_ = 0;
  std::size_t total_lo_ = 0, total_hi_ = 0, flat_lo_ = 0, flat_hi_ = 0, pitch_lo_ = 0, pitch_hi_ = 0;
  std::vector<float> cos_table_;  ///< [bin][lag] for the harmonicity sum
  std::vector<float> window_ac_;  ///< window autocorrelation per lag (normalised)
  std::vector<float> ac_;         ///< scratch: autocorrelation per lag
  std::size_t lags_ = 0;

  std::array<NoiseFloor, kVadBands> noise_{};
  NoiseFloor noise_total_{};
  NoiseFloor noise_frame_{};  ///< floor of the 10 ms frame level
  Modulation mod_{};
  std::size_t frames_seen_ = 0;  ///< the floors start once the window is full
  float harm_ema_ = 0, prev_level_db_ = 0, foreground_db_ = 0;
  std::array<float, kVadFeatures> ema_{};
  double level_dbfs_ = -120.0;
  float total_snr_db_ = 0;
};

}  // namespace loqui::detail
