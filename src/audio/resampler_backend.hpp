// SPDX-License-Identifier: Apache-2.0
// File: the private interface between Resampler and its library backends (libsoxr,
// libsamplerate), one implementation file each, compiled only when the library is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "loqui/audio/resampler.hpp"

struct soxr;  // libsoxr's state (soxr_t), opaque here

namespace loqui::detail {

/// One converter state. Counts are per-channel frames; buffers are interleaved.
class ResamplerBackendImpl {
 public:
  virtual ~ResamplerBackendImpl() = default;
  /// Consumes all `in_frames` (at most the max_input_frames given at creation) and
  /// writes up to `out_frames`. Returns frames written.
  virtual Result<std::size_t> process(const std::int16_t* in, std::size_t in_frames, std::int16_t* out,
                                      std::size_t out_frames) = 0;
  /// End of input: writes held-back frames; returns 0 once everything is out.
  virtual Result<std::size_t> flush(std::int16_t* out, std::size_t out_frames) = 0;
  /// Back to the initial state (same configuration).
  virtual void reset() noexcept = 0;
};

/// Creates the libsoxr state loqui streams `config` with (a soxr_t). Shared with
/// the benchmark that times raw soxr_process() next to the Resampler, so both use
/// identical settings. Errors: internal, with libsoxr's message.
Result<soxr*> create_soxr(const ResamplerConfig& config);
/// The libsamplerate converter (SRC_SINC_*) of a quality preset.
int samplerate_converter(ResamplerQuality quality) noexcept;

/// `max_out_frames` bounds any single process()/flush() output.
Result<std::unique_ptr<ResamplerBackendImpl>> make_soxr_backend(const ResamplerConfig& config,
                                                                std::size_t max_in_frames,
                                                                std::size_t max_out_frames);
Result<std::unique_ptr<ResamplerBackendImpl>> make_samplerate_backend(const ResamplerConfig& config,
                                                                      std::size_t max_in_frames,
                                                                      std::size_t max_out_frames);

}  // namespace loqui::detail
