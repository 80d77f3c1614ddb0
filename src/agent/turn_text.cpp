// SPDX-License-Identifier: Apache-2.0
// File: text rules of the turn manager (end-of-turn heuristics, backchannels).
#include "agent/turn_text.hpp"

#include <algorithm>
#include <array>

namespace loqui::detail {

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' ||
         (static_cast<unsigned char>(c) >= 0x80);
}

// Closed-class words and fillers after which a caller rarely stops (ALGORITHMS.md
// section 3.4), plus verbs that usually take an object ("I'd like to book").
constexpr std::array<std::string_view, 78> kUnfinished = {
    "and", "or", "but", "so", "because", "if", "then", "that", "which", "who", "when", "where", "while",
    "to", "on", "in", "at", "for", "of", "with", "from", "by", "about", "into", "for", "like", "than",
    "the", "a", "an", "my", "your", "our", "their", "his", "her", "this", "these", "those", "some",
    "i", "we", "you", "he", "she", "they", "it's", "i'm", "i'd", "is", "are", "was", "be", "am", "will",
    "would", "can", "could", "should", "um", "uh", "er", "erm", "hmm", "book", "schedule", "reserve",
    "order", "cancel", "change", "make", "get", "need", "want", "tell", "find", "ask"};

}  // namespace

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> normalized_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (is_word_char(c)) {
      cur += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

namespace {
std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) {
    if (!s.empty()) s += ' ';
    s += w;
  }
  return s;
}
}  // namespace

Completeness classify_completeness(std::string_view text) {
  const std::string t = trim(text);
  if (t.empty()) return Completeness::unknown;
  if (t.size() >= 3 && t.compare(t.size() - 3, 3, "...") == 0) return Completeness::unfinished;
  const char last = t.back();
  if (last == '.' || last == '?' || last == '!') return Completeness::finished;
  if (last == ',' || last == ';' || last == ':' || last == '-') return Completeness::unfinished;
  const auto words = normalized_words(t);
  if (words.empty()) return Completeness::unknown;
  if (std::find(kUnfinished.begin(), kUnfinished.end(), words.back()) != kUnfinished.end())
    return Completeness::unfinished;
  return Completeness::unknown;
}

int content_words(std::string_view text, const std::vector<std::string>& backchannels) {
  const auto words = normalized_words(text);
  if (words.empty()) return 0;
  // Whole-text backchannels, with "-" treated as a space ("mm-hmm" == "mm hmm").
  auto norm = [](std::string_view s) { return joined(normalized_words(s)); };
  std::string all;
  for (char c : std::string_view(text)) all += c == '-' ? ' ' : c;
  const std::string whole = norm(all);
  for (const auto& b : backchannels) {
    std::string bb;
    for (char c : b) bb += c == '-' ? ' ' : c;
    if (norm(bb) == whole || norm(b) == joined(words)) return 0;
  }
  int n = 0;
  for (const auto& w : words) {
    bool back = false;
    for (const auto& b : backchannels) back = back || norm(b) == w;
    if (!back) ++n;
  }
  return n;
}

std::string normalized_text(std::string_view text) { return joined(normalized_words(text)); }

bool contains_normalized(std::string_view text, std::string_view phrase) {
  if (phrase.empty()) return false;
  for (std::size_t pos = text.find(phrase); pos != std::string_view::npos; pos = text.find(phrase, pos + 1)) {
    const bool start_ok = pos == 0 || text[pos - 1] == ' ';
    const std::size_t end = pos + phrase.size();
    if (start_ok && (end == text.size() || text[end] == ' ')) return true;
  }
  return false;
}

bool contains_phrase(std::string_view text, std::string_view phrase) {
  return contains_normalized(normalized_text(text), normalized_text(phrase));
}

}  // namespace loqui::detail
