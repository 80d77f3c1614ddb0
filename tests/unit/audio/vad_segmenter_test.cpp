// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/audio/vad.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;

struct Run {
  std::vector<VadEvent> events;
};

Run feed(VadSegmenter& seg, const std::string& pattern, double level = -20) {
  Run r;
  Duration t{};
  for (char c : pattern) {
    if (auto e = seg.push(t, c == 'S' ? 0.9f : 0.1f, level)) r.events.push_back(*e);
    t += 10ms;
  }
  return r;
}

TEST(VadSegmenter, StartsAfterStartMsAndStopsAfterHangover) {
  VadSegmenter seg({.start_ms = 60, .start_window_ms = 100, .stop_ms = 200});
  // 100 ms silence, 500 ms speech, 300 ms silence.
  auto r = feed(seg, std::string(10, '.') + std::string(50, 'S') + std::string(30, '.'));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].kind, VadEvent::Kind::speech_started);
  EXPECT_EQ(r.events[0].at, 100ms);          // where speech began
  EXPECT_EQ(r.events[0].decided_at, 160ms);  // after 60 ms of speech
  EXPECT_EQ(r.events[1].kind, VadEvent::Kind::speech_stopped);
  EXPECT_EQ(r.events[1].at, 600ms);          // end of the last speech frame
  EXPECT_EQ(r.events[1].decided_at, 800ms);  // after the 200 ms hangover
}

TEST(VadSegmenter, ShortBlipsAndShortPausesDoNotFlip) {
  VadSegmenter seg({.start_ms = 60, .start_window_ms = 100, .stop_ms = 200});
  auto blips = feed(seg, "..SS....SS......S.S.......");
  EXPECT_TRUE(blips.events.empty());
  VadSegmenter seg2({.start_ms = 60, .start_window_ms = 100, .stop_ms = 200});
  auto pause = feed(seg2, std::string(20, 'S') + std::string(15, '.') + std::string(20, 'S'));
  ASSERT_EQ(pause.events.size(), 1u);  // a 150 ms pause is inside the hangover
  EXPECT_TRUE(seg2.speaking());
}

TEST(VadSegmenter, ToleratesADroppedFrameInsideTheStartWindow) {
  VadSegmenter seg({.start_ms = 60, .start_window_ms = 100, .stop_ms = 200});
  auto r = feed(seg, "SSS.SSS");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].at, 0ms);
}

TEST(VadSegmenter, QuietFramesAreNeverSpeech) {
  VadSegmenter seg({.start_ms = 30, .min_volume_dbfs = -50});
  auto r = feed(seg, std::string(20, 'S'), -70.0);
  EXPECT_TRUE(r.events.empty());
  seg.reset();
  EXPECT_FALSE(seg.speaking());
}

}  // namespace
}  // namespace loqui
