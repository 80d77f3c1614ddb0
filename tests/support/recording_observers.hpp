// SPDX-License-Identifier: Apache-2.0
// File: observers that record every provider callback with its strand time, for
// tests of providers and of their consumers (turn manager, fallbacks). Each event
// also records whether it ran on the expected strand and whether it arrived inside
// a call the test marked with CallGuard (which the observer contract forbids).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"
#include "loqui/provider/tts.hpp"

namespace loqui::testing {

/// Shared by a test and its observers: set while the test is inside a call into a
/// provider, so a callback arriving then is caught.
struct CallState {
  bool inside_call = false;
  int violations = 0;  ///< callbacks off the strand or inside a call
};

/// Marks the scope of one call into a provider.
class CallGuard {
 public:
  explicit CallGuard(CallState& s) : s_(s) { s_.inside_call = true; }
  ~CallGuard() { s_.inside_call = false; }
  CallGuard(const CallGuard&) = delete;
  CallGuard& operator=(const CallGuard&) = delete;

 private:
  CallState& s_;
};

/// Base of the recorders: time stamping and contract checks.
class RecorderBase {
 public:
  explicit RecorderBase(std::shared_ptr<Strand> strand, CallState* calls = nullptr)
      : strand_(std::move(strand)), calls_(calls ? calls : &own_calls_) {}
  CallState& calls() noexcept { return *calls_; }
  int violations() const noexcept { return calls_->violations; }
  /// Set true after cancel(): any later callback counts as a violation.
  bool cancelled = false;
  int after_cancel = 0;  ///< callbacks received while `cancelled`

 protected:
  TimePoint stamp() {
    if (!strand_->running_in_this_thread() || calls_->inside_call) ++calls_->violations;
    if (cancelled) ++after_cancel;
    return strand_->now();
  }

 private:
  std::shared_ptr<Strand> strand_;
  CallState own_calls_;
  CallState* calls_;
};

// ------------------------------------------------------------------ STT

struct SttEvent {
  enum class Kind { provider, transcript, speech_started, utterance_end, error } kind;
  TimePoint at;
  Transcript transcript;
  Duration offset{};
  std::string provider;
  bool restarted = false;
  Error error;
};

class RecordingSttObserver final : public SttObserver, public RecorderBase {
 public:
  using RecorderBase::RecorderBase;
  std::vector<SttEvent> events;

  void on_provider(std::string_view provider, bool restarted) override {
    events.push_back({SttEvent::Kind::provider, stamp(), {}, {}, std::string(provider), restarted, {}});
  }
  void on_transcript(const Transcript& t) override {
    events.push_back({SttEvent::Kind::transcript, stamp(), t, {}, {}, false, {}});
  }
  void on_speech_started(Duration offset) override {
    events.push_back({SttEvent::Kind::speech_started, stamp(), {}, offset, {}, false, {}});
  }
  void on_utterance_end(Duration offset) override {
    events.push_back({SttEvent::Kind::utterance_end, stamp(), {}, offset, {}, false, {}});
  }
  void on_error(const Error& e) override { events.push_back({SttEvent::Kind::error, stamp(), {}, {}, {}, false, e}); }

  std::vector<SttEvent> of(SttEvent::Kind kind) const {
    std::vector<SttEvent> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out), [&](const SttEvent& e) { return e.kind == kind; });
    return out;
  }
  std::vector<Transcript> finals() const {
    std::vector<Transcript> out;
    for (const auto& e : events)
      if (e.kind == SttEvent::Kind::transcript && e.transcript.is_final) out.push_back(e.transcript);
    return out;
  }
  std::vector<Transcript> interims() const {
    std::vector<Transcript> out;
    for (const auto& e : events)
      if (e.kind == SttEvent::Kind::transcript && !e.transcript.is_final) out.push_back(e.transcript);
    return out;
  }
  int finalize_answers() const {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [](const SttEvent& e) {
      return e.kind == SttEvent::Kind::transcript && e.transcript.from_finalize;
    }));
  }
  int errors() const { return static_cast<int>(of(SttEvent::Kind::error).size()); }
};

// ------------------------------------------------------------------ LLM

struct LlmEvent {
  enum class Kind { provider, text, tool_call, usage, hints, done, error } kind;
  TimePoint at;
  std::string text;  ///< text delta, or provider name
  bool restarted = false;
  ToolCall call;
  TokenUsage usage;
  RecognitionHints hints;
  FinishReason finish = FinishReason::stop;
  Error error;
};

class RecordingLlmObserver final : public LlmObserver, public RecorderBase {
 public:
  using RecorderBase::RecorderBase;
  std::vector<LlmEvent> events;

  void on_provider(std::string_view provider, bool restarted) override {
    LlmEvent e{LlmEvent::Kind::provider, stamp()};
    e.text = provider;
    e.restarted = restarted;
    events.push_back(std::move(e));
  }
  void on_text(std::string_view delta) override {
    LlmEvent e{LlmEvent::Kind::text, stamp()};
    e.text = delta;
    events.push_back(std::move(e));
  }
  void on_tool_call(const ToolCall& call) override {
    LlmEvent e{LlmEvent::Kind::tool_call, stamp()};
    e.call = call;
    events.push_back(std::move(e));
  }
  void on_usage(const TokenUsage& usage) override {
    LlmEvent e{LlmEvent::Kind::usage, stamp()};
    e.usage = usage;
    events.push_back(std::move(e));
  }
  void on_recognition_hints(const RecognitionHints& hints) override {
    LlmEvent e{LlmEvent::Kind::hints, stamp()};
    e.hints = hints;
    events.push_back(std::move(e));
  }
  void on_done(FinishReason reason) override {
    LlmEvent e{LlmEvent::Kind::done, stamp()};
    e.finish = reason;
    events.push_back(std::move(e));
  }
  void on_error(const Error& error) override {
    LlmEvent e{LlmEvent::Kind::error, stamp()};
    e.error = error;
    events.push_back(std::move(e));
  }

  std::vector<LlmEvent> of(LlmEvent::Kind kind) const {
    std::vector<LlmEvent> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out), [&](const LlmEvent& e) { return e.kind == kind; });
    return out;
  }
  /// The text a consumer keeps: deltas since the last restart.
  std::string text() const {
    std::string out;
    for (const auto& e : events) {
      if (e.kind == LlmEvent::Kind::provider && e.restarted) out.clear();
      if (e.kind == LlmEvent::Kind::text) out += e.text;
    }
    return out;
  }
  /// Tool calls a consumer keeps (since the last restart).
  std::vector<ToolCall> tool_calls() const {
    std::vector<ToolCall> out;
    for (const auto& e : events) {
      if (e.kind == LlmEvent::Kind::provider && e.restarted) out.clear();
      if (e.kind == LlmEvent::Kind::tool_call) out.push_back(e.call);
    }
    return out;
  }
  int terminals() const {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [](const LlmEvent& e) {
      return e.kind == LlmEvent::Kind::done || e.kind == LlmEvent::Kind::error;
    }));
  }
  const LlmEvent* first(LlmEvent::Kind kind) const {
    for (const auto& e : events)
      if (e.kind == kind) return &e;
    return nullptr;
  }
  void clear() { events.clear(); }
};

// ------------------------------------------------------------------ TTS

struct TtsEvent {
  enum class Kind { provider, audio, words, done, error } kind;
  TimePoint at;
  AudioFormat format{};
  std::int64_t timestamp = 0;  ///< audio: frame timestamp (samples from utterance start)
  std::int64_t samples = 0;    ///< audio: samples in the frame
  std::vector<WordTiming> words;
  std::string provider;
  bool restarted = false;
  Error error;
};

class RecordingTtsObserver final : public TtsObserver, public RecorderBase {
 public:
  using RecorderBase::RecorderBase;
  std::vector<TtsEvent> events;
  /// pcm16 samples of the current utterance (cleared by a restart; moved to
  /// `utterances` by on_done).
  std::vector<std::int16_t> audio;
  /// Audio of each finished utterance.
  std::vector<std::vector<std::int16_t>> utterances;

  void on_provider(std::string_view provider, bool restarted) override {
    TtsEvent e{TtsEvent::Kind::provider, stamp()};
    e.provider = provider;
    e.restarted = restarted;
    if (restarted) audio.clear();
    events.push_back(std::move(e));
  }
  void on_audio(const AudioFrame& frame) override {
    TtsEvent e{TtsEvent::Kind::audio, stamp()};
    e.format = frame.format();
    e.timestamp = frame.timestamp();
    e.samples = frame.sample_count();
    auto s = frame.samples();
    audio.insert(audio.end(), s.begin(), s.end());
    events.push_back(std::move(e));
  }
  void on_word_timings(std::span<const WordTiming> words) override {
    TtsEvent e{TtsEvent::Kind::words, stamp()};
    e.words.assign(words.begin(), words.end());
    events.push_back(std::move(e));
  }
  void on_done() override {
    events.push_back({TtsEvent::Kind::done, stamp()});
    utterances.push_back(std::move(audio));
    audio.clear();
  }
  void on_error(const Error& error) override {
    TtsEvent e{TtsEvent::Kind::error, stamp()};
    e.error = error;
    events.push_back(std::move(e));
  }

  std::vector<TtsEvent> of(TtsEvent::Kind kind) const {
    std::vector<TtsEvent> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out), [&](const TtsEvent& e) { return e.kind == kind; });
    return out;
  }
  std::vector<WordTiming> words() const {
    std::vector<WordTiming> out;
    for (const auto& e : events)
      if (e.kind == TtsEvent::Kind::words) out.insert(out.end(), e.words.begin(), e.words.end());
    return out;
  }
  int dones() const { return static_cast<int>(of(TtsEvent::Kind::done).size()); }
  int errors() const { return static_cast<int>(of(TtsEvent::Kind::error).size()); }
  const TtsEvent* first(TtsEvent::Kind kind) const {
    for (const auto& e : events)
      if (e.kind == kind) return &e;
    return nullptr;
  }
};

}  // namespace loqui::testing
