// SPDX-License-Identifier: Apache-2.0
// File: fuzzes the ElevenLabs stream-input message parser (audio, alignment ->
// words, isFinal, errors). Invariants: no crash; words are non-empty with
// 0 <= start <= end; errors are provider_protocol.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "providers/elevenlabs/elevenlabs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  loqui::elevenlabs::Parser parser;
  auto ev = parser.parse(text);
  if (ev) {
    for (const auto& w : ev->words)
      if (w.word.empty() || !(w.start_ms >= 0) || !(w.end_ms >= w.start_ms)) std::abort();
  } else if (ev.error().code() != loqui::errc::provider_protocol) {
    std::abort();
  }
  return 0;
}
