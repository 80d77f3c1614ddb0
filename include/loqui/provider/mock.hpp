// SPDX-License-Identifier: Apache-2.0
// File: scriptable mock providers (`"provider": "mock"` for STT, LLM and TTS), the
// deterministic stand-ins every test, benchmark and simulation uses instead of real
// vendors.
//
// All three are driven only by the session strand's timers, so they run under
// virtual time: a latency profile ("final 150 ms after finalize", "first token
// after 200 ms, then 50 tokens/s", "first audio after 40 ms, then real time") is
// reproduced to the nanosecond. They follow the observer contract of common.hpp,
// and inject failures on cue: an error, a hang, garbage output or a thrown
// exception on the Nth utterance or turn.
//
// Configure them from JSON (the Registry factories; keys in docs/providers.md) or
// from C++ with the option structs below:
//
// @code
//   loqui::MockLlmOptions o;
//   o.replies = {{.text = "Hello, how can I help?"}};
//   o.rules = {{.user_contains = "book",
//               .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tue"})"}}}}};
//   o.failures = {{.at = 3, .mode = loqui::MockFailure::Mode::error}};
//   auto llm = loqui::MockLanguageModel::create(o).value();
//   ...
//   EXPECT_EQ(llm->requests().size(), 2u);   // what the consumer sent
// @endcode
//
// Thread safety: the provider objects are thread-safe (their recorders take a
// mutex); streams and sessions are strand-confined like any provider's.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"
#include "loqui/provider/tts.hpp"

namespace loqui {

class Registry;

/// A failure a mock injects on cue.
struct MockFailure {
  enum class Mode : std::uint8_t {
    error,            ///< on_error(code, message) instead of the next output
    hang,             ///< stops producing; never finishes (a consumer's timeout must act)
    garbage,          ///< malformed output: STT a final with invalid UTF-8 and audio_end <
                      ///< audio_start; LLM invalid UTF-8 text and a tool call with no name
                      ///< and broken JSON; TTS an audio frame in the wrong format
    throw_exception,  ///< the starting call throws std::runtime_error (finalize(), generate(),
                      ///< flush()): tests that consumers contain exceptions
  };
  /// 1-based index of the utterance (STT: each finalize()/endpoint; TTS: each
  /// flushed utterance) or turn (LLM: each generate()) of a stream it hits.
  int at = 1;
  Mode mode = Mode::error;
  errc code = errc::provider_unavailable;  ///< Mode::error
  std::string message = "injected failure";
  /// Outputs delivered normally first: interim results (STT), tokens (LLM), audio
  /// chunks (TTS).
  int after = 0;
};

/// "error", "hang", "garbage", "throw".
std::string_view to_string(MockFailure::Mode mode) noexcept;
std::optional<MockFailure::Mode> parse_mock_failure_mode(std::string_view name) noexcept;

// ---------------------------------------------------------------- STT

/// The transcript scripted for one utterance.
struct MockUtterance {
  std::string text;
  float confidence = 0.95f;
};

/// Mock STT. An utterance starts with the first frame above
/// `speech_threshold_dbfs` and ends at finalize() (or, with `endpointing`, after
/// that much silence). While it lasts, interim results reveal the scripted text a
/// word per `interim_interval` of audio; its final carries the whole text with
/// word timings spread over the speech.
struct MockSttOptions {
  std::string name = "mock";                 ///< info().name and Error::provider()
  std::vector<MockUtterance> transcripts;    ///< one per utterance, in order
  std::string default_text;                  ///< for utterances after the script ran out
  Duration final_latency = std::chrono::milliseconds(150);   ///< after finalize() / endpoint
  Duration interim_interval = std::chrono::milliseconds(300);  ///< of audio; 0 = no interims
  Duration interim_latency = std::chrono::milliseconds(50);  ///< after the audio that produced it
  /// Vendor endpointing: this much silence after speech ends the utterance with a
  /// speech_final final and on_utterance_end. 0 = off (only finalize() ends it).
  Duration endpointing{0};
  double speech_threshold_dbfs = -45.0;
  /// false: every finalize() takes the next scripted transcript even if all audio
  /// was silence (handy when a test feeds no real audio).
  bool require_speech = true;
  bool vad_events = true;                     ///< on_speech_started / on_utterance_end
  std::vector<int> sample_rates = {8000, 16000, 22050, 24000, 32000, 44100, 48000};  ///< pcm16 mono
  std::vector<MockFailure> failures;
  std::optional<Error> open_error;            ///< open() fails with this
};

/// Thread safety: thread-safe; streams are strand-confined.
class MockSpeechToText final : public SpeechToText {
 public:
  /// Errors: invalid_argument (no sample rate, negative durations).
  static Result<std::shared_ptr<MockSpeechToText>> create(MockSttOptions options);
  /// Reads the JSON config (keys in docs/providers.md). Errors: invalid_config with paths.
  static Result<MockSttOptions> parse_options(const Json& config, std::string_view path);

  const ProviderInfo& info() const noexcept override { return info_; }
  const SttCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<SttStream>> open(const SessionContext& session, const SttStreamOptions& options,
                                          SttObserver& observer) override;

  /// What the consumer did, across all streams (for assertions).
  struct Record {
    int streams_opened = 0;
    int finalize_calls = 0;
    Duration audio_received{};
    std::vector<RecognitionHints> hints;
  };
  Record record() const;

  /// Implementation detail (used by the streams).
  struct Shared;

 private:
  explicit MockSpeechToText(MockSttOptions options);
  ProviderInfo info_;
  SttCapabilities capabilities_;
  std::shared_ptr<Shared> shared_;
};

// ---------------------------------------------------------------- LLM

/// One scripted answer.
struct MockReply {
  std::string text;
  std::vector<ToolCall> tool_calls;  ///< ids default to "call_<turn>_<n>"
  std::optional<FinishReason> finish;  ///< default: tool_calls if any, else stop
  std::optional<RecognitionHints> hints;  ///< sent with on_recognition_hints before done
  std::optional<Duration> first_token_latency;  ///< overrides the profile for this reply
};

/// A reply chosen by the request's last message. Exactly one condition is set.
struct MockRule {
  std::string user_contains;  ///< the last message is the user's and contains this (any case)
  std::string tool_result;    ///< the last message is the result of this tool
  MockReply reply;
};

/// Mock LLM. Each generate() is a turn: the first rule matching the last message
/// answers; otherwise the next unused reply of `replies`; then `default_reply`.
/// Text streams a word per token: the first after `first_token_latency`, then
/// `tokens_per_second`; tool calls follow the text, then usage and done.
struct MockLlmOptions {
  std::string name = "mock";
  std::vector<MockReply> replies;
  std::vector<MockRule> rules;
  MockReply default_reply{.text = "OK."};
  Duration first_token_latency = std::chrono::milliseconds(200);
  double tokens_per_second = 50.0;
  std::vector<MockFailure> failures;  ///< `at` = the session's turn (generate() call), 1-based
  LlmCapabilities capabilities{.tool_calling = true, .parallel_tool_calls = true, .reports_usage = true,
                               .context_tokens = 8192};
  std::optional<Error> open_error;    ///< open() fails with this
};

/// Thread safety: thread-safe; sessions are strand-confined.
class MockLanguageModel final : public LanguageModel {
 public:
  /// Errors: invalid_argument (tokens_per_second <= 0, a rule without condition).
  static Result<std::shared_ptr<MockLanguageModel>> create(MockLlmOptions options);
  static Result<MockLlmOptions> parse_options(const Json& config, std::string_view path);

  const ProviderInfo& info() const noexcept override { return info_; }
  const LlmCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<LlmSession>> open(const SessionContext& session) override;

  /// Every request received by generate(), across sessions, in order.
  std::vector<LlmRequest> requests() const;
  int sessions_opened() const;

  /// Implementation detail (used by the sessions).
  struct Shared;

 private:
  explicit MockLanguageModel(MockLlmOptions options);
  ProviderInfo info_;
  LlmCapabilities capabilities_;
  std::shared_ptr<Shared> shared_;
};

// ---------------------------------------------------------------- TTS

/// Mock TTS. Each word becomes a tone (or noise burst) whose length follows the
/// word's length, separated by short gaps, at the requested rate; word timings
/// match the audio exactly. After `first_audio_latency`, audio arrives in `chunk`
/// pieces at `synthesis_speed` times real time. With `streaming_input`, words are
/// spoken as soon as they are complete (followed by a space); otherwise at flush().
struct MockTtsOptions {
  enum class Waveform : std::uint8_t { tone, noise };
  std::string name = "mock";
  Duration first_audio_latency = std::chrono::milliseconds(40);
  Duration chunk = std::chrono::milliseconds(20);
  double synthesis_speed = 1.0;  ///< audio seconds produced per second; 1 = real time
  Duration char_duration = std::chrono::milliseconds(55);   ///< word = chars x this ...
  Duration min_word = std::chrono::milliseconds(100);       ///< ... clamped to [min, max]
  Duration max_word = std::chrono::milliseconds(800);
  Duration word_gap = std::chrono::milliseconds(60);
  Duration sentence_pause = std::chrono::milliseconds(200);  ///< after . ! ?
  Waveform waveform = Waveform::tone;
  double level_dbfs = -12.0;
  bool streaming_input = true;
  bool word_timings = true;
  std::vector<int> sample_rates = {8000, 16000, 22050, 24000, 32000, 44100, 48000};  ///< pcm16 mono
  std::vector<MockFailure> failures;  ///< `at` = the stream's flushed utterance, 1-based
  std::optional<Error> open_error;
};

/// Thread safety: thread-safe; streams are strand-confined.
class MockTextToSpeech final : public TextToSpeech {
 public:
  static Result<std::shared_ptr<MockTextToSpeech>> create(MockTtsOptions options);
  static Result<MockTtsOptions> parse_options(const Json& config, std::string_view path);

  const ProviderInfo& info() const noexcept override { return info_; }
  const TtsCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<TtsStream>> open(const SessionContext& session, const TtsStreamOptions& options,
                                          TtsObserver& observer) override;

  /// Text of every flushed utterance, across streams, in flush order.
  std::vector<std::string> utterances() const;
  int streams_opened() const;

  /// Implementation detail (used by the streams).
  struct Shared;

 private:
  explicit MockTextToSpeech(MockTtsOptions options);
  ProviderInfo info_;
  TtsCapabilities capabilities_;
  std::shared_ptr<Shared> shared_;
};

/// Registers the three `mock` providers (register_builtin_providers() does this).
void register_mock_providers(Registry& registry);

}  // namespace loqui
