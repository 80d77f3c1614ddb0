// SPDX-License-Identifier: Apache-2.0
// File: hint grammars for the embedded recogniser: dictionary spelling of words
// and numbers, and the shape of the backoff-bigram FSG.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "providers/pocketsphinx/hint_lm.hpp"

namespace loqui::detail {
namespace {

TEST(HintLm, RecognizerWords) {
  EXPECT_EQ(recognizer_words("I'd like 10:30, at 3pm!"),
            (std::vector<std::string>{"i'd", "like", "ten", "thirty", "at", "three", "p.m."}));
  EXPECT_EQ(recognizer_words("March 15th"), (std::vector<std::string>{"march", "fifteenth"}));
  EXPECT_EQ(recognizer_words("9:05 a.m."), (std::vector<std::string>{"nine", "oh", "five", "a.m."}));
  EXPECT_EQ(recognizer_words("room 204"), (std::vector<std::string>{"room", "two", "hundred", "four"}));
  EXPECT_EQ(recognizer_words("call 5551234567"), (std::vector<std::string>{"call", "five", "five", "five", "one",
                                                                            "two", "three", "four", "five", "six",
                                                                            "seven"}));
}

TEST(HintLm, FsgIsABackoffBigram) {
  std::set<std::string> dict = {"yes", "please", "no"};
  auto known = [&](const std::string& w) { return dict.count(w) > 0; };
  const std::string fsg = build_hint_fsg({"yes please", "no", "zebra"}, known, {.carrier = false});
  std::istringstream in(fsg);
  std::string line;
  int states = 0, transitions = 0;
  std::set<std::string> words;
  double from_start = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string kw;
    ls >> kw;
    if (kw == "NUM_STATES") ls >> states;
    if (kw != "TRANSITION") continue;
    ++transitions;
    int from = 0, to = 0;
    double p = 0;
    std::string word;
    ls >> from >> to >> p >> word;
    EXPECT_GT(p, 0) << line;
    EXPECT_LE(p, 1) << line;
    if (!word.empty()) words.insert(word);
    if (from == 0) from_start += p;
  }
  EXPECT_EQ(states, 3 + 3);  // start, backoff, final + one per word history
  EXPECT_EQ(words, dict);    // "zebra" is not in the dictionary
  EXPECT_NEAR(from_start, 1.0, 1e-3);  // seen bigrams + backoff mass
  EXPECT_GT(transitions, 6);
  EXPECT_EQ(build_hint_fsg({"zebra"}, known, {.carrier = false}), "");
  // The carrier sentences add numbers, days and times.
  EXPECT_NE(build_hint_fsg({"yes"}, [](const std::string&) { return true; }).find(" tuesday"), std::string::npos);
}

}  // namespace
}  // namespace loqui::detail
