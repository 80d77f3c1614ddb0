// SPDX-License-Identifier: Apache-2.0
// File: the streaming text chunker between the LLM and TTS. LLM deltas go in; chunks
// worth synthesising come out as soon as they are complete, so TTS starts while the
// LLM still generates.
//
// Rules (ALGORITHMS.md section 5.1):
//  * A chunk ends at a sentence end (. ! ? and their CJK forms) followed by
//    whitespace; the decision waits for the next non-space character, so
//    "Dr. Smith", "e.g. this" and "3. item" are judged with context.
//  * Never inside numbers, decimals, times, currency, e-mails or URLs ("3.14",
//    "2:30", "$1,250.50", "a.b@c.com", "www.x.com"): those have no space after the
//    punctuation; known abbreviations (Mr. Dr. St. etc. a.m. ...) and single
//    initials ("J. Smith") never end a sentence; a lower-case next word means the
//    sentence goes on.
//  * The first chunk of a response may end early at a clause boundary (, ; : -)
//    once it has `first_min_chars`; later chunks shorter than `min_chars` merge
//    with the next sentence; a chunk never grows past `max_chars` without a break
//    at a space.
//
// Thread safety: a value type; one per response stream.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loqui {

struct ChunkerOptions {
  int first_min_chars = 20;  ///< first chunk: may end at a clause boundary from this length
  int min_chars = 20;        ///< later chunks: shorter sentences merge with the next
  int max_chars = 250;       ///< force a break at a space beyond this
};

class TextChunker {
 public:
  explicit TextChunker(ChunkerOptions options = {}) : options_(options) {}

  /// Appends an LLM delta; returns the chunks completed by it (possibly none).
  std::vector<std::string> push(std::string_view delta);
  /// End of the response: the rest (trimmed), or "" if nothing is left.
  std::string flush();
  /// Drops everything (barge-in) and starts a new response.
  void reset();
  /// Chunks emitted since the last reset.
  int chunks_emitted() const noexcept { return emitted_; }

 private:
  /// Position just after the end of the first chunk in buffer_, or npos.
  std::size_t find_break() const;
  bool sentence_end_at(std::size_t i, std::size_t& next) const;
  ChunkerOptions options_;
  std::string buffer_;
  int emitted_ = 0;
};

}  // namespace loqui
