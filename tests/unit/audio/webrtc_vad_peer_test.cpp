// SPDX-License-Identifier: Apache-2.0
// The WebRTC VAD comparison peer (peers/webrtc_vad.hpp) behind VoiceDetector.
#include <gtest/gtest.h>

#include "support/dsp_signals.hpp"
#include "webrtc_vad.hpp"

namespace loqui {
namespace {

TEST(WebRtcVadPeer, DecidesSpeechAndSilenceAtBothRatesInEveryMode) {
  for (int rate : {8000, 16000}) {
    for (int mode = 0; mode <= 3; ++mode) {
      auto det = peers::make_webrtc_vad(mode, rate);
      ASSERT_TRUE(det) << det.error().message();
      EXPECT_EQ((*det)->name(), "webrtc-" + std::to_string(mode));
      EXPECT_EQ((*det)->frame_samples(), static_cast<std::size_t>(rate / 100));
      const auto speech = testing::speechlike(rate, 1.0);
      const std::vector<std::int16_t> silence(static_cast<std::size_t>(rate), 0);
      const std::size_t n = (*det)->frame_samples();
      int speech_frames = 0, silence_frames = 0;
      for (std::size_t i = 0; i + n <= speech.size(); i += n) speech_frames += (*det)->process({speech.data() + i, n}) > 0.5f;
      (*det)->reset();
      for (std::size_t i = 0; i + n <= silence.size(); i += n)
        silence_frames += (*det)->process({silence.data() + i, n}) > 0.5f;
      EXPECT_GT(speech_frames, 80) << "rate " << rate << " mode " << mode;
      EXPECT_EQ(silence_frames, 0) << "rate " << rate << " mode " << mode;
    }
  }
}

TEST(WebRtcVadPeer, BadModeAndRateAreClearErrors) {
  auto mode = peers::make_webrtc_vad(4, 16000);
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message().find("mode 4 is not 0..3"), std::string::npos);
  auto rate = peers::make_webrtc_vad(1, 22050);
  ASSERT_FALSE(rate);
  EXPECT_NE(rate.error().message().find("22050 Hz is not supported"), std::string::npos);
}

}  // namespace
}  // namespace loqui
