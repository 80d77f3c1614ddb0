// SPDX-License-Identifier: Apache-2.0
// File: shared by the DSP benchmarks: the steady-state frame loop with per-frame
// heap allocation counters, null sinks, and a reporter that, after Google
// Benchmark's own table, prints each loqui stage or chain next to the raw library
// calls doing the same work, with the ratio against the 1.2x target and the
// allocations per frame against the zero target.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "alloc_counter.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/pipeline/flow.hpp"
#include "malloc_counter.hpp"

namespace loqui::bench {

/// Counts heap allocations over the timed loop of a benchmark. Create it after
/// warm-up (outside the loop), call finish(state) after the loop.
class AllocProbe {
 public:
  AllocProbe() : news_(allocations()), mallocs_(mallocs()) {}
  void finish(benchmark::State& state) const {
    const auto n = static_cast<double>(state.iterations());
    state.counters["new/frame"] = static_cast<double>(allocations() - news_) / n;
    state.counters["malloc/frame"] = static_cast<double>(mallocs() - mallocs_) / n;
  }

 private:
  std::uint64_t news_;
  std::uint64_t mallocs_;
};

/// The timed loop of every DSP benchmark: `step(i)` with i cycling over
/// [0, count), `warmup` untimed calls first (buffers and FIFOs reach their size),
/// then allocations counted over the timed calls.
template <class Step>
void cycle(benchmark::State& state, std::size_t count, Step step, int warmup = 100) {
  std::size_t i = 0;
  for (int w = 0; w < warmup; ++w, i = (i + 1) % count) step(i);
  AllocProbe probe;
  for (auto _ : state) {
    step(i);
    i = (i + 1) % count;
  }
  probe.finish(state);
}

/// Sinks that touch what they get and keep nothing.
struct NullPcm {
  AudioFormat fmt;
  std::int64_t samples = 0;
  std::string_view name() const { return "null"; }
  AudioFormat input_format() const { return fmt; }
  Flow push(const AudioFrame& f) {
    samples += static_cast<std::int64_t>(f.samples().size());
    return Flow::ok;
  }
};
struct NullBytes {
  AudioFormat fmt;
  std::size_t bytes = 0;
  std::string_view name() const { return "null"; }
  AudioFormat input_format() const { return fmt; }
  Flow push(const AudioFrame& f) {
    bytes += f.bytes().size();
    return Flow::ok;
  }
};

/// One line of the comparison: a loqui benchmark and the raw one it is measured against.
struct Pair {
  std::string label;
  std::string loqui;  // benchmark name (as registered)
  std::string raw;
};

/// Console output as usual, plus the comparison table at the end.
class ComparisonReporter : public benchmark::ConsoleReporter {
 public:
  explicit ComparisonReporter(std::vector<Pair> pairs) : pairs_(std::move(pairs)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration && r.aggregate_name != "median") continue;
      std::string name = r.benchmark_name();
      if (r.run_type == Run::RT_Aggregate) name = name.substr(0, name.rfind('_'));
      Entry& e = results_[name];
      e.ns = r.GetAdjustedCPUTime();
      if (auto it = r.counters.find("new/frame"); it != r.counters.end()) e.news = it->second;
      if (auto it = r.counters.find("malloc/frame"); it != r.counters.end()) e.mallocs = it->second;
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-44s %12s %12s %7s %8s %11s %14s\n", "per 20 ms frame", "loqui ns", "raw ns", "ratio",
                "<=1.2x", "new/frame", "malloc/frame");
    for (const auto& p : pairs_) {
      const auto a = results_.find(p.loqui);
      const auto b = results_.find(p.raw);
      if (a == results_.end() || b == results_.end()) continue;
      const double ratio = b->second.ns > 0 ? a->second.ns / b->second.ns : 0.0;
      std::printf("%-44s %12.0f %12.0f %7.2f %8s %11.2f %14.2f\n", p.label.c_str(), a->second.ns, b->second.ns, ratio,
                  ratio <= 1.2 ? "yes" : "MISS", a->second.news, a->second.mallocs);
    }
    std::fflush(stdout);
  }

 private:
  struct Entry {
    double ns = 0;
    double news = 0;
    double mallocs = 0;
  };
  std::vector<Pair> pairs_;
  std::map<std::string, Entry> results_;
};

/// Runs the registered benchmarks with the comparison table; use as main().
inline int run_with_table(int argc, char** argv, std::vector<Pair> pairs) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ComparisonReporter reporter(std::move(pairs));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace loqui::bench
