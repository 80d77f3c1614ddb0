// SPDX-License-Identifier: Apache-2.0
// File: tests of pitch-period removal/insertion used by the jitter buffer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "jitter/time_stretch.hpp"

namespace loqui::jitter {
namespace {

std::vector<std::int16_t> tone(int rate, double hz, std::size_t n, std::size_t extra = 0) {
  std::vector<std::int16_t> s(n + extra, 0);
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<std::int16_t>(std::lround(8000 * std::sin(2 * M_PI * hz * i / rate)));
  return s;
}

int max_step(const std::vector<std::int16_t>& s, std::size_t n) {
  int m = 0;
  for (std::size_t i = 1; i < n; ++i) m = std::max(m, std::abs(s[i] - s[i - 1]));
  return m;
}

TEST(TimeStretcher, FindsThePitchPeriodOfAVoicedSignal) {
  TimeStretcher ts(8000);
  const auto s = tone(8000, 160.0, 400);  // period 50 samples
  const auto a = ts.analyse(s);
  ASSERT_GT(a.period, 0u);
  EXPECT_EQ(a.period % 50, 0u) << a.period;
  EXPECT_GT(a.correlation, 0.95);
  EXPECT_GT(a.level_dbfs, -20.0);
}

TEST(TimeStretcher, WorksAt48kHz) {
  TimeStretcher ts(48000);
  const auto s = tone(48000, 200.0, ts.required_samples());  // period 240 samples
  const auto a = ts.analyse(s);
  EXPECT_NEAR(static_cast<double>(a.period % 240 < 120 ? a.period % 240 : 240 - a.period % 240), 0.0, 12.0);
  EXPECT_GT(a.correlation, 0.9);
}

TEST(TimeStretcher, NoiseIsNotPeriodic) {
  TimeStretcher ts(8000);
  std::vector<std::int16_t> s(400);
  unsigned x = 12345;
  for (auto& v : s) {
    x = x * 1103515245u + 12345u;
    v = static_cast<std::int16_t>((x >> 16) % 16000) - 8000;
  }
  EXPECT_LT(ts.analyse(s).correlation, 0.5);
}

TEST(TimeStretcher, ConsidersOnlyPeriodsThatFit) {
  TimeStretcher ts(8000);
  const auto s = tone(8000, 100.0, 400);  // period 80 samples (10 ms)
  EXPECT_EQ(ts.analyse(std::span(s).first(2 * ts.min_period() - 1)).period, 0u);  // too short for any
  const auto a = ts.analyse(s, 60);  // the true period does not fit the limit
  EXPECT_LE(a.period, 60u);
  EXPECT_LT(a.correlation, 0.9);     // so no period is found that would be safe to cut
  const auto b = ts.analyse(std::span(s).first(160));  // two periods of input: enough
  EXPECT_EQ(b.period, 80u);
  EXPECT_GT(b.correlation, 0.95);
}

TEST(TimeStretcher, RemovingAPeriodShortensSmoothly) {
  auto s = tone(8000, 160.0, 400);
  const int step = max_step(s, s.size());
  const std::size_t n = TimeStretcher::remove_period(s, s.size(), 50);
  EXPECT_EQ(n, 350u);
  EXPECT_LE(max_step(s, n), step + 50);  // no click at the joins
  EXPECT_EQ(TimeStretcher::remove_period(s, 60, 50), 60u);  // refuses without two periods
}

TEST(TimeStretcher, InsertingAPeriodLengthensSmoothly) {
  auto s = tone(8000, 160.0, 400, 50);
  const int step = max_step(s, 400);
  const std::size_t n = TimeStretcher::insert_period(s, 400, 50);
  EXPECT_EQ(n, 450u);
  EXPECT_LE(max_step(s, n), step + 50);
  std::vector<std::int16_t> small(120, 0);
  EXPECT_EQ(TimeStretcher::insert_period(small, 100, 50), 100u);  // no room for it
}

}  // namespace
}  // namespace loqui::jitter
