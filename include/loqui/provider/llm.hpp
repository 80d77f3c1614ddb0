// SPDX-License-Identifier: Apache-2.0
// File: the LanguageModel provider interface (streaming, with tools).
//
// A LanguageModel opens one LlmSession per call (the flow engine keeps its dialog
// state there; network models keep connection state). A session runs one
// generation at a time: text deltas, complete tool calls, usage, then done or error.
// After on_done/on_error (even from inside that callback) the next generate() may
// start. See common.hpp for the observer contract every provider keeps.
//
// Tools: ToolSpec::parameters is a JSON Schema object. Tool calls arrive complete
// (the adapter assembles streamed fragments); `arguments` is the raw JSON text the
// model produced, which may be invalid: parse it with parse_arguments().
// Two tool names are reserved and understood by the turn manager:
//   "transfer_to_human" {reason, urgency}  and  "end_call" {reason}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/common.hpp"

namespace loqui {

enum class Role : std::uint8_t { system, user, assistant, tool };
std::string_view to_string(Role role) noexcept;

struct ToolCall {
  std::string id;         ///< provider-assigned id, echoed in the tool result message
  std::string name;
  std::string arguments;  ///< raw JSON text as produced by the model
  /// Parses `arguments`. Errors: errc::parse_error naming the tool, or
  /// errc::invalid_argument if it is not a JSON object.
  Result<Json> parse_arguments() const;
};

struct ChatMessage {
  Role role = Role::user;
  std::string content;
  std::vector<ToolCall> tool_calls;  ///< assistant messages that called tools
  std::string tool_call_id;          ///< tool messages: which call this answers
  std::string name;                  ///< tool messages: the tool's name
};

struct ToolSpec {
  std::string name;
  std::string description;
  Json parameters = Json::object();  ///< JSON Schema of the arguments object
};

struct GenerateParams {
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  /// Vendor-specific extras merged into the request body (e.g. {"seed": 1}).
  Json extra = Json::object();
};

struct LlmRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolSpec> tools;
  GenerateParams params;
};

struct TokenUsage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cached_input_tokens = 0;
};

enum class FinishReason : std::uint8_t { stop, tool_calls, length, content_filter, cancelled, other };
std::string_view to_string(FinishReason reason) noexcept;

struct LlmCapabilities {
  bool tool_calling = false;
  bool parallel_tool_calls = false;
  bool reports_usage = false;
  int context_tokens = 0;  ///< 0 = unknown
};

/// One line for `loqui providers`: "tools, parallel tools, usage, 8192 tokens".
std::string to_string(const LlmCapabilities& capabilities);

/// Receives one generation's output. Called on the session strand only, never
/// inside a call into the session, never after cancel() returned (see common.hpp).
class LlmObserver {
 public:
  virtual ~LlmObserver() = default;
  /// Which provider is answering. Plain providers need not call it; the LLM
  /// Fallback calls it before the first output of every generation, and again when
  /// it switches providers; `restarted` = true means: discard all text and tool
  /// calls of this generation received so far.
  virtual void on_provider(std::string_view provider, bool restarted) { (void)provider; (void)restarted; }
  virtual void on_text(std::string_view delta) = 0;
  virtual void on_tool_call(const ToolCall& call) = 0;
  virtual void on_usage(const TokenUsage& usage) { (void)usage; }
  /// What the caller is likely to say next (a dialog engine knows its state); the
  /// turn manager forwards it to the STT stream (SttStream::set_hints).
  virtual void on_recognition_hints(const RecognitionHints& hints) { (void)hints; }
  /// The generation finished; no further calls for it.
  virtual void on_done(FinishReason reason) = 0;
  /// The generation failed; no further calls for it.
  virtual void on_error(const Error& error) = 0;
};

/// One call's conversation with the model. Strand-confined: create, use and destroy
/// it on the session strand. Destroying it implies cancel().
class LlmSession {
 public:
  virtual ~LlmSession() = default;
  /// Starts a generation. `observer` must outlive it (until on_done/on_error or
  /// cancel()). Errors: errc::invalid_argument if one is already running.
  virtual Status generate(const LlmRequest& request, LlmObserver& observer) = 0;
  /// Cancels the running generation (if any); no observer call after this returns,
  /// not even on_done(cancelled). Idempotent; a no-op when idle.
  virtual void cancel() noexcept = 0;
  virtual bool busy() const noexcept = 0;
};

/// A language model provider. Thread-safe; shared by sessions.
class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual const ProviderInfo& info() const noexcept = 0;
  virtual const LlmCapabilities& capabilities() const noexcept = 0;
  virtual Result<std::unique_ptr<LlmSession>> open(const SessionContext& session) = 0;
};

}  // namespace loqui
