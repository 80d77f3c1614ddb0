// SPDX-License-Identifier: Apache-2.0
// File: VadFilter: cuts pushed audio into 10 ms analysis frames on the stream's
// media-time grid, scores them and runs the segmenter.
#include <algorithm>

#include "loqui/audio/convert.hpp"
#include "loqui/audio/vad.hpp"

namespace loqui {

Result<VadFilter> VadFilter::create(std::unique_ptr<VoiceDetector> detector, VadConfig config) {
  if (!detector) return make_error(errc::invalid_argument, "VadFilter: the detector is null");
  return VadFilter(std::move(detector), config);
}

VadFilter::VadFilter(std::unique_ptr<VoiceDetector> detector, VadConfig config)
    : detector_(std::move(detector)), segmenter_(config, 10) {
  pending_.reserve(detector_->frame_samples());
}

void VadFilter::flush() noexcept {
  pending_.clear();
  next_sample_ = -1;
  detector_->reset();
  segmenter_.reset();
  last_probability_ = 0.0f;
}

Flow VadFilter::wrong_format(const AudioFrame& frame) {
  error_ = frame_format_error(name(), frame.format(), detector_->format());
  return Flow::error;
}

void VadFilter::score_frame(std::span<const std::int16_t> samples, bool gap) {
  const float p = gap ? 0.0f : detector_->process(samples);
  const double level = gap ? -120.0 : rms_dbfs(samples);
  const Duration start = detector_->format().duration_of(pending_start_);
  last_probability_ = p;
  ++frames_scored_;
  const auto event = segmenter_.push(start, p, level);
  if (observer_) {
    const auto& cfg = segmenter_.config();
    observer_->on_vad_frame(VadFrame{start, p, level, !gap && p >= cfg.threshold && level >= cfg.min_volume_dbfs, gap});
    if (event) observer_->on_vad_event(*event);
  }
  pending_start_ += static_cast<std::int64_t>(detector_->frame_samples());
}

void VadFilter::analyse(const AudioFrame& frame) {
  const std::span<const std::int16_t> in = frame.samples();
  const std::size_t n = detector_->frame_samples();
  const std::int64_t ts = frame.timestamp();
  if (frame.has_flag(kFrameDiscontinuity) || ts != next_sample_) pending_.clear();
  if (pending_.empty()) pending_start_ = ts;
  next_sample_ = ts + static_cast<std::int64_t>(in.size());
  if (frame.has_flag(kFrameGap)) {
    pending_.clear();
    pending_start_ = ts;
    for (std::size_t done = 0; done + n <= in.size(); done += n) score_frame({}, true);
    pending_start_ = next_sample_;
    return;
  }
  std::size_t done = 0;
  if (!pending_.empty()) {
    const std::size_t take = std::min(n - pending_.size(), in.size());
    pending_.insert(pending_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
    done = take;
    if (pending_.size() < n) return;
    score_frame(pending_, false);
    pending_.clear();
  }
  for (; done + n <= in.size(); done += n) score_frame(in.subspan(done, n), false);
  pending_.assign(in.begin() + static_cast<std::ptrdiff_t>(done), in.end());
}

}  // namespace loqui
