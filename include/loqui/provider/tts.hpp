// SPDX-License-Identifier: Apache-2.0
// File: the TextToSpeech provider interface (incremental text in, audio out).
//
// A TtsStream belongs to one session and carries a sequence of utterances: text is
// sent incrementally with send_text(); flush() marks the end of an utterance and
// on_done() follows its last audio; clear() drops the current utterance at once
// (barge-in) and leaves the stream usable for the next one.
//
// Utterances are spoken in order: text sent after flush() belongs to the next
// utterance, which starts after the previous one's on_done(). Each flushed
// utterance gets exactly one on_done() or an on_error() (which closes the stream);
// flush() of an utterance without text still gets its on_done(). Audio frames are
// in output_format(); their timestamp() counts samples from the start of the
// utterance, the same origin as WordTiming. See common.hpp for the observer
// contract every provider keeps.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/common.hpp"

namespace loqui {

/// When a word is spoken, relative to the start of the utterance's audio.
struct WordTiming {
  std::string word;
  Duration start{};
  Duration end{};
};

struct TtsCapabilities {
  std::vector<AudioFormat> output_formats;  ///< producible formats (first = native)
  bool word_timings = false;
  bool streaming_input = false;  ///< starts speaking before flush()
};

/// One line for `loqui providers`: "out pcm16/22050Hz/mono; words, streaming".
std::string to_string(const TtsCapabilities& capabilities);

struct TtsStreamOptions {
  /// Desired output; the provider produces it natively or converts.
  AudioFormat format = AudioFormat::pcm16(16000);
  std::string voice;  ///< empty: the provider's configured voice
  std::string language = "en-US";
  double speed = 1.0;
};

/// Receives audio. Called on the session strand only, never inside a call into the
/// stream, never after cancel() returned (see common.hpp).
class TtsObserver {
 public:
  virtual ~TtsObserver() = default;
  /// See LlmObserver::on_provider; `restarted` = drop this utterance's audio so far.
  virtual void on_provider(std::string_view provider, bool restarted) { (void)provider; (void)restarted; }
  /// A chunk of the current utterance; valid only during the call.
  virtual void on_audio(const AudioFrame& audio) = 0;
  /// Word timings as they become known (relative to the utterance's first sample).
  virtual void on_word_timings(std::span<const WordTiming> words) { (void)words; }
  /// All audio of the flushed utterance was delivered.
  virtual void on_done() = 0;
  /// The stream failed and is closed (later calls return errc::closed).
  virtual void on_error(const Error& error) = 0;
};

/// One session's synthesis stream. Strand-confined: create, use and destroy it on
/// the session strand. Destroying it implies cancel().
class TtsStream {
 public:
  virtual ~TtsStream() = default;
  /// Appends text to the current utterance. Errors: closed.
  virtual Status send_text(std::string_view text) = 0;
  /// Ends the utterance: synthesise what remains; on_done() after its last audio.
  virtual Status flush() = 0;
  /// Barge-in: drop all text and audio not yet delivered (the current utterance and
  /// any flushed after it); nothing of them arrives after this returns, not even
  /// on_done(). The stream stays usable: the next send_text() starts a new utterance.
  virtual void clear() = 0;
  /// Closes; no observer call after this returns. Idempotent.
  virtual void cancel() noexcept = 0;
  virtual AudioFormat output_format() const = 0;
};

/// A text-to-speech provider. Thread-safe; shared by sessions.
class TextToSpeech {
 public:
  virtual ~TextToSpeech() = default;
  virtual const ProviderInfo& info() const noexcept = 0;
  virtual const TtsCapabilities& capabilities() const noexcept = 0;
  /// `observer` is not owned and must outlive the stream. Errors: format_mismatch
  /// (options.format not producible), not_found (unknown voice), not_supported
  /// (virtual time for a network provider).
  virtual Result<std::unique_ptr<TtsStream>> open(const SessionContext& session,
                                                  const TtsStreamOptions& options,
                                                  TtsObserver& observer) = 0;
};

}  // namespace loqui
