// SPDX-License-Identifier: Apache-2.0
// File: typed session events and the per-session EventBus.
//
// Everything that happens in a call is published as a SessionEvent (a std::variant
// of small structs) on the session's EventBus. Hosts, metrics, call recorders and
// loggers subscribe; handlers run on the session strand, in publish order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/json.hpp"
#include "loqui/metrics/turn_metrics.hpp"
#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"

namespace loqui {

/// Turn-manager states (ARCHITECTURE.md section 5).
enum class TurnState : std::uint8_t { idle, listening, user_speaking, end_of_turn, thinking, speaking, interrupted, ended };
std::string_view to_string(TurnState state) noexcept;

struct CallStarted { TimePoint at; std::string session_id; std::string tenant_id; };
struct StateChanged { TimePoint at; TurnState from; TurnState to; };
/// Caller voice activity (VAD or vendor).
struct SpeechStarted { TimePoint at; };
struct SpeechStopped { TimePoint at; Duration speech_duration{}; };
struct TranscriptReceived { TimePoint at; Transcript transcript; std::string provider; };
struct EndOfTurn { TimePoint at; std::string text; Duration waited{}; std::string reason; };
struct LlmDelta { TimePoint at; std::string text; };
struct ToolCallStarted { TimePoint at; ToolCall call; };
struct ToolCallFinished { TimePoint at; ToolCall call; Json result; bool ok = true; std::string error; Duration elapsed{}; };
/// A chunk of agent text sent to TTS.
struct AgentText { TimePoint at; std::string text; };
/// Agent audio handed to the transport (metadata; the audio itself goes to the output sink).
struct AgentAudioStarted { TimePoint at; };
struct AgentAudioStopped { TimePoint at; bool interrupted = false; };
/// The transport reports what the caller has heard.
struct PlaybackMark { TimePoint at; std::string name; std::int64_t samples_played = 0; };
/// The transport must drop queued agent audio now (barge-in).
struct ClearPlayback { TimePoint at; };
struct Interrupted { TimePoint at; std::string heard_text; std::string unheard_text; bool resumed = false; };
struct Dtmf { TimePoint at; char digit = 0; };
struct TurnCompleted { TimePoint at; TurnMetrics metrics; };
struct Handoff {
  TimePoint at;
  std::string reason;       ///< "caller_request", "failed_turns", "keyword", "tool", "flow"
  std::string urgency;      ///< "normal", "high", "emergency"
  std::string message;      ///< what the agent said to the caller
  std::string summary;
  std::vector<std::pair<std::string, std::string>> transcript;  ///< (speaker, text)
  Json entities = Json::object();
};
struct ErrorEvent { TimePoint at; Error error; std::string component; bool recovered = false; };
struct CallEnded { TimePoint at; std::string reason; };

using SessionEvent =
    std::variant<CallStarted, StateChanged, SpeechStarted, SpeechStopped, TranscriptReceived, EndOfTurn,
                 LlmDelta, ToolCallStarted, ToolCallFinished, AgentText, AgentAudioStarted,
                 AgentAudioStopped, PlaybackMark, ClearPlayback, Interrupted, Dtmf, TurnCompleted, Handoff,
                 ErrorEvent, CallEnded>;

/// Name of the event's type: "CallStarted", "TranscriptReceived" ...
std::string_view event_name(const SessionEvent& event) noexcept;
/// The event's timestamp.
TimePoint event_time(const SessionEvent& event) noexcept;

/// Handle of a subscription; unsubscribes when destroyed or reset().
class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&& o) noexcept {
    if (this != &o) {
      reset();
      cancel_ = std::move(o.cancel_);
    }
    return *this;
  }
  ~Subscription() { reset(); }
  void reset() {
    if (cancel_) std::exchange(cancel_, nullptr)();
  }
  /// Keeps the subscription for the life of the bus.
  void release() noexcept { cancel_ = nullptr; }

 private:
  std::function<void()> cancel_;
};

/// Fan-out of a session's events to subscribers.
///
/// Thread safety: strand-confined: publish(), subscribe() and unsubscribing all
/// happen on the session strand. Handlers may subscribe/unsubscribe during
/// publish(); changes apply from the next event.
class EventBus {
 public:
  using Handler = std::function<void(const SessionEvent&)>;
  EventBus();
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  /// The subscription must not outlive the bus unless released.
  [[nodiscard]] Subscription subscribe(Handler handler);
  void publish(const SessionEvent& event);
  std::size_t subscriber_count() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace loqui
