// SPDX-License-Identifier: Apache-2.0
// File: G.711 bit-exactness. The reference here is built independently of the
// implementation's bit tricks, straight from the standard's tables (G.711 Tables
// 1a/2a): a list of decision intervals per segment (start, step), searched for the
// input; reconstruction is the middle of the interval. Every one of the 256 codes
// and 65536 inputs is compared, for both laws.
#include <gtest/gtest.h>

#include <vector>

#include "loqui/audio/g711.hpp"

namespace loqui {
namespace {

struct Interval {
  int low;   // inclusive, in the law's magnitude units
  int high;  // exclusive
};

/// The 128 magnitude intervals of one sign, in code order (segment-major).
std::vector<Interval> intervals(const int (&segment_start)[9], const int (&steps)[8]) {
  std::vector<Interval> out;
  for (int s = 0; s < 8; ++s)
    for (int q = 0; q < 16; ++q) out.push_back({segment_start[s] + q * steps[s], segment_start[s] + (q + 1) * steps[s]});
  return out;
}

// mu-law, 14-bit magnitudes 0..8158 (G.711 Table 2a): segment end points
// 0, 31, 95, 223, ... 8159 with steps 2, 4, 8, ... 256. The first interval of
// segment 0 is the special [0, 1) whose value is 0.
const int kMuStart[9] = {-1, 31, 95, 223, 479, 991, 2015, 4063, 8159};
const int kMuStep[8] = {2, 4, 8, 16, 32, 64, 128, 256};
// A-law, 13-bit magnitudes 0..4095 (G.711 Table 1a): segments 0 and 1 both step 2.
const int kAStart[9] = {0, 32, 64, 128, 256, 512, 1024, 2048, 4096};
const int kAStep[8] = {2, 2, 4, 8, 16, 32, 64, 128};

std::uint8_t ref_mulaw_encode(std::int16_t s) {
  static const auto iv = intervals(kMuStart, kMuStep);
  const int x = s >> 2;  // 14-bit two's complement
  const bool negative = x < 0;
  const int m = negative ? -x - 1 : x;  // negative inputs mirror about -1/2
  int k = 127;
  for (int i = 0; i < 128; ++i) {
    const int low = i == 0 ? 0 : iv[static_cast<std::size_t>(i)].low;
    if (m >= low && m < iv[static_cast<std::size_t>(i)].high) {
      k = i;
      break;
    }
  }
  // Codes run from the largest magnitude (0x80/0x00) to zero (0xFF/0x7F).
  return static_cast<std::uint8_t>((negative ? 0x7f : 0xff) - k);
}

std::int16_t ref_mulaw_decode(std::uint8_t code) {
  static const auto iv = intervals(kMuStart, kMuStep);
  const bool negative = code < 0x80;
  const int k = (negative ? 0x7f : 0xff) - code;
  const Interval& i = iv[static_cast<std::size_t>(k)];
  const int value = k == 0 ? 0 : (i.low + i.high) / 2;
  return static_cast<std::int16_t>((negative ? -value : value) * 4);
}

std::uint8_t ref_alaw_encode(std::int16_t s) {
  static const auto iv = intervals(kAStart, kAStep);
  const int x = s >> 3;  // 13-bit two's complement
  const bool negative = x < 0;
  const int m = negative ? -x - 1 : x;
  int k = 127;
  for (int i = 0; i < 128; ++i) {
    if (m >= iv[static_cast<std::size_t>(i)].low && m < iv[static_cast<std::size_t>(i)].high) {
      k = i;
      break;
    }
  }
  // Sign bit 1 for positive, then every even bit inverted on the line.
  return static_cast<std::uint8_t>(((negative ? 0x00 : 0x80) | k) ^ 0x55);
}

std::int16_t ref_alaw_decode(std::uint8_t code) {
  static const auto iv = intervals(kAStart, kAStep);
  const int c = code ^ 0x55;
  const Interval& i = iv[static_cast<std::size_t>(c & 0x7f)];
  // Reconstruction in the middle of the interval, 13-bit -> 16-bit (x8).
  const int value = (i.low + i.high) / 2 * 8;
  return static_cast<std::int16_t>((c & 0x80) ? value : -value);
}

TEST(G711, MulawDecodesEveryCodeAsTheStandard) {
  for (int c = 0; c < 256; ++c)
    ASSERT_EQ(mulaw_to_linear(static_cast<std::uint8_t>(c)), ref_mulaw_decode(static_cast<std::uint8_t>(c))) << "code " << c;
  // Anchors from the standard: +-0, full scale.
  EXPECT_EQ(mulaw_to_linear(0xff), 0);
  EXPECT_EQ(mulaw_to_linear(0x7f), 0);
  EXPECT_EQ(mulaw_to_linear(0x80), 32124);
  EXPECT_EQ(mulaw_to_linear(0x00), -32124);
  EXPECT_EQ(mulaw_to_linear(0xfe), 8);  // 14-bit value 2
}

TEST(G711, MulawEncodesEveryInputAsTheStandard) {
  for (int s = -32768; s <= 32767; ++s)
    ASSERT_EQ(linear_to_mulaw(static_cast<std::int16_t>(s)), ref_mulaw_encode(static_cast<std::int16_t>(s))) << "sample " << s;
  EXPECT_EQ(linear_to_mulaw(0), 0xff);
  EXPECT_EQ(linear_to_mulaw(-1), 0x7f);
  EXPECT_EQ(linear_to_mulaw(32767), 0x80);
  EXPECT_EQ(linear_to_mulaw(-32768), 0x00);
}

TEST(G711, AlawDecodesEveryCodeAsTheStandard) {
  for (int c = 0; c < 256; ++c)
    ASSERT_EQ(alaw_to_linear(static_cast<std::uint8_t>(c)), ref_alaw_decode(static_cast<std::uint8_t>(c))) << "code " << c;
  EXPECT_EQ(alaw_to_linear(0xd5), 8);
  EXPECT_EQ(alaw_to_linear(0x55), -8);
  EXPECT_EQ(alaw_to_linear(0xaa), 32256);
  EXPECT_EQ(alaw_to_linear(0x2a), -32256);
}

TEST(G711, AlawEncodesEveryInputAsTheStandard) {
  for (int s = -32768; s <= 32767; ++s)
    ASSERT_EQ(linear_to_alaw(static_cast<std::int16_t>(s)), ref_alaw_encode(static_cast<std::int16_t>(s))) << "sample " << s;
  EXPECT_EQ(linear_to_alaw(0), 0xd5);
  EXPECT_EQ(linear_to_alaw(-1), 0x55);
  EXPECT_EQ(linear_to_alaw(32767), 0xaa);
  EXPECT_EQ(linear_to_alaw(-32768), 0x2a);
}

TEST(G711, DecodedValuesEncodeBackToTheirCode) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    // mu-law has two zeros; -0 (0x7f) decodes to 0, which encodes as +0 (0xff).
    const std::uint8_t want_mu = code == 0x7f ? 0xff : code;
    EXPECT_EQ(linear_to_mulaw(mulaw_to_linear(code)), want_mu) << c;
    EXPECT_EQ(linear_to_alaw(alaw_to_linear(code)), code) << c;
  }
}

TEST(G711, SpanFunctionsMatchTheSampleFunctions) {
  std::vector<std::int16_t> pcm;
  for (int s = -32768; s <= 32767; s += 7) pcm.push_back(static_cast<std::int16_t>(s));
  std::vector<std::byte> mu(pcm.size()), a(pcm.size());
  ASSERT_EQ(mulaw_encode(pcm, mu), pcm.size());
  ASSERT_EQ(alaw_encode(pcm, a), pcm.size());
  std::vector<std::int16_t> mu_back(pcm.size()), a_back(pcm.size());
  ASSERT_EQ(mulaw_decode(mu, mu_back), pcm.size());
  ASSERT_EQ(alaw_decode(a, a_back), pcm.size());
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    ASSERT_EQ(static_cast<std::uint8_t>(mu[i]), linear_to_mulaw(pcm[i]));
    ASSERT_EQ(static_cast<std::uint8_t>(a[i]), linear_to_alaw(pcm[i]));
    ASSERT_EQ(mu_back[i], mulaw_to_linear(linear_to_mulaw(pcm[i])));
    ASSERT_EQ(a_back[i], alaw_to_linear(linear_to_alaw(pcm[i])));
  }
  // Short output: only what fits.
  std::vector<std::byte> small(3);
  EXPECT_EQ(mulaw_encode(pcm, small), 3u);
}

}  // namespace
}  // namespace loqui
