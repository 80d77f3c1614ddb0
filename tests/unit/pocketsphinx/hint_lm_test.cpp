// SPDX-License-Identifier: Apache-2.0
// File: hint grammars for the embedded recogniser: dictionary spelling of words
// and numbers, and the shape of the backoff-bigram FSG.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <tuple>
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
  // Numbers, days and times join the carrier sentences only when the hints
  // mention a date or a time.
  auto any = [](const std::string&) { return true; };
  EXPECT_EQ(build_hint_fsg({"yes"}, any).find(" tuesday"), std::string::npos);
  EXPECT_NE(build_hint_fsg({"tomorrow at ten"}, any).find(" tuesday"), std::string::npos);
  EXPECT_TRUE(mentions_date_or_time({"next Friday please"}));
  EXPECT_FALSE(mentions_date_or_time({"my name is", "Anna"}));
}

// Hints are often fragments ("my name is", a name): where a phrase ends the model
// goes back to the start state, which ends the utterance or starts another phrase.
// Every state's outgoing probabilities sum to one.
TEST(HintLm, PhrasesChainThroughTheStartState) {
  auto known = [](const std::string&) { return true; };
  const std::string fsg = build_hint_fsg({"my name is", "anna", "smith"}, known, {.carrier = false, .utterance_end = 0.4});
  std::istringstream in(fsg);
  std::string line;
  std::map<int, double> out_mass;
  std::vector<std::tuple<int, int, double>> nulls;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string kw;
    ls >> kw;
    if (kw != "TRANSITION") continue;
    int from = 0, to = 0;
    double p = 0;
    std::string word;
    ls >> from >> to >> p >> word;
    out_mass[from] += p;
    if (word.empty()) nulls.emplace_back(from, to, p);
  }
  for (const auto& [state, mass] : out_mass) EXPECT_NEAR(mass, 1.0, 1e-3) << "state " << state;
  bool is_returns_to_start = false, start_ends = false, phrase_end_is_final = false;
  for (const auto& [from, to, p] : nulls) {
    if (from == 0 && to == 2) start_ends = std::abs(p - 0.4) < 1e-9;
    if (to == 2 && from >= 3) phrase_end_is_final = true;
  }
  // "is" (only reached after "name") ends its phrase: a null arc back to the start.
  std::map<std::string, int> states;
  std::istringstream again(fsg);
  while (std::getline(again, line)) {
    std::istringstream ls(line);
    std::string kw, word;
    int from = 0, to = 0;
    double p = 0;
    ls >> kw >> from >> to >> p >> word;
    if (kw == "TRANSITION" && !word.empty()) states[word] = to;
  }
  for (const auto& [from, to, p] : nulls)
    if (from == states["is"] && to == 0) is_returns_to_start = true;
  EXPECT_TRUE(is_returns_to_start);
  EXPECT_TRUE(start_ends);
  EXPECT_FALSE(phrase_end_is_final);
}

}  // namespace
}  // namespace loqui::detail
