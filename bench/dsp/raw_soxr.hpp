// SPDX-License-Identifier: Apache-2.0
// File: the raw libsoxr call the DSP benchmarks measure loqui's resampler against:
// soxr_process() on a state made exactly as the Resampler makes its own.
#pragma once

#include <soxr.h>

#include "audio/resampler_backend.hpp"
#include "loqui/audio/resampler.hpp"

namespace loqui::bench {

struct RatePair {
  int in;
  int out;
};

class RawSoxr {
 public:
  RawSoxr(RatePair p, ResamplerQuality q)
      : s_(loqui::detail::create_soxr({.input_rate_hz = p.in, .output_rate_hz = p.out, .quality = q}).value()) {}
  ~RawSoxr() { soxr_delete(s_); }
  RawSoxr(const RawSoxr&) = delete;
  RawSoxr& operator=(const RawSoxr&) = delete;
  std::size_t process(const std::int16_t* in, std::size_t n, std::int16_t* out, std::size_t cap) {
    std::size_t idone = 0, odone = 0;
    soxr_process(s_, in, n, &idone, out, cap, &odone);
    return odone;
  }

 private:
  soxr_t s_;
};

}  // namespace loqui::bench
