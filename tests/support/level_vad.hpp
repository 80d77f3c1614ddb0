// SPDX-License-Identifier: Apache-2.0
// File: a level-threshold VoiceDetector for tests: a 10 ms frame is speech when its
// RMS level is above a threshold (the synthetic callers speak tones over digital
// silence, so level alone is a perfect detector).
#pragma once

#include <memory>

#include "loqui/audio/convert.hpp"
#include "loqui/audio/vad.hpp"

namespace loqui::testing {

class LevelDetector final : public VoiceDetector {
 public:
  explicit LevelDetector(double threshold_dbfs = -40.0, int rate_hz = 16000)
      : threshold_(threshold_dbfs), rate_(rate_hz) {}
  std::string_view name() const noexcept override { return "level"; }
  AudioFormat format() const noexcept override { return AudioFormat::pcm16(rate_); }
  std::size_t frame_samples() const noexcept override { return static_cast<std::size_t>(rate_ / 100); }
  float process(std::span<const std::int16_t> frame) override { return rms_dbfs(frame) > threshold_ ? 1.f : 0.f; }
  void reset() override {}

 private:
  double threshold_;
  int rate_;
};

inline std::unique_ptr<VoiceDetector> make_level_detector() { return std::make_unique<LevelDetector>(); }

}  // namespace loqui::testing
