// SPDX-License-Identifier: Apache-2.0
// File: jitter-buffer quality and cost, loqui next to speexdsp on identical traces.
//
// Part 1 (table): seeded traces of hard network conditions (base delay + Pareto or
// Weibull jitter with queueing memory, 200-400 ms delay spikes, 1-5 % random and
// bursty loss, reordering, +-0.1 % sender clock drift), each replayed on a simulated
// 20 ms clock through loqui (playout and uplink modes) and through speexdsp's
// jitter buffer (default settings, 20 ms steps, as applications use it). Audio is
// espeak-ng speech (generated at run time with sox; a synthetic voiced signal if
// they are missing) carried as G.711 mu-law, decoded and concealed by loqui's G.711
// codec, so time-stretching and PLC work on real speech; a second loqui row carries
// Opus with in-band FEC. Metrics (one definition for both, jitter/trace.hpp):
//   late %       arrived but never played, % of packets sent
//   concealed %  output that was concealment or gap, % of output
//   mean/p95     per played packet: arrival -> its first sample played, ms
// Target (issue 3): on every trace, loqui's late loss below speexdsp's at equal or
// lower mean added delay.
//
// Part 2 (Google Benchmark): ns per push() and per get_audio() in steady state,
// heap allocations per frame (must be 0), and speexdsp's put/get for reference.
//
// Run: ./build/bench/jitter/jitter_buffer_bench [--traces-only] [--dump DIR]
//        [--stall-cost MS] [--late-cost MS] [benchmark flags]
#include <speex/speex_jitter.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "jitter/trace.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/audio/codecs.hpp"

namespace loqui::bench_jitter {
namespace {

constexpr int kRate = 8000;
constexpr int kPtimeMs = 20;
constexpr std::size_t kPacket = kRate * kPtimeMs / 1000;

// ------------------------------------------------------------------ audio
// espeak-ng sentences (four voices) joined with pauses, at `rate` Hz; cached in the
// temp directory. A synthetic voiced signal if espeak-ng or sox is missing.
std::vector<std::int16_t> speech(int rate) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "loqui-bench-jitter";
  const fs::path raw = dir / ("speech_" + std::to_string(rate) + ".raw");
  std::error_code ec;
  if (!fs::exists(raw, ec)) {
    fs::create_directories(dir, ec);
    const char* lines[] = {
        "The quick brown fox jumps over the lazy dog while the network delays, drops and reorders packets.",
        "A voice agent listens, thinks and answers; every millisecond of buffering is heard as hesitation.",
        "Jitter buffers trade delay against loss, and a good one pays as little of either as it can.",
        "Please tell me the balance of my account and the date of the last payment, thank you.",
    };
    const char* voices[] = {"en-us", "en-gb", "en-us+f3", "en-gb+m3"};
    std::string parts;
    for (int i = 0; i < 4; ++i) {
      const fs::path wav = dir / ("s" + std::to_string(i) + ".wav");
      const std::string cmd = std::string("espeak-ng -v ") + voices[i] + " -s 160 -w '" + wav.string() + "' \"" +
                              lines[i] + "\" >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) break;
      parts += " '" + wav.string() + "' '|sox -n -r 22050 -c 1 -b 16 -p trim 0 0.6'";
    }
    if (!parts.empty()) {
      const std::string cmd = "sox" + parts + " -r " + std::to_string(rate) + " -c 1 -b 16 -e signed-integer '" +
                              raw.string() + "' >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) fs::remove(raw, ec);
    }
  }
  std::vector<std::int16_t> s;
  std::ifstream in(raw, std::ios::binary);
  if (in) {
    in.seekg(0, std::ios::end);
    const auto bytes = static_cast<std::size_t>(in.tellg());
    in.seekg(0);
    s.resize(bytes / 2);
    in.read(reinterpret_cast<char*>(s.data()), static_cast<std::streamsize>(s.size() * 2));
  }
  if (s.size() < static_cast<std::size_t>(rate) * 5) {
    std::fprintf(stderr, "note: espeak-ng/sox unavailable, using a synthetic voiced signal\n");
    s = jitter::speech_like_signal(rate, 30.0);
  }
  return s;
}

// The trace's packets as G.711 mu-law (8 kHz) or Opus with in-band FEC (16 kHz
// audio, 48 kHz RTP clock).
struct Stream {
  std::vector<std::vector<std::byte>> payloads;
  jitter::ReplayOptions replay;
};

Stream encode(const std::vector<jitter::TraceEntry>& trace, bool opus, const std::vector<std::int16_t>& audio) {
  Stream st;
  st.replay.ptime_ms = kPtimeMs;
  st.replay.clock_rate_hz = opus ? 48000 : 8000;
  EncoderOptions eo;
  eo.frame_ms = kPtimeMs;
  eo.opus.inband_fec = true;
  eo.opus.packet_loss_percent = 10;
  auto enc = make_encoder(opus ? AudioFormat{16000, 1, Encoding::opus} : AudioFormat::mulaw8k(), eo).value();
  st.payloads = jitter::encode_payloads(trace, *enc, audio, st.replay).value();
  return st;
}

std::unique_ptr<AudioDecoder> decoder(bool opus) {
  return make_decoder(opus ? AudioFormat{16000, 1, Encoding::opus} : AudioFormat::mulaw8k()).value();
}

// ------------------------------------------------------------------ traces
std::vector<jitter::TraceSpec> trace_specs(double seconds) {
  using J = jitter::TraceSpec::Jitter;
  std::vector<jitter::TraceSpec> v;
  auto add = [&](const char* name, std::uint64_t seed, double base, J j, double scale, double shape, double spikes,
                 double loss, double burst, double burst_len, double reorder, double drift) {
    jitter::TraceSpec s;
    s.name = name;
    s.seed = seed;
    s.duration_s = seconds;
    s.ptime_ms = kPtimeMs;
    s.base_delay_ms = base;
    s.jitter = j;
    s.jitter_scale_ms = scale;
    s.jitter_shape = shape;
    s.spikes_per_min = spikes;
    s.random_loss = loss;
    s.burst_loss_start = burst;
    s.burst_loss_mean_len = burst_len;
    s.reorder = reorder;
    s.drift_ppm = drift;
    v.push_back(s);
  };
  //   name              seed base jitter       scale shape spikes loss  burst  len reorder drift
  add("wifi-mild",         11, 20, J::pareto,     4, 2.5,  0.5, 0.010, 0.000, 1, 0.005, +1000);
  add("dsl-pareto",        12, 35, J::pareto,    10, 2.2,  1.0, 0.012, 0.002, 3, 0.010, -1000);
  add("lte-weibull",       13, 60, J::weibull,   12, 0.8,  2.0, 0.015, 0.003, 4, 0.020, +1000);
  add("congested-pareto",  14, 80, J::pareto,    20, 1.8,  3.0, 0.025, 0.005, 5, 0.020, -1000);
  add("heavy-tail-5pct",   15, 50, J::weibull,   25, 0.6,  2.0, 0.035, 0.004, 4, 0.030, +1000);
  add("spike-storm",       16, 40, J::pareto,     5, 3.0,  6.0, 0.010, 0.000, 1, 0.005, -1000);
  return v;
}

// ------------------------------------------------------------------ runners
struct Cost {
  double push_ns = 0;
  double get_ns = 0;
  std::uint64_t allocs_after_warmup = 0;
  std::uint64_t frames = 0;
};

struct Run {
  jitter::TraceMetrics m;
  JitterStats stats;
  Cost cost;
};

// --stall-cost / --late-cost: move loqui along its concealment/delay frontier.
JitterBufferConfig g_config;

Run run_loqui(const std::vector<jitter::TraceEntry>& trace, const Stream& stream, bool opus, JitterMode mode) {
  auto dec = decoder(opus);
  JitterBufferConfig cfg = g_config;
  cfg.mode = mode;
  auto jb = JitterBuffer::create(cfg, *dec).value();
  Run r;
  auto res = jitter::replay_trace(trace, stream.payloads, jb, stream.replay);
  r.m = res->metrics;
  r.stats = res->stats;
  return r;
}

// The same schedule as jitter::replay_trace, with every call timed (medians: the
// machine is shared, and a preempted call says nothing about the code) and heap
// allocations counted after the first second.
double median_ns(std::vector<double>& v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

Cost time_loqui(const std::vector<jitter::TraceEntry>& trace, const Stream& stream, JitterMode mode) {
  auto dec = decoder(false);
  JitterBufferConfig cfg;
  cfg.mode = mode;
  auto jb = JitterBuffer::create(cfg, *dec).value();
  const auto& payloads = stream.payloads;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < trace.size(); ++i)
    if (!trace[i].lost()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return trace[a].arrival_ms < trace[b].arrival_ms; });
  using clk = std::chrono::steady_clock;
  std::vector<double> push_ns, get_ns;
  push_ns.reserve(order.size());
  get_ns.reserve(trace.size() * 2);
  Cost c;
  std::uint64_t alloc_before = 0, alloc_in_calls = 0;
  std::size_t next = 0;
  const double start = trace[order.front()].arrival_ms;
  const double end = trace[order.back()].arrival_ms;
  const jitter::ReplayOptions& opt = stream.replay;
  for (double t = start; t <= end; t += kPtimeMs) {
    const bool warm = get_ns.size() >= 50;
    while (next < order.size() && trace[order[next]].arrival_ms <= t) {
      const auto& e = trace[order[next]];
      MediaPacket p;
      p.sequence_number = static_cast<std::uint16_t>(e.seq & 0xffff);
      p.timestamp = jitter::rtp_timestamp(e, opt);
      p.ssrc = opt.ssrc;
      p.arrival = time_from_ms(e.arrival_ms);
      p.payload = payloads[order[next]];
      alloc_before = bench::allocations();
      const auto t0 = clk::now();
      benchmark::DoNotOptimize(jb.push(p));
      const auto t1 = clk::now();
      if (warm) alloc_in_calls += bench::allocations() - alloc_before;
      push_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
      ++next;
    }
    alloc_before = bench::allocations();
    const auto t0 = clk::now();
    const AudioFrame f = jb.get_audio(time_from_ms(t));
    const auto t1 = clk::now();
    if (warm) alloc_in_calls += bench::allocations() - alloc_before;
    benchmark::DoNotOptimize(f.samples().data());
    get_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  c.frames = get_ns.size() > 50 ? get_ns.size() - 50 : 0;
  c.allocs_after_warmup = alloc_in_calls;
  c.push_ns = median_ns(push_ns);
  c.get_ns = median_ns(get_ns);
  return c;
}

// speexdsp as applications drive it: put() on arrival; every 20 ms get() one
// packet's span, conceal when it is missing (or asks for an insertion), then tick().
Run run_speex(const std::vector<jitter::TraceEntry>& trace, const Stream& stream) {
  const auto& payloads = stream.payloads;
  Run r;
  jitter::MetricsAccumulator acc(trace);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < trace.size(); ++i)
    if (!trace[i].lost()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return trace[a].arrival_ms < trace[b].arrival_ms; });
  ::JitterBuffer* jb = jitter_buffer_init(static_cast<int>(kPacket));
  const jitter::ReplayOptions& opt = stream.replay;
  const double start = trace[order.front()].arrival_ms;
  const double end = trace[order.back()].arrival_ms + 1700.0;  // the same tail as loqui's replay
  std::vector<char> out(4096);
  std::size_t next = 0;
  bool playing = false;
  using clk = std::chrono::steady_clock;
  std::vector<double> put_ns, get_ns;
  put_ns.reserve(trace.size());
  get_ns.reserve(trace.size() * 2);
  for (double t = start; t <= end; t += kPtimeMs) {
    while (next < order.size() && trace[order[next]].arrival_ms <= t) {
      const auto& e = trace[order[next]];
      JitterBufferPacket p{};
      p.data = const_cast<char*>(reinterpret_cast<const char*>(payloads[order[next]].data()));
      p.len = static_cast<spx_uint32_t>(payloads[order[next]].size());
      p.timestamp = jitter::rtp_timestamp(e, opt);
      p.span = kPacket;
      p.sequence = static_cast<spx_uint16_t>(e.seq & 0xffff);
      p.user_data = static_cast<spx_uint32_t>(e.seq);
      const auto t0 = clk::now();
      jitter_buffer_put(jb, &p);
      put_ns.push_back(std::chrono::duration<double, std::nano>(clk::now() - t0).count());
      ++next;
    }
    JitterBufferPacket got{};
    got.data = out.data();
    got.len = static_cast<spx_uint32_t>(out.size());
    const auto t0 = clk::now();
    const int rc = jitter_buffer_get(jb, &got, kPacket, nullptr);
    jitter_buffer_tick(jb);
    get_ns.push_back(std::chrono::duration<double, std::nano>(clk::now() - t0).count());
    if (rc == JITTER_BUFFER_OK) {
      playing = true;
      acc.on_played(static_cast<std::int64_t>(got.user_data), t);
      acc.on_output(kPacket, 0);
    } else if (playing) {
      acc.on_output(kPacket, kPacket);
    }
  }
  jitter_buffer_destroy(jb);
  r.m = acc.finish();
  r.cost.push_ns = median_ns(put_ns);
  r.cost.get_ns = median_ns(get_ns);
  return r;
}

// ------------------------------------------------------------------ table
void print_row(const char* who, const Run& r) {
  std::printf("  %-16s late %5.2f %%  concealed %5.2f %%  delay mean %6.1f ms  p95 %6.1f ms\n", who, r.m.late_pct,
              r.m.concealed_pct, r.m.mean_delay_ms, r.m.p95_delay_ms);
}

int print_tables(const std::filesystem::path& dump_dir) {
  const auto audio8 = speech(8000);
  const auto audio16 = speech(16000);
  std::printf("jitter buffer: loqui vs speexdsp on identical traces (120 s each, 20 ms packets, espeak-ng speech)\n");
  std::printf("loqui: stall cost %.0f ms/%%, late cost %.0f ms/%%\n", g_config.stall_cost_ms_per_percent,
              g_config.late_cost_ms_per_percent);
  std::printf("G.711 mu-law unless noted; late = arrived but never played (%% of sent); concealed = %% of output\n");
  std::printf("(concealment or gap frames); delay = from a packet's arrival until its first sample is played\n\n");
  int met = 0;
  const auto specs = trace_specs(120.0);
  for (const auto& spec : specs) {
    const auto trace = jitter::generate_trace(spec);
    if (!dump_dir.empty()) {
      std::ofstream(dump_dir / (spec.name + ".tsv")) << jitter::format_trace(trace, spec.name);
    }
    const Stream g711 = encode(trace, false, audio8);
    const Stream opus = encode(trace, true, audio16);
    std::size_t lost = 0;
    for (const auto& e : trace) lost += e.lost();
    std::printf("%s (seed %llu): network loss %.2f %%, base %.0f ms, %s jitter scale %.0f ms, %.1f spikes/min, "
                "reorder %.1f %%, drift %+.1f %%\n",
                spec.name.c_str(), static_cast<unsigned long long>(spec.seed),
                100.0 * static_cast<double>(lost) / static_cast<double>(trace.size()), spec.base_delay_ms,
                spec.jitter == jitter::TraceSpec::Jitter::pareto ? "Pareto" : "Weibull", spec.jitter_scale_ms,
                spec.spikes_per_min, 100 * spec.reorder, spec.drift_ppm / 10000.0);
    const Run lp = run_loqui(trace, g711, false, JitterMode::playout);
    const Run lu = run_loqui(trace, g711, false, JitterMode::uplink);
    const Run lo = run_loqui(trace, opus, true, JitterMode::playout);
    const Run sx = run_speex(trace, g711);
    print_row("loqui playout", lp);
    print_row("loqui uplink", lu);
    print_row("loqui opus+FEC", lo);
    print_row("speexdsp", sx);
    const bool ok = lp.m.late_pct < sx.m.late_pct && lp.m.mean_delay_ms <= sx.m.mean_delay_ms;
    met += ok;
    std::printf("  target (playout late < speexdsp, mean delay <= speexdsp): %s   "
                "[loqui playout: %llu stalls, %.1f s stretched, target %.0f ms at end; opus: %llu FEC-recovered]\n\n",
                ok ? "MET" : "MISSED", static_cast<unsigned long long>(lp.stats.stalls),
                static_cast<double>(lp.stats.removed_samples_for_acceleration + lp.stats.inserted_samples_for_deceleration) /
                    kRate,
                lp.stats.target_delay_ms, static_cast<unsigned long long>(lo.stats.fec_recovered_packets));
  }
  std::printf("target met on %d of %zu traces\n\n", met, specs.size());

  // Cost on the hardest trace, measured inside the replay loop.
  const auto trace = jitter::generate_trace(specs[3]);
  const Stream g711 = encode(trace, false, audio8);
  const Cost cp = time_loqui(trace, g711, JitterMode::playout);
  const Cost cu = time_loqui(trace, g711, JitterMode::uplink);
  const Run sx = run_speex(trace, g711);
  std::printf("cost per call (%s, G.711 decode included, median wall time per call; Google Benchmark below gives CPU time):\n",
              specs[3].name.c_str());
  std::printf("  loqui playout   push %6.0f ns  get_audio %6.0f ns  heap allocations after warm-up: %llu in %llu frames\n",
              cp.push_ns, cp.get_ns, static_cast<unsigned long long>(cp.allocs_after_warmup),
              static_cast<unsigned long long>(cp.frames));
  std::printf("  loqui uplink    push %6.0f ns  get_audio %6.0f ns  heap allocations after warm-up: %llu in %llu frames\n",
              cu.push_ns, cu.get_ns, static_cast<unsigned long long>(cu.allocs_after_warmup),
              static_cast<unsigned long long>(cu.frames));
  std::printf("  speexdsp        put  %6.0f ns  get+tick  %6.0f ns  (no decoding; allocates per packet)\n\n", sx.cost.push_ns,
              sx.cost.get_ns);
  return met == static_cast<int>(specs.size()) ? 0 : 1;
}

// ------------------------------------------------------------------ Google Benchmark
// One 20 ms frame of steady, jittery traffic: a push and a get_audio.
void BM_JitterBufferFrame(benchmark::State& state) {
  const auto mode = state.range(0) == 0 ? JitterMode::playout : JitterMode::uplink;
  auto dec = decoder(false);
  JitterBufferConfig cfg;
  cfg.mode = mode;
  auto jb = JitterBuffer::create(cfg, *dec).value();
  const auto audio = jitter::speech_like_signal(kRate, 10.0);
  auto enc = make_encoder(AudioFormat::mulaw8k()).value();
  std::vector<std::vector<std::byte>> pl;
  for (std::size_t k = 0; k < 500; ++k) {
    std::vector<std::byte> b(kPacket);
    (void)enc->encode(std::span(audio).subspan(k * kPacket, kPacket), b);
    pl.push_back(b);
  }
  std::uint64_t k = 0;
  auto step = [&] {
    MediaPacket p;
    p.sequence_number = static_cast<std::uint16_t>(k);
    p.timestamp = static_cast<std::uint32_t>(k * kPacket);
    p.arrival = time_from_ms(20.0 * static_cast<double>(k) + 30.0 + static_cast<double>((k * 7919) % 23));
    p.payload = pl[k % pl.size()];
    benchmark::DoNotOptimize(jb.push(p));
    const AudioFrame f = jb.get_audio(time_from_ms(20.0 * static_cast<double>(k) + 60.0));
    benchmark::DoNotOptimize(f.samples().data());
    ++k;
  };
  for (int i = 0; i < 200; ++i) step();
  const auto before = bench::allocations();
  for (auto _ : state) step();
  state.counters["allocs_per_frame"] =
      static_cast<double>(bench::allocations() - before) / static_cast<double>(state.iterations());
  state.SetLabel(mode == JitterMode::playout ? "push + get_audio, playout, G.711" : "push + get_audio, uplink, G.711");
}
BENCHMARK(BM_JitterBufferFrame)->Arg(0)->Arg(1);

void BM_SpeexJitterFrame(benchmark::State& state) {
  ::JitterBuffer* jb = jitter_buffer_init(static_cast<int>(kPacket));
  std::vector<char> payload(kPacket * 2, 1);
  std::vector<char> out(4096);
  std::uint32_t k = 0;
  for (auto _ : state) {
    JitterBufferPacket p{};
    p.data = payload.data();
    p.len = static_cast<spx_uint32_t>(payload.size());
    p.timestamp = k * kPacket;
    p.span = kPacket;
    p.sequence = static_cast<spx_uint16_t>(k);
    jitter_buffer_put(jb, &p);
    JitterBufferPacket got{};
    got.data = out.data();
    got.len = static_cast<spx_uint32_t>(out.size());
    benchmark::DoNotOptimize(jitter_buffer_get(jb, &got, kPacket, nullptr));
    jitter_buffer_tick(jb);
    ++k;
  }
  jitter_buffer_destroy(jb);
  state.SetLabel("speexdsp put + get + tick");
}
BENCHMARK(BM_SpeexJitterFrame);

}  // namespace
}  // namespace loqui::bench_jitter

int main(int argc, char** argv) {
  std::filesystem::path dump;
  bool traces_only = false;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
      dump = argv[++i];
    } else if (std::strcmp(argv[i], "--traces-only") == 0) {
      traces_only = true;
    } else if (std::strcmp(argv[i], "--stall-cost") == 0 && i + 1 < argc) {
      loqui::bench_jitter::g_config.stall_cost_ms_per_percent = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--late-cost") == 0 && i + 1 < argc) {
      loqui::bench_jitter::g_config.late_cost_ms_per_percent = std::atof(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  const int rc = loqui::bench_jitter::print_tables(dump);
  if (traces_only) return rc;
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
