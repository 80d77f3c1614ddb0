// SPDX-License-Identifier: Apache-2.0
// File: sample conversions (no allocation).
#include "loqui/audio/convert.hpp"

#include <algorithm>
#include <cmath>

namespace loqui {

void pcm16_to_f32(std::span<const std::int16_t> in, std::span<float> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]) * (1.0f / 32768.0f);
}

std::size_t f32_to_pcm16(std::span<const float> in, std::span<std::int16_t> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    float v = in[i];
    if (!std::isfinite(v)) {
      ++bad;
      v = std::isnan(v) ? 0.0f : (v > 0 ? 1.0f : -1.0f);
    }
    const float scaled = std::nearbyint(v * 32768.0f);
    out[i] = static_cast<std::int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
  }
  return bad;
}

std::size_t stereo_to_mono(std::span<const std::int16_t> interleaved, std::span<std::int16_t> out) noexcept {
  return downmix_to_mono(interleaved, 2, out);
}

std::size_t downmix_to_mono(std::span<const std::int16_t> interleaved, int channels,
                            std::span<std::int16_t> out) noexcept {
  if (channels <= 0) return 0;
  const std::size_t ch = static_cast<std::size_t>(channels);
  const std::size_t frames = std::min(interleaved.size() / ch, out.size());
  for (std::size_t i = 0; i < frames; ++i) {
    std::int32_t sum = 0;
    for (std::size_t c = 0; c < ch; ++c) sum += interleaved[i * ch + c];
    out[i] = static_cast<std::int16_t>(sum / channels);
  }
  return frames;
}

void apply_gain(std::span<std::int16_t> samples, float gain) noexcept {
  if (!std::isfinite(gain)) gain = 0.0f;
  for (auto& s : samples) {
    const float v = std::nearbyint(static_cast<float>(s) * gain);
    s = static_cast<std::int16_t>(std::clamp(v, -32768.0f, 32767.0f));
  }
}

float db_to_gain(float db) noexcept { return std::pow(10.0f, db / 20.0f); }

double rms_dbfs(std::span<const std::int16_t> samples) noexcept {
  if (samples.empty()) return -120.0;
  double acc = 0;
  for (auto s : samples) acc += static_cast<double>(s) * s;
  const double rms = std::sqrt(acc / static_cast<double>(samples.size())) / 32768.0;
  if (rms <= 1e-6) return -120.0;
  return 20.0 * std::log10(rms);
}

void swap_bytes16(std::span<const std::byte> in, std::span<std::int16_t> out) noexcept {
  const std::size_t n = std::min(in.size() / 2, out.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto hi = static_cast<std::uint16_t>(in[2 * i]);
    const auto lo = static_cast<std::uint16_t>(in[2 * i + 1]);
    out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>((hi << 8) | lo));
  }
}

}  // namespace loqui
