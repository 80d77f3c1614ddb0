// SPDX-License-Identifier: Apache-2.0
// File: the `deepgram` adapters: live STT over WebSocket /v1/listen and Aura TTS
// over WebSocket /v1/speak (PROTOCOLS.md sections 1.1 and 2.2). Registration, the
// factories, and the usage figures of an STT stream. docs/providers/deepgram.md
// documents every key.
#pragma once

#include <memory>
#include <string_view>

#include "loqui/provider/registry.hpp"
#include "providers/wscommon/ws_common.hpp"

namespace loqui::detail {
/// Registers stt/tts "deepgram" (src/providers/builtin_list.cpp).
void register_deepgram(Registry& registry);
}  // namespace loqui::detail

namespace loqui::deepgram {

inline constexpr const char* kProviderName = "deepgram";
inline constexpr wscommon::VendorDefaults kDefaults{.vendor = "deepgram",
                                                    .base_url = "wss://api.deepgram.com",
                                                    .api_key_env = "DEEPGRAM_API_KEY",
                                                    .auth = wscommon::AuthStyle::token};

Result<std::shared_ptr<SpeechToText>> make_stt(const ProviderContext& context, const Json& config, std::string_view path);
Result<std::shared_ptr<TextToSpeech>> make_tts(const ProviderContext& context, const Json& config, std::string_view path);

/// What a live STT stream used so far (Deepgram bills connection lifetime; the
/// Metadata durations are what the server reported).
struct SttUsage {
  double audio_seconds_sent = 0;   ///< audio handed to send_audio()
  double billed_seconds = 0;       ///< sum of the servers' Metadata durations
  double connected_seconds = 0;    ///< WebSocket lifetime (what Deepgram bills)
  double replayed_seconds = 0;     ///< audio sent again after reconnects
  int connections = 0;
  int reconnects = 0;
};
/// The usage of a stream opened by the deepgram STT; nullopt for other streams.
std::optional<SttUsage> stt_usage(const SttStream& stream);

}  // namespace loqui::deepgram
