// SPDX-License-Identifier: Apache-2.0
// File: streaming sample-rate conversion of pcm16: one Resampler interface over two
// backends, libsoxr (default) and libsamplerate, plus ResampleFilter, the stage
// form for compile-time chains and the run-time "resample" stage.
//
// A Resampler holds the state of one stream in one direction (an inbound 8->16 kHz
// leg and an outbound 24->8 kHz leg are two resamplers). Everything it needs is
// allocated by create(); process() and finish() never allocate.
//
// Quality presets (measured figures: docs/audio.md, bench/resampler_bench):
//   quick   lowest latency and cost; soxr: passband to 0.80 of Nyquist, stopband
//           from 1.2; libsamplerate: SRC_SINC_FASTEST.
//   medium  (default) transparent for speech; soxr: flat to 0.90 of Nyquist,
//           stopband (>100 dB) from 1.1; libsamplerate: SRC_SINC_MEDIUM_QUALITY.
//   high    soxr: 20-bit precision, flat to 0.913, no aliasing above Nyquist;
//           libsamplerate: SRC_SINC_BEST_QUALITY. More latency.
// soxr is configured for streaming (linear phase, smallest DFT blocks, no dither):
// its default configuration holds back 40-100 ms of audio, unusable in a call.
//
// Output is time-aligned with the input (linear-phase filters): after finish(), the
// whole output corresponds sample for sample to the whole input at the new rate
// (round(input * ratio) samples), with nothing lost at the end. While streaming,
// the output lags the input by latency_samples(), measured at creation by running
// the configured converter on 20 ms frames.
//
// Thread safety: a Resampler is confined to one strand. Distinct objects: safe.
//
// @code
//   auto rs = loqui::Resampler::create({.input_rate_hz = 24000, .output_rate_hz = 8000});
//   if (!rs) return rs.error();
//   std::vector<int16_t> out(rs->max_output_samples(480));
//   auto n = rs->process(tts_20ms, out);           // Result<size_t>, samples per channel
//   ...
//   auto tail = rs->finish(out);                    // end of stream: the held-back tail
// @endcode
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/audio/format.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/error.hpp"
#include "loqui/pipeline/concepts.hpp"

namespace loqui {

enum class ResamplerBackend : std::uint8_t {
  soxr,        ///< libsoxr (default): ~1-5 us per 20 ms frame
  samplerate,  ///< libsamplerate (Secret Rabbit Code): steadier, lower latency, 10-100x the CPU
};
enum class ResamplerQuality : std::uint8_t { quick, medium, high };

std::string_view to_string(ResamplerBackend backend) noexcept;
std::string_view to_string(ResamplerQuality quality) noexcept;
/// "soxr" | "samplerate" (also "libsoxr", "libsamplerate", "src").
std::optional<ResamplerBackend> parse_resampler_backend(std::string_view name) noexcept;
/// "quick" | "medium" | "high" (also "low", "fast", "best").
std::optional<ResamplerQuality> parse_resampler_quality(std::string_view name) noexcept;
/// True if this build has the backend (LOQUI_WITH_SOXR / LOQUI_WITH_SAMPLERATE).
bool resampler_backend_available(ResamplerBackend backend) noexcept;

struct ResamplerConfig {
  int input_rate_hz = 16000;   ///< 8000, 16000, 22050, 24000, 32000, 44100 or 48000
  int output_rate_hz = 16000;  ///< as input_rate_hz; equal rates copy through (latency 0)
  int channels = 1;            ///< 1..8, interleaved
  ResamplerQuality quality = ResamplerQuality::medium;
  ResamplerBackend backend = ResamplerBackend::soxr;
  /// Largest input per process() call the internal buffers are sized for, in ms
  /// (1..1000). Larger inputs are fine: they are processed in pieces.
  int max_input_ms = 100;

  /// ok, or errc::invalid_argument naming the field (a rate outside the list above,
  /// channels, max_input_ms).
  Status validate() const;
  /// "soxr/medium 24000->8000 Hz mono".
  std::string to_string() const;
};

/// A streaming sample-rate converter for one stream in one direction.
///
/// Thread safety: confined to one strand.
/// Errors: create(): invalid_argument (config), not_supported (backend not built),
/// internal (the library refused the configuration, with its message).
/// process()/finish(): overflow if `out` is smaller than max_output_samples(),
/// invalid_argument for input that is not whole frames. After an error the state is
/// unchanged (nothing was consumed).
class Resampler {
 public:
  static Result<Resampler> create(const ResamplerConfig& config);

  Resampler(Resampler&&) noexcept;
  Resampler& operator=(Resampler&&) noexcept;
  ~Resampler();

  const ResamplerConfig& config() const noexcept;
  /// output rate / input rate.
  double ratio() const noexcept;
  AudioFormat input_format() const noexcept;
  AudioFormat output_format() const noexcept;

  /// Per-channel samples `out` must hold for process() of `input_samples`
  /// per-channel samples (or for finish() with input_samples = 0).
  std::size_t max_output_samples(std::size_t input_samples) const noexcept;

  /// Converts interleaved `in`; writes interleaved output to `out`. Returns
  /// per-channel samples written (0 while the converter fills up).
  Result<std::size_t> process(std::span<const std::int16_t> in, std::span<std::int16_t> out);
  /// End of stream: writes the held-back tail. Call until it returns 0 (one call
  /// suffices when `out` holds max_output_samples(0)); the resampler is then reset
  /// and ready for a new stream.
  Result<std::size_t> finish(std::span<std::int16_t> out);
  /// Drops all state (held-back audio included), e.g. on barge-in or a new stream.
  void reset() noexcept;

  /// Output samples the converter holds back while streaming 20 ms frames (the
  /// added latency), measured at creation. 0 for equal rates.
  std::size_t latency_samples() const noexcept;
  /// latency_samples() as a duration at the output rate.
  Duration latency() const noexcept;
  /// Per-channel samples consumed / produced since the stream started.
  std::int64_t input_samples() const noexcept;
  std::int64_t output_samples() const noexcept;

  struct Impl;  ///< implementation detail

 private:
  explicit Resampler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Converts a whole mono pcm16 buffer at once (files, pre-rendered prompts; not
/// for the media path). The output is aligned with the input and its
/// length is in.size() * out / in, rounded.
/// Errors: as ResamplerConfig::validate().
Result<std::vector<std::int16_t>> resample_buffer(std::span<const std::int16_t> in, int input_rate_hz,
                                                  int output_rate_hz,
                                                  ResamplerQuality quality = ResamplerQuality::high);

/// Resampling as a compile-time Filter (and, through make_stage(), a run-time
/// Stage). Output frames carry timestamps in samples at the output rate and the
/// flags of the input frame they came from; a frame flagged kFrameDiscontinuity
/// first drains the previous stream. No allocation after create().
///
/// @code
///   auto rs = loqui::ResampleFilter::create({.input_rate_hz = 24000, .output_rate_hz = 8000});
///   auto chain = loqui::make_chain(std::move(*rs), MulawEncode{}, Sender{});
/// @endcode
class ResampleFilter {
 public:
  static Result<ResampleFilter> create(const ResamplerConfig& config);

  std::string_view name() const noexcept { return "resample"; }
  AudioFormat input_format() const noexcept { return resampler_.input_format(); }
  AudioFormat output_format() const noexcept { return resampler_.output_format(); }

  template <PushTarget Next>
  Flow push(const AudioFrame& frame, Next& next) {
    if (!(frame.format() == resampler_.input_format())) [[unlikely]] return wrong_format(frame);
    if (frame.has_flag(kFrameDiscontinuity) && started_) {
      if (const Flow f = finish(next); f != Flow::ok) return f;
    }
    if (!started_) start_at(frame.timestamp());
    const std::span<const std::int16_t> in = frame.samples();
    std::size_t done = 0;
    while (done < in.size()) {
      const std::size_t piece = std::min(in.size() - done, piece_samples_);
      auto n = resampler_.process(in.subspan(done, piece), out_);
      if (!n) return fail(std::move(n).error());
      done += piece;
      if (*n > 0) {
        if (const Flow f = emit(*n, frame, next); f != Flow::ok) return f;
      }
    }
    return Flow::ok;
  }

  /// End of stream: pushes the held-back tail and resets for a new stream.
  template <PushTarget Next>
  Flow finish(Next& next) {
    if (!started_) return Flow::ok;
    while (true) {
      auto n = resampler_.finish(out_);
      if (!n) return fail(std::move(n).error());
      if (*n == 0) break;
      if (const Flow f = emit(*n, AudioFrame{}, next); f != Flow::ok) return f;
    }
    started_ = false;
    return Flow::ok;
  }

  /// Barge-in: drops held-back audio.
  void flush() noexcept {
    resampler_.reset();
    started_ = false;
  }
  const Error* last_error() const noexcept { return error_.message().empty() ? nullptr : &error_; }
  Resampler& resampler() noexcept { return resampler_; }
  const Resampler& resampler() const noexcept { return resampler_; }

 private:
  explicit ResampleFilter(Resampler r);
  void start_at(std::int64_t input_timestamp) noexcept;
  Flow wrong_format(const AudioFrame& frame);
  Flow fail(Error e) {
    error_ = std::move(e);
    return Flow::error;
  }
  template <PushTarget Next>
  Flow emit(std::size_t samples, const AudioFrame& from, Next& next) {
    const auto ch = static_cast<std::size_t>(resampler_.output_format().channels);
    AudioFrame o = AudioFrame::view(resampler_.output_format(),
                                    std::span<const std::int16_t>(out_.data(), samples * ch), out_timestamp_);
    o.set_capture_time(from.capture_time());
    o.set_flags(from.flags());
    out_timestamp_ += static_cast<std::int64_t>(samples);
    return next.push(o);
  }

  Resampler resampler_;
  std::vector<std::int16_t> out_;
  std::size_t piece_samples_ = 0;  // interleaved input samples per process() call
  std::int64_t out_timestamp_ = 0;
  bool started_ = false;
  Error error_;
};

}  // namespace loqui
