// SPDX-License-Identifier: Apache-2.0
// File: the Chat Completions stream decoder: SSE events (event type + data) in,
// text deltas, assembled tool calls, usage and the finish reason out. One robust
// accumulator for OpenAI and every compatible server (PROTOCOLS.md 3.2-3.7):
//  * `[DONE]` by prefix; events with empty data skipped; `event: error` (Groq) and
//    `data: {"error":...}` / `{"object":"error"}` (OpenAI, vLLM) become Errors;
//  * chunks without `choices`, with `choices: []`, with `usage: null` or no usage key;
//  * usage from ANY chunk, last one wins (OpenAI usage chunk, Groq x_groq.usage on
//    the finish chunk, Together/llama.cpp usage on the finish chunk, vLLM
//    continuous usage on every chunk);
//  * tool calls accumulated by index (falling back to id, and treating a new id at
//    a used index as a new call), fragments or whole calls alike, arguments
//    concatenated and only handed out at the end; a tool turn is decided by "were
//    any calls accumulated", not by finish_reason;
//  * unknown keys ignored (x_groq, timings, time_info, stop_reason, obfuscation ...);
//  * wrong types in the fields it reads are protocol errors naming the field.
// A pure function of its input: fuzzed by tests/fuzz/openai_chunk_fuzz.cpp.
//
// Thread safety: a value type confined to one session strand.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/provider/llm.hpp"

namespace loqui::openai {

/// Receives text as it is decoded.
class ChatStreamSink {
 public:
  virtual ~ChatStreamSink() = default;
  virtual void on_text(std::string_view delta) = 0;
  /// Reasoning/thinking text (vLLM reasoning_content, Ollama reasoning); ignored by default.
  virtual void on_reasoning(std::string_view delta) { (void)delta; }
};

struct ChatStreamLimits {
  std::size_t max_tool_calls = 64;
  std::size_t max_tool_arguments_bytes = 1u << 20;
};

/// What a finished stream produced besides text.
struct ChatCompletion {
  std::vector<ToolCall> tool_calls;  ///< in index order
  FinishReason reason = FinishReason::stop;
  std::string raw_finish_reason;     ///< as sent ("stop", "tool_calls", ...); empty if none
  std::optional<TokenUsage> usage;
};

class ChatStreamDecoder {
 public:
  explicit ChatStreamDecoder(ChatStreamLimits limits = {});
  ~ChatStreamDecoder();
  ChatStreamDecoder(const ChatStreamDecoder&) = delete;
  ChatStreamDecoder& operator=(const ChatStreamDecoder&) = delete;

  /// Decodes one SSE event. Errors: provider_* for a server-reported error
  /// (mapped like HTTP statuses, vendor code set), errc::provider_protocol for
  /// malformed JSON or wrong field types (message names the chunk number and field).
  /// After an error the decoder keeps failing until reset().
  Status on_event(std::string_view event_type, std::string_view data, ChatStreamSink& sink);
  /// Decodes a whole non-streaming response body ({"object":"chat.completion"}),
  /// for servers that ignore "stream": true. Same errors.
  Status on_complete_body(std::string_view body, ChatStreamSink& sink);

  bool done() const noexcept { return done_; }            ///< `[DONE]` seen
  bool finished() const noexcept { return !finish_reason_.empty(); }  ///< a finish_reason seen
  std::uint64_t chunks() const noexcept { return chunks_; }

  /// Assembles the result. Errors: provider_protocol for a tool call without a name.
  Result<ChatCompletion> finish();
  void reset();

 private:
  struct Impl;
  Status fail(Error e);
  Status decode_chunk(std::string_view data, ChatStreamSink& sink, bool whole_response);
  std::unique_ptr<Impl> impl_;
  ChatStreamLimits limits_;
  std::string finish_reason_;
  std::optional<Error> failed_;
  std::uint64_t chunks_ = 0;
  bool done_ = false;
};

}  // namespace loqui::openai
