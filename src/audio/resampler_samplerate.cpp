// SPDX-License-Identifier: Apache-2.0
// File: the libsamplerate resampler backend (one SRC_STATE per stream, float
// buffers sized at creation).
#include <samplerate.h>

#include <algorithm>
#include <string>
#include <vector>

#include "audio/resampler_backend.hpp"

namespace loqui::detail {
namespace {

class SamplerateBackend final : public ResamplerBackendImpl {
 public:
  SamplerateBackend(SRC_STATE* st, double ratio, std::size_t channels, std::size_t max_in, std::size_t max_out)
      : state_(st), ratio_(ratio), channels_(channels), in_(max_in * channels), out_(max_out * channels) {}
  ~SamplerateBackend() override { src_delete(state_); }
  SamplerateBackend(const SamplerateBackend&) = delete;
  SamplerateBackend& operator=(const SamplerateBackend&) = delete;

  Result<std::size_t> process(const std::int16_t* in, std::size_t in_frames, std::int16_t* out,
                              std::size_t out_frames) override {
    src_short_to_float_array(in, in_.data(), static_cast<int>(in_frames * channels_));
    return run(in_frames, out, out_frames, false);
  }

  Result<std::size_t> flush(std::int16_t* out, std::size_t out_frames) override {
    return run(0, out, out_frames, true);
  }

  void reset() noexcept override { (void)src_reset(state_); }

 private:
  /// Feeds in_[0, in_frames) (all of it) and collects output.
  Result<std::size_t> run(std::size_t in_frames, std::int16_t* out, std::size_t out_frames, bool end) {
    const std::size_t scratch_frames = out_.size() / channels_;
    std::size_t used = 0;
    std::size_t written = 0;
    while (true) {
      const std::size_t room = std::min(out_frames - written, scratch_frames);
      SRC_DATA d{};
      d.data_in = in_.data() + used * channels_;
      d.input_frames = static_cast<long>(in_frames - used);
      d.data_out = out_.data();
      d.output_frames = static_cast<long>(room);
      d.src_ratio = ratio_;
      d.end_of_input = end ? 1 : 0;
      if (const int e = src_process(state_, &d); e != 0)
        return Error(errc::internal, std::string("libsamplerate: ") + src_strerror(e));
      src_float_to_short_array(out_.data(), out + written * channels_, static_cast<int>(d.output_frames_gen * static_cast<long>(channels_)));
      used += static_cast<std::size_t>(d.input_frames_used);
      written += static_cast<std::size_t>(d.output_frames_gen);
      const bool input_left = used < in_frames;
      if (!input_left && (d.output_frames_gen == 0 || !end)) break;
      if (written == out_frames) {
        if (input_left) return Error(errc::overflow, "libsamplerate: output buffer too small");
        break;  // flushing: the rest comes with the next call
      }
      if (d.input_frames_used == 0 && d.output_frames_gen == 0 && input_left)
        return Error(errc::internal, "libsamplerate made no progress");
    }
    return written;
  }

  SRC_STATE* state_;
  double ratio_;
  std::size_t channels_;
  std::vector<float> in_;
  std::vector<float> out_;
};

}  // namespace

int samplerate_converter(ResamplerQuality quality) noexcept {
  switch (quality) {
    case ResamplerQuality::quick: return SRC_SINC_FASTEST;
    case ResamplerQuality::medium: return SRC_SINC_MEDIUM_QUALITY;
    case ResamplerQuality::high: return SRC_SINC_BEST_QUALITY;
  }
  return SRC_SINC_MEDIUM_QUALITY;
}

Result<std::unique_ptr<ResamplerBackendImpl>> make_samplerate_backend(const ResamplerConfig& config,
                                                                      std::size_t max_in_frames,
                                                                      std::size_t max_out_frames) {
  const double ratio = static_cast<double>(config.output_rate_hz) / config.input_rate_hz;
  if (!src_is_valid_ratio(ratio)) return Error(errc::invalid_argument, "libsamplerate: invalid ratio for " + config.to_string());
  int err = 0;
  SRC_STATE* st = src_new(samplerate_converter(config.quality), config.channels, &err);
  if (!st) return Error(errc::internal, "libsamplerate refused " + config.to_string() + ": " + src_strerror(err));
  return std::unique_ptr<ResamplerBackendImpl>(std::make_unique<SamplerateBackend>(
      st, ratio, static_cast<std::size_t>(config.channels), max_in_frames, max_out_frames));
}

}  // namespace loqui::detail
