// SPDX-License-Identifier: Apache-2.0
// File: tests of the packet-trace format, generator and metrics.
#include <gtest/gtest.h>

#include <algorithm>

#include "jitter/trace.hpp"

namespace loqui::jitter {
namespace {

TEST(TraceFormat, ParsesPacketsCommentsAndLosses) {
  auto t = parse_trace("# seq send arrival\n0 0 40.5\n1\t20\tlost\n\n  2 40 -1\n3 60 101 \r\n");
  ASSERT_TRUE(t) << t.error().to_string();
  ASSERT_EQ(t->size(), 4u);
  EXPECT_DOUBLE_EQ((*t)[0].arrival_ms, 40.5);
  EXPECT_TRUE((*t)[1].lost());
  EXPECT_TRUE((*t)[2].lost());
  EXPECT_EQ((*t)[3].seq, 3);
  EXPECT_DOUBLE_EQ((*t)[3].arrival_ms, 101.0);
}

TEST(TraceFormat, BadLinesNameTheLine) {
  auto a = parse_trace("0 0 40\n1 20\n", "x.tsv");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().message(), "x.tsv:2: expected 3 fields `seq send_ms arrival_ms`, found 2");
  auto b = parse_trace("# c\n0 0 40\n\n-4 20 60\n", "x.tsv");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("x.tsv:4: seq must be a non-negative integer"), std::string::npos);
  auto c = parse_trace("0 zero 40\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("trace:1: send_ms must be a number, found 'zero'"), std::string::npos);
  auto d = parse_trace("0 0 -7\n");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("arrival_ms must be a non-negative number, -1 or 'lost'"), std::string::npos);
  auto e = parse_trace("0 0 nan\n");
  EXPECT_FALSE(e);
  auto f = parse_trace("# only comments\n");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), make_error_code(errc::parse_error));
}

TEST(TraceFormat, RoundTrips) {
  TraceSpec spec;
  spec.duration_s = 2;
  spec.random_loss = 0.2;
  const auto t = generate_trace(spec);
  auto back = parse_trace(format_trace(t, "test"));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ((*back)[i].seq, t[i].seq);
    EXPECT_EQ((*back)[i].lost(), t[i].lost());
    if (!t[i].lost()) {
      EXPECT_NEAR((*back)[i].arrival_ms, t[i].arrival_ms, 1e-3);
    }
  }
}

TEST(TraceGenerator, IsDeterministicPerSeed) {
  TraceSpec spec;
  spec.duration_s = 10;
  const auto a = generate_trace(spec);
  const auto b = generate_trace(spec);
  ASSERT_EQ(a.size(), 500u);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].arrival_ms, b[i].arrival_ms);
  spec.seed = 2;
  const auto c = generate_trace(spec);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differ += a[i].arrival_ms != c[i].arrival_ms;
  EXPECT_GT(differ, 400u);
}

TEST(TraceGenerator, ProducesTheRequestedConditions) {
  TraceSpec spec;
  spec.duration_s = 600;
  spec.random_loss = 0.02;
  spec.burst_loss_start = 0.005;
  spec.burst_loss_mean_len = 4;
  spec.reorder = 0.02;
  spec.spikes_per_min = 2;
  spec.drift_ppm = 1000;
  const auto t = generate_trace(spec);
  std::size_t lost = 0, reordered = 0;
  double last = -1, max_delay = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i].lost()) {
      ++lost;
      continue;
    }
    if (t[i].arrival_ms < last) ++reordered;
    last = std::max(last, t[i].arrival_ms);
    max_delay = std::max(max_delay, t[i].arrival_ms - t[i].send_ms);
  }
  const double loss = static_cast<double>(lost) / t.size();
  EXPECT_GT(loss, 0.025);  // random + bursts
  EXPECT_LT(loss, 0.06);
  EXPECT_GT(reordered, t.size() / 100);
  EXPECT_GT(max_delay, 200.0);  // spikes
  // The sender's clock is 0.1 % fast: over 600 s its packets drift 0.6 s earlier.
  const double early = t[100].arrival_ms - t[100].send_ms;
  double late_min = 1e9;
  for (std::size_t i = t.size() - 200; i < t.size(); ++i)
    if (!t[i].lost()) late_min = std::min(late_min, t[i].arrival_ms - t[i].send_ms);
  EXPECT_LT(late_min, early - 500.0);
}

TEST(TraceMetrics, CountsLateConcealedAndDelay) {
  std::vector<TraceEntry> t = {{0, 0, 10}, {1, 20, 30}, {2, 40, -1}, {3, 60, 200}, {3, 60, 210}};
  MetricsAccumulator acc(t);
  acc.on_output(160, 160);  // concealment before any audio: counted once audio follows
  acc.on_played(0, 20);
  acc.on_output(160, 0);
  acc.on_played(1, 40);
  acc.on_played(1, 60);     // second play of the same packet does not count
  acc.on_played(2, 60);     // never arrived (e.g. FEC): not a played packet
  acc.on_output(160, 80);
  acc.on_output(160, 160);  // the tail after the last audio is not counted
  const auto m = acc.finish();
  EXPECT_EQ(m.packets, 4u);
  EXPECT_EQ(m.lost, 1u);
  EXPECT_EQ(m.arrived, 3u);
  EXPECT_EQ(m.played, 2u);
  EXPECT_EQ(m.late, 1u);
  EXPECT_DOUBLE_EQ(m.late_pct, 25.0);
  EXPECT_EQ(m.output_samples, 480u);
  EXPECT_DOUBLE_EQ(m.concealed_pct, 100.0 * 240 / 480);
  EXPECT_DOUBLE_EQ(m.mean_delay_ms, 10.0);
  EXPECT_DOUBLE_EQ(m.p95_delay_ms, 10.0);
}

}  // namespace
}  // namespace loqui::jitter
