// SPDX-License-Identifier: Apache-2.0
// File: builds the small recognition language models the embedded recogniser
// switches to when the dialog says what the caller is expected to say (IVR-style
// biasing): a backoff bigram model estimated from the hint phrases, a built-in set
// of carrier sentences ("I would like to ...", "yes please") and spoken numbers,
// dates and times, written as a finite-state grammar.
//
// Pure functions, no pocketsphinx types: the caller passes a predicate telling
// which words the pronunciation dictionary knows (others are dropped).
//
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loqui::detail {

/// Words of `text` as the recogniser's dictionary spells them: lower case,
/// apostrophes kept inside words ("i'd", "that's"), punctuation dropped, digits
/// spelt out ("10:30" -> "ten thirty", "3" -> "three", "15th" -> "fifteenth").
std::vector<std::string> recognizer_words(std::string_view text);

/// The built-in carrier sentences (polite openings, answers, small talk) mixed
/// into every hint model.
const std::vector<std::string>& carrier_sentences();
/// Spoken numbers, dates and times, mixed in when the hints mention a date or a
/// time (a weekday, a month, "tomorrow", "o'clock", "nights", ...).
const std::vector<std::string>& date_time_sentences();
bool mentions_date_or_time(const std::vector<std::string>& phrases);

struct HintLmOptions {
  /// Absolute discount of seen bigrams (0 < d < 1).
  double discount = 0.5;
  /// Weight of the built-in carrier sentences relative to the hints (count scale).
  double carrier_weight = 0.5;
  /// Mix in the carrier sentences at all.
  bool carrier = true;
  /// General vocabulary (word, relative frequency), e.g. the most frequent words of
  /// the general model: reachable from the backoff state with `background_weight`
  /// of its mass, so words outside the hints are still heard. Not owned; may be null.
  const std::vector<std::pair<std::string, double>>* background = nullptr;
  double background_weight = 0.1;
  /// Probability that the utterance ends where a phrase ends (else another phrase
  /// or a backoff word follows).
  double utterance_end = 0.5;
};

/// A backoff bigram model of `phrases` (plus the carrier sentences) written as a
/// pocketsphinx finite-state grammar (FSG text format: one state per word
/// history, a backoff state reached by null transitions, linear probabilities).
/// An FSG, not an ARPA file: the trie builder of Debian's sphinxbase
/// 5prealpha hangs after a few ps_set_lm() calls in one decoder, while FSG
/// searches load any number of times. Words for which `known` is false are
/// dropped. Returns "" when no word is known.
std::string build_hint_fsg(const std::vector<std::string>& phrases, const std::function<bool(const std::string&)>& known,
                           const HintLmOptions& options = {});

}  // namespace loqui::detail
