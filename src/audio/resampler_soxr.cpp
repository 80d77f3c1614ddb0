// SPDX-License-Identifier: Apache-2.0
// File: the libsoxr resampler backend, configured for streaming.
//
// soxr's presets assume file conversion: with its default DFT sizes it releases
// output in blocks and holds back 40-100 ms. For a call we use the smallest DFT
// blocks (2^8), linear phase (output stays time-aligned, so round trips compare
// sample for sample), no dither (deterministic output) and one thread, with a
// passband/stopband per quality preset chosen for low latency (docs/audio.md).
#include <soxr.h>

#include <string>

#include "audio/resampler_backend.hpp"

namespace loqui::detail {
namespace {

class SoxrBackend final : public ResamplerBackendImpl {
 public:
  explicit SoxrBackend(soxr_t s) : soxr_(s) {}
  ~SoxrBackend() override { soxr_delete(soxr_); }
  SoxrBackend(const SoxrBackend&) = delete;
  SoxrBackend& operator=(const SoxrBackend&) = delete;

  Result<std::size_t> process(const std::int16_t* in, std::size_t in_frames, std::int16_t* out,
                              std::size_t out_frames) override {
    std::size_t written = 0;
    std::size_t consumed = 0;
    // soxr takes all input into its FIFO; loop only in case it ever takes less.
    while (consumed < in_frames) {
      std::size_t idone = 0;
      std::size_t odone = 0;
      if (soxr_error_t e = soxr_process(soxr_, in + consumed * channels_, in_frames - consumed, &idone,
                                        out + written * channels_, out_frames - written, &odone)) {
        return Error(errc::internal, std::string("libsoxr: ") + e);
      }
      consumed += idone;
      written += odone;
      if (idone == 0 && odone == 0) return Error(errc::internal, "libsoxr made no progress");
    }
    return written;
  }

  Result<std::size_t> flush(std::int16_t* out, std::size_t out_frames) override {
    std::size_t written = 0;
    while (written < out_frames) {
      std::size_t odone = 0;
      if (soxr_error_t e = soxr_process(soxr_, nullptr, 0, nullptr, out + written * channels_, out_frames - written, &odone))
        return Error(errc::internal, std::string("libsoxr: ") + e);
      if (odone == 0) break;
      written += odone;
    }
    return written;
  }

  void reset() noexcept override { (void)soxr_clear(soxr_); }

  std::size_t channels_ = 1;

 private:
  soxr_t soxr_;
};

}  // namespace

Result<soxr*> create_soxr(const ResamplerConfig& config) {
  soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  io.flags |= SOXR_NO_DITHER;
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ | SOXR_LINEAR_PHASE, 0);
  switch (config.quality) {
    case ResamplerQuality::quick:
      q.precision = 16;
      q.passband_end = 0.80;
      q.stopband_begin = 1.20;
      break;
    case ResamplerQuality::medium:
      q.precision = 16;
      q.passband_end = 0.90;
      q.stopband_begin = 1.10;
      break;
    case ResamplerQuality::high:
      break;  // soxr's HQ: 20 bits, passband 0.913, stopband from Nyquist
  }
  soxr_runtime_spec_t rt = soxr_runtime_spec(1);
  rt.log2_min_dft_size = 8;
  rt.log2_large_dft_size = 8;
  soxr_error_t err = nullptr;
  soxr_t s = soxr_create(config.input_rate_hz, config.output_rate_hz, static_cast<unsigned>(config.channels), &err,
                         &io, &q, &rt);
  if (!s || err) {
    if (s) soxr_delete(s);
    return Error(errc::internal, "libsoxr refused " + config.to_string() + ": " + (err ? err : "unknown error"));
  }
  return s;
}

Result<std::unique_ptr<ResamplerBackendImpl>> make_soxr_backend(const ResamplerConfig& config, std::size_t,
                                                                std::size_t) {
  LOQUI_ASSIGN_OR_RETURN(soxr_t s, create_soxr(config));
  auto backend = std::make_unique<SoxrBackend>(s);
  backend->channels_ = static_cast<std::size_t>(config.channels);
  return std::unique_ptr<ResamplerBackendImpl>(std::move(backend));
}

}  // namespace loqui::detail
