// SPDX-License-Identifier: Apache-2.0
// File: per-turn timing and per-call usage records (ARCHITECTURE.md section 7).
//
// Voice-to-voice latency = agent_audio_start - user_speech_end.
// loqui's own overhead = voice-to-voice - endpointing wait - provider waits
// (STT final after speech end, LLM first token after request, TTS first audio
// after request), i.e. what loqui itself spent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "loqui/runtime/clock.hpp"

namespace loqui {

enum class PreemptiveOutcome : std::uint8_t { none, hit, miss };

struct TurnMetrics {
  int turn_index = 0;
  std::optional<TimePoint> user_speech_start;  ///< VAD onset
  std::optional<TimePoint> user_speech_end;    ///< VAD offset (last speech)
  std::optional<TimePoint> stt_final;          ///< final transcript received
  std::optional<TimePoint> end_of_turn;        ///< end-of-turn decision
  std::optional<TimePoint> llm_request;
  std::optional<TimePoint> llm_first_token;
  std::optional<TimePoint> first_sentence;     ///< first chunk handed to TTS
  std::optional<TimePoint> tts_request;
  std::optional<TimePoint> tts_first_audio;
  std::optional<TimePoint> agent_audio_start;  ///< first agent audio handed to the transport
  std::optional<TimePoint> agent_audio_end;

  Duration endpointing_wait{};  ///< the silence the end-of-turn rule waited for
  Duration provider_wait{};     ///< time spent waiting on providers on the critical path
  std::optional<Duration> voice_to_voice;
  std::optional<Duration> loqui_overhead;

  std::string stt_provider;
  std::string llm_provider;
  std::string tts_provider;
  PreemptiveOutcome preemptive = PreemptiveOutcome::none;
  bool interrupted = false;
  int tool_calls = 0;
};

/// Usage of one call, for pricing.
struct Usage {
  double stt_audio_seconds = 0;
  std::int64_t llm_input_tokens = 0;
  std::int64_t llm_output_tokens = 0;
  std::int64_t llm_cached_input_tokens = 0;
  std::int64_t tts_characters = 0;
  double call_seconds = 0;
};

}  // namespace loqui
