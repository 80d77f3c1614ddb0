// SPDX-License-Identifier: Apache-2.0
// File: PriceTable defaults, loading and pricing.
#include "loqui/metrics/cost.hpp"

#include <cstdio>

#include "loqui/config.hpp"

namespace loqui {
namespace {
std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
}  // namespace

PriceTable PriceTable::defaults() {
  // Public pay-as-you-go list prices in USD, as published by each vendor in 2025.
  // They change: override with a price table (docs/cost.md).
  PriceTable t;
  t.stt_ = {
      {"deepgram", {0.0077}},          {"deepgram/nova-3", {0.0077}}, {"deepgram/nova-2", {0.0058}},
      {"deepgram/nova-2-phonecall", {0.0058}},
      {"openai", {0.006}},             {"openai/whisper-1", {0.006}}, {"openai/gpt-4o-mini-transcribe", {0.003}},
      {"pocketsphinx", {0.0}},         {"mock", {0.0}},
  };
  t.llm_ = {
      {"openai/gpt-4o-mini", {0.15, 0.60, 0.075}},
      {"openai/gpt-4o", {2.50, 10.00, 1.25}},
      {"openai/gpt-4.1-mini", {0.40, 1.60, 0.10}},
      {"openai/gpt-4.1-nano", {0.10, 0.40, 0.025}},
      {"openai/llama-3.1-8b-instant", {0.05, 0.08, 0}},   // Groq, through the OpenAI-compatible adapter
      {"openai/llama-3.3-70b-versatile", {0.59, 0.79, 0}},  // Groq
      {"openai/llama3.1-8b", {0.10, 0.10, 0}},            // Cerebras
      {"flow", {0, 0, 0}},
      {"mock", {0, 0, 0}},
  };
  t.tts_ = {
      {"cartesia", {0.030}},     {"cartesia/sonic-2", {0.030}}, {"cartesia/sonic", {0.030}},
      {"elevenlabs", {0.050}},   {"elevenlabs/eleven_flash_v2_5", {0.050}},
      {"deepgram", {0.030}},     {"deepgram/aura-2", {0.030}},
      {"openai", {0.015}},       {"openai/tts-1", {0.015}},   {"openai/gpt-4o-mini-tts", {0.012}},
      {"espeak", {0.0}},         {"mock", {0.0}},
  };
  return t;
}

template <class T>
std::optional<T> PriceTable::find(const std::map<std::string, T, std::less<>>& m, std::string_view provider,
                                  std::string_view model, std::string* key) {
  if (!model.empty()) {
    const std::string full = std::string(provider) + "/" + std::string(model);
    if (auto it = m.find(full); it != m.end()) {
      if (key) *key = full;
      return it->second;
    }
  }
  if (auto it = m.find(provider); it != m.end()) {
    if (key) *key = std::string(provider);
    return it->second;
  }
  return std::nullopt;
}

std::optional<SttPrice> PriceTable::stt(std::string_view p, std::string_view m) const { return find(stt_, p, m); }
std::optional<LlmPrice> PriceTable::llm(std::string_view p, std::string_view m) const { return find(llm_, p, m); }
std::optional<TtsPrice> PriceTable::tts(std::string_view p, std::string_view m) const { return find(tts_, p, m); }

Result<PriceTable> PriceTable::from_json(const Json& json, std::string_view path, bool merge_defaults) {
  PriceTable t = merge_defaults ? defaults() : PriceTable();
  ConfigErrors errors;
  ConfigReader r(json, std::string(path), errors);
  t.currency_ = r.get_string("currency", "USD");
  t.telephony_per_minute_ = r.child("telephony").get_number("per_minute", 0.0, {.min = 0});
  const NumberRange non_negative{.min = 0};
  auto section = [&](std::string_view name, auto&& read_one) {
    ConfigReader s = r.child(name);
    for (const auto& m : s.node().as_object()) {
      s.allow({m.key});
      ConfigReader e(m.value, s.path_of(m.key), errors);
      read_one(m.key, e);
      (void)e.finish();
    }
  };
  section("stt", [&](const std::string& key, ConfigReader& e) {
    t.stt_[key] = {e.get_number("per_minute", 0.0, non_negative)};
  });
  section("llm", [&](const std::string& key, ConfigReader& e) {
    LlmPrice p;
    p.per_million_input_tokens = e.get_number("per_million_input_tokens", 0.0, non_negative);
    p.per_million_output_tokens = e.get_number("per_million_output_tokens", 0.0, non_negative);
    p.per_million_cached_input_tokens = e.get_number("per_million_cached_input_tokens", 0.0, non_negative);
    t.llm_[key] = p;
  });
  section("tts", [&](const std::string& key, ConfigReader& e) {
    t.tts_[key] = {e.get_number("per_thousand_characters", 0.0, non_negative)};
  });
  LOQUI_TRY(r.finish());
  return t;
}

Result<PriceTable> PriceTable::from_file(const std::string& file, bool merge_defaults) {
  LOQUI_ASSIGN_OR_RETURN(Json j, Json::parse_file(file));
  auto t = from_json(j, "prices", merge_defaults);
  if (!t) return std::move(t).error().add_context(file);
  return t;
}

CallCost PriceTable::price(const Usage& u, const ProviderModels& p) const {
  CallCost c;
  c.currency = currency_;
  auto add = [&](CostLine line) {
    c.total += line.cost;
    if (!line.price_known) c.complete = false;
    c.lines.push_back(std::move(line));
  };
  if (!p.stt.empty()) {
    std::string key;
    auto price = find(stt_, p.stt, p.stt_model, &key);
    const double minutes = u.stt_audio_seconds / 60.0;
    add({"stt", price ? key : p.stt + (p.stt_model.empty() ? "" : "/" + p.stt_model),
         fixed(minutes, 2) + " min", price ? minutes * price->per_minute : 0.0, price.has_value()});
  }
  if (!p.llm.empty()) {
    std::string key;
    auto price = find(llm_, p.llm, p.llm_model, &key);
    double cost = 0;
    if (price) {
      const double cached_rate = price->per_million_cached_input_tokens > 0 ? price->per_million_cached_input_tokens
                                                                            : price->per_million_input_tokens;
      const auto uncached = u.llm_input_tokens - u.llm_cached_input_tokens;
      cost = (static_cast<double>(uncached) * price->per_million_input_tokens +
              static_cast<double>(u.llm_cached_input_tokens) * cached_rate +
              static_cast<double>(u.llm_output_tokens) * price->per_million_output_tokens) /
             1e6;
    }
    add({"llm", price ? key : p.llm + (p.llm_model.empty() ? "" : "/" + p.llm_model),
         std::to_string(u.llm_input_tokens) + " in / " + std::to_string(u.llm_output_tokens) + " out tokens", cost,
         price.has_value()});
  }
  if (!p.tts.empty()) {
    std::string key;
    auto price = find(tts_, p.tts, p.tts_model, &key);
    add({"tts", price ? key : p.tts + (p.tts_model.empty() ? "" : "/" + p.tts_model),
         std::to_string(u.tts_characters) + " chars",
         price ? static_cast<double>(u.tts_characters) / 1000.0 * price->per_thousand_characters : 0.0,
         price.has_value()});
  }
  if (telephony_per_minute_ > 0) {
    add({"telephony", "telephony", fixed(u.call_seconds / 60.0, 2) + " min",
         u.call_seconds / 60.0 * telephony_per_minute_, true});
  }
  c.per_minute = u.call_seconds > 0 ? c.total / (u.call_seconds / 60.0) : 0.0;
  return c;
}

}  // namespace loqui
