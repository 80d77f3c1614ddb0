// SPDX-License-Identifier: Apache-2.0
// File: voice activity detection. A VoiceDetector scores 10 ms frames (speech
// probability); a VadSegmenter turns scores into speech start/stop decisions with
// hysteresis; VadFilter does both inside a pipeline. Detectors are pluggable
// (make_voice_detector: loqui's spectral-feature model, a simple energy detector;
// WebRTC's VAD as the benchmark peer; a neural model later) and the segmenter is
// shared by all. docs/audio.md ("Voice activity detection") has the algorithm and
// the measured figures.
//
// @code
//   auto det = loqui::make_voice_detector("loqui", 16000);   // or "energy"
//   if (!det) return det.error();
//   auto filter = loqui::VadFilter::create(std::move(*det));  // pass-through Filter
//   filter->set_observer(&my_observer);  // on_vad_frame / on_vad_event
// @endcode
//
// Thread safety: detectors, segmenters and filters are per-stream state, confined
// to one strand. make_voice_detector() may be called from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "loqui/audio/format.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/error.hpp"
#include "loqui/pipeline/concepts.hpp"
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
  /// Speech probability in [0, 1] for exactly frame_samples() samples (the hot
  /// path: the size is the caller's contract; score() checks it).
  virtual float process(std::span<const std::int16_t> frame) = 0;
  virtual void reset() = 0;

  /// Checked process(): errc::invalid_argument naming the detector, the expected
  /// and the received sample counts when the frame is not exactly 10 ms.
  Result<float> score(std::span<const std::int16_t> frame);
  /// Float samples in [-1, 1] (clipped beyond): also rejects NaN and infinity,
  /// naming the first bad sample's index.
  Result<float> score(std::span<const float> frame);
};

/// Detector names make_voice_detector() knows, the default ("loqui") first.
std::span<const std::string_view> voice_detector_names() noexcept;

/// Makes a detector by name for pcm16 mono at `sample_rate` (8000 or 16000):
///  * "loqui" (default; also ""): adaptive per-band noise floor + spectral features
///    (sub-band SNRs, flatness, harmonicity, energy modulation) scored by a small
///    MLP trained offline (bench/vad/vad_train; weights in src/audio/vad_model_weights.cpp);
///  * "energy": frame energy over an adaptive noise floor (cheap, fine in quiet rooms).
/// Errors: errc::not_found for an unknown name (the message lists the valid names);
/// errc::invalid_argument for a rate other than 8000 or 16000.
Result<std::unique_ptr<VoiceDetector>> make_voice_detector(std::string_view name, int sample_rate);

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

/// Per-frame result handed to a VadObserver (one per 10 ms analysis frame).
struct VadFrame {
  Duration start;      ///< media time of the frame's first sample
  float probability;   ///< detector output
  double level_dbfs;   ///< frame level
  bool speech;         ///< probability >= threshold and level >= min_volume_dbfs
  bool gap;            ///< network gap (kFrameGap): not scored, counted as non-speech
};

/// Receives VadFilter's output; called synchronously from push().
class VadObserver {
 public:
  virtual ~VadObserver() = default;
  virtual void on_vad_frame(const VadFrame& frame) { (void)frame; }
  virtual void on_vad_event(const VadEvent& event) = 0;
};

/// A pass-through Filter (pcm16 mono at the detector's rate): frames go on to the
/// next stage unchanged; every 10 ms of audio is scored and fed to a VadSegmenter,
/// and results go to the observer. Accepts frames of any length (10, 20, 30 ms ...;
/// a remainder is carried over). Media time comes from frame timestamps: a jump
/// (or kFrameDiscontinuity) restarts the 10 ms grid there. Frames flagged kFrameGap
/// are not scored (they would bias the noise floor) and count as non-speech.
/// No heap allocation per frame.
class VadFilter {
 public:
  /// Errors: errc::invalid_argument for a null detector.
  static Result<VadFilter> create(std::unique_ptr<VoiceDetector> detector, VadConfig config = {});

  std::string_view name() const noexcept { return "vad"; }
  AudioFormat input_format() const noexcept { return detector_->format(); }
  AudioFormat output_format() const noexcept { return detector_->format(); }

  template <PushTarget Next>
  Flow push(const AudioFrame& frame, Next& next) {
    if (!(frame.format() == detector_->format())) [[unlikely]] return wrong_format(frame);
    analyse(frame);
    return next.push(frame);
  }
  /// Barge-in / new stream: drops the carried-over partial frame, resets detector
  /// and segmenter state.
  void flush() noexcept;
  const Error* last_error() const noexcept { return error_ ? &*error_ : nullptr; }

  /// `observer` is not owned; nullptr to stop reporting.
  void set_observer(VadObserver* observer) noexcept { observer_ = observer; }
  bool speaking() const noexcept { return segmenter_.speaking(); }
  float last_probability() const noexcept { return last_probability_; }
  VoiceDetector& detector() noexcept { return *detector_; }
  const VadSegmenter& segmenter() const noexcept { return segmenter_; }
  std::uint64_t frames_scored() const noexcept { return frames_scored_; }

 private:
  VadFilter(std::unique_ptr<VoiceDetector> detector, VadConfig config);
  void analyse(const AudioFrame& frame);
  void score_frame(std::span<const std::int16_t> samples, bool gap);
  Flow wrong_format(const AudioFrame& frame);

  std::unique_ptr<VoiceDetector> detector_;
  VadSegmenter segmenter_;
  VadObserver* observer_ = nullptr;
  std::vector<std::int16_t> pending_;  ///< partial 10 ms frame (capacity reserved at create)
  std::int64_t next_sample_ = -1;      ///< timestamp expected for the next input sample
  std::int64_t pending_start_ = 0;     ///< timestamp of pending_[0]
  float last_probability_ = 0.0f;
  std::uint64_t frames_scored_ = 0;
  std::optional<Error> error_;
};

}  // namespace loqui
