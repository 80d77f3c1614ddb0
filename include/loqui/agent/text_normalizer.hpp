// SPDX-License-Identifier: Apache-2.0
// File: text normalisation for speech: turns what an LLM writes into what a TTS
// should read, so every vendor says "$1,250.50 on 3/15 at 2:30pm, call
// 555-123-4567" the same way: "one thousand two hundred fifty dollars and fifty
// cents on March fifteenth at two thirty p m, call five five five, one two three,
// four five six seven".
//
// Normalisation works word by word (whitespace-separated tokens), so each written
// word maps to a known number of spoken words: the session uses that map to tell
// which written words the caller heard when it is interrupted.
//
// Pluggable per language: make_text_normalizer("en-US") gives the English rules
// (numbers, ordinals, currency, percentages, dates, times, phone numbers, e-mails,
// URLs, common abbreviations, markdown emphasis); other languages get nullptr (text
// goes to TTS unchanged) until someone writes their rules. Hosts may implement
// TextNormalizer themselves.
//
// Thread safety: normalizers are immutable; share them freely.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loqui {

class TextNormalizer {
 public:
  virtual ~TextNormalizer() = default;
  /// What to say for one written token (no whitespace inside), e.g. "$5." ->
  /// "five dollars."; "" to drop it (markdown symbols).
  virtual std::string normalize_token(std::string_view token) const = 0;

  /// The whole text, token by token. `spoken_words`, when given, receives for
  /// each written word the number of spoken words it became.
  std::string normalize(std::string_view text, std::vector<std::size_t>* spoken_words = nullptr) const;
};

/// The normaliser for a language tag ("en-US", "en-GB", "en"); nullptr when loqui
/// has no rules for it.
std::unique_ptr<TextNormalizer> make_text_normalizer(std::string_view language);

/// English words for an integer: 1250 -> "one thousand two hundred fifty".
std::string number_to_words_en(long long n);
/// English ordinal words: 21 -> "twenty first".
std::string ordinal_to_words_en(long long n);

}  // namespace loqui
