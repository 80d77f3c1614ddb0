// SPDX-License-Identifier: Apache-2.0
// File: what every provider kind shares: identity, the per-session context a stream
// is opened with, and the context a factory receives.
//
// The provider model (after whisper.cpp context/state and sherpa-onnx
// recognizer/stream): one *provider* object per configured vendor, shared by all
// sessions and thread-safe; one *stream* per session, confined to that session's
// strand. Observers are called on the session strand only, never from inside the
// call that started the operation, and never after cancel()/close() returned on
// the strand.
//
// The observer contract in full. Every provider, built-in or third-party, keeps
// it; the reusable contract tests (tests/support/provider_contract.hpp) check it:
//  1. Callbacks run on SessionContext::strand, one at a time.
//  2. Never from inside a call of the consumer into the provider or stream (open,
//     send_audio, finalize, generate, send_text, flush, clear, cancel ...): results
//     are posted or timed on the strand.
//  3. After cancel() returns, and after the stream is destroyed (which implies
//     cancel), no callback arrives, not even one that was already posted.
//  4. Terminal events arrive exactly once per operation: on_done or on_error per
//     LLM generation; on_done or on_error per flushed TTS utterance; one final
//     transcript with from_finalize set, or on_error, per STT finalize().
//  5. After on_error an STT or TTS stream is closed: later calls return
//     errc::closed. An LlmSession stays usable: a new generate() may be tried.
//  6. Inside a callback the consumer may call the stream's methods (cancel(), or a
//     new generate() after on_done ...), but must not destroy the stream there:
//     post the destruction to the strand.
//  7. Provider objects are thread-safe and immutable after creation; streams and
//     sessions are strand-confined (created, used and destroyed on the strand).
//  8. Errors name the provider (Error::set_provider) and never carry a secret.
//     Exceptions never escape a provider into the consumer; a consumer that wraps
//     third-party code (the Fallback wrappers do) also catches them.
//  9. All timing (latency, timeouts, pacing) goes through the strand's clock and
//     timers, so providers without network I/O run under virtual time.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "loqui/audio/frame.hpp"
#include "loqui/json.hpp"
#include "loqui/runtime/runtime.hpp"

namespace loqui {

enum class ProviderKind : std::uint8_t { stt, llm, tts };
std::string_view to_string(ProviderKind kind) noexcept;

/// Identity of a provider instance.
struct ProviderInfo {
  ProviderKind kind = ProviderKind::stt;
  std::string name;         ///< registry name: "deepgram", "openai", "espeak", "mock" ...
  std::string description;  ///< one line for `loqui providers`
  /// Needs wall-clock time (network vendors). Such providers refuse virtual-time
  /// runtimes with errc::not_supported.
  bool needs_real_time = false;
};

/// Per-session context a stream is opened with.
struct SessionContext {
  /// Callbacks run on this strand; timers go through it. Never null.
  std::shared_ptr<Strand> strand;
  std::string session_id;
  std::string tenant_id;
  /// Optional pool for audio the stream produces (TTS). Not owned; outlives the stream.
  FramePool* pool = nullptr;
};

/// Phrases or a grammar that make recognition of expected answers more accurate
/// (keyterms for cloud vendors; a grammar for the embedded recogniser).
struct RecognitionHints {
  std::string state;                  ///< dialog state name, if any
  std::vector<std::string> phrases;   ///< expected phrases/keywords
  std::string jsgf;                   ///< a JSGF grammar, if the provider takes one
};

/// What a provider factory receives besides its own JSON config.
struct ProviderContext {
  /// The runtime the provider's streams will run on (not owned; outlives the provider).
  Runtime* runtime = nullptr;
  /// Directory relative paths in the config are resolved against (the agent file's).
  std::filesystem::path base_dir;
  /// The whole agent document, for providers that read shared parts (the flow
  /// engine's flow file, pocketsphinx's grammar built from it). May be null.
  const Json* agent = nullptr;
};

}  // namespace loqui
