// SPDX-License-Identifier: Apache-2.0
// File: the embedded offline STT `pocketsphinx` (libpocketsphinx 5prealpha with
// Debian's pocketsphinx-en-us models): options and factory.
//
// Config: {"provider": "pocketsphinx", "model_dir": ..., "dictionary": ...,
// "language_model": ..., "remove_noise": true, "hints": true, "endpointing": true,
// "interim_ms": 500, "background_words": 2000, "background_weight": 0.05,
// "hint_language_weight": 6.5, "fallback_to_general": true, "narrowband": "mirror"}
// (all optional;
// docs/providers/pocketsphinx.md).
//
// Threading: each stream owns one decoder (pocketsphinx is not thread-safe per
// decoder; distinct decoders are independent).
//  * real time: one worker thread per provider runs the decoding jobs of all its
//    streams in arrival order (create the decoder, decode audio, compile hints,
//    finalize) and posts results to each stream's strand; the event loop only
//    copies (and resamples) audio;
//  * virtual time: each job runs in a task on the session strand, so results are
//    deterministic and simulated calls run as fast as the CPU decodes.
// Input: pcm16 mono at 16 kHz (the model's rate); 8 kHz upsampled by
// zero-stuffing ("narrowband": "mirror", see PocketsphinxOptions) and other rates
// resampled to 16 kHz on the strand.
#pragma once

#include <memory>
#include <string_view>

#include "loqui/provider/stt.hpp"
#include "providers/pocketsphinx/pocketsphinx_decoder.hpp"

namespace loqui {

class Registry;

namespace detail {

/// Reads a `{"provider": "pocketsphinx", ...}` config. Errors: invalid_config with paths.
Result<PocketsphinxOptions> parse_pocketsphinx_options(const Json& config, std::string_view path);
/// Errors: not_found naming a missing model file (with the config path).
Result<std::shared_ptr<SpeechToText>> make_pocketsphinx_stt(const PocketsphinxOptions& options, std::string_view path);

/// Registers `pocketsphinx` (builtin_list.cpp calls this when LOQUI_HAS_POCKETSPHINX).
void register_pocketsphinx(Registry& registry);

}  // namespace detail
}  // namespace loqui
