// SPDX-License-Identifier: Apache-2.0
// File: small helpers shared by the provider interfaces.
#include <span>

#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"
#include "loqui/provider/tts.hpp"

namespace loqui {
namespace {

// "pcm16/16000Hz/mono" for one format; "pcm16/mono 8000|16000|48000 Hz" for a family.
std::string describe_formats(std::span<const AudioFormat> formats) {
  if (formats.empty()) return "no formats";
  if (formats.size() == 1) return formats[0].to_string();
  std::string out;
  std::vector<bool> done(formats.size(), false);
  for (std::size_t i = 0; i < formats.size(); ++i) {
    if (done[i]) continue;
    const AudioFormat& f = formats[i];
    std::string rates;
    for (std::size_t j = i; j < formats.size(); ++j) {
      if (done[j] || formats[j].encoding != f.encoding || formats[j].channels != f.channels) continue;
      done[j] = true;
      rates += (rates.empty() ? "" : "|") + std::to_string(formats[j].sample_rate_hz);
    }
    out += (out.empty() ? "" : ", ") + std::string(to_string(f.encoding)) + "/" +
           (f.channels == 1 ? std::string("mono") : std::to_string(f.channels) + "ch") + " " + rates + " Hz";
  }
  return out;
}

void add_flag(std::string& out, bool on, std::string_view what) {
  if (on) out.append(", ").append(what);
}

}  // namespace

std::string to_string(const SttCapabilities& c) {
  std::string out = "in " + describe_formats(c.input_formats);
  add_flag(out, c.interim_results, "interim");
  add_flag(out, c.word_timings, "words");
  add_flag(out, c.vendor_endpointing, "endpointing");
  add_flag(out, c.vad_events, "vad events");
  add_flag(out, c.recognition_hints, "hints");
  return out;
}

std::string to_string(const LlmCapabilities& c) {
  std::string out = c.tool_calling ? "tools" : "no tools";
  add_flag(out, c.parallel_tool_calls, "parallel tools");
  add_flag(out, c.reports_usage, "usage");
  if (c.context_tokens > 0) out += ", " + std::to_string(c.context_tokens) + " tokens";
  return out;
}

std::string to_string(const TtsCapabilities& c) {
  std::string out = "out " + describe_formats(c.output_formats);
  add_flag(out, c.word_timings, "words");
  add_flag(out, c.streaming_input, "streaming");
  return out;
}

std::string_view to_string(ProviderKind kind) noexcept {
  switch (kind) {
    case ProviderKind::stt: return "stt";
    case ProviderKind::llm: return "llm";
    case ProviderKind::tts: return "tts";
  }
  return "?";
}

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::system: return "system";
    case Role::user: return "user";
    case Role::assistant: return "assistant";
    case Role::tool: return "tool";
  }
  return "?";
}

std::string_view to_string(FinishReason reason) noexcept {
  switch (reason) {
    case FinishReason::stop: return "stop";
    case FinishReason::tool_calls: return "tool_calls";
    case FinishReason::length: return "length";
    case FinishReason::content_filter: return "content_filter";
    case FinishReason::cancelled: return "cancelled";
    case FinishReason::other: return "other";
  }
  return "?";
}

Result<Json> ToolCall::parse_arguments() const {
  if (arguments.empty()) return Json::object();  // some servers send "" for no arguments
  auto j = Json::parse(arguments);
  if (!j) return std::move(j).error().add_context("tool '" + name + "' arguments");
  if (!j->is_object()) {
    return Error(errc::invalid_argument,
                 "tool '" + name + "' arguments: expected a JSON object, found " + j->describe());
  }
  return j;
}

}  // namespace loqui
