// SPDX-License-Identifier: Apache-2.0
// File: ns per 20 ms frame through a 4-stage chain, compile-time (Chain) vs
// type-erased (Pipeline), and heap allocations per frame counted with a replaced
// global operator new. Run: ./build/bench/pipeline_bench
#include <benchmark/benchmark.h>

#include "alloc_counter.hpp"
#include "loqui/pipeline/chain.hpp"
#include "loqui/pipeline/stage.hpp"
#include "support/test_stages.hpp"

namespace loqui {
namespace {
using namespace loqui::testing;

// 4 stages: upsample 8->16 kHz, two filters, a sink.
void BM_CompileTimeChain(benchmark::State& state) {
  auto chain = make_chain(Upsample2x(8000), AddOffset(16000, 1), AddOffset(16000, -1), Summer(16000)).value();
  FramePool pool({.buffer_bytes = 320, .preallocate = 4});
  auto push_one = [&](std::int64_t ts) {
    AudioFrame f = pool.acquire(AudioFormat::pcm16(8000), 160);
    auto s = f.mutable_samples();
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::int16_t>(i);
    f.set_timestamp(ts);
    benchmark::DoNotOptimize(chain.push(f));
  };
  for (int i = 0; i < 10; ++i) push_one(i);  // warm up buffers
  const auto before = bench::allocations();
  std::int64_t ts = 0;
  for (auto _ : state) push_one(ts += 160);
  const auto allocs = bench::allocations() - before;
  state.counters["allocs_per_frame"] = static_cast<double>(allocs) / static_cast<double>(state.iterations());
  state.SetLabel("20 ms frame, 4 stages, Chain<>");
}
BENCHMARK(BM_CompileTimeChain);

class NullSink : public FrameSink {
 public:
  Flow push(const AudioFrame&) override { return Flow::ok; }
};

void BM_TypeErasedPipeline(benchmark::State& state) {
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(make_stage(Upsample2x(8000)));
  stages.push_back(make_stage(AddOffset(16000, 1)));
  stages.push_back(make_stage(AddOffset(16000, -1)));
  stages.push_back(make_stage(Summer(16000)));
  auto p = Pipeline::build(std::move(stages)).value();
  FramePool pool({.buffer_bytes = 320, .preallocate = 4});
  auto push_one = [&](std::int64_t ts) {
    AudioFrame f = pool.acquire(AudioFormat::pcm16(8000), 160);
    auto s = f.mutable_samples();
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::int16_t>(i);
    f.set_timestamp(ts);
    benchmark::DoNotOptimize(p.push(f));
  };
  for (int i = 0; i < 10; ++i) push_one(i);
  const auto before = bench::allocations();
  std::int64_t ts = 0;
  for (auto _ : state) push_one(ts += 160);
  const auto allocs = bench::allocations() - before;
  state.counters["allocs_per_frame"] = static_cast<double>(allocs) / static_cast<double>(state.iterations());
  state.SetLabel("20 ms frame, 4 stages, Pipeline");
}
BENCHMARK(BM_TypeErasedPipeline);

}  // namespace
}  // namespace loqui

BENCHMARK_MAIN();
