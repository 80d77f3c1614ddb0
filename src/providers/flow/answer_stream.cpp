// SPDX-License-Identifier: Apache-2.0
// File: AnswerStream (see answer_stream.hpp).
#include "providers/flow/answer_stream.hpp"

#include <utility>

namespace loqui::detail {

std::vector<std::string> word_deltas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] == ' ') ++j;
    while (j < text.size() && text[j] != ' ') ++j;
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::int64_t count_words(std::string_view text) { return static_cast<std::int64_t>(word_deltas(text).size()); }

void AnswerStream::start(PreparedAnswer answer, LlmObserver& observer) {
  calls_.clear();
  answer_ = std::move(answer);
  deltas_ = word_deltas(answer_.text);
  next_ = 0;
  finish_ = FinishReason::stop;
  observer_ = &observer;
  ++generation_;
  calls_.after(Duration::zero(), [this] { step(); });
}

void AnswerStream::cancel() noexcept {
  observer_ = nullptr;
  calls_.clear();
}

// One output per strand task: the provider, the words, the tool call, then hints, usage, done.
// After each callback, `live()` tells whether this answer is still the one running
// (the observer may have cancelled it, or cancelled it and started the next).
void AnswerStream::step() {
  LlmObserver* o = observer_;
  if (!o) return;
  const std::uint64_t generation = generation_;
  auto live = [&] { return observer_ && generation_ == generation; };
  if (!answer_.provider.empty()) {
    o->on_provider(std::exchange(answer_.provider, std::string()), false);
    if (!live()) return;
  }
  if (next_ < deltas_.size()) {
    o->on_text(deltas_[next_++]);
    if (live()) calls_.after(word_interval_, [this] { step(); });
    return;
  }
  if (answer_.tool_call) {
    const ToolCall call = std::move(*answer_.tool_call);
    answer_.tool_call.reset();
    finish_ = FinishReason::tool_calls;
    o->on_tool_call(call);
    if (live()) calls_.after(Duration::zero(), [this] { step(); });
    return;
  }
  if (answer_.hints) {
    o->on_recognition_hints(*answer_.hints);
    if (!live()) return;
  }
  o->on_usage(answer_.usage);
  if (!live()) return;
  observer_ = nullptr;  // before on_done: the observer may start the next answer
  o->on_done(finish_);
}

}  // namespace loqui::detail
