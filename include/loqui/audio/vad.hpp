// SPDX-License-Identifier: Apache-2.0
// File: voice activity detection contracts. A VoiceDetector scores 10 ms frames
// (speech probability); a VadSegmenter turns scores into speech start/stop
// decisions with hysteresis. Detectors are pluggable (loqui's own, WebRTC's as a
// comparison peer, a neural model later); the segmenter is shared by all.
//
// Thread safety: both are per-stream state, confined to one strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "loqui/audio/format.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

/// Scores audio frames for speech.
class VoiceDetector {
 public:
  virtual ~VoiceDetector() = default;
  virtual std::string_view name() const noexcept = 0;
  /// The format process() takes: pcm16 mono, 8000 or 16000 Hz.
  virtual AudioFormat format() const noexcept = 0;
  /// Samples per analysis frame (10 ms at format().sample_rate_hz).
  virtual std::size_t frame_samples() const noexcept = 0;
  /// Speech probability in [0, 1] for exactly frame_samples() samples.
  virtual float process(std::span<const std::int16_t> frame) = 0;
  virtual void reset() = 0;
};

struct VadConfig {
  float threshold = 0.5f;     ///< probability at or above which a frame counts as speech
  int start_ms = 60;          ///< speech needed (within start_window_ms) to declare speech started
  int start_window_ms = 100;  ///< window for start_ms (tolerates a dropped frame)
  int stop_ms = 250;          ///< continuous non-speech needed to declare speech stopped (hangover)
  float min_volume_dbfs = -55.0f;  ///< frames quieter than this are never speech
};

/// A decision of the segmenter. Times are media times of the analysed stream:
/// `speech_start` is where the speech began (the first speech frame of the run that
/// triggered it), `speech_end` the end of the last speech frame — not when the
/// decision was taken, which is later by the configured start/stop delay.
struct VadEvent {
  enum class Kind : std::uint8_t { speech_started, speech_stopped } kind;
  Duration at;           ///< media time of the boundary (start of speech or end of speech)
  Duration decided_at;   ///< media time at which the decision was made
};

/// Hysteresis over per-frame probabilities.
class VadSegmenter {
 public:
  explicit VadSegmenter(VadConfig config = {}, int frame_ms = 10) : config_(config), frame_ms_(frame_ms) {}

  /// Feeds one frame's probability and level (dBFS). `frame_start` is the frame's
  /// media time. Returns an event when the state flips.
  std::optional<VadEvent> push(Duration frame_start, float probability, double level_dbfs);
  bool speaking() const noexcept { return speaking_; }
  void reset() noexcept;
  const VadConfig& config() const noexcept { return config_; }

 private:
  VadConfig config_;
  int frame_ms_;
  bool speaking_ = false;
  std::uint32_t history_ = 0;  ///< last 32 frames, bit 0 newest: 1 = speech
  int silence_ms_ = 0;
  Duration last_speech_end_{};
};

}  // namespace loqui
