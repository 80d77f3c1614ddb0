// SPDX-License-Identifier: Apache-2.0
// File: the `elevenlabs` TTS adapter (stream-input WebSocket, PROTOCOLS.md 5.1):
// registration, the factory, and the message parser (also driven by
// tests/fuzz/elevenlabs_message_fuzz.cpp). docs/providers/elevenlabs.md documents
// every key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/registry.hpp"
#include "providers/wscommon/ws_common.hpp"

namespace loqui::detail {
/// Registers tts "elevenlabs" (src/providers/builtin_list.cpp).
void register_elevenlabs(Registry& registry);
}  // namespace loqui::detail

namespace loqui::elevenlabs {

inline constexpr const char* kProviderName = "elevenlabs";
inline constexpr wscommon::VendorDefaults kDefaults{.vendor = "elevenlabs",
                                                    .base_url = "wss://api.elevenlabs.io",
                                                    .api_key_env = "ELEVENLABS_API_KEY",
                                                    .auth = wscommon::AuthStyle::header,
                                                    .auth_header = "xi-api-key"};

Result<std::shared_ptr<TextToSpeech>> make_tts(const ProviderContext& context, const Json& config, std::string_view path);

/// A word built from the character alignment, in ms from the chunk's start.
struct AlignedWord {
  std::string word;
  double start_ms = 0, end_ms = 0;
};

struct Event {
  std::string audio;   ///< decoded bytes (empty for alignment-only or final messages)
  bool is_final = false;
  std::vector<AlignedWord> words;  ///< from alignment (else normalizedAlignment)
  std::string error;    ///< "input_timeout_exceeded", "quota_exceeded" ... (empty: none)
  std::string message;  ///< the error's message
  std::string context_id;  ///< contextId or context_id (multi-context servers)
};

/// Parses one server message. Errors: provider_protocol naming what was wrong
/// (not JSON, bad base64, alignment arrays of different lengths).
class Parser {
 public:
  Result<Event> parse(std::string_view text);

 private:
  wscommon::JsonMessage msg_;
};

}  // namespace loqui::elevenlabs
