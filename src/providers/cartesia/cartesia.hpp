// SPDX-License-Identifier: Apache-2.0
// File: the `cartesia` TTS adapter (WebSocket /tts/websocket with contexts,
// PROTOCOLS.md section 4): registration, the factory, and the message parser
// (also driven by tests/fuzz/cartesia_message_fuzz.cpp). docs/providers/cartesia.md
// documents every key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/registry.hpp"
#include "providers/wscommon/ws_common.hpp"

namespace loqui::detail {
/// Registers tts "cartesia" (src/providers/builtin_list.cpp).
void register_cartesia(Registry& registry);
}  // namespace loqui::detail

namespace loqui::cartesia {

inline constexpr const char* kProviderName = "cartesia";
inline constexpr wscommon::VendorDefaults kDefaults{.vendor = "cartesia",
                                                    .base_url = "wss://api.cartesia.ai",
                                                    .api_key_env = "CARTESIA_API_KEY",
                                                    .auth = wscommon::AuthStyle::header,
                                                    .auth_header = "X-API-Key"};

Result<std::shared_ptr<TextToSpeech>> make_tts(const ProviderContext& context, const Json& config, std::string_view path);

struct Event {
  enum class Kind : std::uint8_t { chunk, timestamps, done, flush_done, error, other };
  Kind kind = Kind::other;
  std::string type;
  std::string context_id;
  std::string audio;  ///< chunk: decoded bytes
  std::vector<std::string> words;  ///< timestamps (seconds from the context's start)
  std::vector<double> starts, ends;
  int status_code = 0;  ///< error
  std::string error_code, message;
};

/// Parses one server message. Errors: provider_protocol naming what was wrong
/// (not JSON, no type, bad base64, mismatched timestamp arrays).
class Parser {
 public:
  Result<Event> parse(std::string_view text);

 private:
  wscommon::JsonMessage msg_;
};

}  // namespace loqui::cartesia
