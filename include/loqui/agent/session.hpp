// SPDX-License-Identifier: Apache-2.0
// File: Session, one call: the turn manager (ARCHITECTURE.md section 5) wired to an
// STT stream, an LLM session, a TTS stream, a voice detector and the host's audio
// output.
//
// State machine: listening -> user_speaking -> end_of_turn -> thinking -> speaking
// -> listening, with interrupted (barge-in) and ended. Inputs: caller audio (VAD +
// STT), transcripts, LLM and TTS events, playback reports, DTMF, timers. Outputs:
// agent audio to an AgentAudioSink, "clear playback" commands, SessionEvents and
// a CallRecord. docs/turn-manager.md describes every rule and event.
//
// Time: everything runs on the session's Strand and reads the runtime's clock, so
// under a virtual-time Runtime a whole call is simulated deterministically.
//
// Thread safety: start(), stop(), push_audio(), push_dtmf() and report_playback()
// may be called from any thread: called on the session strand they act at once,
// otherwise they are posted to it (push_audio copies the frame). subscribe() must
// be called before start() or on the strand. call_record() and state() on the
// strand, or after the call ended. Event handlers and AgentAudioSink methods run on
// the strand; they may call the session's methods (stop() included). Destroying
// the Session from another thread of a threaded runtime hands its state to the
// strand to be destroyed there.
//
// @code
//   auto rt = loqui::Runtime::create({.threads = 0, .time = loqui::TimeMode::virtual_time}).value();
//   auto cfg = loqui::AgentConfig::load("agent.json").value();
//   auto providers = loqui::make_agent_providers(registry, cfg, rt.get()).value();
//   MySink sink;
//   auto session = loqui::Session::create(*rt, cfg, providers,
//       {.audio_sink = &sink, .vad_factory = [] { return my_detector(); }, .session_id = "call-1"}).value();
//   auto sub = session->subscribe([](const loqui::SessionEvent& e) { ... });
//   (void)session->start();
//   for (const auto& frame : caller_frames) { session->push_audio(frame); rt->advance_by(20ms); }
//   session->stop("caller_hangup");
//   auto report = loqui::to_json(session->call_record());
// @endcode
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/agent/agent_config.hpp"
#include "loqui/agent/call_record.hpp"
#include "loqui/agent/events.hpp"
#include "loqui/agent/text_normalizer.hpp"
#include "loqui/agent/tools.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/audio/vad.hpp"
#include "loqui/runtime/runtime.hpp"

namespace loqui {

/// Where the agent's voice goes (a transport's send side, a WAV recorder, a
/// speaker). Called on the session strand.
class AgentAudioSink {
 public:
  virtual ~AgentAudioSink() = default;
  /// A chunk of agent audio in Session::agent_audio_format() (pcm16 mono at
  /// SessionOptions::agent_sample_rate_hz). `audio.timestamp()` is its position on
  /// the call's agent timeline in samples since the call started: where the caller
  /// hears it if the transport plays audio in order without gaps beyond those the
  /// timestamps leave (audio arrives faster than real time from fast TTS; it is
  /// placed right after the previous chunk, or at "now" if playback ran dry).
  /// `play_at` is the same position as a TimePoint. Valid only during the call.
  virtual void on_agent_audio(const AudioFrame& audio, TimePoint play_at) = 0;
  /// Barge-in: drop every queued, unplayed chunk now. Audio from the next
  /// on_agent_audio() is new speech.
  virtual void on_clear() = 0;
};

struct SessionOptions {
  /// Not owned; must outlive the session. Null: agent audio is discarded (events
  /// and the record still track it).
  AgentAudioSink* audio_sink = nullptr;
  /// Makes the session's voice detector (pcm16 mono 8 or 16 kHz, 10 ms frames).
  /// Required.
  std::function<std::unique_ptr<VoiceDetector>()> vad_factory;
  /// Host tools (not owned; must outlive the session). May be null. Config-declared
  /// simulated tools are added on top.
  const ToolRegistry* tools = nullptr;
  std::string session_id = "session";
  /// The strand to run on; null: a new one from the runtime.
  std::shared_ptr<Strand> strand;
  /// Rate of push_audio() frames (pcm16 mono); other rates are resampled.
  int caller_sample_rate_hz = 16000;
  /// Rate the agent's audio is requested from TTS and handed to the sink.
  int agent_sample_rate_hz = 16000;
  /// True when the host will call report_playback(); otherwise playback is assumed
  /// to follow the agent timeline in real time.
  bool playback_reports = false;
  /// Asked before a handoff: can a human take the call now (business hours,
  /// queue)? The answer goes into the Handoff event's entities as "human_available".
  std::function<bool()> human_available;
  /// Turns written text into what TTS reads (not owned; outlives the session).
  /// Null: make_text_normalizer(agent.language) when agent.normalize_text is on.
  const TextNormalizer* text_normalizer = nullptr;
  /// Called on the strand when turn.history_max_tokens drops old turns from the LLM
  /// history; the returned text (if any) is kept as a system note after the prompt.
  std::function<std::string(const std::vector<ChatMessage>& dropped)> summarize;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  /// Opens the STT stream, LLM session and TTS stream (on the strand). Errors:
  /// invalid_argument (no vad_factory or providers), the providers' open() errors
  /// (format_mismatch, not_supported for a network provider under virtual time).
  static Result<std::shared_ptr<Session>> create(Runtime& runtime, AgentConfig config, AgentProviders providers,
                                                 SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Starts the call: CallStarted, the greeting (if any), the max-duration timer.
  Status start();
  /// Ends the call (caller hung up, host shutdown): cancels providers, records
  /// `reason`, publishes CallEnded. Idempotent.
  void stop(std::string reason = "caller_hangup");

  /// Caller audio: pcm16 mono at SessionOptions::caller_sample_rate_hz, in order.
  /// Frames flagged kFrameGap count as silence. Errors: format_mismatch; closed
  /// after the call ended.
  Status push_audio(const AudioFrame& frame);
  /// A DTMF digit from the caller (0-9, *, #, A-D).
  Status push_dtmf(char digit);
  /// The transport reports how much agent audio the caller has heard: samples of
  /// the agent timeline (AgentAudioSink timestamps) played so far.
  void report_playback(std::int64_t samples_played);

  [[nodiscard]] Subscription subscribe(EventBus::Handler handler);

  /// A snapshot of the call so far (final after the call ended).
  CallRecord call_record() const;
  TurnState state() const noexcept;
  bool ended() const noexcept;
  AudioFormat agent_audio_format() const noexcept;
  const std::shared_ptr<Strand>& strand() const noexcept;
  /// The LLM conversation so far (system prompt first).
  std::vector<ChatMessage> history() const;

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace loqui
