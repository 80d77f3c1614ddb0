// SPDX-License-Identifier: Apache-2.0
// File: the SpeechToText provider interface (streaming).
//
// A stream lives for the whole call and carries many utterances: audio goes in
// continuously; finalize() ends the caller's turn and is answered by exactly one
// final Transcript with from_finalize set (its text may be empty when nothing was
// said), or by on_error. The stream stays open for the next turn; audio offsets in
// results keep counting from the stream's first sample. See common.hpp for the
// observer contract every provider keeps.
//
// @code
//   auto stream = stt->open(ctx, {.format = AudioFormat::pcm16(16000)}, observer);
//   (*stream)->send_audio(frame);       // as audio arrives
//   (*stream)->finalize();              // end of the caller's turn: a final transcript follows
// @endcode
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/common.hpp"

namespace loqui {

/// A recognised word with its position in the stream's audio.
struct Word {
  std::string text;
  Duration start{};  ///< from the start of the stream's audio
  Duration end{};
  float confidence = 0.f;
};

struct Transcript {
  std::string text;
  /// The text for this audio span will not change any more.
  bool is_final = false;
  /// The vendor's endpointer decided the speaker finished (Deepgram speech_final).
  bool speech_final = false;
  /// This final answers a finalize() call: all audio sent before finalize() is now
  /// transcribed (Deepgram from_finalize). Exactly one per finalize(); may have
  /// empty text. Implies is_final.
  bool from_finalize = false;
  float confidence = 0.f;
  Duration audio_start{};  ///< span covered, from the start of the stream's audio
  Duration audio_end{};
  std::vector<Word> words;
};

struct SttCapabilities {
  std::vector<AudioFormat> input_formats;  ///< accepted formats (first = preferred)
  bool interim_results = false;
  bool word_timings = false;
  bool vendor_endpointing = false;  ///< speech_final / utterance-end signals
  bool vad_events = false;          ///< speech-started events
  bool recognition_hints = false;   ///< honours set_hints()
};

/// One line for `loqui providers`: "in pcm16/16000Hz/mono; interim, words".
std::string to_string(const SttCapabilities& capabilities);

struct SttStreamOptions {
  AudioFormat format = AudioFormat::pcm16(16000);  ///< what send_audio() will get
  std::string language = "en-US";
  std::vector<std::string> keyterms;
};

/// Receives a stream's results. Called on the session strand only, never inside a
/// call into the stream, never after cancel() returned (see common.hpp).
class SttObserver {
 public:
  virtual ~SttObserver() = default;
  /// Which provider is transcribing. Plain providers need not call it; the STT
  /// Fallback calls it before its first result and again when it switches
  /// providers; `restarted` = true means: interim results of the current
  /// utterance are void (the buffered audio is being replayed to `provider`).
  virtual void on_provider(std::string_view provider, bool restarted) { (void)provider; (void)restarted; }
  virtual void on_transcript(const Transcript& transcript) = 0;
  /// Vendor VAD saw speech start at `audio_offset` into the stream.
  virtual void on_speech_started(Duration audio_offset) { (void)audio_offset; }
  /// Vendor endpointer: the utterance ended (Deepgram UtteranceEnd).
  virtual void on_utterance_end(Duration audio_offset) { (void)audio_offset; }
  /// The stream failed and is closed; `error.retryable()` tells if reopening may
  /// help. Later send_audio() calls return errc::closed.
  virtual void on_error(const Error& error) = 0;
};

/// One session's recognition stream. Strand-confined: create, use and destroy it
/// on the session strand. Destroying it implies cancel().
class SttStream {
 public:
  virtual ~SttStream() = default;
  /// Sends audio in the opened format; the stream copies what it keeps. Frames
  /// flagged kFrameGap mark missing audio. Errors: format_mismatch, closed.
  virtual Status send_audio(const AudioFrame& frame) = 0;
  /// End of the caller's turn: produce a final transcript for the audio so far,
  /// marked from_finalize (exactly one per call, possibly with empty text).
  virtual void finalize() = 0;
  /// Updates recognition hints (e.g. the dialog moved to "ask_date").
  virtual void set_hints(const RecognitionHints& hints) { (void)hints; }
  /// Stops at once; no observer call after this returns. Idempotent.
  virtual void cancel() noexcept = 0;
};

/// A speech-to-text provider. Thread-safe; shared by sessions.
class SpeechToText {
 public:
  virtual ~SpeechToText() = default;
  virtual const ProviderInfo& info() const noexcept = 0;
  virtual const SttCapabilities& capabilities() const noexcept = 0;
  /// Opens a stream. `observer` is not owned and must outlive the stream.
  /// Errors: format_mismatch (format not accepted), not_supported (virtual time for a
  /// network provider), provider_* for connection failures.
  virtual Result<std::unique_ptr<SttStream>> open(const SessionContext& session,
                                                  const SttStreamOptions& options,
                                                  SttObserver& observer) = 0;
};

}  // namespace loqui
