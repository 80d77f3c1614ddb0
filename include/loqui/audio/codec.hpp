// SPDX-License-Identifier: Apache-2.0
// File: the codec interface shared by the codecs (G.711, Opus, L16) and the jitter
// buffer, which decodes and conceals through it.
//
// Thread safety: a codec object holds per-stream state (one per stream per
// direction, as libopus requires); it is confined to one strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "loqui/audio/format.hpp"
#include "loqui/error.hpp"

namespace loqui {

/// Decodes packets of one stream into pcm16 and conceals lost ones.
class AudioDecoder {
 public:
  virtual ~AudioDecoder() = default;
  virtual std::string_view name() const noexcept = 0;
  /// What packets carry (e.g. mulaw/8000Hz/mono, opus/48000Hz/mono).
  virtual AudioFormat input_format() const noexcept = 0;
  /// What decode() produces: pcm16 at the codec's rate.
  virtual AudioFormat output_format() const noexcept = 0;
  /// Decodes one packet into `out` (interleaved pcm16). Returns per-channel samples
  /// written. Errors: parse_error for a corrupt packet (the decoder state stays
  /// usable), overflow if `out` is too small.
  virtual Result<std::size_t> decode(std::span<const std::byte> packet, std::span<std::int16_t> out) = 0;
  /// Synthesises `samples` per-channel samples for a lost packet (packet-loss
  /// concealment) into `out`. Returns samples written.
  virtual std::size_t conceal(std::size_t samples, std::span<std::int16_t> out) = 0;
  /// Recovers the lost packet *before* `next_packet` from its in-band FEC, if the
  /// codec supports it (Opus). Errors: not_supported, or parse_error.
  virtual Result<std::size_t> decode_fec(std::span<const std::byte> next_packet, std::size_t samples,
                                         std::span<std::int16_t> out) {
    (void)next_packet;
    (void)samples;
    (void)out;
    return Error(errc::not_supported, std::string(name()) + ": no in-band FEC");
  }
  /// Samples a packet decodes to, without decoding (0 if unknown/corrupt).
  virtual std::size_t packet_samples(std::span<const std::byte> packet) const = 0;
  /// Forgets stream state (new SSRC, seek).
  virtual void reset() = 0;
};

/// Encodes pcm16 into packets.
class AudioEncoder {
 public:
  virtual ~AudioEncoder() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual AudioFormat input_format() const noexcept = 0;   ///< pcm16 at the codec rate
  virtual AudioFormat output_format() const noexcept = 0;  ///< what packets carry
  /// Encodes one frame (a whole packet's worth, e.g. 20 ms) into `out`. Returns
  /// bytes written. Errors: invalid_argument for a frame size the codec cannot
  /// take, overflow if `out` is too small.
  virtual Result<std::size_t> encode(std::span<const std::int16_t> pcm, std::span<std::byte> out) = 0;
  virtual void reset() = 0;
};

}  // namespace loqui
