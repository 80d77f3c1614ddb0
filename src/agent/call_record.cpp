// SPDX-License-Identifier: Apache-2.0
// File: the CallRecord's JSON form (the `--report` format).
#include "loqui/agent/call_record.hpp"

#include <cmath>

namespace loqui {

std::string_view to_string(Speaker speaker) noexcept { return speaker == Speaker::caller ? "caller" : "agent"; }

namespace {

// Milliseconds with microsecond precision.
Json ms(Duration d) { return Json(std::round(to_ms(d) * 1000.0) / 1000.0); }

std::string_view preemptive_name(PreemptiveOutcome p) {
  switch (p) {
    case PreemptiveOutcome::none: return "none";
    case PreemptiveOutcome::hit: return "hit";
    case PreemptiveOutcome::miss: return "miss";
  }
  return "none";
}

}  // namespace

CallCost price_call(const CallRecord& r, const PriceTable& prices) {
  const ProvidersUsed& p = r.providers;
  return prices.price(r.usage, ProviderModels{p.stt, p.stt_model, p.llm, p.llm_model, p.tts, p.tts_model});
}

Json to_json(const CallRecord& r, const PriceTable* prices) {
  const TimePoint t0 = r.started;
  auto at = [&](TimePoint t) { return ms(t - t0); };
  auto opt = [&](const std::optional<TimePoint>& t) { return t ? at(*t) : Json(nullptr); };
  auto optd = [&](const std::optional<Duration>& d) { return d ? ms(*d) : Json(nullptr); };

  Json providers = Json::object({{"stt", r.providers.stt},
                                 {"llm", r.providers.llm},
                                 {"tts", r.providers.tts},
                                 {"stt_model", r.providers.stt_model},
                                 {"llm_model", r.providers.llm_model},
                                 {"tts_model", r.providers.tts_model}});
  Json answered = Json::array();
  for (const auto& p : r.providers_answered) answered.push_back(p);
  providers["answered"] = std::move(answered);

  Json call = Json::object({{"session_id", r.session_id},
                            {"tenant_id", r.tenant_id},
                            {"agent", r.agent_name},
                            {"duration_ms", ms(r.duration())},
                            {"end_reason", r.end_reason},
                            {"providers", std::move(providers)},
                            {"interruptions", r.interruptions},
                            {"backchannels_ignored", r.backchannels_ignored},
                            {"false_interruptions", r.false_interruptions},
                            {"preemptive_hits", r.preemptive_hits},
                            {"preemptive_misses", r.preemptive_misses}});

  Json transcript = Json::array();
  for (const auto& e : r.transcript) {
    Json j = Json::object({{"speaker", std::string(to_string(e.speaker))},
                           {"start_ms", at(e.start)},
                           {"end_ms", at(e.end)},
                           {"text", e.text}});
    if (e.speaker == Speaker::agent) {
      j["interrupted"] = e.interrupted;
      j["heard_text"] = e.heard_text;
    }
    transcript.push_back(std::move(j));
  }

  Json turns = Json::array();
  for (const auto& m : r.turns) {
    turns.push_back(Json::object({{"index", m.turn_index},
                                  {"user_speech_start_ms", opt(m.user_speech_start)},
                                  {"user_speech_end_ms", opt(m.user_speech_end)},
                                  {"stt_final_ms", opt(m.stt_final)},
                                  {"end_of_turn_ms", opt(m.end_of_turn)},
                                  {"llm_request_ms", opt(m.llm_request)},
                                  {"llm_first_token_ms", opt(m.llm_first_token)},
                                  {"first_sentence_ms", opt(m.first_sentence)},
                                  {"tts_request_ms", opt(m.tts_request)},
                                  {"tts_first_audio_ms", opt(m.tts_first_audio)},
                                  {"agent_audio_start_ms", opt(m.agent_audio_start)},
                                  {"agent_audio_end_ms", opt(m.agent_audio_end)},
                                  {"endpointing_wait_ms", ms(m.endpointing_wait)},
                                  {"provider_wait_ms", ms(m.provider_wait)},
                                  {"voice_to_voice_ms", optd(m.voice_to_voice)},
                                  {"loqui_overhead_ms", optd(m.loqui_overhead)},
                                  {"interrupted", m.interrupted},
                                  {"preemptive", std::string(preemptive_name(m.preemptive))},
                                  {"tool_calls", m.tool_calls},
                                  {"stt_provider", m.stt_provider},
                                  {"llm_provider", m.llm_provider},
                                  {"tts_provider", m.tts_provider}}));
  }

  Json tools = Json::array();
  for (const auto& t : r.tool_calls) {
    Json j = Json::object({{"name", t.name},
                           {"start_ms", at(t.start)},
                           {"end_ms", at(t.end)},
                           {"arguments", t.arguments},
                           {"ok", t.ok},
                           {"result", t.result}});
    if (!t.ok) j["error"] = t.error;
    tools.push_back(std::move(j));
  }

  Json handoff = nullptr;
  if (r.handoff) {
    handoff = Json::object({{"at_ms", at(r.handoff->at)},
                            {"reason", r.handoff->reason},
                            {"urgency", r.handoff->urgency},
                            {"summary", r.handoff->summary},
                            {"entities", r.handoff->entities}});
  }

  const Usage& u = r.usage;
  Json usage = Json::object({{"call_seconds", u.call_seconds},
                             {"stt_audio_seconds", u.stt_audio_seconds},
                             {"llm_input_tokens", u.llm_input_tokens},
                             {"llm_output_tokens", u.llm_output_tokens},
                             {"llm_cached_input_tokens", u.llm_cached_input_tokens},
                             {"tts_characters", u.tts_characters}});

  Json out = Json::object({{"call", std::move(call)},
                           {"transcript", std::move(transcript)},
                           {"turns", std::move(turns)},
                           {"tool_calls", std::move(tools)},
                           {"handoff", std::move(handoff)},
                           {"usage", std::move(usage)}});
  if (prices) {
    const CallCost cost = price_call(r, *prices);
    Json lines = Json::array();
    for (const auto& l : cost.lines) {
      lines.push_back(Json::object({{"component", l.component},
                                    {"priced_as", l.priced_as},
                                    {"quantity", l.quantity},
                                    {"cost", l.cost},
                                    {"price_known", l.price_known}}));
    }
    out["cost"] = Json::object({{"currency", cost.currency},
                                {"total", cost.total},
                                {"per_minute", cost.per_minute},
                                {"complete", cost.complete},
                                {"lines", std::move(lines)}});
  }
  return out;
}

}  // namespace loqui
