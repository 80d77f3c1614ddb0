// SPDX-License-Identifier: Apache-2.0
// File: test signals and measurements for the DSP tests (codecs, resampler, audio
// files): tones, sweeps, seeded noise, SNR, band energy, and a scratch directory.
// Everything is synthesised in code with fixed seeds, so tests are deterministic.
// Used by the unit tests and the DSP benchmarks (no GoogleTest dependency).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace loqui::testing {

/// A sine of `freq_hz` at `amplitude` (full scale 32767), `n` samples at `rate_hz`.
inline std::vector<std::int16_t> sine(double freq_hz, int rate_hz, std::size_t n, double amplitude = 10000.0,
                                      double phase = 0.0) {
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int16_t>(
        std::lround(amplitude * std::sin(2.0 * std::numbers::pi * freq_hz * static_cast<double>(i) / rate_hz + phase)));
  return out;
}

/// A sum of `tones` sines spread evenly over (0, max_hz], each at `amplitude`, with
/// fixed, unequal phases (a stand-in for band-limited speech).
inline std::vector<std::int16_t> multitone(double max_hz, int tones, int rate_hz, std::size_t n,
                                           double amplitude = 2000.0) {
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    double v = 0;
    for (int k = 1; k <= tones; ++k) {
      const double f = max_hz * k / tones;
      v += std::sin(2.0 * std::numbers::pi * f * static_cast<double>(i) / rate_hz + 0.7 * k * k);
    }
    out[i] = static_cast<std::int16_t>(std::lround(std::clamp(amplitude * v, -32768.0, 32767.0)));
  }
  return out;
}

/// A linear sweep from f0 to f1 Hz over `n` samples.
inline std::vector<std::int16_t> sweep(double f0_hz, double f1_hz, int rate_hz, std::size_t n,
                                       double amplitude = 16000.0) {
  std::vector<std::int16_t> out(n);
  double phase = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double f = f0_hz + (f1_hz - f0_hz) * static_cast<double>(i) / static_cast<double>(n);
    phase += 2.0 * std::numbers::pi * f / rate_hz;
    out[i] = static_cast<std::int16_t>(std::lround(amplitude * std::sin(phase)));
  }
  return out;
}

/// Vowel-like speech, deterministic: a glottal pulse train with a wandering pitch
/// (95-145 Hz) through three drifting formant resonators, with a ~4 Hz syllabic
/// envelope (-8 dB troughs); `seconds` long, peaks around `amplitude`.
inline std::vector<std::int16_t> speechlike(int rate, double seconds, double amplitude = 6000.0) {
  const auto n = static_cast<std::size_t>(seconds * rate);
  std::vector<double> src(n);
  double phase = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double f0 = 120.0 + 25.0 * std::sin(2 * std::numbers::pi * 1.3 * t);
    phase += f0 / rate;
    if (phase >= 1.0) {
      phase -= 1.0;
      src[i] = 1.0;
    }
  }
  // Formant resonators (two-pole), formants drifting a little like vowels change.
  std::vector<double> out(n, 0.0);
  const double formants[3] = {650, 1150, 2500};
  const double bws[3] = {90, 110, 160};
  for (int f = 0; f < 3; ++f) {
    double y1 = 0, y2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / rate;
      const double fc = formants[f] * (1.0 + 0.15 * std::sin(2 * std::numbers::pi * 2.1 * t + f));
      const double r = std::exp(-std::numbers::pi * bws[f] / rate);
      const double y = src[i] + 2 * r * std::cos(2 * std::numbers::pi * fc / rate) * y1 - r * r * y2;
      y2 = y1;
      y1 = y;
      out[i] += y / (f + 1);
    }
  }
  double peak = 1e-9;
  for (double v : out) peak = std::max(peak, std::abs(v));
  std::vector<std::int16_t> pcm(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double env = 0.7 + 0.3 * std::sin(2 * std::numbers::pi * 4.0 * t);  // ~4 syllables per second
    pcm[i] = static_cast<std::int16_t>(std::lround(amplitude * env * out[i] / peak));
  }
  return pcm;
}

/// Seeded white noise, uniform in [-amplitude, amplitude].
inline std::vector<std::int16_t> noise(std::size_t n, double amplitude = 8000.0, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-amplitude, amplitude);
  std::vector<std::int16_t> out(n);
  for (auto& s : out) s = static_cast<std::int16_t>(std::lround(d(rng)));
  return out;
}

/// RMS of `x` (in sample units).
inline double rms(std::span<const std::int16_t> x) {
  if (x.empty()) return 0;
  double acc = 0;
  for (auto s : x) acc += static_cast<double>(s) * s;
  return std::sqrt(acc / static_cast<double>(x.size()));
}

/// SNR in dB of `test` against `ref` over [begin, end) (both aligned).
inline double snr_db(std::span<const std::int16_t> ref, std::span<const std::int16_t> test, std::size_t begin,
                     std::size_t end) {
  end = std::min({end, ref.size(), test.size()});
  double sig = 0, err = 0;
  for (std::size_t i = begin; i < end; ++i) {
    sig += static_cast<double>(ref[i]) * ref[i];
    const double d = static_cast<double>(ref[i]) - test[i];
    err += d * d;
  }
  if (err == 0) return 200.0;
  return 10.0 * std::log10(sig / err);
}

/// Energy ratio in dB of `out` relative to `in` (RMS based, both trimmed by `skip`
/// samples at each end to leave out start-up and tail transients).
inline double level_change_db(std::span<const std::int16_t> in, std::span<const std::int16_t> out, std::size_t skip_in,
                              std::size_t skip_out) {
  auto mid = [](std::span<const std::int16_t> x, std::size_t skip) {
    if (x.size() <= 2 * skip) return x.subspan(0, 0);
    return x.subspan(skip, x.size() - 2 * skip);
  };
  const double a = rms(mid(in, skip_in));
  const double b = rms(mid(out, skip_out));
  if (b <= 0) return -200.0;
  return 20.0 * std::log10(b / a);
}

/// A fresh scratch directory under the system temp dir, removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<unsigned> counter{0};
    const std::string leaf = "loqui-dsp-" + std::to_string(std::random_device{}()) + "-" +
                             std::to_string(counter.fetch_add(1));
    path_ = std::filesystem::temp_directory_path() / leaf;
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  /// Names of the files in the directory, sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::filesystem::path path_;
};

/// Writes `bytes` to `path`.
inline void write_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// Reads a whole file.
inline std::vector<std::byte> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(c.size());
  std::transform(c.begin(), c.end(), out.begin(), [](char ch) { return static_cast<std::byte>(ch); });
  return out;
}

/// Runs a shell command; returns its exit status (for sox/espeak-ng at test time).
inline int run_command(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return rc;
}

}  // namespace loqui::testing
