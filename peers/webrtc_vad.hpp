// SPDX-License-Identifier: Apache-2.0
// File: WebRTC's classic VAD (the GMM in common_audio/vad, from Debian's
// libwebrtc-audio-processing) behind loqui's VoiceDetector interface: the
// comparison peer of bench/vad. Not part of loqui::loqui; link loqui_webrtc_vad.
//
// The Debian package installs no header for it (only the APM's), but the library
// exports the C API `WebRtcVad_Create/Init/set_mode/Process/Free`; webrtc_vad.cpp
// declares those five functions with the signatures the library implements.
// process() returns 1.0 (speech) or 0.0: WebRTC's VAD gives a decision, not a
// probability.
//
// Thread safety: per-stream state, confined to one strand.
#pragma once

#include <memory>

#include "loqui/audio/vad.hpp"

namespace loqui::peers {

/// `mode` 0 (quality) .. 3 (very aggressive); `sample_rate` 8000 or 16000.
/// Errors: errc::invalid_argument for a bad mode or rate; errc::internal if the
/// library refuses to initialise.
Result<std::unique_ptr<VoiceDetector>> make_webrtc_vad(int mode, int sample_rate);

}  // namespace loqui::peers
