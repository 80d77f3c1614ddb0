// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "loqui/audio/frame.hpp"

namespace loqui {
namespace {

const AudioFormat k16k = AudioFormat::pcm16(16000);

TEST(AudioFormat, DescribesAndValidates) {
  EXPECT_EQ(k16k.to_string(), "pcm16/16000Hz/mono");
  EXPECT_EQ(AudioFormat::mulaw8k().to_string(), "mulaw/8000Hz/mono");
  EXPECT_EQ(AudioFormat::pcm16(48000, 2).to_string(), "pcm16/48000Hz/2ch");
  EXPECT_EQ(k16k.bytes_for(320), 640u);
  EXPECT_EQ(k16k.samples_in(std::chrono::milliseconds(20)), 320);
  EXPECT_EQ(k16k.duration_of(160), std::chrono::milliseconds(10));
  EXPECT_TRUE(k16k.validate().ok());
  auto bad = AudioFormat{0, 1, Encoding::pcm16}.validate();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("sample rate"), std::string::npos);
  EXPECT_EQ(parse_encoding("linear16"), Encoding::pcm16);
  EXPECT_EQ(parse_encoding("PCMU"), Encoding::mulaw);
  EXPECT_FALSE(parse_encoding("mp3").has_value());
}

TEST(AudioFrame, ViewsDoNotOwnOrAllowWrites) {
  std::vector<std::int16_t> pcm(320, 7);
  AudioFrame f = AudioFrame::view(k16k, pcm, 1600);
  EXPECT_FALSE(f.pooled());
  EXPECT_EQ(f.sample_count(), 320);
  EXPECT_EQ(f.duration(), std::chrono::milliseconds(20));
  EXPECT_EQ(f.timestamp(), 1600);
  EXPECT_EQ(f.samples().data(), pcm.data());
  EXPECT_TRUE(f.mutable_samples().empty());
  EXPECT_FALSE(f.resize(100));
}

TEST(FramePool, ReusesBuffersWithoutNewAllocations) {
  FramePool pool({.buffer_bytes = 640, .preallocate = 2});
  EXPECT_EQ(pool.stats().heap_allocations, 2u);
  const std::byte* first = nullptr;
  for (int i = 0; i < 1000; ++i) {
    AudioFrame f = pool.acquire(k16k, 320);
    ASSERT_EQ(f.samples().size(), 320u);
    if (i == 0) first = f.bytes().data();
    auto s = f.mutable_samples();
    ASSERT_EQ(s.size(), 320u);
    std::fill(s.begin(), s.end(), static_cast<std::int16_t>(i));
  }
  const auto st = pool.stats();
  EXPECT_EQ(st.heap_allocations, 2u);  // steady state: no allocation
  EXPECT_EQ(st.acquisitions, 1000u);
  EXPECT_EQ(st.buffers_in_use, 0u);
  AudioFrame again = pool.acquire(k16k, 320);
  EXPECT_EQ(again.bytes().data(), first);  // LIFO reuse keeps caches warm
}

TEST(FramePool, SharedFramesAreReadOnlyAndReturnOnLastRelease) {
  FramePool pool({.buffer_bytes = 640, .preallocate = 1});
  AudioFrame a = pool.acquire(k16k, 160);
  EXPECT_TRUE(a.unique());
  AudioFrame b = a;
  EXPECT_FALSE(a.unique());
  EXPECT_TRUE(a.mutable_samples().empty());
  EXPECT_EQ(pool.stats().buffers_in_use, 1u);
  a = AudioFrame();
  EXPECT_TRUE(b.unique());
  b = AudioFrame();
  EXPECT_EQ(pool.stats().buffers_in_use, 0u);
}

TEST(FramePool, OversizeRequestsAreServedAndCounted) {
  FramePool pool({.buffer_bytes = 64, .preallocate = 0});
  AudioFrame f = pool.acquire(k16k, 320);
  EXPECT_EQ(f.sample_count(), 320);
  EXPECT_EQ(pool.stats().oversize, 1u);
}

TEST(FramePool, FramesMayOutliveThePoolAndCrossThreads) {
  AudioFrame survivor;
  {
    FramePool pool({.buffer_bytes = 640, .preallocate = 4});
    survivor = pool.acquire(k16k, 10);
    survivor.mutable_samples()[0] = 42;
    AudioFrame other = pool.acquire(k16k, 10);
    std::thread t([f = std::move(other)]() mutable { f = AudioFrame(); });
    t.join();
  }
  EXPECT_EQ(survivor.samples()[0], 42);
}

TEST(FramePool, CopyKeepsTimingAndFlags) {
  FramePool pool;
  std::vector<std::int16_t> pcm = {1, 2, 3};
  AudioFrame v = AudioFrame::view(k16k, pcm, 99);
  v.set_capture_time(time_from_ms(5));
  v.add_flags(kFrameConcealed);
  AudioFrame c = pool.copy(v);
  EXPECT_TRUE(c.pooled());
  EXPECT_EQ(c.timestamp(), 99);
  EXPECT_EQ(to_ms(c.capture_time()), 5.0);
  EXPECT_TRUE(c.has_flag(kFrameConcealed));
  EXPECT_EQ(std::vector<std::int16_t>(c.samples().begin(), c.samples().end()), pcm);
}

}  // namespace
}  // namespace loqui
