// SPDX-License-Identifier: Apache-2.0
// File: fuzzes the Chat Completions stream decoder: the input as an SSE byte stream
// (SseParser -> ChatStreamDecoder -> finish) and as one chunk's JSON. Invariants:
// no crash; an assembled tool call always has a name and an id.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "loqui/features.hpp"
#if LOQUI_HAS_CURL
#include "loqui/net/sse.hpp"
#include "providers/openai/chat_stream.hpp"

namespace {
struct Sink : loqui::openai::ChatStreamSink {
  std::size_t bytes = 0;
  void on_text(std::string_view d) override { bytes += d.size(); }
  void on_reasoning(std::string_view d) override { bytes += d.size(); }
};

void check(loqui::openai::ChatStreamDecoder& dec) {
  auto r = dec.finish();
  if (!r) return;
  for (const auto& c : r->tool_calls)
    if (c.name.empty() || c.id.empty() || c.arguments.empty()) std::abort();
  if (!r->tool_calls.empty() && r->reason != loqui::FinishReason::tool_calls) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  {
    loqui::SseParser parser;
    loqui::openai::ChatStreamDecoder dec;
    Sink sink;
    if (parser.feed(text).ok()) {
      for (const auto& e : parser.events())
        if (!dec.on_event(e.event, e.data, sink).ok()) break;
      check(dec);
    }
  }
  {
    loqui::openai::ChatStreamDecoder dec;
    Sink sink;
    (void)dec.on_event("", text, sink);
    check(dec);
    loqui::openai::ChatStreamDecoder whole;
    (void)whole.on_complete_body(text, sink);
    check(whole);
  }
  return 0;
}
#else
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
#endif
