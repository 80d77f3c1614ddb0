// SPDX-License-Identifier: Apache-2.0
// File: fuzzes the Deepgram message parsers (/v1/listen and /v1/speak frames).
// Invariants: no crash; a parsed Results has words with 0 <= start <= end, and
// times that are finite and non-negative; every error is provider_protocol.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "providers/deepgram/deepgram_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  loqui::deepgram::ListenParser listen;
  auto ev = loqui::wscommon::guard_parse("deepgram", [&] { return listen.parse(text); });
  if (ev) {
    if (!(ev->start >= 0) || !(ev->duration >= 0) || !(ev->time >= 0) || !std::isfinite(ev->start)) std::abort();
    for (const auto& w : ev->words)
      if (!(w.start >= 0) || !(w.end >= w.start) || w.word.empty()) std::abort();
  } else if (ev.error().code() != loqui::errc::provider_protocol) {
    std::abort();
  }
  loqui::deepgram::SpeakParser speak;
  auto sev = loqui::wscommon::guard_parse("deepgram", [&] { return speak.parse(text); });
  if (!sev && sev.error().code() != loqui::errc::provider_protocol) std::abort();
  return 0;
}
