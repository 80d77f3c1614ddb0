// SPDX-License-Identifier: Apache-2.0
// English text normalisation for TTS.
#include <gtest/gtest.h>

#include "loqui/agent/text_normalizer.hpp"

namespace loqui {
namespace {

std::string en(std::string_view text) { return make_text_normalizer("en-US")->normalize(text); }

TEST(TextNormalizerTest, TheIssueExample) {
  EXPECT_EQ(en("$1,250.50 on 3/15 at 2:30pm, call 555-123-4567."),
            "one thousand two hundred fifty dollars and fifty cents on March fifteenth at two thirty p m, call five "
            "five five, one two three, four five six seven.");
}

TEST(TextNormalizerTest, Numbers) {
  EXPECT_EQ(number_to_words_en(0), "zero");
  EXPECT_EQ(number_to_words_en(15), "fifteen");
  EXPECT_EQ(number_to_words_en(105), "one hundred five");
  EXPECT_EQ(number_to_words_en(2'000'019), "two million nineteen");
  EXPECT_EQ(number_to_words_en(-7), "minus seven");
  EXPECT_EQ(en("We have 3 rooms and 1,200 beds."), "We have three rooms and one thousand two hundred beds.");
  EXPECT_EQ(en("pi is 3.14"), "pi is three point one four");
  EXPECT_EQ(en("in 2026 and 1999"), "in twenty twenty six and nineteen ninety nine");
  EXPECT_EQ(en("since 2005"), "since two thousand five");
  EXPECT_EQ(en("50% off"), "fifty percent off");
  EXPECT_EQ(en("1,23 stays"), "1,23 stays");  // not a grouped number: left alone
}

TEST(TextNormalizerTest, OrdinalsDatesTimes) {
  EXPECT_EQ(en("the 1st, 2nd, 3rd, 12th and 21st"), "the first, second, third, twelfth and twenty first");
  EXPECT_EQ(ordinal_to_words_en(40), "fortieth");
  EXPECT_EQ(ordinal_to_words_en(99), "ninety ninth");
  EXPECT_EQ(en("on 12/25/2026"), "on December twenty fifth twenty twenty six");
  EXPECT_EQ(en("at 9:05 a.m."), "at nine oh five a m");
  EXPECT_EQ(en("at 10:00"), "at ten o'clock");
  EXPECT_EQ(en("at 3pm or 3 PM"), "at three p m or three p m");
  EXPECT_EQ(en("13/45 is not a date"), "13/45 is not a date");
}

TEST(TextNormalizerTest, MoneyPhonesAddresses) {
  EXPECT_EQ(en("$1 or $1.01 or $20.00"), "one dollar or one dollar and one cent or twenty dollars");
  EXPECT_EQ(en("(555) 123-4567"), "five five five, one two three, four five six seven");
  EXPECT_EQ(en("+1-800-555-0199"), "one, eight zero zero, five five five, zero one nine nine");
  EXPECT_EQ(en("write to front.desk@clinic.org."), "write to front dot desk at clinic dot org.");
  EXPECT_EQ(en("see https://clinic.org/hours"), "see clinic dot org slash hours");
}

TEST(TextNormalizerTest, AbbreviationsAndMarkdown) {
  EXPECT_EQ(en("Dr. Smith on Main St. **today**"), "Doctor Smith on Main Street today");
  EXPECT_EQ(en("fruit, e.g. apples"), "fruit, for example apples");
}

TEST(TextNormalizerTest, SpokenWordsPerWrittenWord) {
  std::vector<std::size_t> map;
  const auto n = make_text_normalizer("en");
  EXPECT_EQ(n->normalize("Pay $5 now", &map), "Pay five dollars now");
  EXPECT_EQ(map, (std::vector<std::size_t>{1, 2, 1}));
  EXPECT_EQ(make_text_normalizer("de-DE"), nullptr);
}

}  // namespace
}  // namespace loqui
