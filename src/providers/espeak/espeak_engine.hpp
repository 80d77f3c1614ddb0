// SPDX-License-Identifier: Apache-2.0
// File: the one espeak-ng engine of the process. libespeak-ng keeps its state in
// globals and is not thread-safe, so every call into it goes through this object,
// under one mutex: initialisation (once), voice checks and synthesis.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"

namespace loqui::detail {

/// Voice and prosody of a synthesis.
struct EspeakVoice {
  std::string name = "en-us";  ///< espeak voice name, optionally "+variant" ("en-us+f3")
  int rate_wpm = 175;          ///< 80..450
  int pitch = 50;              ///< 0..100
  int range = 50;              ///< 0..100
  int volume = 100;            ///< 0..200
  friend bool operator==(const EspeakVoice&, const EspeakVoice&) = default;
};

/// A word of a synthesised text: its bytes in the text and its span in the audio,
/// in native samples from the start of the synthesis.
struct EspeakWord {
  std::size_t byte_offset = 0;
  std::size_t byte_length = 0;
  std::int64_t start_sample = 0;
  std::int64_t end_sample = 0;
};

class EspeakEngine {
 public:
  /// The engine, initialised on first use with `data_path` ("" = the library's
  /// default). Errors: not_found (no voice data at the path, or the library could
  /// not initialise), invalid_config (already initialised with another path).
  static Result<EspeakEngine*> get(const std::string& data_path);

  /// Native output rate (22050 Hz for espeak-ng's voices).
  int sample_rate() const noexcept { return sample_rate_; }

  /// ok, or not_found naming the voice and some that exist.
  Status check_voice(const std::string& name);

  /// Receives audio as it is produced: `pcm` (native rate, valid during the call)
  /// and the words whose end became known with it. Returns false to abort.
  using Sink = std::function<bool(std::span<const std::int16_t> pcm, std::span<const EspeakWord> words)>;

  /// Synthesises `text` (UTF-8) with `voice`, calling `sink` per buffer; returns
  /// the samples produced. Blocks the calling thread for the synthesis (a
  /// sentence takes a few milliseconds); other callers wait on the mutex.
  /// Errors: not_found (voice), provider_failed (espeak refused the text).
  Result<std::int64_t> synthesize(const EspeakVoice& voice, std::string_view text, const Sink& sink);

 private:
  EspeakEngine(int sample_rate, std::string data_path) : sample_rate_(sample_rate), data_path_(std::move(data_path)) {}
  Status apply(const EspeakVoice& voice);  // mu_ held
  std::string known_voices();              // mu_ held

  std::mutex mu_;
  int sample_rate_;
  std::string data_path_;
  EspeakVoice current_{};
  bool voice_set_ = false;
};

}  // namespace loqui::detail
