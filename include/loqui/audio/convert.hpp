// SPDX-License-Identifier: Apache-2.0
// File: sample conversions used at the edges of the media path. All functions work
// on caller-provided spans and never allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace loqui {

/// pcm16 -> float in [-1, 1). `out.size()` must be >= `in.size()`.
void pcm16_to_f32(std::span<const std::int16_t> in, std::span<float> out) noexcept;
/// float -> pcm16 with rounding and saturation. NaN and infinities become 0 (NaN) or
/// full scale (±inf); returns how many non-finite samples were found so callers can
/// count them. `out.size()` must be >= `in.size()`.
std::size_t f32_to_pcm16(std::span<const float> in, std::span<std::int16_t> out) noexcept;
/// Interleaved stereo -> mono by averaging. `out.size()` >= in.size()/2. Returns samples written.
std::size_t stereo_to_mono(std::span<const std::int16_t> interleaved, std::span<std::int16_t> out) noexcept;
/// Interleaved N-channel -> mono by averaging. Returns samples written.
std::size_t downmix_to_mono(std::span<const std::int16_t> interleaved, int channels,
                            std::span<std::int16_t> out) noexcept;
/// Multiplies in place by `gain` with saturation.
void apply_gain(std::span<std::int16_t> samples, float gain) noexcept;
/// dB -> linear amplitude factor.
float db_to_gain(float db) noexcept;
/// RMS level in dBFS (full-scale sine ~ -3 dB); -120 for silence or empty input.
double rms_dbfs(std::span<const std::int16_t> samples) noexcept;
/// Byte-swaps 16-bit samples (L16 big-endian <-> host little-endian).
void swap_bytes16(std::span<const std::byte> in, std::span<std::int16_t> out) noexcept;

}  // namespace loqui
