// SPDX-License-Identifier: Apache-2.0
// File: the run-time audio stages for pipelines described in configuration
// (StageRegistry). The compile-time forms are ResampleFilter (resampler.hpp) and
// the codec filters (codecs.hpp).
//
//   {"stage": "resample", "rate": 8000, "quality": "medium", "backend": "soxr"}
//       pcm16 at any supported rate -> pcm16 at `rate` (same channels).
//       quality: quick | medium | high; backend: soxr | samplerate;
//       max_input_ms: largest frame the buffers are sized for (default 100).
//   {"stage": "decode", "plc": true}
//       encoded frames (mulaw, alaw, l16be, pcm16 as L16-LE, opus) -> pcm16 at the
//       same rate; corrupt packets are concealed and counted (DecodeFilter).
//       plc: pitch-repetition concealment for G.711/L16 (else silence);
//       max_packet_ms: longest packet expected (default 120).
//   {"stage": "encode", "encoding": "mulaw", "frame_ms": 20}
//       pcm16 -> mulaw | alaw | l16be | pcm16 | opus at the same rate (EncodeFilter).
//       Opus options: bitrate_bps (24000; 0 = auto), complexity (0..10, 5),
//       inband_fec (false), packet_loss_percent (0), dtx (false),
//       application (voip | audio | low_delay).
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

/// Registers "resample", "decode" and "encode" (above). Errors from the
/// registry (a name already taken) are ignored, as in register_core_stages().
void register_audio_stages(StageRegistry& registry);

}  // namespace loqui
