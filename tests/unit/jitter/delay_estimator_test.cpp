// SPDX-License-Identifier: Apache-2.0
// File: tests of the jitter buffer's arrival window and delay model.
#include <gtest/gtest.h>

#include "jitter/delay_estimator.hpp"

namespace loqui::jitter {
namespace {

TEST(ArrivalWindow, TracksTheMinimumOverTheWindow) {
  ArrivalWindow w(64, 2000.0);
  EXPECT_DOUBLE_EQ(w.add(0, 50), 50);
  EXPECT_DOUBLE_EQ(w.add(20, 40), 40);
  EXPECT_DOUBLE_EQ(w.add(40, 70), 40);
  // 40 arrived at t=20; it leaves the window after t=2020.
  EXPECT_DOUBLE_EQ(w.add(2000, 60), 40);
  EXPECT_DOUBLE_EQ(w.add(2030, 65), 60);
  EXPECT_DOUBLE_EQ(w.min(), 60);
}

TEST(ArrivalWindow, KeepsTheLastEntryWhenArrivalsStop) {
  ArrivalWindow w(8, 2000.0);
  w.add(0, 10);
  EXPECT_DOUBLE_EQ(w.add(100000, 30), 30);  // long silence: the newest is the reference
  EXPECT_FALSE(w.empty());
}

TEST(ArrivalWindow, FollowsDriftOfTheReference) {
  // Sender 0.1 % slow: arrival - media time grows 1 ms per second.
  ArrivalWindow w(512, 2000.0);
  double ref = 0;
  for (int k = 0; k < 3000; ++k) ref = w.add(k * 20.0, 40 + k * 0.02);
  EXPECT_NEAR(ref, 40 + 2900 * 0.02, 1.0);  // ~2 s behind the newest, not the all-time minimum
}

TEST(ArrivalWindow, SurvivesMoreArrivalsThanCapacity) {
  ArrivalWindow w(4, 2000.0);
  for (int k = 0; k < 100; ++k) w.add(0.0, 100.0 - k);  // strictly decreasing: deque stays at 1
  EXPECT_DOUBLE_EQ(w.min(), 1.0);
  for (int k = 0; k < 100; ++k) w.add(1.0, 10.0 + k);  // increasing: overflows the ring
  EXPECT_GE(w.min(), 1.0);
}

TEST(DelayModel, SteadyArrivalsGiveTheSmallestTarget) {
  DelayModel m;
  for (int k = 0; k < 500; ++k) m.add(1.0, false);
  EXPECT_DOUBLE_EQ(m.target_ms(), 5.0);
}

TEST(DelayModel, CoversReorderedPacketsAtTheConfiguredCost) {
  DelayModel m;  // 20 ms per 1 % late loss
  for (int k = 0; k < 2000; ++k) m.add(k % 20 == 0 ? 62.0 : 2.0, k % 20 == 0);  // 5 % overtaken at 62 ms
  EXPECT_GE(m.target_ms(), 62.0);
  EXPECT_LE(m.target_ms(), 70.0);
  EXPECT_NEAR(m.overtaken_fraction_above(30.0), 0.05, 0.01);
}

TEST(DelayModel, InOrderSpikesBarelyMoveTheTarget) {
  // 3 % of packets 100-300 ms late but in order (a spike drains as a burst): stalls
  // catch them, so they cost only the stall weight.
  DelayModel m;
  for (int k = 0; k < 3000; ++k) {
    const int i = k % 100;
    m.add(i < 3 ? 300.0 - i * 100.0 : 4.0, false);
  }
  EXPECT_LE(m.target_ms(), 20.0);
}

TEST(DelayModel, ForgetsOldConditions) {
  DelayModel m(DelayModelOptions{5.0, 400, 0.99, 20.0, 4.0});
  for (int k = 0; k < 1000; ++k) m.add(k % 10 == 0 ? 150.0 : 2.0, k % 10 == 0);
  EXPECT_GE(m.target_ms(), 150.0);
  for (int k = 0; k < 1000; ++k) m.add(2.0, false);
  EXPECT_LE(m.target_ms(), 10.0);
}

TEST(DelayModel, IgnoresNonFiniteInput) {
  DelayModel m;
  m.add(std::numeric_limits<double>::quiet_NaN(), true);
  m.add(std::numeric_limits<double>::infinity(), true);
  EXPECT_EQ(m.count(), 0u);
  m.add(1e300, true);  // clamps into the last bucket
  EXPECT_EQ(m.count(), 1u);
}

}  // namespace
}  // namespace loqui::jitter
