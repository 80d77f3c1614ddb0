// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "loqui/audio/convert.hpp"

namespace loqui {
namespace {

TEST(Convert, Pcm16F32RoundTripIsExact) {
  std::vector<std::int16_t> in = {-32768, -1, 0, 1, 12345, 32767};
  std::vector<float> f(in.size());
  std::vector<std::int16_t> back(in.size());
  pcm16_to_f32(in, f);
  EXPECT_FLOAT_EQ(f[0], -1.0f);
  EXPECT_EQ(f32_to_pcm16(f, back), 0u);
  EXPECT_EQ(back, in);
}

TEST(Convert, FloatSaturatesAndCountsNonFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> in = {2.0f, -2.0f, std::nanf(""), inf, -inf};
  std::vector<std::int16_t> out(in.size());
  EXPECT_EQ(f32_to_pcm16(in, out), 3u);
  EXPECT_EQ(out, (std::vector<std::int16_t>{32767, -32768, 0, 32767, -32768}));
}

TEST(Convert, DownmixAverages) {
  std::vector<std::int16_t> stereo = {100, 300, -200, 200, 32767, 32767};
  std::vector<std::int16_t> mono(3);
  EXPECT_EQ(stereo_to_mono(stereo, mono), 3u);
  EXPECT_EQ(mono, (std::vector<std::int16_t>{200, 0, 32767}));
  std::vector<std::int16_t> quad = {4, 8, 12, 16};
  std::vector<std::int16_t> one(1);
  EXPECT_EQ(downmix_to_mono(quad, 4, one), 1u);
  EXPECT_EQ(one[0], 10);
}

TEST(Convert, GainSaturatesAndLevelsMeasure) {
  std::vector<std::int16_t> s = {1000, -1000, 30000};
  apply_gain(s, db_to_gain(6.0206f));
  EXPECT_NEAR(s[0], 2000, 1);
  EXPECT_NEAR(s[1], -2000, 1);
  EXPECT_EQ(s[2], 32767);
  std::vector<std::int16_t> sine(1600);
  for (std::size_t i = 0; i < sine.size(); ++i)
    sine[i] = static_cast<std::int16_t>(32767 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 16000));
  EXPECT_NEAR(rms_dbfs(sine), -3.01, 0.05);
  EXPECT_EQ(rms_dbfs(std::vector<std::int16_t>(10, 0)), -120.0);
}

TEST(Convert, L16BigEndianSwap) {
  const std::byte be[] = {std::byte{0x12}, std::byte{0x34}, std::byte{0xff}, std::byte{0xfe}};
  std::int16_t out[2];
  swap_bytes16(be, out);
  EXPECT_EQ(out[0], 0x1234);
  EXPECT_EQ(out[1], -2);
}

}  // namespace
}  // namespace loqui
