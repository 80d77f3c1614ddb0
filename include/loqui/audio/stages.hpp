// SPDX-License-Identifier: Apache-2.0
// File: the run-time audio stages for pipelines described in configuration
// (StageRegistry). The compile-time forms are ResampleFilter (resampler.hpp) and
// the codec filters (codecs.hpp).
//
//   {"stage": "resample", "rate": 8000, "quality": "medium", "backend": "soxr"}
//       pcm16 at any supported rate -> pcm16 at `rate` (same channels).
//       quality: quick | medium | high; backend: soxr | samplerate;
//       max_input_ms: largest frame the buffers are sized for (default 100).
//
// @code
//   loqui::StageRegistry reg;
//   loqui::register_core_stages(reg);
//   loqui::register_audio_stages(reg);
//   auto spec = loqui::Json::parse(R"([{"stage":"resample","rate":8000}])");
//   auto pipeline = reg.build(*spec, loqui::AudioFormat::pcm16(24000));
// @endcode
#pragma once

#include "loqui/pipeline/stage.hpp"

namespace loqui {

/// Registers "resample" and the codec stages listed above. Errors from the
/// registry (a name already taken) are ignored, as in register_core_stages().
void register_audio_stages(StageRegistry& registry);

}  // namespace loqui
