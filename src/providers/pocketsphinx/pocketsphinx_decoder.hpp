// SPDX-License-Identifier: Apache-2.0
// File: one pocketsphinx decoder (ps_decoder_t) wrapped for streaming: utterances
// opened on the first audio, interim hypotheses, the decoder's own endpoint,
// finals with word timings, and recognition hints compiled into finite-state
// grammars (hint_lm.hpp) that replace the general language model for the next
// utterance. When a hint grammar finds nothing in an utterance that had speech,
// the utterance is decoded again with the general model (the fallback).
//
// Thread safety: a decoder is used by one thread at a time (the provider's worker,
// or the session strand under virtual time). Creating one takes 0.3-1 s (the
// acoustic model and the general language model are loaded).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loqui/provider/stt.hpp"

namespace loqui::detail {

struct PocketsphinxOptions {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us/en-us";
  std::string dictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
  std::string language_model = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";
  bool remove_noise = true;     ///< pocketsphinx noise removal (-remove_noise)
  bool hints = true;            ///< honour set_hints() with hint grammars
  bool endpointing = true;      ///< close an utterance at the decoder's own end of speech
  Duration interim_interval = std::chrono::milliseconds(500);  ///< 0 = no interim results
  int background_words = 2000;   ///< general words kept reachable inside hint grammars
  double background_weight = 0.05;
  double carrier_weight = 0.5;
  double hint_language_weight = 6.5;
  bool fallback_to_general = true;  ///< re-decode with the general model when a hint grammar finds nothing
  /// How 8 kHz input reaches the 16 kHz model. "mirror" (default): zero-stuffing,
  /// which keeps the 0-4 kHz spectrum's mirror image in 4-8 kHz, so the model's
  /// upper filters see speech-like energy (a crude bandwidth extension that turns
  /// telephony audio from unrecognisable into usable); "resample": a clean
  /// band-limited resampler (empty upper band).
  std::string narrowband = "mirror";
  /// MLLR transforms of the acoustic model's means (pocketsphinx -mllr), made by
  /// sphinxtrain's bw + mllr_solve from transcribed audio of the line: one for
  /// 16 kHz (and wider) input, one for 8 kHz input. Empty = none.
  std::string mllr;
  std::string mllr_narrowband;
};

/// What one processing step produced.
struct DecoderEvents {
  bool speech_started = false;
  Duration speech_offset{};
  std::vector<Transcript> transcripts;  ///< interims and finals, in order
};

/// The general model's most frequent words, for hint grammars. Computed once per
/// provider and shared (read-only) by its decoders.
using Background = std::vector<std::pair<std::string, double>>;

class PocketsphinxDecoder {
 public:
  /// Errors: not_found naming the missing model file, provider_failed if
  /// pocketsphinx refuses the configuration.
  /// `narrowband`: the input is 8 kHz audio (selects `mllr_narrowband`).
  static Result<std::unique_ptr<PocketsphinxDecoder>> create(const PocketsphinxOptions& options,
                                                             bool narrowband = false);
  ~PocketsphinxDecoder();
  PocketsphinxDecoder(const PocketsphinxDecoder&) = delete;
  PocketsphinxDecoder& operator=(const PocketsphinxDecoder&) = delete;

  /// The general model's frequent words (computed from this decoder's model).
  Background background_words(int count) const;
  void set_background(std::shared_ptr<const Background> background) { background_ = std::move(background); }

  /// 16 kHz pcm16 audio; `stream_offset` is the position of its first sample.
  DecoderEvents process(std::span<const std::int16_t> pcm16k, std::int64_t stream_offset);
  /// Ends the utterance (if any): a final with from_finalize set.
  Transcript finalize(std::int64_t stream_offset);
  /// Compiles `hints` into a grammar used from the next utterance on (an open
  /// utterance without speech yet is restarted with it); empty phrases go back to
  /// the general model. Errors: provider_failed.
  Status set_hints(const RecognitionHints& hints);
  /// The search the next utterance uses ("_default" = general model).
  const std::string& next_search() const noexcept { return next_search_; }

 private:
  explicit PocketsphinxDecoder(const PocketsphinxOptions& options);
  Transcript end_utterance(bool from_finalize, std::int64_t stream_offset);
  /// Sets next_search_ for `hints`, compiling (and caching) their grammar.
  Status compile_hints(const RecognitionHints& hints);
  /// The current hypothesis; with `words`, from the segments (final results).
  std::string hypothesis(std::vector<Word>* words);

  PocketsphinxOptions options_;
  struct Ps;
  std::unique_ptr<Ps> ps_;
  std::shared_ptr<const Background> background_;
  std::map<std::string, std::string> searches_;  // phrases key -> search name
  std::string next_search_ = "_default";
  std::string utt_search_;
  bool in_utt_ = false;
  bool heard_speech_ = false;
  bool cmn_warm_ = false;  // the first utterance was decoded twice
  std::int64_t utt_start_ = 0;  // stream sample of the utterance start
  std::int64_t utt_samples_ = 0;
  std::int64_t since_interim_ = 0;
  std::string last_interim_;
  std::vector<std::int16_t> utt_audio_;  // for the general-model fallback
};

}  // namespace loqui::detail
