// SPDX-License-Identifier: Apache-2.0
// File: AnswerStream, the streaming half of the template-answering LanguageModels
// (`flow`, and `router` for the answers it gives itself): one prepared answer
// delivered to an LlmObserver on the session strand the way a model streams it.
//
// Thread safety: strand-confined (created, used and destroyed on the session strand).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "provider/scheduled_calls.hpp"

namespace loqui::detail {

/// Deltas whose concatenation is `text`: each word with its leading spaces.
std::vector<std::string> word_deltas(std::string_view text);
/// The number of words of `text` (the token count the template providers report).
std::int64_t count_words(std::string_view text);

/// One prepared answer.
struct PreparedAnswer {
  std::string provider;  ///< when set, on_provider(provider, false) comes first
  std::string text;
  std::optional<ToolCall> tool_call;
  std::optional<RecognitionHints> hints;  ///< sent with on_recognition_hints when set
  TokenUsage usage;
};

/// Streams a PreparedAnswer: on_provider if set and the text a word per
/// `word_interval` (the first word at once, but never inside start()), then the
/// tool call, the hints, the usage and on_done (tool_calls when there was a tool
/// call, else stop). One task per output on strand timers, so it runs under
/// virtual time. The observer may cancel() or start() the next answer from inside
/// any callback (on_done comes after the stream is idle again); nothing arrives
/// after cancel() returns.
class AnswerStream {
 public:
  AnswerStream(std::shared_ptr<Strand> strand, Duration word_interval)
      : calls_(std::move(strand)), word_interval_(word_interval) {}

  /// Starts streaming. `observer` must outlive the answer (until on_done or cancel()).
  /// Precondition: !busy().
  void start(PreparedAnswer answer, LlmObserver& observer);
  /// Drops the rest of the answer; no observer call after this returns. Idempotent.
  void cancel() noexcept;
  bool busy() const noexcept { return observer_ != nullptr; }

 private:
  void step();

  ScheduledCalls calls_;
  Duration word_interval_;
  LlmObserver* observer_ = nullptr;
  std::vector<std::string> deltas_;
  std::size_t next_ = 0;
  PreparedAnswer answer_;
  FinishReason finish_ = FinishReason::stop;
  std::uint64_t generation_ = 0;  ///< counts start() calls
};

}  // namespace loqui::detail
