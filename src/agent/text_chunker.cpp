// SPDX-License-Identifier: Apache-2.0
// File: TextChunker: sentence/clause boundaries for streaming LLM text into TTS.
#include "loqui/agent/text_chunker.hpp"

#include <algorithm>
#include <array>

namespace loqui {

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_upper(c) || is_lower(c); }
char lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

// Lower-case words that, followed by ".", do not end a sentence.
constexpr std::array<std::string_view, 40> kAbbreviations = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "inc", "ltd", "co", "corp", "vs", "etc", "e.g", "i.e",
    "a.m", "p.m", "u.s", "u.k", "no", "nos", "approx", "apt", "ave", "blvd", "dept", "est", "fig", "gen",
    "gov", "hon", "mt", "rd", "rev", "sgt", "capt", "lt", "col", "ph.d"};

// The word (letters and inner dots) ending just before position `end`.
std::string word_before(const std::string& s, std::size_t end) {
  std::size_t b = end;
  while (b > 0 && (is_alpha(s[b - 1]) || s[b - 1] == '.')) --b;
  std::string w;
  for (std::size_t i = b; i < end; ++i) w += lower(s[i]);
  return w;
}

// Multi-byte sentence ends: 。！？ (UTF-8).
bool cjk_end(const std::string& s, std::size_t i, std::size_t& len) {
  static constexpr std::array<std::string_view, 3> kEnds = {"\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F"};
  for (auto e : kEnds) {
    if (s.compare(i, e.size(), e) == 0) {
      len = e.size();
      return true;
    }
  }
  return false;
}

}  // namespace

// True if a sentence ends at s[i] (a terminal mark); `next` is where the next chunk
// starts. Needs the next non-space character to be present.
bool TextChunker::sentence_end_at(std::size_t i, std::size_t& next) const {
  const std::string& s = buffer_;
  std::size_t len = 0;
  if (cjk_end(s, i, len)) {
    next = i + len;
    return true;
  }
  const char c = s[i];
  if (c != '.' && c != '!' && c != '?') return false;
  std::size_t j = i + 1;
  while (j < s.size() && (s[j] == '.' || s[j] == '!' || s[j] == '?' || s[j] == '"' || s[j] == '\'' || s[j] == ')'))
    ++j;  // "?!", "...", closing quotes
  if (j >= s.size() || !is_space(s[j])) return false;  // "3.14", "x.com", or not yet known
  std::size_t k = j;
  while (k < s.size() && is_space(s[k])) ++k;
  if (k >= s.size()) return false;  // wait for the next word
  if (c == '.' && s.compare(i, 3, "...") != 0) {
    const std::string w = word_before(s, i);
    if (w.size() == 1 && is_alpha(w[0])) return false;  // an initial: "J. Smith"
    if (std::find(kAbbreviations.begin(), kAbbreviations.end(), w) != kAbbreviations.end()) return false;
    if (is_lower(s[k])) return false;  // the sentence goes on
  }
  next = k;
  return true;
}

std::size_t TextChunker::find_break() const {
  const std::string& s = buffer_;
  const bool first = emitted_ == 0;
  const std::size_t min_len = static_cast<std::size_t>(first ? options_.first_min_chars : options_.min_chars);
  std::size_t clause = std::string::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::size_t next = 0;
    if (sentence_end_at(i, next)) {
      if (i + 1 >= min_len) return next;
      continue;  // too short: merge with what follows
    }
    if (first && clause == std::string::npos && i + 1 >= min_len &&
        (s[i] == ',' || s[i] == ';' || s[i] == ':' || s[i] == '-') && i + 1 < s.size() && is_space(s[i + 1])) {
      // A clause boundary ("Sure, let me check that for you, ...") but not inside
      // "1, 2" number lists: the next word must start with a letter.
      std::size_t k = i + 1;
      while (k < s.size() && is_space(s[k])) ++k;
      if (k < s.size() && is_alpha(s[k])) clause = k;
    }
  }
  if (clause != std::string::npos) return clause;
  if (s.size() > static_cast<std::size_t>(options_.max_chars)) {
    const std::size_t sp = s.rfind(' ', static_cast<std::size_t>(options_.max_chars));
    if (sp != std::string::npos && sp > 0) return sp + 1;
  }
  return std::string::npos;
}

namespace {
std::string trimmed(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}
}  // namespace

std::vector<std::string> TextChunker::push(std::string_view delta) {
  std::vector<std::string> out;
  buffer_.append(delta);
  for (;;) {
    const std::size_t at = find_break();
    if (at == std::string::npos) break;
    std::string chunk = trimmed(std::string_view(buffer_).substr(0, at));
    buffer_.erase(0, at);
    if (!chunk.empty()) {
      out.push_back(std::move(chunk));
      ++emitted_;
    }
  }
  return out;
}

std::string TextChunker::flush() {
  std::string rest = trimmed(buffer_);
  buffer_.clear();
  if (!rest.empty()) ++emitted_;
  return rest;
}

void TextChunker::reset() {
  buffer_.clear();
  emitted_ = 0;
}

}  // namespace loqui
