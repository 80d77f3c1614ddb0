// SPDX-License-Identifier: Apache-2.0
// File: session event names and the EventBus.
#include "loqui/agent/events.hpp"

#include <algorithm>

namespace loqui {

std::string_view to_string(TurnState state) noexcept {
  switch (state) {
    case TurnState::idle: return "idle";
    case TurnState::listening: return "listening";
    case TurnState::user_speaking: return "user_speaking";
    case TurnState::end_of_turn: return "end_of_turn";
    case TurnState::thinking: return "thinking";
    case TurnState::speaking: return "speaking";
    case TurnState::interrupted: return "interrupted";
    case TurnState::ended: return "ended";
  }
  return "?";
}

namespace {
template <class T>
constexpr std::string_view name_of();
#define LOQUI_EVENT_NAME(T) \
  template <>               \
  constexpr std::string_view name_of<T>() { return #T; }
LOQUI_EVENT_NAME(CallStarted)
LOQUI_EVENT_NAME(StateChanged)
LOQUI_EVENT_NAME(SpeechStarted)
LOQUI_EVENT_NAME(SpeechStopped)
LOQUI_EVENT_NAME(TranscriptReceived)
LOQUI_EVENT_NAME(EndOfTurn)
LOQUI_EVENT_NAME(LlmDelta)
LOQUI_EVENT_NAME(ToolCallStarted)
LOQUI_EVENT_NAME(ToolCallFinished)
LOQUI_EVENT_NAME(AgentText)
LOQUI_EVENT_NAME(AgentAudioStarted)
LOQUI_EVENT_NAME(AgentAudioStopped)
LOQUI_EVENT_NAME(PlaybackMark)
LOQUI_EVENT_NAME(ClearPlayback)
LOQUI_EVENT_NAME(Interrupted)
LOQUI_EVENT_NAME(Dtmf)
LOQUI_EVENT_NAME(TurnCompleted)
LOQUI_EVENT_NAME(Handoff)
LOQUI_EVENT_NAME(ErrorEvent)
LOQUI_EVENT_NAME(CallEnded)
#undef LOQUI_EVENT_NAME
}  // namespace

std::string_view event_name(const SessionEvent& event) noexcept {
  return std::visit([](const auto& e) { return name_of<std::decay_t<decltype(e)>>(); }, event);
}

TimePoint event_time(const SessionEvent& event) noexcept {
  return std::visit([](const auto& e) { return e.at; }, event);
}

struct EventBus::State {
  struct Entry {
    std::uint64_t id;
    Handler handler;
  };
  std::vector<Entry> handlers;
  std::vector<std::uint64_t> removed_during_publish;
  std::uint64_t next_id = 1;
  int publishing = 0;
};

EventBus::EventBus() : state_(std::make_shared<State>()) {}
EventBus::~EventBus() = default;

Subscription EventBus::subscribe(Handler handler) {
  const std::uint64_t id = state_->next_id++;
  state_->handlers.push_back({id, std::move(handler)});
  std::weak_ptr<State> weak = state_;
  return Subscription([weak, id] {
    auto s = weak.lock();
    if (!s) return;
    if (s->publishing > 0) {
      s->removed_during_publish.push_back(id);
      return;
    }
    s->handlers.erase(std::remove_if(s->handlers.begin(), s->handlers.end(), [id](const auto& e) { return e.id == id; }),
                      s->handlers.end());
  });
}

void EventBus::publish(const SessionEvent& event) {
  auto s = state_;  // keep alive if a handler destroys the bus owner
  ++s->publishing;
  // Handlers added during publish start with the next event.
  const std::size_t n = s->handlers.size();
  for (std::size_t i = 0; i < n && i < s->handlers.size(); ++i) {
    const std::uint64_t id = s->handlers[i].id;
    if (std::find(s->removed_during_publish.begin(), s->removed_during_publish.end(), id) !=
        s->removed_during_publish.end())
      continue;
    s->handlers[i].handler(event);
  }
  if (--s->publishing == 0 && !s->removed_during_publish.empty()) {
    auto& r = s->removed_during_publish;
    s->handlers.erase(std::remove_if(s->handlers.begin(), s->handlers.end(),
                                     [&](const auto& e) { return std::find(r.begin(), r.end(), e.id) != r.end(); }),
                      s->handlers.end());
    r.clear();
  }
}

std::size_t EventBus::subscriber_count() const noexcept { return state_->handlers.size(); }

}  // namespace loqui
