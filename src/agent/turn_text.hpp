// SPDX-License-Identifier: Apache-2.0
// File: text rules of the turn manager (private): does a transcript look finished,
// how many words of it are not backchannels, does it contain a phrase.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loqui::detail {

enum class Completeness : unsigned char { finished, unfinished, unknown };

/// Classifies the caller's text so far: terminal punctuation = finished; a
/// trailing conjunction, preposition, article, filler or dangling verb
/// ("and", "to", "the", "um", "book") = unfinished; otherwise unknown.
Completeness classify_completeness(std::string_view text);

/// Lower-case words without punctuation ("Wait, stop!" -> {"wait", "stop"}).
std::vector<std::string> normalized_words(std::string_view text);

/// Words of `text` that are not backchannels. A text that is a backchannel as a
/// whole ("uh huh", "mm-hmm") counts 0.
int content_words(std::string_view text, const std::vector<std::string>& backchannels);

/// True if the normalized `text` contains the normalized `phrase` at word boundaries.
bool contains_phrase(std::string_view text, std::string_view phrase);
/// normalized_words() joined by single spaces: "Talk to a PERSON!" -> "talk to a person".
std::string normalized_text(std::string_view text);
/// contains_phrase() for already normalized text and phrase (no allocation).
bool contains_normalized(std::string_view text, std::string_view phrase);

std::string trim(std::string_view s);

}  // namespace loqui::detail
