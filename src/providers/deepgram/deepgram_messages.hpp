// SPDX-License-Identifier: Apache-2.0
// File: parsers for the messages Deepgram sends on its WebSockets (PROTOCOLS.md
// sections 1.1 and 2.2): live STT /v1/listen (Results, SpeechStarted,
// UtteranceEnd, Metadata) and Aura TTS /v1/speak (Metadata, Flushed, Cleared,
// Warning). Pure functions over one text frame; the fuzz target
// tests/fuzz/deepgram_message_fuzz.cpp drives them with arbitrary bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "providers/wscommon/ws_common.hpp"

namespace loqui::deepgram {

struct ListenWord {
  std::string word;  ///< punctuated_word when present, else word
  double start = 0, end = 0;  ///< seconds since the connection's first audio
  double confidence = 0;
};

struct ListenEvent {
  enum class Kind : std::uint8_t { results, speech_started, utterance_end, metadata, error, other };
  Kind kind = Kind::other;
  std::string type;  ///< the message's "type"
  // Results
  std::string transcript;
  bool is_final = false, speech_final = false, from_finalize = false;
  double start = 0, duration = 0, confidence = 0;
  std::vector<ListenWord> words;
  // SpeechStarted: timestamp; UtteranceEnd: last_word_end; Metadata: duration
  double time = 0;
  std::string request_id;  ///< Metadata
  std::string message;     ///< error: what the server said
};

/// Parses one /v1/listen text frame. Errors: provider_protocol naming what was
/// wrong (not JSON, no "type", a Results without channel.alternatives ...).
class ListenParser {
 public:
  Result<ListenEvent> parse(std::string_view text);

 private:
  wscommon::JsonMessage msg_;
};

struct SpeakEvent {
  enum class Kind : std::uint8_t { metadata, flushed, cleared, warning, error, other };
  Kind kind = Kind::other;
  std::string type;
  std::int64_t sequence_id = -1;
  std::string code;     ///< Warning warn_code (or code) / Error err_code
  std::string message;  ///< Warning warn_msg (or description) / Error description
  std::string request_id;
};

/// Parses one /v1/speak text frame (Warning reads warn_code/warn_msg and the
/// SDK's code/description alike, and is never fatal).
class SpeakParser {
 public:
  Result<SpeakEvent> parse(std::string_view text);

 private:
  wscommon::JsonMessage msg_;
};

}  // namespace loqui::deepgram
