// SPDX-License-Identifier: Apache-2.0
// File: Fallback providers: an ordered list of providers of one kind behind one
// provider interface, with per-provider timeouts and a circuit breaker per
// provider, switching to the next provider in the middle of a turn so the caller
// still gets an answer (ARCHITECTURE.md section 4).
//
// What counts as a failure of a provider: on_error, an exception thrown by one of
// its calls, a synchronous error from open()/generate()/send_*(), output that
// breaks the contract (a tool call without a name, an audio frame in another
// format than output_format(), a transcript ending before it starts), and the
// timeouts of its Route: no first output in time (LLM first token after
// generate(); TTS first audio after flush(); STT final after finalize()), or a
// stall between outputs. Errors of condition bad_input (the request itself was
// wrong) switch too, but do not count against the provider's circuit.
//
// Switching, per kind:
//  * LLM: the same request goes to the next provider; the observer gets
//    on_provider(label, restarted = true) before the new output if any output of
//    the failed provider had been delivered (discard it). Each generation starts
//    again from the first provider whose circuit admits it.
//  * TTS: the text of every utterance not yet done is sent again to the next
//    provider (flushed ones flushed again); on_provider(label, true) if audio of
//    the current utterance had been delivered. The stream stays on the provider
//    that worked for its following utterances.
//  * STT: the audio of the current utterance (everything after the last final,
//    at most RouteOptions::replay_limit) is replayed to the next provider, and a
//    pending finalize() repeated; its results are shifted to the stream's own
//    timeline. on_provider(label, true) if interim results had been delivered.
// Each provider is tried at most once per turn; when all fail, the observer gets
// one on_error naming every provider and why it failed.
//
// Circuit breaker (per provider, shared by all sessions of the Fallback): closed
// until `failure_threshold` consecutive failures; then open for `cooldown`
// (requests skip it); then half-open: one request probes it while others skip
// it; the probe's success closes the circuit, its failure opens it again. All
// times are the strand clock's, so it runs under virtual time. When every
// circuit is open, the request fails at once with errc::provider_unavailable.
//
// Which provider answered: observers get on_provider(label, restarted) before the
// first output of every generation/stream (see the observer interfaces), and
// errors carry Error::provider().
//
// Built by the Registry from a `"fallback": [...]` array (and/or a `"routing"`
// object) in a provider config; see docs/providers.md. From C++:
//
// @code
//   auto llm = loqui::LlmFallback::create({
//       {primary, {.first_output_timeout = std::chrono::milliseconds(1500)}},
//       {secondary, {}}}).value();
// @endcode
//
// Thread safety: the Fallback providers and CircuitBreaker are thread-safe;
// their streams and sessions are strand-confined like any provider's.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"
#include "loqui/provider/tts.hpp"

namespace loqui {

/// Routing settings of one provider in a Fallback.
struct RouteOptions {
  /// Name reported by on_provider() and in errors. Default: the provider's
  /// info().name, made unique with "#2", "#3" ... when several share it.
  std::string label;
  /// LLM: first token after generate(); TTS: first audio after flush(); STT: the
  /// final after finalize(). 0 = no limit.
  Duration first_output_timeout{};
  /// Longest silence between outputs once output started (LLM tokens, TTS
  /// chunks; unused for STT, where silence is normal). 0 = no limit.
  Duration idle_timeout{};
  /// Consecutive failures that open the circuit; 0 = no circuit breaker.
  int failure_threshold = 3;
  /// How long an open circuit stays open before a probe may go through.
  Duration cooldown = std::chrono::seconds(30);
  /// STT: most audio kept for replay to the next provider (of the first route;
  /// ignored on others).
  Duration replay_limit = std::chrono::seconds(30);
};

/// The routing defaults the Registry applies to a `"fallback"`/`"routing"` config
/// (RouteOptions{} itself has no timeouts): LLM first token 4000 ms, idle 5000 ms;
/// TTS first audio 3000 ms, idle 3000 ms; STT final 3000 ms after finalize();
/// 3 failures open a circuit for 30 s.
RouteOptions default_route_options(ProviderKind kind) noexcept;

/// Closed -> open after N consecutive failures -> half-open after a cool-down
/// (one probe at a time) -> closed on the probe's success, open on its failure.
///
/// Thread safety: thread-safe. Times are whatever clock the caller passes (the
/// strand clock in loqui).
class CircuitBreaker {
 public:
  enum class State : std::uint8_t { closed, open, half_open };
  /// `failure_threshold` 0 disables the breaker (always closed).
  CircuitBreaker(int failure_threshold, Duration cooldown) noexcept
      : threshold_(failure_threshold), cooldown_(cooldown) {}

  /// A request may use the provider at `now`. In half-open state this admits one
  /// probe and refuses others until record_*() or release() settles it; `probe`
  /// (optional) tells whether this admission is the probe.
  bool try_acquire(TimePoint now, bool* probe = nullptr);
  /// The request admitted by try_acquire() succeeded / failed.
  void record_success(TimePoint now);
  void record_failure(TimePoint now);
  /// The admitted request ended without a verdict (cancelled): frees the probe.
  void release(bool probe);

  State state(TimePoint now) const;
  int consecutive_failures() const;
  /// When an open circuit turns half-open.
  TimePoint reopens_at() const;

 private:
  mutable std::mutex mu_;
  int threshold_;
  Duration cooldown_;
  int failures_ = 0;
  bool open_ = false;
  bool probe_in_flight_ = false;
  TimePoint opened_at_{};
};

std::string_view to_string(CircuitBreaker::State state) noexcept;

/// Health of one route, for monitoring.
struct RouteHealth {
  std::string label;
  CircuitBreaker::State state = CircuitBreaker::State::closed;
  int consecutive_failures = 0;
  std::uint64_t failures = 0;   ///< total
  std::uint64_t successes = 0;  ///< total
};

/// A provider of kind P with its routing settings.
template <class P>
struct Route {
  std::shared_ptr<P> provider;
  RouteOptions options;
};

/// LanguageModel over an ordered list of LanguageModels.
/// Capabilities: the intersection of the providers' (smallest known context).
class LlmFallback final : public LanguageModel {
 public:
  /// Errors: invalid_argument (no routes, a null provider, negative durations).
  static Result<std::shared_ptr<LlmFallback>> create(std::vector<Route<LanguageModel>> routes);
  ~LlmFallback() override;
  const ProviderInfo& info() const noexcept override { return info_; }
  const LlmCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<LlmSession>> open(const SessionContext& session) override;
  std::vector<RouteHealth> health(TimePoint now) const;

  struct Impl;  ///< implementation detail

 private:
  LlmFallback() = default;
  ProviderInfo info_;
  LlmCapabilities capabilities_;
  std::shared_ptr<Impl> impl_;
};

/// TextToSpeech over an ordered list of TextToSpeech providers.
/// Capabilities: output formats all of them produce; word timings and streaming
/// input only if all have them. Every provider must produce the format the
/// stream is opened with.
class TtsFallback final : public TextToSpeech {
 public:
  /// Errors: invalid_argument (no routes, null provider), invalid_config (no
  /// output format common to all providers).
  static Result<std::shared_ptr<TtsFallback>> create(std::vector<Route<TextToSpeech>> routes);
  ~TtsFallback() override;
  const ProviderInfo& info() const noexcept override { return info_; }
  const TtsCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<TtsStream>> open(const SessionContext& session, const TtsStreamOptions& options,
                                          TtsObserver& observer) override;
  std::vector<RouteHealth> health(TimePoint now) const;

  struct Impl;  ///< implementation detail

 private:
  TtsFallback() = default;
  ProviderInfo info_;
  TtsCapabilities capabilities_;
  std::shared_ptr<Impl> impl_;
};

/// SpeechToText over an ordered list of SpeechToText providers.
/// Capabilities: input formats all of them accept; other flags only if all have them.
class SttFallback final : public SpeechToText {
 public:
  /// Errors: invalid_argument (no routes, null provider), invalid_config (no
  /// input format common to all providers).
  static Result<std::shared_ptr<SttFallback>> create(std::vector<Route<SpeechToText>> routes);
  ~SttFallback() override;
  const ProviderInfo& info() const noexcept override { return info_; }
  const SttCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<SttStream>> open(const SessionContext& session, const SttStreamOptions& options,
                                          SttObserver& observer) override;
  std::vector<RouteHealth> health(TimePoint now) const;

  struct Impl;  ///< implementation detail

 private:
  SttFallback() = default;
  ProviderInfo info_;
  SttCapabilities capabilities_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace loqui
