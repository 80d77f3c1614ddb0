// SPDX-License-Identifier: Apache-2.0
// File: what acoustic-model adaptation of the embedded recogniser needs from
// loqui's side (docs/providers/pocketsphinx.md, "Adapting the acoustic model"):
//  * the narrowband front end (8 kHz audio to the 16 kHz model), shared by the
//    provider and the adaptation data, so the transform is trained on exactly
//    what the decoder hears;
//  * a Sphinx-3 `mixture_weights` file rebuilt from the model's `sendump`, because
//    sphinxtrain's bw needs one and Debian's en-us model ships only the sendump;
//  * the names of the built-in transforms ("espeak") and where they live.
// sphinxtrain's bw and mllr_solve (adaptation/adapt.sh) make the
// transform itself.
//
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "loqui/error.hpp"

namespace loqui::detail {

/// 8 kHz -> 16 kHz by zero-stuffing (x0 0 x1 0 ..., gain 2 keeps the level):
/// the 0-4 kHz spectrum's mirror image fills 4-8 kHz, so the model's upper
/// filters see speech-like energy. `out` holds 2 * in.size() samples.
void mirror_upsample(std::span<const std::int16_t> in, std::span<std::int16_t> out) noexcept;

/// Reads pocketsphinx's 8-bit `sendump` (negated log weights, base 1.0001,
/// shifted by 10, laid out [feature][density][senone]) and writes the weights as
/// a Sphinx-3 binary `mixture_weights` file ([senone][feature][density] float32,
/// each distribution normalised). Errors: io_error naming the file, parse_error
/// for a clustered or truncated sendump.
Status write_mixture_weights_from_sendump(const std::filesystem::path& sendump, const std::filesystem::path& out);

/// Where a transform named in the config lives: a built-in name ("espeak":
/// adapted to espeak-ng's voices, the simulated caller of `loqui run`) becomes
/// `<data dir>/pocketsphinx/espeak-{8k,16k}.mllr`, searched in $LOQUI_DATA_DIR,
/// the installed data directory, then the build tree; anything else is a path,
/// relative ones against `base_dir`. Errors: not_found naming `key` and the
/// places searched.
Result<std::string> resolve_mllr(std::string_view value, bool narrowband, const std::filesystem::path& base_dir,
                                 std::string_view key);

}  // namespace loqui::detail
