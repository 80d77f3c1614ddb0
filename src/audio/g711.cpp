// SPDX-License-Identifier: Apache-2.0
// File: G.711 tables, generated at compile time from the standard's segment
// structure: mu-law biases the 14-bit magnitude by 33 so each segment starts at a
// power of two (segment = position of the leading bit, step = 2^(segment+1));
// A-law works on the 13-bit magnitude whose two lowest segments share step 2. Encoding
// is one lookup in a 16 K (mu-law) or 8 K (A-law) table indexed by the reduced
// linear value, decoding one lookup in a 256-entry table.
#include "loqui/audio/g711.hpp"

#include <algorithm>
#include <array>

namespace loqui {
namespace {

constexpr int kMulawBias = 33;

/// mu-law code for a 14-bit two's complement value (-8192..8191).
constexpr std::uint8_t mulaw_code(int x14) {
  const bool negative = x14 < 0;
  const int magnitude = negative ? ~x14 : x14;  // one's complement: -1 -> 0, as G.191
  const int biased = std::min(magnitude + kMulawBias, 0x1fff);
  int segment = 0;
  while (segment < 7 && (biased >> (segment + 6)) != 0) ++segment;
  const int step = (biased >> (segment + 1)) & 0x0f;
  const int code = (negative ? 0x00 : 0x80) | (segment << 4) | step;
  return static_cast<std::uint8_t>(code ^ 0x7f);  // transmitted with the value bits inverted
}

constexpr std::int16_t mulaw_value(std::uint8_t code) {
  const int c = code ^ 0xff;  // undo the inversion; sign bit is then 1 for negative
  const int segment = (c >> 4) & 7;
  const int step = c & 0x0f;
  const int magnitude = (((2 * step + kMulawBias) << segment) - kMulawBias) * 4;
  return static_cast<std::int16_t>((c & 0x80) ? -magnitude : magnitude);
}

/// A-law code for a 13-bit two's complement value (-4096..4095).
constexpr std::uint8_t alaw_code(int x13) {
  const bool negative = x13 < 0;
  const int magnitude = (negative ? ~x13 : x13) >> 1;  // 0..2047 in units of 2
  int code = magnitude;  // segments 0 and 1 share step 2 (13-bit): the code is the magnitude
  if (magnitude >= 32) {
    int segment = 2;  // segment s >= 2 covers [2^(s+3), 2^(s+4)) with step 2^(s-1)
    while ((magnitude >> (segment + 4)) != 0) ++segment;
    code = (segment << 4) | ((magnitude >> (segment - 1)) & 0x0f);
  }
  return static_cast<std::uint8_t>(((negative ? 0x00 : 0x80) | code) ^ 0x55);
}

constexpr std::int16_t alaw_value(std::uint8_t code) {
  const int c = code ^ 0x55;
  const int segment = (c >> 4) & 7;
  int mantissa = c & 0x0f;
  if (segment > 0) mantissa += 16;
  int magnitude = (mantissa << 4) + 8;  // the middle of the quantisation interval
  if (segment > 1) magnitude <<= segment - 1;
  return static_cast<std::int16_t>((c & 0x80) ? magnitude : -magnitude);
}

constexpr auto make_mulaw_encode_table() {
  std::array<std::uint8_t, 16384> t{};
  for (int x = -8192; x < 8192; ++x) t[static_cast<std::size_t>(x & 0x3fff)] = mulaw_code(x);
  return t;
}
constexpr auto make_alaw_encode_table() {
  std::array<std::uint8_t, 8192> t{};
  for (int x = -4096; x < 4096; ++x) t[static_cast<std::size_t>(x & 0x1fff)] = alaw_code(x);
  return t;
}
template <class F>
constexpr auto make_decode_table(F f) {
  std::array<std::int16_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = f(static_cast<std::uint8_t>(c));
  return t;
}

constexpr auto kMulawEncode = make_mulaw_encode_table();
constexpr auto kAlawEncode = make_alaw_encode_table();
constexpr auto kMulawDecode = make_decode_table(mulaw_value);
constexpr auto kAlawDecode = make_decode_table(alaw_value);

// The reduced value's two's complement bits index the table: arithmetic shift
// keeps the sign, the mask wraps negatives into the upper half.
inline std::size_t mulaw_index(std::int16_t s) { return static_cast<std::size_t>((s >> 2) & 0x3fff); }
inline std::size_t alaw_index(std::int16_t s) { return static_cast<std::size_t>((s >> 3) & 0x1fff); }

}  // namespace

std::uint8_t linear_to_mulaw(std::int16_t sample) noexcept { return kMulawEncode[mulaw_index(sample)]; }
std::int16_t mulaw_to_linear(std::uint8_t code) noexcept { return kMulawDecode[code]; }
std::uint8_t linear_to_alaw(std::int16_t sample) noexcept { return kAlawEncode[alaw_index(sample)]; }
std::int16_t alaw_to_linear(std::uint8_t code) noexcept { return kAlawDecode[code]; }

std::size_t mulaw_encode(std::span<const std::int16_t> in, std::span<std::byte> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(kMulawEncode[mulaw_index(in[i])]);
  return n;
}

std::size_t alaw_encode(std::span<const std::int16_t> in, std::span<std::byte> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(kAlawEncode[alaw_index(in[i])]);
  return n;
}

std::size_t mulaw_decode(std::span<const std::byte> in, std::span<std::int16_t> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = kMulawDecode[static_cast<std::uint8_t>(in[i])];
  return n;
}

std::size_t alaw_decode(std::span<const std::byte> in, std::span<std::int16_t> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = kAlawDecode[static_cast<std::uint8_t>(in[i])];
  return n;
}

}  // namespace loqui
