// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "loqui/sim/phone_line.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;

std::vector<std::int16_t> tone(int rate, std::size_t samples, double hz, std::size_t offset = 0) {
  std::vector<std::int16_t> v(samples);
  for (std::size_t i = 0; i < samples; ++i)
    v[i] = static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i + offset) / rate));
  return v;
}

double rms(std::span<const std::int16_t> s) {
  double acc = 0;
  for (auto x : s) acc += static_cast<double>(x) * x;
  return s.empty() ? 0 : std::sqrt(acc / static_cast<double>(s.size()));
}

struct LineRun {
  std::vector<std::int16_t> heard;
  std::uint32_t gap_frames = 0;
};

/// One second of tone through the line, then one second of draining.
LineRun run_line(PhoneLine& line) {
  LineRun r;
  TimePoint now{};
  const std::size_t n = line.packet_samples();
  const int rate = line.profile().pcm_rate_hz();
  for (int i = 0; i < 100; ++i, now += 20ms) {
    if (i < 50) {
      auto pcm = tone(rate, n, 440, static_cast<std::size_t>(i) * n);
      EXPECT_TRUE(line.send(pcm, now).ok());
    }
    const AudioFrame f = line.receive(now);
    EXPECT_EQ(f.samples().size(), 320u);
    EXPECT_EQ(f.format().sample_rate_hz, 16000);
    if (f.has_flag(kFrameGap)) ++r.gap_frames;
    r.heard.insert(r.heard.end(), f.samples().begin(), f.samples().end());
  }
  return r;
}

TEST(LineProfile, ParsesNamesAndOptions) {
  auto p = LineProfile::parse("pstn,loss=2%,jitter=30ms,delay=60ms,seed=9");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->codec.encoding, Encoding::mulaw);
  EXPECT_DOUBLE_EQ(p->loss, 0.02);
  EXPECT_EQ(p->mean_jitter, 30ms);
  EXPECT_EQ(p->base_delay, 60ms);
  EXPECT_EQ(p->seed, 9u);
  auto w = LineProfile::parse("wideband");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->codec.encoding, Encoding::opus);
  EXPECT_EQ(w->pcm_rate_hz(), 16000);
}

TEST(LineProfile, BadSpecsNameWhatIsWrong) {
  auto a = LineProfile::parse("isdn");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("unknown profile 'isdn'"), std::string::npos);
  auto b = LineProfile::parse("pstn,loss=80%");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("loss"), std::string::npos);
  auto c = LineProfile::parse("pstn,ptime=25ms");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("ptime"), std::string::npos);
  EXPECT_FALSE(LineProfile::parse("pstn,jitter").ok());
}

TEST(PhoneLine, CleanPstnLineDeliversTheCallerAfterTheLineDelay) {
  auto p = LineProfile::parse("pstn");
  ASSERT_TRUE(p.ok());
  auto line = PhoneLine::create(*p, 16000);
  ASSERT_TRUE(line.ok()) << line.error().message();
  EXPECT_EQ(line->packet_samples(), 160u);
  const LineRun r = run_line(*line);
  // The first 40 ms (line delay) are silent; the middle of the call carries the tone.
  EXPECT_LT(rms(std::span(r.heard).first(320)), 1.0);
  EXPECT_GT(rms(std::span(r.heard).subspan(16000 / 2, 3200)), 4000.0);
  // After the caller stopped and the buffer drained, silence again.
  EXPECT_LT(rms(std::span(r.heard).last(3200)), 50.0);
  const JitterStats st = line->stats();
  EXPECT_EQ(st.packets_received, 50u);
  EXPECT_EQ(st.packets_lost, 0);
  EXPECT_EQ(line->packets_dropped(), 0u);
}

TEST(PhoneLine, LossyJitteryLineIsDeterministicAndFlagsGaps) {
  auto p = LineProfile::parse("pstn,loss=10%,jitter=25ms,seed=3");
  ASSERT_TRUE(p.ok());
  auto a = PhoneLine::create(*p, 16000);
  auto b = PhoneLine::create(*p, 16000);
  ASSERT_TRUE(a.ok() && b.ok());
  const LineRun ra = run_line(*a);
  const LineRun rb = run_line(*b);
  EXPECT_EQ(ra.heard, rb.heard);  // same seed, same audio
  EXPECT_GT(a->packets_dropped(), 0u);
  EXPECT_GT(ra.gap_frames, 0u);    // uplink mode flags gaps for VAD/STT
  EXPECT_EQ(static_cast<std::uint64_t>(a->stats().packets_received) + a->packets_dropped(), 50u);
}

TEST(PhoneLine, SendRejectsAWrongPacketSize) {
  auto line = PhoneLine::create(*LineProfile::parse("pstn"), 16000);
  ASSERT_TRUE(line.ok());
  std::vector<std::int16_t> pcm(100);
  auto s = line->send(pcm, TimePoint{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("160 samples"), std::string::npos);
}

TEST(PlayoutQueue, PlaysAtRealTimePaceAndReportsInputSamples) {
  auto q = PlayoutQueue::create(16000);
  ASSERT_TRUE(q.ok());
  const auto agent = tone(24000, 24000, 300);  // 1 s at the TTS rate
  ASSERT_TRUE(q->push(AudioFrame::view(AudioFormat::pcm16(24000), agent)).ok());
  std::vector<std::int16_t> out(q->frame_samples());
  std::size_t agent_samples = 0;
  for (int i = 0; i < 25; ++i) agent_samples += q->play(out);  // half a second
  EXPECT_EQ(agent_samples, 25u * 320u);
  EXPECT_NEAR(static_cast<double>(q->played_input_samples()), 12000.0, 1.0);
  EXPECT_GT(q->queued_ms(), 400.0);
  q->clear();  // barge-in: the rest is never played
  EXPECT_TRUE(q->empty());
  EXPECT_EQ(q->play(out), 0u);
  EXPECT_LT(rms(out), 1.0);
}

TEST(PlayoutQueue, RejectsStereoOrEncodedAudio) {
  auto q = PlayoutQueue::create(16000);
  ASSERT_TRUE(q.ok());
  std::vector<std::int16_t> st(640);
  auto s = q->push(AudioFrame::view(AudioFormat::pcm16(16000, 2), st));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("mono pcm16"), std::string::npos);
  EXPECT_FALSE(PlayoutQueue::create(7000).ok());
}

}  // namespace
}  // namespace loqui
