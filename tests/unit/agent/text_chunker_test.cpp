// SPDX-License-Identifier: Apache-2.0
// The streaming LLM -> TTS text chunker.
#include <gtest/gtest.h>

#include "loqui/agent/text_chunker.hpp"

namespace loqui {
namespace {

std::vector<std::string> chunk_stream(std::string_view text, ChunkerOptions o = {}, std::size_t piece = 3) {
  TextChunker c(o);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); i += piece) {
    for (auto& s : c.push(text.substr(i, piece))) out.push_back(s);
  }
  if (auto rest = c.flush(); !rest.empty()) out.push_back(rest);
  return out;
}

using V = std::vector<std::string>;

TEST(TextChunkerTest, SplitsSentencesAsTheyComplete) {
  EXPECT_EQ(chunk_stream("Your appointment is confirmed. We will send a reminder the day before. Goodbye!"),
            (V{"Your appointment is confirmed.", "We will send a reminder the day before.", "Goodbye!"}));
}

TEST(TextChunkerTest, FirstChunkEndsAtAClauseOnceLongEnough) {
  EXPECT_EQ(chunk_stream("Let me check the calendar for you, it will only take a second, thanks for waiting"),
            (V{"Let me check the calendar for you,", "it will only take a second, thanks for waiting"}));
  // Too short for a clause break: waits for the sentence.
  EXPECT_EQ(chunk_stream("Sure, I can do that. Bye now, then."), (V{"Sure, I can do that.", "Bye now, then."}));
}

TEST(TextChunkerTest, NeverSplitsNumbersTimesMoneyEmailsUrls) {
  const std::string text =
      "The total is $1,250.50 on 3.15 at 2:30 p.m. and you can write to info@clinic.example.com or see "
      "www.clinic.example.com for details. Pi is 3.14159 exactly.";
  const V out = chunk_stream(text);
  EXPECT_EQ(out, (V{"The total is $1,250.50 on 3.15 at 2:30 p.m. and you can write to info@clinic.example.com or see "
                    "www.clinic.example.com for details.",
                    "Pi is 3.14159 exactly."}));
}

TEST(TextChunkerTest, AbbreviationsAndInitialsDoNotEndSentences) {
  EXPECT_EQ(chunk_stream("Dr. Smith and Mr. J. Jones will see you on Main St. at noon. Is that fine?"),
            (V{"Dr. Smith and Mr. J. Jones will see you on Main St. at noon.", "Is that fine?"}));
  EXPECT_EQ(chunk_stream("Bring your card, e.g. the blue one. Thanks so much for that."),
            (V{"Bring your card, e.g. the blue one.", "Thanks so much for that."}));
}

TEST(TextChunkerTest, ShortSentencesMergeAndLongRunsBreakAtSpaces) {
  EXPECT_EQ(chunk_stream("Yes. No. Maybe later, when it is convenient for you."),
            (V{"Yes. No. Maybe later,", "when it is convenient for you."}));
  const std::string long_text(600, 'a');
  std::string words;
  for (int i = 0; i < 100; ++i) words += "word ";
  const V out = chunk_stream(words, {.max_chars = 100});
  ASSERT_GT(out.size(), 3u);
  for (const auto& s : out) EXPECT_LE(s.size(), 100u);
}

TEST(TextChunkerTest, WaitsForTheNextWordBeforeDeciding) {
  TextChunker c;
  EXPECT_TRUE(c.push("It costs 3.").empty());
  EXPECT_TRUE(c.push("50 dollars in total, plus tax").size() == 1u);  // the clause "It costs 3.50 dollars in total,"
  TextChunker d;
  EXPECT_TRUE(d.push("The appointment is at ten.").empty());  // could be "ten. the"... wait for the next word
  EXPECT_EQ(d.push(" See"), (V{"The appointment is at ten."}));
  EXPECT_EQ(d.flush(), "See");
}

TEST(TextChunkerTest, CjkSentenceEnds) {
  EXPECT_EQ(chunk_stream("\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82\xE5\x86\x8D\xE8\xA7\x81", {.first_min_chars = 1, .min_chars = 1}),
            (V{"\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82", "\xE5\x86\x8D\xE8\xA7\x81"}));
}

}  // namespace
}  // namespace loqui
