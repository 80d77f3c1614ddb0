// SPDX-License-Identifier: Apache-2.0
// File: the SpeechToText provider interface (streaming).
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

struct SttStreamOptions {
  AudioFormat format = AudioFormat::pcm16(16000);  ///< what send_audio() will get
  std::string language = "en-US";
  std::vector<std::string> keyterms;
};

/// Receives a stream's results on the session strand.
class SttObserver {
 public:
  virtual ~SttObserver() = default;
  virtual void on_transcript(const Transcript& transcript) = 0;
  /// Vendor VAD saw speech start at `audio_offset` into the stream.
  virtual void on_speech_started(Duration audio_offset) { (void)audio_offset; }
  /// Vendor endpointer: the utterance ended (Deepgram UtteranceEnd).
  virtual void on_utterance_end(Duration audio_offset) { (void)audio_offset; }
  /// The stream failed; `error.retryable()` tells if reopening may help. Audio sent
  /// after a fatal error is dropped and counted.
  virtual void on_error(const Error& error) = 0;
};

/// One session's recognition stream. Strand-confined.
class SttStream {
 public:
  virtual ~SttStream() = default;
  /// Sends audio in the opened format; the stream copies what it keeps. Frames
  /// flagged kFrameGap mark missing audio. Errors: format_mismatch, closed.
  virtual Status send_audio(const AudioFrame& frame) = 0;
  /// End of the caller's turn: produce a final transcript for the audio so far.
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
