// SPDX-License-Identifier: Apache-2.0
// File: the `openai` adapters (OpenAI and OpenAI-compatible servers): registration,
// and the connection settings shared by the LLM (Chat Completions streaming), the
// batch STT (/audio/transcriptions) and the batch TTS (/audio/speech).
// docs/providers/openai.md documents every key.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loqui/config.hpp"
#include "loqui/net/http.hpp"
#include "loqui/provider/registry.hpp"
#include "loqui/secret.hpp"

namespace loqui::detail {

/// Registers llm/stt/tts "openai" (src/providers/builtin_list.cpp).
void register_openai(Registry& registry);

}  // namespace loqui::detail

namespace loqui::openai {

inline constexpr const char* kProviderName = "openai";
inline constexpr const char* kDefaultBaseUrl = "https://api.openai.com/v1";

/// Connection settings every openai adapter reads (base_url, api_key_env, headers,
/// organization, project, timeouts, retry, TLS, http_version, prewarm).
struct Connection {
  std::string base_url;  ///< without a trailing slash
  std::string host;      ///< for messages: "api.groq.com"
  std::optional<Secret> api_key;
  std::string api_key_env;  ///< variable name (safe to print)
  std::vector<HttpHeader> headers;
  HttpTimeouts timeouts;
  RetryPolicy retry;
  bool verify_tls = true;
  std::string ca_file;
  HttpVersion version = HttpVersion::automatic;
  bool prewarm = true;

  /// A request to `base_url + path` with auth and the configured headers, timeouts
  /// and retry policy.
  HttpRequest request(std::string method, std::string_view path) const;
  /// "openai (api.groq.com)" for messages.
  std::string label() const;
};

/// Reads the shared keys from `r` (marking them known). `defaults` gives the
/// adapter's default timeouts.
Connection read_connection(ConfigReader& r, const HttpTimeouts& defaults);

/// Prefix for errors: "openai (api.groq.com): ". Sets the provider on `e`.
Error with_vendor(Error e, const Connection& c);

/// The shared HttpClient of the session's runtime; refuses virtual time with a
/// clear message naming `what` ("openai llm").
Result<std::shared_ptr<HttpClient>> client_for(const SessionContext& session, std::string_view what);

}  // namespace loqui::openai

namespace loqui::openai {
/// Factories (registered by register_openai).
Result<std::shared_ptr<LanguageModel>> make_llm(const ProviderContext& context, const Json& config, std::string_view path);
Result<std::shared_ptr<SpeechToText>> make_stt(const ProviderContext& context, const Json& config, std::string_view path);
Result<std::shared_ptr<TextToSpeech>> make_tts(const ProviderContext& context, const Json& config, std::string_view path);
}  // namespace loqui::openai
