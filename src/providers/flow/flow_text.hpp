// SPDX-License-Identifier: Apache-2.0
// File: the text side of the `flow` dialog engine: normalisation of what the caller
// said (as an ASR transcript: lower case, no punctuation, numbers as words or
// digits), fuzzy phrase matching that tolerates recognition errors, and the slot
// parsers (dates, times, numbers, phone numbers, names, yes/no, choices).
//
// Everything here is a pure function of its arguments (the reference date is
// passed in), so the parsers are tested directly (tests/unit/flow).
//
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/json.hpp"

namespace loqui::detail {

/// Lower-cased words of `text`: punctuation dropped, apostrophes removed ("o'clock"
/// -> "oclock", "I'd" -> "id"), "3pm" split into "3 pm", "a.m." -> "a m" -> "am",
/// times like "10:30" kept as one token.
std::vector<std::string> normalize_words(std::string_view text);

/// True if `a` and `b` are the same word allowing for ASR errors: equal, equal after
/// dropping a plural/verb ending, or (when `fuzzy`) within an edit distance that
/// grows with the word length (0 up to 4 letters, 1 up to 7, 2 beyond).
bool words_match(std::string_view a, std::string_view b, bool fuzzy);

/// How well `phrase` (normalised words) occurs in `words` as a contiguous run.
/// 0 = not found; otherwise the matched letters, exact words counting fully and
/// fuzzy ones at 3/4, so longer and exact phrases win.
double phrase_score(const std::vector<std::string>& words, const std::vector<std::string>& phrase, bool fuzzy);
/// The same for the run starting at `words[at]` only (0 when it does not match there).
double phrase_score_at(const std::vector<std::string>& words, std::size_t at, const std::vector<std::string>& phrase,
                       bool fuzzy);

/// The built-in phrase lists an intent can name with "$yes" / "$no".
const std::vector<std::string>& yes_phrases();
const std::vector<std::string>& no_phrases();

/// A calendar date (proleptic Gregorian).
struct CivilDate {
  int year = 1970;
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..31
  friend bool operator==(const CivilDate&, const CivilDate&) = default;
};
/// 0 = Monday ... 6 = Sunday.
int weekday_of(const CivilDate& d);
CivilDate add_days(const CivilDate& d, int days);
std::string to_iso(const CivilDate& d);
std::optional<CivilDate> parse_iso_date(std::string_view s);
/// Today in UTC from the system clock.
CivilDate today_utc();

/// A slot value: what the agent says back (`display`) and what tools get (`value`).
struct SlotValue {
  std::string display;  ///< "tomorrow", "Tuesday", "March 15", "10:30 AM", "Anna Smith"
  Json value;           ///< "2026-12-07", "10:30", 42, "5551234567", true ...
};

/// Slot parsers. `lenient` is set when the dialog is asking for exactly this kind
/// of value: then a bare "ten" is a time and a bare "Anna" is a name; otherwise a
/// cue is required ("at ten", "3 pm", "my name is Anna").
std::optional<SlotValue> parse_date(const std::vector<std::string>& words, const CivilDate& today);
std::optional<SlotValue> parse_time(const std::vector<std::string>& words, bool lenient);
std::optional<SlotValue> parse_number(const std::vector<std::string>& words);
std::optional<SlotValue> parse_phone(const std::vector<std::string>& words);
std::optional<SlotValue> parse_name(const std::vector<std::string>& words, bool lenient);
std::optional<SlotValue> parse_yes_no(const std::vector<std::string>& words);

/// A choice slot's option: the value and the phrases that select it.
struct ChoiceOption {
  std::string value;
  std::vector<std::vector<std::string>> phrases;  ///< normalised; includes the value itself
};
std::optional<SlotValue> parse_choice(const std::vector<std::string>& words, const std::vector<ChoiceOption>& options,
                                      bool fuzzy);

}  // namespace loqui::detail
