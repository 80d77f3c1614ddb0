// SPDX-License-Identifier: Apache-2.0
// File: scenario tests of the jitter buffer on a simulated clock: reordering,
// duplicates, wrap-around, SSRC change, clock drift, burst loss, delay spikes, late
// packets, uplink vs playout, FEC, statistics, hostile input, pacing, checksums.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include "jitter/trace.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/json.hpp"
#include "loqui/pipeline/chain.hpp"
#include "loqui/runtime/runtime.hpp"
#include "support/test_decoders.hpp"

namespace loqui {
namespace {

using testing::FecTestDecoder;
using testing::PcmTestDecoder;

constexpr std::size_t kPacket = 160;  // 20 ms at 8 kHz

JitterBufferConfig config(JitterMode mode, bool stretch = false) {
  JitterBufferConfig c;
  c.mode = mode;
  if (!stretch) c.max_stretch_rate = c.fast_stretch_rate = 0;
  return c;
}

// Packet k carries 160 samples of value 100 + k, so the output tells which packet
// was played where (with stretching off).
std::vector<std::int16_t> marked_packet(int k) { return std::vector<std::int16_t>(kPacket, static_cast<std::int16_t>(100 + k)); }

struct Sent {
  std::uint16_t seq;
  std::uint32_t ts;
  std::uint32_t ssrc;
  std::vector<std::byte> payload;
};

// A jitter buffer on a simulated clock: packets are scheduled at arrival times and
// pushed just before the 20 ms tick that follows them.
template <class Decoder = PcmTestDecoder>
struct Sim {
  explicit Sim(const JitterBufferConfig& c) : jb(JitterBuffer::create(c, dec).value()) {}
  Decoder dec{8000};
  JitterBuffer jb;
  std::multimap<double, Sent> schedule;
  double now_ms = 0;
  std::vector<std::int16_t> out;
  std::vector<std::uint32_t> flags;
  std::vector<JitterFrameInfo> infos;
  std::vector<PushOutcome> outcomes;

  void send(double arrival_ms, std::uint16_t seq, std::uint32_t ts, std::vector<std::int16_t> samples,
            std::uint32_t ssrc = 7) {
    schedule.emplace(arrival_ms, Sent{seq, ts, ssrc, testing::pcm_payload(samples)});
  }
  void send_bytes(double arrival_ms, std::uint16_t seq, std::uint32_t ts, std::vector<std::byte> payload,
                  std::uint32_t ssrc = 7) {
    schedule.emplace(arrival_ms, Sent{seq, ts, ssrc, std::move(payload)});
  }
  void run_until(double end_ms) {
    while (now_ms <= end_ms) {
      while (!schedule.empty() && schedule.begin()->first <= now_ms) {
        const auto& [t, s] = *schedule.begin();
        MediaPacket p;
        p.sequence_number = s.seq;
        p.timestamp = s.ts;
        p.ssrc = s.ssrc;
        p.arrival = time_from_ms(t);
        p.payload = s.payload;
        outcomes.push_back(jb.push(p));
        schedule.erase(schedule.begin());
      }
      const AudioFrame f = jb.get_audio(time_from_ms(now_ms));
      EXPECT_EQ(f.sample_count(), static_cast<std::int64_t>(kPacket));
      out.insert(out.end(), f.samples().begin(), f.samples().end());
      flags.push_back(f.flags());
      infos.push_back(jb.last_frame_info());
      now_ms += 20;
    }
  }
  // Packet ids (value - 100) of the output in order, one entry per distinct run.
  std::vector<int> played_ids() const {
    std::vector<int> ids;
    for (const auto v : out)
      if (v >= 100 && v != PcmTestDecoder::kConcealValue && (ids.empty() || ids.back() != v - 100)) ids.push_back(v - 100);
    return ids;
  }
  std::size_t count_samples(std::int16_t value) const {
    return static_cast<std::size_t>(std::count(out.begin(), out.end(), value));
  }
  std::size_t frames_with(std::uint32_t flag) const {
    return static_cast<std::size_t>(std::count_if(flags.begin(), flags.end(), [&](std::uint32_t f) { return (f & flag) != 0; }));
  }
};

std::vector<int> iota_ids(int n, int from = 0) {
  std::vector<int> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = from + i;
  return v;
}

TEST(JitterBuffer, CleanStreamPlaysEveryPacketInOrder) {
  for (const auto mode : {JitterMode::playout, JitterMode::uplink}) {
    Sim s(config(mode));
    for (int k = 0; k < 200; ++k) s.send(30.0 + 20 * k, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
    s.run_until(4500);
    const auto st = s.jb.stats();
    EXPECT_EQ(st.packets_received, 200u);
    EXPECT_EQ(st.packets_decoded, 200u);
    EXPECT_EQ(st.packets_lost, 0);
    EXPECT_EQ(st.packets_late, 0u);
    EXPECT_EQ(s.played_ids(), iota_ids(200));
    for (int k = 0; k < 200; ++k) EXPECT_EQ(s.count_samples(static_cast<std::int16_t>(100 + k)), kPacket) << k;
    // Pre-roll frames come first and are gaps; then nothing is concealed until the end.
    std::size_t i = 0;
    while (s.infos[i].preroll) {
      EXPECT_TRUE(s.flags[i] & kFrameGap);
      ++i;
    }
    EXPECT_LE(i, 6u);
    for (std::size_t j = i; j < i + 200; ++j) EXPECT_EQ(s.flags[j] & (kFrameConcealed | kFrameGap), 0u) << j;
    // A steady stream needs little buffering: the target falls from the initial 80/40 ms.
    EXPECT_LE(st.target_delay_ms, 20.0);
    EXPECT_DOUBLE_EQ(st.jitter_ms, 0.0);
  }
}

TEST(JitterBuffer, ReorderedPacketsArePlayedInSequence) {
  Sim s(config(JitterMode::playout));
  for (int k = 0; k < 200; ++k) {
    const int swapped = k ^ 1;  // 1,0,3,2,... arrive swapped
    s.send(40.0 + 20 * swapped + 1, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
  }
  s.run_until(4500);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.packets_late, 0u);
  EXPECT_EQ(st.packets_decoded, 200u);
  EXPECT_EQ(s.played_ids(), iota_ids(200));
  EXPECT_GT(st.jitter_ms, 5.0);
}

TEST(JitterBuffer, DuplicatesAreCountedAndPlayedOnce) {
  Sim plain(config(JitterMode::playout));
  Sim dup(config(JitterMode::playout));
  for (int k = 0; k < 100; ++k) {
    plain.send(30.0 + 20 * k, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
    dup.send(30.0 + 20 * k, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
    dup.send(33.0 + 20 * k + (k % 3) * 40, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
  }
  plain.run_until(2500);
  dup.run_until(2500);
  EXPECT_EQ(dup.jb.stats().packets_duplicated, 100u);
  EXPECT_EQ(dup.jb.stats().packets_received, 100u);
  EXPECT_EQ(dup.out, plain.out);
  EXPECT_EQ(std::count(dup.outcomes.begin(), dup.outcomes.end(), PushOutcome::duplicate), 100);
}

TEST(JitterBuffer, SequenceAndTimestampWrapAround) {
  Sim s(config(JitterMode::playout));
  const std::uint16_t seq0 = 65436;             // wraps after 100 packets
  const std::uint32_t ts0 = 0xFFFFFFFFu - 60 * 160 + 1;  // wraps after 60 packets
  for (int k = 0; k < 200; ++k) {
    const int order = (k % 10 == 5) ? k + 1 : (k % 10 == 6 ? k - 1 : k);  // some reordering across both wraps
    s.send(30.0 + 20 * order + 0.5, static_cast<std::uint16_t>(seq0 + k), ts0 + 160u * static_cast<std::uint32_t>(k),
           marked_packet(k));
  }
  s.run_until(4500);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.packets_decoded, 200u);
  EXPECT_EQ(st.packets_lost, 0);
  EXPECT_EQ(st.packets_late, 0u);
  EXPECT_EQ(st.packets_discarded, 0u);
  EXPECT_EQ(s.played_ids(), iota_ids(200));
}

TEST(JitterBuffer, SsrcChangeResetsAndFlagsDiscontinuity) {
  Sim s(config(JitterMode::playout));
  for (int k = 0; k < 100; ++k) s.send(30.0 + 20 * k, static_cast<std::uint16_t>(1000 + k), 5000u + 160u * k, marked_packet(k), 0xA);
  for (int k = 100; k < 200; ++k)
    s.send(30.0 + 20 * k, static_cast<std::uint16_t>(40000 + k), 777777u + 160u * k, marked_packet(k), 0xB);
  s.run_until(4500);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.ssrc_changes, 1u);
  EXPECT_EQ(s.dec.resets, 1);
  // The new stream plays completely, after the old one.
  const auto ids = s.played_ids();
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.back(), 199);
  for (int k = 100; k < 200; ++k) EXPECT_EQ(s.count_samples(static_cast<std::int16_t>(100 + k)), kPacket) << k;
  // Audio of the old stream buffered at the switch still plays.
  EXPECT_EQ(st.packets_decoded, 200u);
  EXPECT_EQ(st.packets_discarded, 0u);
  EXPECT_EQ(st.packets_lost, 0);
  EXPECT_EQ(ids, iota_ids(200));
  // Exactly one frame after the start is flagged as a discontinuity: the first of the new stream.
  std::size_t disc = 0;
  for (std::size_t i = 0; i < s.flags.size(); ++i) {
    if (s.flags[i] & kFrameDiscontinuity) {
      ++disc;
      EXPECT_EQ(s.out[i * kPacket], 200);  // the frame where the new stream starts
    }
  }
  EXPECT_EQ(disc, 1u);
  EXPECT_EQ(std::count(s.outcomes.begin(), s.outcomes.end(), PushOutcome::reset), 1);
  // A straggler of the old stream after the switch is dropped, not a switch back.
  MediaPacket straggler;
  const auto pl = testing::pcm_payload(marked_packet(99));
  straggler.sequence_number = 1099;
  straggler.timestamp = 5000u + 160u * 99;
  straggler.ssrc = 0xA;
  straggler.arrival = time_from_ms(s.now_ms);
  straggler.payload = pl;
  EXPECT_EQ(s.jb.push(straggler), PushOutcome::discarded);
  EXPECT_EQ(s.jb.stats().ssrc_changes, 1u);
}

// Sender clock 0.1 % fast or slow for 5 minutes: the buffer must stay bounded
// (stretching absorbs the 300 ms of drift) with no starvation.
void run_drift(JitterMode mode, double drift) {
  Sim s(config(mode, /*stretch=*/true));
  const auto sig = jitter::speech_like_signal(8000, 300.0);
  const int n = 15000;
  unsigned x = 99;
  double fifo = 0;
  for (int k = 0; k < n; ++k) {
    x = x * 1103515245u + 12345u;
    const double jitter = static_cast<double>((x >> 16) % 12);
    const double arrival = std::max(fifo + 0.1, 20.0 * k / (1.0 + drift) + 40 + jitter);
    fifo = arrival;
    std::vector<std::int16_t> pkt(sig.begin() + k * 160, sig.begin() + (k + 1) * 160);
    s.send(arrival, static_cast<std::uint16_t>(k), 160u * static_cast<std::uint32_t>(k), pkt);
  }
  double max_delay = 0, min_delay = 1e9;
  std::size_t max_buffered = 0;
  for (double t = 0; t < 290000; t += 10000) {
    s.run_until(t + 10000);
    if (t >= 60000) {
      const auto st = s.jb.stats();
      max_delay = std::max(max_delay, st.current_delay_ms);
      min_delay = std::min(min_delay, st.current_delay_ms);
      max_buffered = std::max(max_buffered, st.packets_buffered);
    }
  }
  const auto st = s.jb.stats();
  SCOPED_TRACE(std::string(to_string(mode)) + " drift " + std::to_string(drift));
  EXPECT_LT(max_delay, 120.0);
  EXPECT_GT(min_delay, -1.0);
  EXPECT_LT(max_buffered, 8u);
  EXPECT_LT(st.packets_late, 30u);   // < 0.2 %
  EXPECT_EQ(st.packets_lost, 0);
  // 300 s * 0.1 % = 300 ms = 2400 samples must be removed (fast sender) or added
  // (slow sender). Added delay comes from stretching, or from stalls (concealment
  // or gap frames) that stretching later takes back.
  const double removed = static_cast<double>(st.removed_samples_for_acceleration);
  const double added = static_cast<double>(st.inserted_samples_for_deceleration + st.concealed_samples + st.gap_samples);
  if (drift > 0) {
    EXPECT_NEAR(removed - added, 2400.0, 900.0);
  } else {
    EXPECT_NEAR(added - removed, 2400.0, 900.0);
  }
  EXPECT_LT(st.stalls, 150u);  // < 1 % of packets
}

TEST(JitterBuffer, SenderClockFastIsAbsorbed) { run_drift(JitterMode::playout, 0.001); }
TEST(JitterBuffer, SenderClockSlowIsAbsorbed) { run_drift(JitterMode::playout, -0.001); }
TEST(JitterBuffer, SenderClockFastIsAbsorbedUplink) { run_drift(JitterMode::uplink, 0.001); }
TEST(JitterBuffer, SenderClockSlowIsAbsorbedUplink) { run_drift(JitterMode::uplink, -0.001); }

TEST(JitterBuffer, BurstLossPlayoutConcealsThroughTheCodec) {
  Sim s(config(JitterMode::playout));
  for (int k = 0; k < 150; ++k)
    if (k < 50 || k >= 60) s.send(30.0 + 20 * k, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
  s.run_until(3500);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.packets_lost, 10);
  EXPECT_EQ(st.packets_decoded, 140u);
  EXPECT_EQ(st.concealment_events, 2u);  // the burst, and the end of the stream
  EXPECT_GT(s.dec.conceal_calls, 0);
  // The burst is concealed in place: exactly 10 packets' worth between 49 and 60.
  const auto it49 = std::find(s.out.begin(), s.out.end(), 149);
  const auto it60 = std::find(s.out.begin(), s.out.end(), 160);
  ASSERT_NE(it49, s.out.end());
  ASSERT_NE(it60, s.out.end());
  EXPECT_EQ(it60 - it49, static_cast<std::ptrdiff_t>(11 * kPacket));
  EXPECT_TRUE(std::all_of(it49 + kPacket, it60, [](std::int16_t v) { return v == PcmTestDecoder::kConcealValue; }));
  for (std::size_t i = 0; i < s.infos.size(); ++i) {
    if (!s.infos[i].preroll) {
      EXPECT_EQ(s.flags[i] & kFrameGap, 0u);
    }
  }
}

TEST(JitterBuffer, BurstLossUplinkEmitsGapFramesNotSpeech) {
  Sim s(config(JitterMode::uplink));
  for (int k = 0; k < 150; ++k)
    if (k < 50 || k >= 60) s.send(30.0 + 20 * k, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
  s.run_until(3500);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.packets_lost, 10);
  EXPECT_EQ(st.packets_decoded, 140u);
  EXPECT_EQ(s.dec.conceal_calls, 0);  // never synthetic audio
  EXPECT_EQ(st.concealed_samples, 0u);
  EXPECT_EQ(s.frames_with(kFrameConcealed), 0u);
  // Gap frames are whole frames of zeros; exactly the 10 lost packets between 49 and 60.
  std::size_t gaps_between = 0;
  bool after49 = false;
  for (std::size_t i = 0; i < s.flags.size(); ++i) {
    const std::int16_t first = s.out[i * kPacket];
    if (first == 149) after49 = true;
    if (first == 160) break;
    if (after49 && (s.flags[i] & kFrameGap)) {
      ++gaps_between;
      for (std::size_t j = 0; j < kPacket; ++j) EXPECT_EQ(s.out[i * kPacket + j], 0);
    }
  }
  EXPECT_EQ(gaps_between, 10u);
  EXPECT_EQ(s.played_ids().size(), 140u);
}

TEST(JitterBuffer, DelaySpikeStallsInsteadOfLosingPacketsThenRecovers) {
  Sim s(config(JitterMode::playout, /*stretch=*/true));
  const auto sig = jitter::speech_like_signal(8000, 20.0);
  const int n = 1000;
  double fifo = 0;
  for (int k = 0; k < n; ++k) {
    double arrival = 30.0 + 20 * k;
    if (20 * k >= 4000 && 20 * k < 4300) arrival = 4300 + 30;  // 300 ms network stall
    arrival = std::max(arrival, fifo + 0.2);
    fifo = arrival;
    s.send(arrival, static_cast<std::uint16_t>(k), 160u * static_cast<std::uint32_t>(k),
           std::vector<std::int16_t>(sig.begin() + k * 160, sig.begin() + (k + 1) * 160));
  }
  s.run_until(3900);
  const double before = s.jb.stats().current_delay_ms;
  double peak = 0;
  while (s.now_ms < 5000) {
    s.run_until(s.now_ms);
    peak = std::max(peak, s.jb.stats().current_delay_ms);
  }
  s.run_until(12000);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.packets_late, 0u);  // every spike packet was waited for
  EXPECT_GE(st.stall_recovered_packets, 1u);
  EXPECT_GT(peak, before + 200.0);
  EXPECT_LT(st.current_delay_ms, before + 30.0);  // stretched back down
  EXPECT_GT(st.removed_samples_for_acceleration, 2000u);
  EXPECT_LT(st.target_delay_ms, 60.0);  // an in-order spike does not inflate the target
}

// A sustained episode of heavy jitter with reordering (a congested link for 30 s)
// raises the target; when the link calms down the histograms forget it and the
// target and the delay come back down.
TEST(JitterBuffer, TargetAdaptsUpThenBackDown) {
  Sim s(config(JitterMode::playout, /*stretch=*/true));
  const auto sig = jitter::speech_like_signal(8000, 100.0);
  unsigned x = 7;
  const int n = 4500;  // 90 s
  for (int k = 0; k < n; ++k) {
    double jitter = 0;
    if (k >= 1000 && k < 2500) {  // 20 s .. 50 s: 0-120 ms, independent per packet (reorders)
      x = x * 1103515245u + 12345u;
      jitter = static_cast<double>((x >> 16) % 1200) / 10.0;
    }
    s.send(30.0 + 20 * k + jitter, static_cast<std::uint16_t>(k), 160u * static_cast<std::uint32_t>(k),
           std::vector<std::int16_t>(sig.begin() + k * 160, sig.begin() + (k + 1) * 160));
  }
  s.run_until(19000);
  const double calm = s.jb.stats().target_delay_ms;
  s.run_until(50000);
  const auto busy = s.jb.stats();
  s.run_until(89000);
  const auto after = s.jb.stats();
  EXPECT_LE(calm, 30.0);
  EXPECT_GE(busy.target_delay_ms, 90.0);       // covers most of the 0-120 ms jitter
  EXPECT_GE(busy.current_delay_ms, 70.0);      // and playout followed it
  EXPECT_LE(after.target_delay_ms, calm + 10);  // forgotten after the episode
  EXPECT_LE(after.current_delay_ms, after.target_delay_ms + 15);
  EXPECT_LT(busy.packets_late, 1500u * 3 / 100);  // < 3 % of the jittery packets
}

TEST(JitterBuffer, LatePacketIsDiscardedAndCounted) {
  Sim s(config(JitterMode::playout));
  for (int k = 0; k < 100; ++k) {
    const double arrival = k == 50 ? 30.0 + 20 * 50 + 400 : 30.0 + 20 * k;  // overtaken, 400 ms late
    s.send(arrival, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
  }
  s.run_until(2600);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.packets_late, 1u);
  EXPECT_EQ(st.packets_lost, 0);
  EXPECT_EQ(st.packets_received, 100u);
  EXPECT_EQ(s.count_samples(150), 0u);
  EXPECT_EQ(std::count(s.outcomes.begin(), s.outcomes.end(), PushOutcome::late), 1);
  // Its slot was concealed, in place.
  const auto it49 = std::find(s.out.begin(), s.out.end(), 149);
  ASSERT_NE(it49, s.out.end());
  EXPECT_EQ(*(it49 + kPacket), PcmTestDecoder::kConcealValue);
  EXPECT_EQ(*(it49 + 2 * kPacket), 151);
}

TEST(JitterBuffer, FecRecoversSingleLosses) {
  for (const auto mode : {JitterMode::playout, JitterMode::uplink}) {
    Sim<FecTestDecoder> s(config(mode));
    for (int k = 0; k < 150; ++k) {
      if (k == 50 || k == 80 || k == 120) continue;
      auto pkt = marked_packet(k);
      const auto prev = marked_packet(k - 1);
      pkt.insert(pkt.end(), prev.begin(), prev.end());
      s.send(30.0 + 20 * k, static_cast<std::uint16_t>(k), 160u * k, pkt);
    }
    s.run_until(3500);
    const auto st = s.jb.stats();
    SCOPED_TRACE(to_string(mode));
    EXPECT_EQ(st.fec_recovered_packets, 3u);
    EXPECT_EQ(st.packets_lost, 3);
    EXPECT_EQ(s.played_ids(), iota_ids(150));  // recovered audio in place
    EXPECT_EQ(s.frames_with(kFrameFecRecovered), 3u);
    // Nothing synthesised between the first and the last packet.
    const auto first = std::find(s.out.begin(), s.out.end(), 100);
    const auto last = std::find(s.out.begin(), s.out.end(), 249);
    ASSERT_NE(last, s.out.end());
    EXPECT_EQ(std::count(first, last, PcmTestDecoder::kConcealValue), 0);
    EXPECT_EQ(std::count(first, last, 0), 0);
  }
}

TEST(JitterBuffer, StatisticsAddUp) {
  Sim s(config(JitterMode::playout));
  for (int k = 0; k < 100; ++k) {
    if (k == 10 || k == 11) continue;  // lost
    double arrival = 30.0 + 20 * k;
    if (k == 30) arrival += 500;  // late
    s.send(arrival, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
    if (k == 20) s.send(arrival + 5, 20, 160u * 20, marked_packet(20));  // duplicate
  }
  s.send_bytes(30.0 + 20 * 40 - 1, 40, 160u * 40, std::vector<std::byte>(4000));  // oversized: discarded
  s.run_until(2600);
  const auto st = s.jb.stats();
  EXPECT_EQ(st.packets_received, 98u);
  EXPECT_EQ(st.packets_lost, 2);
  EXPECT_EQ(st.packets_late, 1u);
  EXPECT_EQ(st.packets_duplicated, 1u);
  EXPECT_EQ(st.packets_discarded, 1u);
  EXPECT_EQ(st.packets_decoded, 97u);
  EXPECT_EQ(st.jitter_buffer_emitted_count, 97u);
  EXPECT_EQ(st.concealed_samples % 20, 0u);
  EXPECT_GE(st.concealed_samples, 3 * kPacket);  // two lost + one late (+ the tail)
  EXPECT_EQ(st.concealment_events, 3u);          // 10-11, 30, end of stream
  EXPECT_GT(st.mean_delay_ms(), 0.0);
  EXPECT_EQ(st.total_samples, (s.infos.size() - static_cast<std::size_t>(std::count_if(
                                                     s.infos.begin(), s.infos.end(),
                                                     [](const JitterFrameInfo& i) { return i.preroll; }))) *
                                  kPacket);
  const Json j = st.to_json();
  EXPECT_EQ(j.as_object().size(), 26u);
}

TEST(JitterBuffer, HostileInputIsCountedNeverFatal) {
  Sim s(config(JitterMode::playout));
  int k = 0;
  auto normal = [&](double t) {
    s.send(t, static_cast<std::uint16_t>(k), 160u * static_cast<std::uint32_t>(k), marked_packet(k));
    ++k;
  };
  for (; k < 50;) normal(30.0 + 20 * k);
  s.send(30.0 + 20 * 50 - 2, static_cast<std::uint16_t>(30000), 160u * 50, marked_packet(0));   // absurd seq jump
  s.send(30.0 + 20 * 50 - 1, 50, 160u * 50 + 0x7FFFFFFFu, marked_packet(0));                       // ts leaps 3 days
  s.send_bytes(30.0 + 20 * 50 - 1, 51, 160u * 51, {});                                            // empty payload
  for (; k < 60;) normal(30.0 + 20 * k);
  s.send(30.0 + 20 * 60 - 1, 60, 160u * 60 - 900000000u, marked_packet(0));  // ts runs far backwards
  s.send_bytes(30.0 + 20 * 60 - 1, 61, 160u * 61, std::vector<std::byte>(3));  // odd size: decoder rejects it
  for (k = 62; k < 100;) normal(30.0 + 20 * k);
  // A confirmed jump: the sender restarted its numbering.
  for (int j = 0; j < 60; ++j)
    s.send(30.0 + 20 * (100 + j), static_cast<std::uint16_t>(20000 + j), 90000000u + 160u * j, marked_packet(100 + j));
  s.run_until(1500);
  // An arrival time before the previous one is taken as "now", not as time travel.
  MediaPacket back;
  const auto p70 = testing::pcm_payload(marked_packet(80));
  back.sequence_number = 80;  // scheduled for 1630 ms; arrives early with a bogus clock
  back.timestamp = 160u * 80;
  back.ssrc = 7;
  back.arrival = time_from_ms(5.0);
  back.payload = p70;
  EXPECT_EQ(s.jb.push(back), PushOutcome::inserted);
  s.run_until(4000);
  const auto st = s.jb.stats();
  // seq jump, ts leap, empty, ts backwards, the undecodable one, the first of the confirmed jump
  EXPECT_EQ(st.packets_discarded, 6u);
  EXPECT_EQ(st.decode_errors, 1u);
  EXPECT_EQ(st.resyncs, 1u);
  EXPECT_EQ(st.packets_duplicated, 1u);  // the scheduled copy of 80
  // The stream before and after all of it plays.
  EXPECT_EQ(s.count_samples(149), kPacket);
  EXPECT_EQ(s.count_samples(159), kPacket);
  EXPECT_EQ(s.count_samples(199), kPacket);
  EXPECT_EQ(s.count_samples(258), kPacket);
  EXPECT_EQ(s.count_samples(100), kPacket);  // the bogus packets' marked_packet(0) never plays twice
  // Audio buffered before the resync still plays; the first frame of the renumbered
  // stream is flagged.
  EXPECT_EQ(s.count_samples(198), kPacket);
  std::size_t disc = 0;
  for (std::size_t i = 0; i < s.flags.size(); ++i) {
    if (s.flags[i] & kFrameDiscontinuity) {
      ++disc;
      EXPECT_EQ(s.out[i * kPacket], 201);
    }
  }
  EXPECT_EQ(disc, 1u);
}

TEST(JitterBuffer, WebsocketPacingHasNoLossWithBurstyArrival) {
  for (const auto mode : {JitterMode::playout, JitterMode::uplink}) {
    PcmTestDecoder dec(8000);
    auto jb = JitterBuffer::create(config(mode), dec).value();
    std::vector<std::vector<std::int16_t>> frames;
    for (int k = 0; k < 300; ++k) frames.push_back(marked_packet(k));
    // TCP delivers 5 frames every 100 ms, with one 400 ms stall.
    std::vector<std::int16_t> out;
    std::size_t next = 0;
    for (int tick = 0; tick < 400; ++tick) {
      const double t = tick * 20.0;
      double deliver_upto = std::floor(t / 100.0) * 100.0;
      if (t >= 2000 && t < 2400) deliver_upto = 1900;
      while (next < frames.size() && next * 20.0 <= deliver_upto) {
        AudioFrame f = AudioFrame::view(AudioFormat::pcm16(8000), frames[next], static_cast<std::int64_t>(next * 160));
        f.set_capture_time(time_from_ms(deliver_upto + 1));
        EXPECT_EQ(jb.push_frame(f), PushOutcome::inserted);
        ++next;
      }
      const AudioFrame o = jb.get_audio(time_from_ms(t + 2));
      out.insert(out.end(), o.samples().begin(), o.samples().end());
    }
    const auto st = jb.stats();
    SCOPED_TRACE(to_string(mode));
    EXPECT_EQ(st.packets_lost, 0);
    EXPECT_EQ(st.packets_late, 0u);
    EXPECT_EQ(st.packets_decoded, 300u);
    for (int k = 0; k < 300; ++k) EXPECT_EQ(std::count(out.begin(), out.end(), 100 + k), 160) << k;
    // Wrong encoding is refused.
    const std::uint8_t mulaw[160] = {};
    AudioFrame bad = AudioFrame::view_bytes(AudioFormat::mulaw8k(), std::as_bytes(std::span(mulaw)), 0);
    EXPECT_EQ(jb.push_frame(bad), PushOutcome::discarded);
  }
}

TEST(JitterBuffer, FlushDropsBufferedAudio) {
  Sim s(config(JitterMode::playout));
  for (int k = 0; k < 100; ++k) s.send(30.0 + 20 * k, static_cast<std::uint16_t>(k), 160u * k, marked_packet(k));
  s.run_until(1000);
  s.jb.flush();
  s.run_until(2500);
  std::size_t disc = 0;
  for (const auto f : s.flags) disc += (f & kFrameDiscontinuity) != 0;
  EXPECT_EQ(disc, 1u);
  EXPECT_GT(s.jb.stats().packets_discarded, 0u);  // in-flight packets from before the flush
  const auto ids = s.played_ids();
  EXPECT_EQ(ids.back(), 99);
}

TEST(JitterBuffer, ConfigIsValidated) {
  PcmTestDecoder dec(8000);
  JitterBufferConfig c;
  c.frame_ms = 3;
  auto r = JitterBuffer::create(c, dec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "jitter.frame_ms: expected 5..120, found 3");
  c = {};
  c.min_delay_ms = 500;
  c.max_delay_ms = 100;
  EXPECT_FALSE(JitterBuffer::create(c, dec));
  PcmTestDecoder odd(11025);
  c = {};
  c.frame_ms = 10;
  auto r2 = JitterBuffer::create(c, odd);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code(), make_error_code(errc::not_supported));

  auto j = Json::parse(R"({"mode": "uplink", "frame_ms": 10, "max_delay_ms": 400})").value();
  auto cfg = JitterBufferConfig::from_json(j, "media.jitter");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_EQ(cfg->mode, JitterMode::uplink);
  EXPECT_EQ(cfg->frame_ms, 10);
  EXPECT_EQ(cfg->max_delay_ms, 400);
  auto bad = JitterBufferConfig::from_json(Json::parse(R"({"mdoe": "uplink"})").value(), "media.jitter");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("media.jitter.mdoe"), std::string::npos) << bad.error().message();
  auto bad2 = JitterBufferConfig::from_json(Json::parse(R"({"min_delay_ms": 300, "max_delay_ms": 200})").value(),
                                            "media.jitter");
  ASSERT_FALSE(bad2);
  EXPECT_EQ(bad2.error().message(), "media.jitter.min_delay_ms: must not exceed max_delay_ms (200)");
}

// The buffer as a pipeline Source driven by a Runtime timer under virtual time.
TEST(JitterBuffer, WorksAsAPipelineSourceUnderVirtualTime) {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  auto strand = rt->make_strand("call");
  PcmTestDecoder dec(8000);
  auto jb = JitterBuffer::create(config(JitterMode::uplink), dec).value();
  struct Collect {
    std::string_view name() const { return "collect"; }
    AudioFormat input_format() const { return AudioFormat::pcm16(8000); }
    Flow push(const AudioFrame& f) {
      ++frames;
      gaps += f.has_flag(kFrameGap);
      return Flow::ok;
    }
    int frames = 0;
    int gaps = 0;
  } sink;
  auto now = [&] { return strand->now(); };
  JitterBufferSource src(jb, now);
  static_assert(Source<decltype(src)>);
  std::vector<std::vector<std::byte>> payloads;
  for (int k = 0; k < 50; ++k) payloads.push_back(testing::pcm_payload(marked_packet(k)));
  for (int k = 0; k < 50; ++k) {
    (void)strand->call_at(time_from_ms(30.0 + 20 * k), [&, k] {
      MediaPacket p;
      p.sequence_number = static_cast<std::uint16_t>(k);
      p.timestamp = 160u * static_cast<std::uint32_t>(k);
      p.arrival = strand->now();
      p.payload = payloads[static_cast<std::size_t>(k)];
      (void)jb.push(p);
    });
  }
  Timer tick(strand);
  std::function<void()> on_tick = [&] {
    (void)src.pull(sink);
    (void)tick.arm(std::chrono::milliseconds(20), [&] { on_tick(); });
  };
  (void)tick.arm(std::chrono::milliseconds(0), [&] { on_tick(); });
  (void)rt->advance_by(std::chrono::milliseconds(1190));
  EXPECT_EQ(sink.frames, 60);
  EXPECT_EQ(jb.stats().packets_decoded, 50u);
  EXPECT_LE(sink.gaps, 12);  // pre-roll and the end
}

// Regression checksums of the whole output on fixed traces (update only with a
// deliberate behaviour change, and say why in the commit).
TEST(JitterBuffer, OutputChecksumsOnFixedTraces) {
  jitter::TraceSpec spec;
  spec.seed = 7;
  spec.duration_s = 20;
  spec.jitter_scale_ms = 15;
  spec.spikes_per_min = 6;
  spec.random_loss = 0.02;
  spec.burst_loss_start = 0.005;
  spec.reorder = 0.02;
  const auto trace = jitter::generate_trace(spec);
  const auto sig = jitter::speech_like_signal(8000, 21.0);
  std::vector<std::vector<std::byte>> payloads;
  for (std::size_t i = 0; i < trace.size(); ++i)
    payloads.push_back(testing::pcm_payload(std::span(sig).subspan(i * 160, 160)));
  std::uint64_t hashes[2] = {};
  for (const auto mode : {JitterMode::playout, JitterMode::uplink}) {
    PcmTestDecoder dec(8000);
    auto jb = JitterBuffer::create(config(mode, true), dec).value();
    auto r = jitter::replay_trace(trace, payloads, jb, {});
    ASSERT_TRUE(r);
    hashes[mode == JitterMode::uplink] = r->output_hash;
    // Deterministic: a second run gives the same output.
    PcmTestDecoder dec2(8000);
    auto jb2 = JitterBuffer::create(config(mode, true), dec2).value();
    EXPECT_EQ(jitter::replay_trace(trace, payloads, jb2, {})->output_hash, r->output_hash);
    EXPECT_LT(r->metrics.late_pct, 2.0);
  }
  RecordProperty("playout_hash", std::to_string(hashes[0]));
  RecordProperty("uplink_hash", std::to_string(hashes[1]));
  // FNV-1a of every output sample and frame flag (jitter::replay_trace). Pure IEEE
  // double arithmetic, no -ffast-math: stable across optimisation levels on x86-64.
  EXPECT_EQ(hashes[0], 10124927818943698177ull);
  EXPECT_EQ(hashes[1], 9431549020418102545ull);
}

}  // namespace
}  // namespace loqui
