// SPDX-License-Identifier: Apache-2.0
// File: see run_report.hpp.
#include "run_report.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace loqui::cli {
namespace {

/// "1234" ms after `from`, or "-" when either end is missing.
std::string ms_after(const std::optional<TimePoint>& t, const std::optional<TimePoint>& from) {
  if (!t || !from) return "-";
  return fmt::format("{:.0f}", to_ms(*t - *from));
}

std::string ms_of(const std::optional<Duration>& d) { return d ? fmt::format("{:.0f}", to_ms(*d)) : "-"; }
std::string us_of(const std::optional<Duration>& d) { return d ? fmt::format("{:.0f}", to_ms(*d) * 1000) : "-"; }

}  // namespace

Result<PriceTable> load_prices(const AgentConfig& config) {
  if (!config.prices_file.empty()) return PriceTable::from_file(config.prices_file);
  if (!config.prices.is_null()) return PriceTable::from_json(config.prices, "prices");
  return PriceTable::defaults();
}

Json make_report(const CallSimulationResult& result, const PriceTable& prices, const LineProfile& profile) {
  Json report = to_json(result.record, &prices);
  Json line = result.line_stats.to_json();
  line["profile"] = profile.to_string();
  line["packets_sent"] = static_cast<long long>(result.packets_sent);
  line["packets_dropped_by_line"] = static_cast<long long>(result.packets_dropped);
  report["line"] = std::move(line);
  report["format_version"] = 1;
  return report;
}

void print_summary(std::FILE* out, const AgentConfig& config, const CallSimulationResult& result,
                   const CallCost& cost, bool real_time, double wall_seconds, const LineProfile& line) {
  const CallRecord& r = result.record;
  const double call_s = to_ms(r.duration()) / 1000;
  fmt::print(out, "call: {} | {:.1f} s of call in {:.1f} s ({}) | line {} | ended: {}\n", config.name, call_s,
             wall_seconds, real_time ? "real time" : "virtual time", line.to_string(), r.end_reason);
  fmt::print(out, "providers: stt {} | llm {} | tts {}\n\n", r.providers.stt, r.providers.llm, r.providers.tts);

  fmt::print(out, "transcript\n");
  // One timeline: what was said, the tools the agent ran, a handoff.
  std::vector<std::pair<TimePoint, std::string>> timeline;
  for (const TranscriptEntry& e : r.transcript) {
    std::string text = fmt::format("{:<6} {}", to_string(e.speaker), e.text);
    if (e.speaker == Speaker::agent && e.interrupted)
      text += fmt::format("\n  {:>10} (interrupted; the caller heard: \"{}\")", "", e.heard_text);
    timeline.emplace_back(e.start, std::move(text));
  }
  for (const ToolCallRecord& t : r.tool_calls)
    timeline.emplace_back(t.start, fmt::format("tool   {}({}) -> {}", t.name, t.arguments,
                                            t.ok ? t.result.dump() : "error: " + t.error));
  if (r.handoff)
    timeline.emplace_back(r.handoff->at, fmt::format("handoff to a human: reason {}, urgency {}", r.handoff->reason,
                                                  r.handoff->urgency));
  std::stable_sort(timeline.begin(), timeline.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [at, text] : timeline) fmt::print(out, "  [{:6.2f} s] {}\n", to_ms(at - r.started) / 1000, text);

  fmt::print(out, "\nturns (ms after the caller stopped speaking; loqui_us = loqui's own time on the critical path{})\n",
             real_time ? "" : ", 0 under virtual time: bench/turn measures it");
  fmt::print(out, "  {:>4} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8} {:>9}  {:<24} {}\n", "turn", "endpoint", "stt_final",
             "llm_first", "first_sent", "tts_first", "v2v", "loqui_us", "providers (stt/llm/tts)", "notes");
  for (const TurnMetrics& t : r.turns) {
    std::string notes;
    if (t.interrupted) notes += "interrupted ";
    if (t.tool_calls) notes += fmt::format("{} tool call(s) ", t.tool_calls);
    if (!t.user_speech_end) notes += "greeting/no caller speech ";
    const std::string providers = fmt::format("{}/{}/{}", t.stt_provider, t.llm_provider, t.tts_provider);
    fmt::print(out, "  {:>4} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8} {:>9}  {:<24} {}\n", t.turn_index,
               ms_after(t.end_of_turn, t.user_speech_end), ms_after(t.stt_final, t.user_speech_end),
               ms_after(t.llm_first_token, t.user_speech_end), ms_after(t.first_sentence, t.user_speech_end),
               ms_after(t.tts_first_audio, t.user_speech_end), ms_of(t.voice_to_voice), us_of(t.loqui_overhead),
               providers, notes);
  }

  const Usage& u = r.usage;
  fmt::print(out, "\nusage: {:.1f} s of caller audio to STT | {} tokens in, {} out | {} characters to TTS\n",
             u.stt_audio_seconds, u.llm_input_tokens, u.llm_output_tokens, u.tts_characters);
  fmt::print(out, "cost ({}):\n", cost.currency);
  for (const CostLine& l : cost.lines)
    fmt::print(out, "  {:<9} {:<32} {:<26} {}\n", l.component, l.priced_as, l.quantity,
               l.price_known ? fmt::format("{:.5f}", l.cost) : "price unknown");
  fmt::print(out, "  total {:.5f} per call, {:.5f} per minute{}\n", cost.total, cost.per_minute,
             cost.complete ? "" : " (incomplete: a price is unknown)");
  if (!result.errors.empty()) {
    fmt::print(out, "\n{} error(s) during the call (the call went on):\n", result.errors.size());
    for (const Error& e : result.errors) fmt::print(out, "  {}\n", e.message());
  }
  fmt::print(out, "\n");
}

}  // namespace loqui::cli
