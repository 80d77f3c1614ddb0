// SPDX-License-Identifier: Apache-2.0
// File: CallRecord, everything a finished (or running) call leaves behind: the
// transcript with what the caller actually heard, per-turn metrics, tool calls, the
// handoff if any, usage for pricing and the providers used. to_json() is the
// `loqui run --report` format (documented in docs/turn-manager.md).
//
// Times in the record are TimePoints on the session's runtime clock; to_json()
// writes them as milliseconds since the call started.
//
// Thread safety: a value type.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "loqui/json.hpp"
#include "loqui/metrics/cost.hpp"
#include "loqui/metrics/turn_metrics.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

enum class Speaker : std::uint8_t { caller, agent };
std::string_view to_string(Speaker speaker) noexcept;

struct TranscriptEntry {
  Speaker speaker = Speaker::caller;
  TimePoint start{};
  TimePoint end{};
  std::string text;          ///< caller: the final transcript; agent: what it meant to say
  bool interrupted = false;  ///< agent: cut off by the caller
  std::string heard_text;    ///< agent: the words the caller heard (== text unless interrupted)
};

struct ToolCallRecord {
  TimePoint start{};
  TimePoint end{};
  std::string name;
  std::string arguments;  ///< raw JSON text from the model
  Json result = nullptr;
  bool ok = true;
  std::string error;
};

struct HandoffRecord {
  TimePoint at{};
  std::string reason;   ///< caller_request, failed_turns, keyword, tool, flow
  std::string urgency;  ///< normal, high, emergency
  std::string summary;
  Json entities = Json::object();
};

struct ProvidersUsed {
  std::string stt, llm, tts;                     ///< provider names from the config
  std::string stt_model, llm_model, tts_model;   ///< their "model" keys, if any
};

struct CallRecord {
  std::string session_id;
  std::string tenant_id;
  std::string agent_name;
  TimePoint started{};
  TimePoint ended{};         ///< == started while the call runs
  std::string end_reason;    ///< "caller_hangup", "handoff", "max_duration", "idle", "end_call", "error" ...
  ProvidersUsed providers;   ///< names from the configs (Fallback: the primary; router: its "llm")
  std::vector<std::string> providers_answered;  ///< every provider that produced output, once
  std::vector<TranscriptEntry> transcript;
  std::vector<TurnMetrics> turns;
  std::vector<ToolCallRecord> tool_calls;
  std::optional<HandoffRecord> handoff;
  Usage usage;
  int interruptions = 0;
  int backchannels_ignored = 0;
  int false_interruptions = 0;
  int preemptive_hits = 0;    ///< early LLM answers kept (turn.preemptive_generation)
  int preemptive_misses = 0;  ///< early answers discarded because the caller went on

  Duration duration() const noexcept { return ended - started; }
};

/// Prices the call's usage with `prices` (per component, per call, per minute).
CallCost price_call(const CallRecord& record, const PriceTable& prices);

/// The report format: {call{session_id, agent, duration_ms, end_reason, providers,
/// counters}, transcript[...], turns[...], tool_calls[...], handoff, usage, and with
/// `prices` also cost{currency, total, per_minute, complete, lines[...]}}.
/// docs/turn-manager.md documents every key.
Json to_json(const CallRecord& record, const PriceTable* prices = nullptr);

}  // namespace loqui
