// SPDX-License-Identifier: Apache-2.0
// File: SSE + JSON parse throughput of the Chat Completions stream path: SseParser
// alone, SseParser + ChatStreamDecoder on text streams, and on fragmented tool
// calls. Input is cut into 1400-byte "network reads" (a TCP segment's payload).
// Counters: bytes_per_second (MB/s), chunks/s (SSE events/s), allocs/chunk.
#include <benchmark/benchmark.h>

#include "alloc_counter.hpp"
#include "loqui/net/sse.hpp"
#include "providers/openai/chat_stream.hpp"
#include "support/openai_sse.hpp"

namespace {
namespace sse = loqui::testing::openai_sse;

struct Sink : loqui::openai::ChatStreamSink {
  std::size_t bytes = 0;
  void on_text(std::string_view d) override { bytes += d.size(); }
};

std::string text_stream(int tokens) {
  sse::Script s;
  for (int i = 0; i < tokens; ++i) s.text.push_back(i % 7 == 0 ? " the" : " word" + std::to_string(i % 100));
  return sse::stream(sse::Dialect::openai, s);
}

std::string tool_stream() {
  sse::Script s;
  std::string args = R"({"query":")";
  for (int i = 0; i < 60; ++i) args += "token" + std::to_string(i) + " ";
  args += R"(","limit":10})";
  s.calls = {{"call_a", "search", args}, {"call_b", "lookup", args}};
  s.fragments = 80;
  s.interleave = true;
  return sse::stream(sse::Dialect::openai, s);
}

template <bool kDecode>
void run(benchmark::State& state, const std::string& stream) {
  constexpr std::size_t kRead = 1400;
  std::uint64_t events = 0;
  loqui::SseParser parser;
  loqui::openai::ChatStreamDecoder dec;
  Sink sink;
  // Warm up buffers once so the loop measures the steady state.
  for (int warm = 0; warm < 2; ++warm) {
    parser.reset();
    dec.reset();
    for (std::size_t pos = 0; pos < stream.size(); pos += kRead) {
      (void)parser.feed(std::string_view(stream).substr(pos, kRead));
      if (kDecode)
        for (const auto& e : parser.events()) (void)dec.on_event(e.event, e.data, sink);
    }
    if (kDecode) (void)dec.finish();
  }
  const std::uint64_t allocs0 = loqui::bench::allocations();
  for (auto _ : state) {
    parser.reset();
    dec.reset();
    for (std::size_t pos = 0; pos < stream.size(); pos += kRead) {
      if (!parser.feed(std::string_view(stream).substr(pos, kRead)).ok()) state.SkipWithError("parse");
      events += parser.events().size();
      if (kDecode)
        for (const auto& e : parser.events())
          if (!dec.on_event(e.event, e.data, sink).ok()) state.SkipWithError("decode");
    }
    if (kDecode) {
      auto r = dec.finish();
      benchmark::DoNotOptimize(r);
    }
  }
  const std::uint64_t allocs = loqui::bench::allocations() - allocs0;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.counters["chunks/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["allocs/chunk"] = events ? static_cast<double>(allocs) / static_cast<double>(events) : 0.0;
  state.counters["bytes/chunk"] = static_cast<double>(stream.size()) * static_cast<double>(state.iterations()) /
                                  static_cast<double>(std::max<std::uint64_t>(events, 1));
}

void BM_SseParseOnly(benchmark::State& state) { run<false>(state, text_stream(2000)); }
void BM_SseAndJsonText(benchmark::State& state) { run<true>(state, text_stream(2000)); }
void BM_SseAndJsonToolCalls(benchmark::State& state) { run<true>(state, tool_stream()); }

BENCHMARK(BM_SseParseOnly);
BENCHMARK(BM_SseAndJsonText);
BENCHMARK(BM_SseAndJsonToolCalls);

}  // namespace

BENCHMARK_MAIN();
