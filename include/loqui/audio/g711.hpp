// SPDX-License-Identifier: Apache-2.0
// File: ITU-T G.711 mu-law and A-law companding, table-based and bit-exact with the
// standard (and with the ITU-T G.191 reference implementation): 16-bit linear input
// is reduced to the 14-bit (mu-law) or 13-bit (A-law) range the standard defines,
// negative values by one's complement; decoded values are the standard's
// reconstruction levels scaled to 16 bits (mu-law +-0..32124, A-law +-8..32256).
// The codec objects (AudioDecoder/AudioEncoder) are made by make_decoder() and
// make_encoder() in codecs.hpp; these are the sample functions under them.
//
// Thread safety: pure functions over constant tables; safe from any thread.
// None of them allocates.
//
// @code
//   std::array<std::byte, 160> payload;
//   loqui::mulaw_encode(pcm_20ms, payload);        // 160 samples -> 160 bytes
//   loqui::mulaw_decode(payload, pcm_20ms_again);
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace loqui {

/// One sample, 16-bit linear -> G.711 mu-law code (transmitted byte, bits inverted).
std::uint8_t linear_to_mulaw(std::int16_t sample) noexcept;
/// One mu-law code -> 16-bit linear.
std::int16_t mulaw_to_linear(std::uint8_t code) noexcept;
/// One sample, 16-bit linear -> G.711 A-law code (transmitted byte, even bits inverted).
std::uint8_t linear_to_alaw(std::int16_t sample) noexcept;
/// One A-law code -> 16-bit linear.
std::int16_t alaw_to_linear(std::uint8_t code) noexcept;

/// Encodes min(in.size(), out.size()) samples; returns how many.
std::size_t mulaw_encode(std::span<const std::int16_t> in, std::span<std::byte> out) noexcept;
std::size_t alaw_encode(std::span<const std::int16_t> in, std::span<std::byte> out) noexcept;
/// Decodes min(in.size(), out.size()) codes; returns how many.
std::size_t mulaw_decode(std::span<const std::byte> in, std::span<std::int16_t> out) noexcept;
std::size_t alaw_decode(std::span<const std::byte> in, std::span<std::int16_t> out) noexcept;

}  // namespace loqui
