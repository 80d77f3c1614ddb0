// SPDX-License-Identifier: Apache-2.0
// File: the labelled VAD corpus, built at bench time from espeak-ng speech and sox
// noise (nothing is downloaded or committed). Used by vad_train (the "train" split)
// and vad_quality (the "test" split); the splits share no sentence, no target
// voice and no babble talker, and take their noise from different offsets.
//
// A stream is 1 s of noise, then utterances (one espeak-ng sentence each, voice,
// speed and pitch varied, level -20..-32 dBFS) separated by 0.5-1.5 s pauses.
// Labels: one per 10 ms frame from the CLEAN signal: speech where the frame level
// is within 40 dB of its utterance's loudest frame (and above -70 dBFS), with
// pauses shorter than 60 ms inside an utterance bridged. Noise (white, pink: sox
// synth; babble: six espeak-ng talkers mixed with sox -m) is scaled so that
// active-speech power / noise power = SNR. 8 kHz streams go through G.711 mu-law
// and back, as a phone call would deliver them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "loqui/error.hpp"

namespace loqui::bench::vad {

enum class Split { train, test };

struct Utterance {
  std::size_t begin = 0;  ///< first speech frame (10 ms index)
  std::size_t end = 0;    ///< one past the last speech frame
};

struct Stream {
  std::string noise;  ///< "clean", "white", "pink", "babble"
  int snr_db = 0;     ///< ignored for clean
  int rate = 16000;
  std::vector<std::int16_t> pcm;
  std::vector<std::uint8_t> labels;  ///< per 10 ms frame: 1 = speech
  /// Per frame: 1 for frames to train on; 0 for speech frames buried in the noise
  /// (local SNR below -5 dB: no detector can learn them, they only teach it to call
  /// noise speech).
  std::vector<float> train_weight;
  std::vector<Utterance> utterances;
  std::string condition() const;  ///< "babble 10 dB", "clean"
};

struct CorpusOptions {
  Split split = Split::test;
  int rate = 16000;
  std::filesystem::path cache_dir;  ///< espeak-ng/sox outputs are cached here
  std::vector<std::string> noises = {"white", "pink", "babble"};
  std::vector<int> snrs_db = {20, 10, 5, 0};
  bool clean = true;
  int utterances = 24;
  unsigned seed = 1;
};

/// Builds the streams (clean first if asked, then noise x SNR). Errors name the
/// failing espeak-ng/sox command.
Result<std::vector<Stream>> build_corpus(const CorpusOptions& options);

/// The default cache directory: $LOQUI_VAD_CACHE or <temp>/loqui-vad-corpus.
std::filesystem::path default_cache_dir();

}  // namespace loqui::bench::vad
