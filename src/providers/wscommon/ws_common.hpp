// SPDX-License-Identifier: Apache-2.0
// File: what the WebSocket adapters (deepgram, cartesia, elevenlabs) share: the
// connection settings every one of them reads from its config (base_url, API key
// variable, headers, timeouts, retry, TLS), URL query building, base64, and small
// rapidjson accessors for their message parsers.
//
// Thread safety: WsConnection is immutable after reading; the functions are pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/rapidjson.hpp"
#include "loqui/config.hpp"
#include "loqui/net/websocket.hpp"
#include "loqui/provider/common.hpp"
#include "loqui/secret.hpp"

namespace loqui::wscommon {

namespace rj = loqui_rapidjson;

/// How the API key goes on the upgrade request.
enum class AuthStyle : std::uint8_t {
  token,    ///< Authorization: Token <key> (Deepgram API keys)
  bearer,   ///< Authorization: Bearer <key> (Deepgram temporary tokens, Cartesia)
  header,   ///< a vendor header: <auth_header>: <key> (ElevenLabs xi-api-key)
};

struct VendorDefaults {
  const char* vendor;          ///< "deepgram"
  const char* base_url;        ///< "wss://api.deepgram.com"
  const char* api_key_env;     ///< "DEEPGRAM_API_KEY"
  AuthStyle auth = AuthStyle::token;
  const char* auth_header = "Authorization";
};

/// Connection settings read by every WebSocket adapter (docs/providers/*.md).
struct WsConnection {
  std::string vendor;
  std::string base_url;  ///< ws:// or wss://, no trailing slash
  std::string host;      ///< for messages
  std::optional<Secret> api_key;
  AuthStyle auth = AuthStyle::token;
  std::string auth_header;
  std::vector<HttpHeader> headers;  ///< extra headers from the config
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds ping_interval{0};
  RetryPolicy retry;
  bool verify_tls = true;
  std::string ca_file;
  int max_reconnects = 3;  ///< mid-stream reconnects per stream (after a drop)
  bool prewarm = true;     ///< TTS: connect at open(), not at the first utterance

  /// Options for `base_url + path_and_query` with auth, headers, timeouts, retry.
  WebSocketOptions options(std::string_view path_and_query) const;
  /// "deepgram (api.deepgram.com)" for messages.
  std::string label() const;
};

/// Reads base_url, api_key_env, auth, headers, connect_timeout_ms, ping_interval_ms,
/// retry{...}, max_reconnects, prewarm, verify_tls, ca_file. An API key is required for the
/// vendor's own host; a custom base_url (self-hosted, proxy, mock) may go without.
WsConnection read_ws_connection(ConfigReader& r, const VendorDefaults& defaults);

/// Sets the provider and prefixes "deepgram (host): <what>: ".
Error vendor_error(Error e, const WsConnection& c, std::string_view what);

/// Refuses virtual time with a clear message naming `what` ("deepgram stt").
Status require_real_time(const SessionContext& session, std::string_view what);

/// format_mismatch naming `what` ("deepgram tts") and what it `accepts` unless
/// `format` is in `formats`.
Status check_format(const std::vector<AudioFormat>& formats, const AudioFormat& format, const std::string& what,
                    std::string_view accepts);

/// Percent-encodes a query component (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);
/// "?a=1&b=x" builder; repeated keys allowed (Deepgram keyterm=a&keyterm=b).
class Query {
 public:
  Query& add(std::string_view key, std::string_view value);
  Query& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  Query& add(std::string_view key, const std::string& value) { return add(key, std::string_view(value)); }
  Query& add(std::string_view key, bool value) { return add(key, std::string_view(value ? "true" : "false")); }
  Query& add(std::string_view key, long long value) { return add(key, std::string_view(std::to_string(value))); }
  std::string str() const { return s_; }

 private:
  std::string s_;
};

/// A JSON string literal (quoted, escaped) for building vendor messages.
std::string json_quote(std::string_view text);

/// Runs a message parser, turning a rapidjson precondition exception (the only
/// kind it throws, see json/rapidjson.hpp) into a provider_protocol error.
template <class F>
auto guard_parse(std::string_view vendor, F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const std::exception& e) {
    return Error(errc::provider_protocol, std::string(vendor) + " sent a message that could not be read: " + e.what());
  }
}

/// Base64 (RFC 4648, standard alphabet, padded).
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (padding optional, whitespace not allowed); nullopt on
/// a bad character or length.
std::optional<std::string> base64_decode(std::string_view text);

// ---- rapidjson accessors for message parsers (never assert on bad input)
inline std::string_view sv(const rj::Value& v) { return {v.GetString(), v.GetStringLength()}; }
const rj::Value* member(const rj::Value& obj, const char* name);
/// The member's string, or `fallback` when absent or not a string.
std::string_view get_string(const rj::Value& obj, const char* name, std::string_view fallback = {});
std::optional<double> get_number(const rj::Value& obj, const char* name);
bool get_bool(const rj::Value& obj, const char* name, bool fallback = false);

/// A reusable parse of one vendor message: the text must be a JSON object.
/// Errors: parse_error naming the vendor and excerpting the text.
class JsonMessage {
 public:
  Status parse(std::string_view vendor, std::string_view text);
  const rj::Value& root() const { return doc_; }

 private:
  rj::Document doc_;
};

/// Audio bytes that may split a sample across messages: keeps the odd byte.
class SampleJoiner {
 public:
  explicit SampleJoiner(int bytes_per_sample = 2) : bps_(static_cast<std::size_t>(bytes_per_sample)) {}
  /// Whole samples of carry + `bytes`; valid until the next call.
  std::string_view push(std::string_view bytes);
  void reset() { carry_.clear(); }

 private:
  std::size_t bps_;
  std::string carry_;
  std::string joined_;
};

}  // namespace loqui::wscommon
