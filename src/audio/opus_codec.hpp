// SPDX-License-Identifier: Apache-2.0
// File: the libopus decoder and encoder behind AudioDecoder/AudioEncoder (private;
// made through make_decoder()/make_encoder()). Compiled with LOQUI_WITH_OPUS.
#pragma once

#include <memory>

#include "loqui/audio/codecs.hpp"

namespace loqui::detail {

/// `format`: opus at 8000/12000/16000/24000/48000 Hz, 1 or 2 channels.
Result<std::unique_ptr<AudioDecoder>> make_opus_decoder(const AudioFormat& format);
Result<std::unique_ptr<AudioEncoder>> make_opus_encoder(const AudioFormat& format, const EncoderOptions& options);

}  // namespace loqui::detail
