// SPDX-License-Identifier: Apache-2.0
// File: the flow engine's text side: normalisation, fuzzy matching, and the slot
// parsers on the phrasings callers use (and ASR produces).
#include <gtest/gtest.h>

#include "providers/flow/flow_text.hpp"

namespace loqui::detail {
namespace {

const CivilDate kToday{2026, 12, 7};  // a Monday

std::vector<std::string> w(std::string_view text) { return normalize_words(text); }

std::string date(std::string_view text) {
  auto v = parse_date(w(text), kToday);
  return v ? v->display + "|" + v->value.as_string() : "-";
}
std::string time(std::string_view text, bool lenient = false) {
  auto v = parse_time(w(text), lenient);
  return v ? v->display + "|" + v->value.as_string() : "-";
}

TEST(FlowText, Normalize) {
  EXPECT_EQ(w("I'd like to book, at 3pm!"), (std::vector<std::string>{"id", "like", "to", "book", "at", "3", "pm"}));
  EXPECT_EQ(w("10:30 A.M. o'clock"), (std::vector<std::string>{"10:30", "am", "oclock"}));
  EXPECT_EQ(w("March 15th"), (std::vector<std::string>{"march", "15th"}));
  EXPECT_EQ(w("It\xE2\x80\x99s me"), (std::vector<std::string>{"its", "me"}));
}

TEST(FlowText, FuzzyWordsAndPhrases) {
  EXPECT_TRUE(words_match("appointment", "apointment", true));
  EXPECT_TRUE(words_match("appointments", "appointment", false));  // plural
  EXPECT_TRUE(words_match("booking", "book", false));
  EXPECT_FALSE(words_match("book", "look", true));  // short words must be exact
  EXPECT_FALSE(words_match("apointment", "appointment", false));
  EXPECT_FALSE(words_match("10", "11", true));
  const auto said = w("i wood like to make an apointment please");
  EXPECT_GT(phrase_score(said, w("make an appointment"), true), 0);
  EXPECT_EQ(phrase_score(said, w("make an appointment"), false), 0);
  EXPECT_GT(phrase_score(said, w("make an appointment"), true), phrase_score(said, w("appointment"), true));
  EXPECT_EQ(phrase_score(w("chest"), w("chest pain"), true), 0);
}

TEST(FlowText, Dates) {
  EXPECT_EQ(weekday_of(kToday), 0);
  EXPECT_EQ(to_iso(add_days({2026, 12, 31}, 1)), "2027-01-01");
  EXPECT_EQ(date("tomorrow please"), "tomorrow|2026-12-08");
  EXPECT_EQ(date("the day after tomorrow"), "the day after tomorrow|2026-12-09");
  EXPECT_EQ(date("today"), "today|2026-12-07");
  EXPECT_EQ(date("next tuesday at 3"), "Tuesday|2026-12-08");
  EXPECT_EQ(date("on friday"), "Friday|2026-12-11");
  EXPECT_EQ(date("monday"), "Monday|2026-12-14");  // the coming one, not today
  EXPECT_EQ(date("march 15th"), "March 15|2027-03-15");
  EXPECT_EQ(date("the fifteenth of march"), "March 15|2027-03-15");
  EXPECT_EQ(date("december the twenty first"), "December 21|2026-12-21");
  EXPECT_EQ(date("on the 9th of december"), "December 9|2026-12-09");
  EXPECT_EQ(date("tomorow"), "tomorrow|2026-12-08");  // ASR misspelling
  EXPECT_EQ(date("february 30th"), "-");
  EXPECT_EQ(date("i may come in"), "-");
  EXPECT_EQ(date("book an appointment"), "-");
}

TEST(FlowText, Times) {
  EXPECT_EQ(time("at ten thirty"), "10:30 AM|10:30");
  EXPECT_EQ(time("3 pm"), "3 PM|15:00");
  EXPECT_EQ(time("three p m"), "3 PM|15:00");
  EXPECT_EQ(time("10:30"), "10:30 AM|10:30");
  EXPECT_EQ(time("14:45"), "2:45 PM|14:45");
  EXPECT_EQ(time("half past two"), "2:30 PM|14:30");
  EXPECT_EQ(time("quarter to nine in the morning"), "8:45 AM|08:45");
  EXPECT_EQ(time("noon"), "12 PM|12:00");
  EXPECT_EQ(time("ten o'clock"), "10 AM|10:00");
  EXPECT_EQ(time("around four"), "4 PM|16:00");  // business hours
  EXPECT_EQ(time("nine oh five"), "9:05 AM|09:05");
  EXPECT_EQ(time("eleven forty five am"), "11:45 AM|11:45");
  EXPECT_EQ(time("ten"), "-");  // a bare number needs a cue ...
  EXPECT_EQ(time("ten", /*lenient=*/true), "10 AM|10:00");  // ... unless a time was asked for
  EXPECT_EQ(time("two people"), "-");
  EXPECT_EQ(time("march 15th"), "-");
}

TEST(FlowText, NumbersPhonesNames) {
  EXPECT_EQ(parse_number(w("for three nights"))->value.as_int(), 3);
  EXPECT_EQ(parse_number(w("forty five"))->value.as_int(), 45);
  EXPECT_EQ(parse_number(w("one hundred and twenty"))->value.as_int(), 120);
  EXPECT_EQ(parse_number(w("room 204"))->value.as_int(), 204);
  EXPECT_FALSE(parse_number(w("none")));
  EXPECT_EQ(parse_number(w("december 20 for 2 nights"))->value.as_int(), 2);
  EXPECT_EQ(parse_phone(w("it's five five five one two three four"))->value.as_string(), "5551234");
  EXPECT_EQ(parse_phone(w("oh seven double one 23456"))->value.as_string(), "07112345" "6");
  EXPECT_FALSE(parse_phone(w("ten thirty")));
  EXPECT_EQ(parse_name(w("my name is anna smith"), false)->display, "Anna Smith");
  EXPECT_EQ(parse_name(w("yes this is John calling"), false)->display, "John");
  EXPECT_EQ(parse_name(w("it's Maria"), false)->display, "Maria");
  EXPECT_FALSE(parse_name(w("tomorrow at ten"), false));
  EXPECT_EQ(parse_name(w("Peter Jones"), true)->display, "Peter Jones");
  EXPECT_FALSE(parse_name(w("Peter Jones"), false));
  EXPECT_FALSE(parse_name(w("it's ten"), false));
  EXPECT_EQ(parse_name(w("uh Maria around two"), true)->display, "Maria");
  EXPECT_FALSE(parse_name(w("around two in the morning"), true));
  EXPECT_EQ(parse_name(w("it's under Peter Jones, around one"), false)->display, "Peter Jones");
}

TEST(FlowText, YesNoAndChoices) {
  EXPECT_TRUE(parse_yes_no(w("yes please"))->value.as_bool());
  EXPECT_TRUE(parse_yes_no(w("yeah that's right"))->value.as_bool());
  EXPECT_FALSE(parse_yes_no(w("no thanks"))->value.as_bool());
  EXPECT_FALSE(parse_yes_no(w("that's not right"))->value.as_bool());
  EXPECT_FALSE(parse_yes_no(w("nope, yes i mean"))->value.as_bool());  // first answer wins
  EXPECT_FALSE(parse_yes_no(w("maybe later")));
  const std::vector<ChoiceOption> rooms = {{"king", {w("king"), w("king bed")}},
                                           {"double", {w("double"), w("two beds"), w("twin")}}};
  EXPECT_EQ(parse_choice(w("a room with two beds"), rooms, true)->display, "double");
  EXPECT_EQ(parse_choice(w("the king please"), rooms, true)->display, "king");
  EXPECT_EQ(parse_choice(w("doble room"), rooms, true)->display, "double");
  EXPECT_FALSE(parse_choice(w("a suite"), rooms, true));
}

}  // namespace
}  // namespace loqui::detail
