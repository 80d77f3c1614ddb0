// SPDX-License-Identifier: Apache-2.0
// File: fuzzes what the turn manager does with untrusted text: LLM output through
// the streaming chunker (in pieces of every size) and the English normaliser, and
// agent documents through AgentConfig::parse.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "loqui/agent/agent_config.hpp"
#include "loqui/agent/text_chunker.hpp"
#include "loqui/agent/text_normalizer.hpp"

namespace {
bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
std::string squeeze(std::string_view s) {  // text without whitespace, for comparison
  std::string out;
  for (char c : s)
    if (!is_space(c)) out += c;
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 16;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The chunker loses and invents nothing: the chunks hold exactly the text.
  loqui::TextChunker chunker({.first_min_chars = 1 + data[0] % 40, .min_chars = 10, .max_chars = 80});
  std::string joined;
  for (std::size_t i = 0; i < text.size(); i += piece) {
    for (const auto& c : chunker.push(text.substr(i, piece))) {
      if (c.empty()) std::abort();
      joined += c;
    }
  }
  joined += chunker.flush();
  if (squeeze(joined) != squeeze(text)) std::abort();

  // The normaliser reports one spoken-word count per written word.
  std::vector<std::size_t> words;
  const auto normalizer = loqui::make_text_normalizer("en-US");
  (void)normalizer->normalize(text, &words);
  std::size_t written = 0;
  bool in = false;
  for (char c : text) {
    if (!is_space(c) && !in) ++written;
    in = !is_space(c);
  }
  if (words.size() != written) std::abort();

  // Agent documents: any JSON parses or fails with a message, never crashes.
  if (auto json = loqui::Json::parse(text)) {
    auto cfg = loqui::AgentConfig::parse(*json, "base");
    if (!cfg && cfg.error().message().empty()) std::abort();
  }
  return 0;
}
