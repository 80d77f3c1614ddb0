// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/net/retry.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;

TEST(Backoff, ExponentialWithoutJitterUntilAttemptsRunOut) {
  Backoff b({.max_attempts = 4, .initial_delay = 100ms, .max_delay = 250ms, .jitter = false});
  const Error e(errc::provider_unavailable, "503");
  EXPECT_EQ(b.next_delay(e), 100ms);
  EXPECT_EQ(b.next_delay(e), 200ms);
  EXPECT_EQ(b.next_delay(e), 250ms);  // capped
  EXPECT_EQ(b.next_delay(e), std::nullopt);
  EXPECT_EQ(b.attempts(), 4);
}

TEST(Backoff, RetryAfterWinsAndIsCapped) {
  Backoff b({.max_attempts = 3, .max_retry_after = 5000ms});
  EXPECT_EQ(b.next_delay(Error(errc::provider_quota, "429").set_retry_after(1200ms)), 1200ms);
  EXPECT_EQ(b.next_delay(Error(errc::provider_quota, "429").set_retry_after(60000ms)), 5000ms);
}

TEST(Backoff, FatalErrorsAreNotRetried) {
  Backoff b;
  EXPECT_EQ(b.next_delay(Error(errc::provider_auth, "401")), std::nullopt);
}

TEST(Backoff, JitterStaysInRangeAndIsSeeded) {
  Backoff a({.max_attempts = 100, .initial_delay = 1000ms, .max_delay = 1000ms}, 7);
  Backoff b({.max_attempts = 100, .initial_delay = 1000ms, .max_delay = 1000ms}, 7);
  const Error e(errc::timeout, "t");
  bool varied = false;
  std::chrono::milliseconds first{};
  for (int i = 0; i < 50; ++i) {
    auto da = a.next_delay(e), db = b.next_delay(e);
    ASSERT_TRUE(da && db);
    EXPECT_EQ(*da, *db);
    EXPECT_GE(da->count(), 0);
    EXPECT_LE(da->count(), 1000);
    if (i == 0) first = *da;
    else if (*da != first) varied = true;
  }
  EXPECT_TRUE(varied);
}

}  // namespace
}  // namespace loqui
