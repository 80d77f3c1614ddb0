// SPDX-License-Identifier: Apache-2.0
// File: audio formats. Inside a session, audio is mono pcm16 at the session's
// working rate (16 kHz by default); transports and providers convert at the edges.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "loqui/error.hpp"

namespace loqui {

enum class Encoding : std::uint8_t {
  pcm16,   ///< signed 16-bit little-endian (host order) linear PCM
  f32,     ///< 32-bit float in [-1, 1]
  mulaw,   ///< G.711 mu-law, 8 bits per sample
  alaw,    ///< G.711 A-law, 8 bits per sample
  opus,    ///< Opus packets (variable size; duration carried by the frame)
  l16be,   ///< signed 16-bit big-endian linear PCM (RTP L16, RFC 3551)
};

/// "pcm16", "f32", "mulaw", "alaw", "opus", "l16be".
std::string_view to_string(Encoding e) noexcept;
/// Accepts the names above plus common aliases ("linear16", "s16le", "pcmu", "ulaw",
/// "pcma", "float32", "l16").
std::optional<Encoding> parse_encoding(std::string_view name) noexcept;

/// Bytes per sample per channel; 0 for opus (packetised).
constexpr int bytes_per_sample(Encoding e) noexcept {
  switch (e) {
    case Encoding::pcm16: return 2;
    case Encoding::f32: return 4;
    case Encoding::mulaw: return 1;
    case Encoding::alaw: return 1;
    case Encoding::opus: return 0;
    case Encoding::l16be: return 2;
  }
  return 0;
}

/// Sample rate, channel count and encoding of a stream.
struct AudioFormat {
  int sample_rate_hz = 16000;
  int channels = 1;
  Encoding encoding = Encoding::pcm16;

  static constexpr AudioFormat pcm16(int rate_hz, int channels = 1) noexcept {
    return {rate_hz, channels, Encoding::pcm16};
  }
  static constexpr AudioFormat mulaw8k() noexcept { return {8000, 1, Encoding::mulaw}; }
  static constexpr AudioFormat alaw8k() noexcept { return {8000, 1, Encoding::alaw}; }

  constexpr int bytes_per_sample() const noexcept { return loqui::bytes_per_sample(encoding); }
  /// Bytes for `samples` per-channel samples (0 for opus).
  constexpr std::size_t bytes_for(std::size_t samples) const noexcept {
    return samples * static_cast<std::size_t>(channels) * static_cast<std::size_t>(bytes_per_sample());
  }
  /// Per-channel samples in `d` (rounded down).
  constexpr std::int64_t samples_in(std::chrono::nanoseconds d) const noexcept {
    return d.count() * sample_rate_hz / 1'000'000'000;
  }
  /// Duration of `samples` per-channel samples.
  constexpr std::chrono::nanoseconds duration_of(std::int64_t samples) const noexcept {
    return std::chrono::nanoseconds(sample_rate_hz > 0 ? samples * 1'000'000'000 / sample_rate_hz : 0);
  }

  /// ok, or errc::invalid_argument naming the bad field (rate 1..384000, channels 1..8).
  Status validate() const;
  /// "pcm16/16000Hz/mono", "mulaw/8000Hz/mono", "pcm16/48000Hz/2ch".
  std::string to_string() const;

  friend constexpr bool operator==(const AudioFormat&, const AudioFormat&) = default;
};

/// The rates the resampler and providers commonly use.
inline constexpr int kCommonSampleRates[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};

}  // namespace loqui
