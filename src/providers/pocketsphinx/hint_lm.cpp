// SPDX-License-Identifier: Apache-2.0
// File: hint language models for the embedded recogniser (see hint_lm.hpp).
#include "providers/pocketsphinx/hint_lm.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace loqui::detail {
namespace {

constexpr const char* kUnits[] = {"zero",    "one",     "two",       "three",    "four",    "five",    "six",
                                  "seven",   "eight",   "nine",      "ten",      "eleven",  "twelve",  "thirteen",
                                  "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr const char* kTens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr const char* kOrdUnits[] = {"",          "first",      "second",     "third",       "fourth",
                                     "fifth",     "sixth",      "seventh",    "eighth",      "ninth",
                                     "tenth",     "eleventh",   "twelfth",    "thirteenth",  "fourteenth",
                                     "fifteenth", "sixteenth",  "seventeenth", "eighteenth", "nineteenth"};
constexpr const char* kOrdTens[] = {"", "", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth",
                                    "seventieth", "eightieth", "ninetieth"};

void spell(long n, bool ordinal, std::vector<std::string>& out) {
  if (n >= 1000) {
    spell(n / 1000, false, out);
    if (n % 1000 == 0) {
      out.emplace_back(ordinal ? "thousandth" : "thousand");
      return;
    }
    out.emplace_back("thousand");
    n %= 1000;
  }
  if (n >= 100) {
    out.emplace_back(kUnits[n / 100]);
    if (n % 100 == 0) {
      out.emplace_back(ordinal ? "hundredth" : "hundred");
      return;
    }
    out.emplace_back("hundred");
    n %= 100;
  }
  if (n < 20) {
    out.emplace_back(ordinal ? kOrdUnits[n] : kUnits[n]);
    return;
  }
  if (n % 10 == 0) {
    out.emplace_back(ordinal ? kOrdTens[n / 10] : kTens[n / 10]);
    return;
  }
  out.emplace_back(kTens[n / 10]);
  out.emplace_back(ordinal ? kOrdUnits[n % 10] : kUnits[n % 10]);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void push_token(std::string tok, std::vector<std::string>& out) {
  while (!tok.empty() && tok.back() == '\'') tok.pop_back();
  while (!tok.empty() && tok.front() == '\'') tok.erase(0, 1);
  if (tok.empty()) return;
  if (is_digit(tok[0])) {
    const std::size_t colon = tok.find(':');
    if (colon != std::string::npos) {  // 10:30 -> ten thirty, 9:05 -> nine oh five
      const long h = std::strtol(tok.substr(0, colon).c_str(), nullptr, 10);
      const long m = std::strtol(tok.substr(colon + 1).c_str(), nullptr, 10);
      spell(h, false, out);
      if (m > 0 && m < 10) out.emplace_back("oh");
      if (m > 0) spell(m, false, out);
      return;
    }
    std::size_t i = 0;
    while (i < tok.size() && is_digit(tok[i])) ++i;
    if (i > 7) {  // a phone number: digit by digit
      for (std::size_t k = 0; k < i; ++k) out.emplace_back(kUnits[tok[k] - '0']);
      return;
    }
    const long n = std::strtol(tok.substr(0, i).c_str(), nullptr, 10);
    const std::string rest = tok.substr(i);
    const bool ordinal = rest == "st" || rest == "nd" || rest == "rd" || rest == "th";
    spell(n, ordinal, out);
    if (!ordinal && !rest.empty()) push_token(rest, out);
    return;
  }
  if (tok == "pm") tok = "p.m.";
  out.push_back(std::move(tok));
}

}  // namespace

std::vector<std::string> recognizer_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool letter = c >= 'a' && c <= 'z';
    if (letter && !cur.empty() && is_digit(cur.back())) {
      const std::string_view two = text.substr(i, 2);
      const bool ord = two == "st" || two == "nd" || two == "rd" || two == "th" || two == "ST" || two == "TH";
      if (!ord) {
        push_token(std::move(cur), out);
        cur.clear();
      }
    }
    if (letter || is_digit(c) || c == '\'' || (c == ':' && !cur.empty() && is_digit(cur.back()))) {
      if (is_digit(c) && !cur.empty() && !is_digit(cur.back()) && cur.back() != ':') {
        push_token(std::move(cur), out);
        cur.clear();
      }
      cur += c;
    } else {
      push_token(std::move(cur), out);
      cur.clear();
    }
  }
  push_token(std::move(cur), out);
  // "a.m." / "p.m." (split at the dots) as the dictionary spells them.
  std::vector<std::string> merged;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if ((out[i] == "a" || out[i] == "p") && i + 1 < out.size() && out[i + 1] == "m") {
      merged.push_back(out[i] + ".m.");
      ++i;
    } else {
      merged.push_back(std::move(out[i]));
    }
  }
  return merged;
}

const std::vector<std::string>& carrier_sentences() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> s = {
        "hi", "hello", "hello there", "good morning", "good afternoon", "good evening", "yes", "yes please", "yeah",
        "no", "no thanks", "no thank you", "thank you", "thanks", "okay", "sure", "that's right", "that's all",
        "that is all", "please", "i would like to", "i'd like to", "i want to", "i need to", "i need a", "can i",
        "could i", "can you", "could you", "is there", "what time is", "what are your", "do you have", "my name is",
        "this is", "it's", "it is", "i am", "i'm", "under", "for", "on", "at", "around", "about", "in the morning",
        "in the afternoon", "in the evening", "at night", "tonight", "today", "tomorrow", "the day after tomorrow",
        "next week", "this week", "next", "o'clock", "a.m.", "p.m.", "half past", "quarter past", "quarter to",
        "noon", "midnight", "goodbye", "bye", "actually", "sorry", "wait", "one moment", "a", "an", "the", "and",
        "or", "of", "to", "with", "me", "my", "we", "our", "you", "your", "is", "are", "was", "be", "have", "has",
        "he", "she", "it", "they", "what", "when", "where", "how", "do", "does", "not", "don't", "can't", "will",
        "i'll", "would", "should", "there", "here", "that", "this", "some", "any", "nights", "night", "days", "day",
        "people", "person", "room", "appointment", "reservation",
        // backchannels: callers say them while the agent talks, and the turn
        // manager must hear them as such to keep talking
        "uh huh", "mm hmm", "right", "all right", "i see", "got it", "okay okay"};
    return s;
  }();
  return list;
}

const std::vector<std::string>& date_time_sentences() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> s;
    for (const char* d : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}) {
      s.push_back(d);
      s.push_back(std::string("on ") + d);
      s.push_back(std::string("next ") + d);
    }
    for (const char* m : {"january", "february", "march", "april", "may", "june", "july", "august", "september",
                          "october", "november", "december"}) {
      s.push_back(m);
      s.push_back(std::string(m) + " the");
    }
    static constexpr const char* kMonthWords[] = {"january", "february", "march",     "april",   "may",      "june",
                                                  "july",    "august",   "september", "october", "november", "december"};
    for (int n = 1; n <= 31; ++n) {
      std::vector<std::string> w;
      spell(n, true, w);
      std::string t;
      for (const auto& x : w) t += (t.empty() ? "" : " ") + x;
      s.push_back("the " + t);
      s.push_back(t + " of");
      for (const char* m : kMonthWords) s.push_back(std::string(m) + " " + t);
    }
    for (int n = 0; n <= 100; n += (n < 20 ? 1 : 5)) {
      std::vector<std::string> w;
      spell(n, false, w);
      std::string t;
      for (const auto& x : w) t += (t.empty() ? "" : " ") + x;
      s.push_back(t);
    }
    for (int h = 1; h <= 12; ++h) {
      std::vector<std::string> w;
      spell(h, false, w);
      const std::string hour = w[0];
      s.push_back("at " + hour);
      s.push_back(hour + " o'clock");
      s.push_back(hour + " thirty");
      s.push_back(hour + " fifteen");
      s.push_back(hour + " forty five");
      s.push_back(hour + " a.m.");
      s.push_back(hour + " p.m.");
    }
    return s;
  }();
  return list;
}

bool mentions_date_or_time(const std::vector<std::string>& phrases) {
  static const std::set<std::string> cues = [] {
    std::set<std::string> c = {"today", "tomorrow", "tonight", "morning", "afternoon", "evening", "o'clock", "a.m.",
                               "p.m.", "noon", "midnight", "week", "date", "time", "nights", "days"};
    for (const char* d : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
                          "february", "march", "april", "june", "july", "august", "september", "october", "november",
                          "december"})
      c.insert(d);
    return c;
  }();
  for (const auto& p : phrases)
    for (const auto& w : recognizer_words(p))
      if (cues.count(w)) return true;
  return false;
}

std::string build_hint_fsg(const std::vector<std::string>& phrases, const std::function<bool(const std::string&)>& known,
                           const HintLmOptions& options) {
  // Counts over sentences <s> w1 ... wn </s>; an unknown word restarts the context.
  std::map<std::string, double> uni;
  std::map<std::string, std::map<std::string, double>> bi;
  double total = 0;
  auto add_sentence = [&](std::string_view text, double weight) {
    std::string prev = "<s>";
    auto add_word = [&](const std::string& w) {
      uni[w] += weight;
      total += weight;
      bi[prev][w] += weight;
      prev = w;
    };
    for (const auto& w : recognizer_words(text)) {
      if (known(w)) {
        add_word(w);
      } else {
        prev = "<s>";
      }
    }
    add_word("</s>");
  };
  for (const auto& p : phrases) add_sentence(p, 1.0);
  if (options.carrier) {
    for (const auto& p : carrier_sentences()) add_sentence(p, options.carrier_weight);
    if (mentions_date_or_time(phrases))
      for (const auto& p : date_time_sentences()) add_sentence(p, options.carrier_weight);
  }
  // States: 0 start (history <s>), 1 backoff (unigram), 2 final, 3+i history vocab[i].
  std::map<std::string, int> state;
  state["<s>"] = 0;
  int next = 3;
  for (const auto& [w, c] : uni)
    if (w != "</s>") state[w] = next++;
  if (next == 3) return {};
  // Unigrams: add-one smoothed over the vocabulary and </s>.
  const double v = static_cast<double>(uni.size());
  auto p_uni = [&](const std::string& w) { return (uni[w] + 1.0) / (total + v); };

  std::string out;
  char buf[160];
  std::vector<std::string> lines;
  auto trans = [&](int from, int to, double p, const std::string& word) {
    std::snprintf(buf, sizeof buf, "TRANSITION %d %d %.6g%s%s\n", from, to, p, word.empty() ? "" : " ", word.c_str());
    out += buf;
  };
  out += "FSG_BEGIN hints\nNUM_STATES " + std::to_string(next) + "\nSTART_STATE 0\nFINAL_STATE 2\n";
  double bg_total = 0;
  if (options.background)
    for (const auto& [w, f] : *options.background)
      if (!uni.count(w) && known(w)) bg_total += f;
  const double domain_share = bg_total > 0 ? 1.0 - options.background_weight : 1.0;
  for (const auto& [w, c] : uni) {
    if (w == "</s>") {
      trans(1, 2, domain_share * p_uni(w), "");
    } else {
      trans(1, state[w], domain_share * p_uni(w), w);
    }
  }
  if (bg_total > 0) {  // general words: back to the backoff state (no history of their own)
    for (const auto& [w, f] : *options.background)
      if (!uni.count(w) && known(w)) trans(1, 1, options.background_weight * f / bg_total, w);
  }
  // Bigrams: absolute discounting; the left-over mass goes to the backoff state.
  // A phrase's end ("</s>" after its last word) leads back to the start state, not
  // to the end: hints are often fragments ("my name is", "chest pain", a name), so
  // an utterance is a sequence of phrases; the start state ends it with
  // `options.utterance_end`.
  for (const auto& [a, row] : bi) {
    const bool start = a == "<s>";
    const double scale = start ? 1.0 - options.utterance_end : 1.0;
    double ca = 0;
    for (const auto& [b, c] : row) ca += c;
    double seen = 0;
    for (const auto& [b, c] : row) {
      const double p = (c - options.discount * std::min(c, 1.0)) / ca;
      if (p <= 0 || (start && b == "</s>")) continue;
      seen += p;
      trans(state[a], b == "</s>" ? 0 : state[b], scale * p, b == "</s>" ? "" : b);
    }
    trans(state[a], 1, scale * std::max(1.0 - seen, 1e-4), "");
    if (start) trans(0, 2, options.utterance_end, "");
  }
  for (const auto& [w, s] : state)
    if (!bi.count(w)) trans(s, 1, 1.0, "");
  out += "FSG_END\n";
  return out;
}

}  // namespace loqui::detail
