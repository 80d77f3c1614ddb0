// SPDX-License-Identifier: Apache-2.0
// File: VadSegmenter: start when enough of the recent window is speech, stop after
// a continuous run of non-speech (the hangover).
#include <algorithm>
#include <bit>

#include "loqui/audio/vad.hpp"

namespace loqui {

std::optional<VadEvent> VadSegmenter::push(Duration frame_start, float probability, double level_dbfs) {
  const bool speech = probability >= config_.threshold && level_dbfs >= config_.min_volume_dbfs;
  history_ = (history_ << 1) | (speech ? 1u : 0u);
  const Duration frame = std::chrono::milliseconds(frame_ms_);
  const Duration frame_end = frame_start + frame;
  if (!speaking_) {
    const int window = std::max(1, std::min(32, config_.start_window_ms / frame_ms_));
    const std::uint32_t mask = window >= 32 ? 0xffffffffu : ((1u << window) - 1u);
    const int speech_frames = std::popcount(history_ & mask);
    if (speech && speech_frames * frame_ms_ >= config_.start_ms) {
      // Speech began at the oldest speech frame inside the window.
      int oldest = 0;
      for (int i = window - 1; i >= 0; --i) {
        if (history_ & (1u << i)) {
          oldest = i;
          break;
        }
      }
      speaking_ = true;
      silence_ms_ = 0;
      last_speech_end_ = frame_end;
      return VadEvent{VadEvent::Kind::speech_started, frame_start - frame * oldest, frame_end};
    }
    return std::nullopt;
  }
  if (speech) {
    silence_ms_ = 0;
    last_speech_end_ = frame_end;
    return std::nullopt;
  }
  silence_ms_ += frame_ms_;
  if (silence_ms_ >= config_.stop_ms) {
    speaking_ = false;
    silence_ms_ = 0;
    history_ = 0;
    return VadEvent{VadEvent::Kind::speech_stopped, last_speech_end_, frame_end};
  }
  return std::nullopt;
}

void VadSegmenter::reset() noexcept {
  speaking_ = false;
  history_ = 0;
  silence_ms_ = 0;
  last_speech_end_ = {};
}

}  // namespace loqui
