// SPDX-License-Identifier: Apache-2.0
// File: Deepgram message parsers (see deepgram_messages.hpp).
#include "providers/deepgram/deepgram_messages.hpp"

#include "net/http_errors.hpp"

namespace loqui::deepgram {

using wscommon::get_bool;
using wscommon::get_number;
using wscommon::get_string;
using wscommon::member;
namespace rj = wscommon::rj;

namespace {
Error protocol_error(std::string what, std::string_view text) {
  return Error(errc::provider_protocol, "deepgram sent " + what + ": \"" + detail::printable_excerpt(text, 120) + "\"");
}
}  // namespace

Result<ListenEvent> ListenParser::parse(std::string_view text) {
  LOQUI_TRY(msg_.parse("deepgram", text));
  const rj::Value& root = msg_.root();
  ListenEvent ev;
  ev.type = std::string(get_string(root, "type"));
  if (ev.type.empty()) return protocol_error("a message without a \"type\"", text);
  if (ev.type == "Results") {
    ev.kind = ListenEvent::Kind::results;
    const rj::Value* channel = member(root, "channel");
    const rj::Value* alts = channel ? member(*channel, "alternatives") : nullptr;
    if (!alts || !alts->IsArray()) return protocol_error("Results without channel.alternatives", text);
    ev.is_final = get_bool(root, "is_final");
    ev.speech_final = get_bool(root, "speech_final");
    ev.from_finalize = get_bool(root, "from_finalize");
    ev.start = get_number(root, "start").value_or(0.0);
    ev.duration = get_number(root, "duration").value_or(0.0);
    if (ev.start < 0 || ev.duration < 0 || ev.start > 1e7 || ev.duration > 1e7)
      return protocol_error("Results with an impossible start/duration", text);
    if (alts->Size() > 0) {
      const rj::Value& best = (*alts)[0];
      ev.transcript = std::string(get_string(best, "transcript"));
      ev.confidence = get_number(best, "confidence").value_or(0.0);
      if (const rj::Value* words = member(best, "words"); words && words->IsArray()) {
        ev.words.reserve(words->Size());
        for (const rj::Value& w : words->GetArray()) {
          ListenWord lw;
          lw.word = std::string(get_string(w, "punctuated_word", get_string(w, "word")));
          lw.start = get_number(w, "start").value_or(0.0);
          lw.end = get_number(w, "end").value_or(lw.start);
          lw.confidence = get_number(w, "confidence").value_or(0.0);
          if (lw.word.empty() || !(lw.start >= 0) || !(lw.end >= lw.start) || lw.end > 1e7) continue;
          ev.words.push_back(std::move(lw));
        }
      }
    }
  } else if (ev.type == "SpeechStarted") {
    ev.kind = ListenEvent::Kind::speech_started;
    ev.time = get_number(root, "timestamp").value_or(0.0);
  } else if (ev.type == "UtteranceEnd") {
    ev.kind = ListenEvent::Kind::utterance_end;
    ev.time = get_number(root, "last_word_end").value_or(0.0);
  } else if (ev.type == "Metadata") {
    ev.kind = ListenEvent::Kind::metadata;
    ev.time = get_number(root, "duration").value_or(0.0);
    ev.request_id = std::string(get_string(root, "request_id"));
  } else if (ev.type == "Error") {
    ev.kind = ListenEvent::Kind::error;
    ev.message = std::string(get_string(root, "description", get_string(root, "message", get_string(root, "err_msg"))));
  }
  if (!(ev.time >= 0) || ev.time > 1e7) ev.time = 0;
  return ev;
}

Result<SpeakEvent> SpeakParser::parse(std::string_view text) {
  LOQUI_TRY(msg_.parse("deepgram", text));
  const rj::Value& root = msg_.root();
  SpeakEvent ev;
  ev.type = std::string(get_string(root, "type"));
  if (ev.type.empty()) {
    // Errors may arrive as {"err_code":...,"err_msg":...} without a type.
    if (member(root, "err_code") || member(root, "err_msg")) {
      ev.kind = SpeakEvent::Kind::error;
      ev.code = std::string(get_string(root, "err_code"));
      ev.message = std::string(get_string(root, "err_msg"));
      return ev;
    }
    return protocol_error("a message without a \"type\"", text);
  }
  if (const auto seq = get_number(root, "sequence_id"); seq && *seq >= 0 && *seq < 9e15)
    ev.sequence_id = static_cast<std::int64_t>(*seq);
  if (ev.type == "Metadata") {
    ev.kind = SpeakEvent::Kind::metadata;
    ev.request_id = std::string(get_string(root, "request_id"));
  } else if (ev.type == "Flushed") {
    ev.kind = SpeakEvent::Kind::flushed;
  } else if (ev.type == "Cleared") {
    ev.kind = SpeakEvent::Kind::cleared;
  } else if (ev.type == "Warning") {
    ev.kind = SpeakEvent::Kind::warning;
    ev.code = std::string(get_string(root, "warn_code", get_string(root, "code")));
    ev.message = std::string(get_string(root, "warn_msg", get_string(root, "description")));
  } else if (ev.type == "Error") {
    ev.kind = SpeakEvent::Kind::error;
    ev.code = std::string(get_string(root, "err_code", get_string(root, "code")));
    ev.message = std::string(get_string(root, "err_msg", get_string(root, "description")));
  }
  return ev;
}

}  // namespace loqui::deepgram
