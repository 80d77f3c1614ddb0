// SPDX-License-Identifier: Apache-2.0
// File: the embedded offline TTS `espeak` (libespeak-ng): options and factory.
//
// Threading (espeak-ng is not thread-safe and keeps global state):
//  * every call into the library goes through EspeakEngine, under one mutex;
//  * real time: each provider object owns one worker thread that synthesises the
//    queued jobs of all its streams in arrival order, one sentence per job, and
//    posts audio to each stream's strand as espeak produces it (60 ms buffers).
//    The event loop never blocks on synthesis: its only work is resampling and
//    delivery. Sentences of different sessions interleave, so one long text does
//    not hold the others back for more than a sentence (a few ms of CPU);
//  * virtual time: each job is synthesised inside a task on the session strand,
//    on the thread driving the simulation, so results are deterministic.
// Output is espeak's native 22050 Hz, resampled on the strand (loqui::Resampler)
// when the stream asks for another rate.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "loqui/audio/resampler.hpp"
#include "loqui/provider/tts.hpp"
#include "providers/espeak/espeak_engine.hpp"

namespace loqui {

class Registry;

namespace detail {

struct EspeakOptions {
  EspeakVoice voice;
  std::string data_path;  ///< espeak-ng-data directory; "" = the library's default
  ResamplerQuality resample_quality = ResamplerQuality::medium;
};

/// Reads a `{"provider": "espeak", ...}` config. Errors: invalid_config with paths.
Result<EspeakOptions> parse_espeak_options(const Json& config, std::string_view path);
/// Errors: not_found (voice, voice data), invalid_config (another data path).
Result<std::shared_ptr<TextToSpeech>> make_espeak_tts(const EspeakOptions& options, std::string_view path);

/// Registers `espeak` (builtin_list.cpp calls this when LOQUI_HAS_ESPEAK).
void register_espeak(Registry& registry);

}  // namespace detail
}  // namespace loqui
