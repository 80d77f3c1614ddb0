// SPDX-License-Identifier: Apache-2.0
// File: the resampler's quality, latency and cost, for both backends.
//  1. A quality table (before the timings): per backend, preset and telephony pair,
//     the latency a streaming caller sees, the round-trip SNR of band-limited
//     content and the attenuation of a sweep across the stopband.
//  2. ns per 20 ms frame for 8->16, 16->8, 24->8 and 48->16 kHz through
//     Resampler::process and ResampleFilter, next to raw soxr_process /
//     src_process calls with identical settings (the medium preset).
//  3. The outbound telephony chain, TTS 24 kHz -> resample 8 kHz -> mu-law, as a
//     compile-time Chain and as a run-time Pipeline built from JSON, next to the raw
//     library calls (soxr_process + the G.711 table); and the decode + resample
//     half of the inbound chain (mu-law 8 kHz -> 16 kHz).
// Heap allocations per frame are counted (operator new and C malloc).
// Run: ./build/bench/resampler_bench [--benchmark_min_time=0.2]
#include <samplerate.h>
#include <soxr.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audio/resampler_backend.hpp"
#include "dsp_bench.hpp"
#include "raw_soxr.hpp"
#include "loqui/audio/codecs.hpp"
#include "loqui/audio/g711.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/audio/stages.hpp"
#include "loqui/pipeline/chain.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

using bench::RatePair;
using bench::RawSoxr;
constexpr RatePair kPairs[] = {{8000, 16000}, {16000, 8000}, {24000, 8000}, {48000, 16000}};

std::string pair_name(RatePair p) { return std::to_string(p.in / 1000) + "to" + std::to_string(p.out / 1000); }

// --- raw library calls with loqui's settings ---------------------------------------------

class RawSrc {
 public:
  RawSrc(RatePair p, ResamplerQuality q) : ratio_(static_cast<double>(p.out) / p.in), fin_(4800), fout_(9600) {
    int err = 0;
    st_ = src_new(detail::samplerate_converter(q), 1, &err);
  }
  ~RawSrc() { src_delete(st_); }
  std::size_t process(const std::int16_t* in, std::size_t n, std::int16_t* out, std::size_t cap) {
    src_short_to_float_array(in, fin_.data(), static_cast<int>(n));
    SRC_DATA d{};
    d.data_in = fin_.data();
    d.input_frames = static_cast<long>(n);
    d.data_out = fout_.data();
    d.output_frames = static_cast<long>(std::min(cap, fout_.size()));
    d.src_ratio = ratio_;
    src_process(st_, &d);
    src_float_to_short_array(fout_.data(), out, static_cast<int>(d.output_frames_gen));
    return static_cast<std::size_t>(d.output_frames_gen);
  }

 private:
  SRC_STATE* st_ = nullptr;
  double ratio_;
  std::vector<float> fin_, fout_;
};

using bench::NullBytes;
using bench::NullPcm;

class NullFrameSink : public FrameSink {
 public:
  Flow push(const AudioFrame& f) override {
    bytes += f.bytes().size();
    return Flow::ok;
  }
  std::size_t bytes = 0;
};

std::vector<std::int16_t> signal(int rate) {
  return testing::multitone(0.4 * rate, 12, rate, static_cast<std::size_t>(rate), 1500.0);
}

/// 20 ms frames cycling over one second of a band-limited test signal.
template <class Step>
void frames_loop(benchmark::State& state, int rate, Step step) {
  const auto x = signal(rate);
  const std::size_t frame = static_cast<std::size_t>(rate / 50);
  bench::cycle(state, x.size() / frame, [&](std::size_t i) { step(std::span<const std::int16_t>(x).subspan(i * frame, frame)); });
}

void register_resampler(RatePair p, ResamplerBackend backend, std::vector<bench::Pair>& pairs) {
  const std::string base = std::string("BM_") + std::string(to_string(backend)) + "_" + pair_name(p);
  benchmark::RegisterBenchmark((base + "_Raw").c_str(), [p, backend](benchmark::State& state) {
    std::vector<std::int16_t> out(20000);
    if (backend == ResamplerBackend::soxr) {
      RawSoxr raw(p, ResamplerQuality::medium);
      frames_loop(state, p.in, [&](std::span<const std::int16_t> in) {
        benchmark::DoNotOptimize(raw.process(in.data(), in.size(), out.data(), out.size()));
      });
    } else {
      RawSrc raw(p, ResamplerQuality::medium);
      frames_loop(state, p.in, [&](std::span<const std::int16_t> in) {
        benchmark::DoNotOptimize(raw.process(in.data(), in.size(), out.data(), out.size()));
      });
    }
  });
  benchmark::RegisterBenchmark((base + "_Loqui").c_str(), [p, backend](benchmark::State& state) {
    auto rs = Resampler::create({.input_rate_hz = p.in, .output_rate_hz = p.out, .backend = backend}).value();
    std::vector<std::int16_t> out(rs.max_output_samples(static_cast<std::size_t>(p.in / 50)));
    frames_loop(state, p.in, [&](std::span<const std::int16_t> in) { benchmark::DoNotOptimize(rs.process(in, out).ok()); });
  });
  benchmark::RegisterBenchmark((base + "_Filter").c_str(), [p, backend](benchmark::State& state) {
    auto f = ResampleFilter::create({.input_rate_hz = p.in, .output_rate_hz = p.out, .backend = backend}).value();
    NullPcm sink{AudioFormat::pcm16(p.out)};
    frames_loop(state, p.in, [&](std::span<const std::int16_t> in) {
      benchmark::DoNotOptimize(f.push(AudioFrame::view(AudioFormat::pcm16(p.in), in), sink));
    });
  });
  const std::string label = std::string(to_string(backend)) + " " + std::to_string(p.in) + "->" + std::to_string(p.out);
  pairs.push_back({label + ": Resampler vs raw", base + "_Loqui", base + "_Raw"});
  pairs.push_back({label + ": ResampleFilter vs raw", base + "_Filter", base + "_Raw"});
}

constexpr RatePair kOutbound{24000, 8000};
constexpr RatePair kInbound{8000, 16000};

void register_chains(std::vector<bench::Pair>& pairs) {
  benchmark::RegisterBenchmark("BM_Outbound_24k_to_mulaw8k_Raw", [](benchmark::State& state) {
    RawSoxr raw(kOutbound, ResamplerQuality::medium);
    std::vector<std::int16_t> pcm(4000);
    std::vector<std::byte> ulaw(4000);
    frames_loop(state, kOutbound.in, [&](std::span<const std::int16_t> in) {
      const std::size_t n = raw.process(in.data(), in.size(), pcm.data(), pcm.size());
      benchmark::DoNotOptimize(mulaw_encode(std::span(pcm).first(n), ulaw));
    });
  });
  benchmark::RegisterBenchmark("BM_Outbound_24k_to_mulaw8k_Chain", [](benchmark::State& state) {
    auto chain = make_chain(ResampleFilter::create({.input_rate_hz = 24000, .output_rate_hz = 8000}).value(),
                            EncodeFilter::create(AudioFormat::mulaw8k()).value(), NullBytes{AudioFormat::mulaw8k()})
                     .value();
    frames_loop(state, kOutbound.in, [&](std::span<const std::int16_t> in) {
      benchmark::DoNotOptimize(chain.push(AudioFrame::view(AudioFormat::pcm16(24000), in)));
    });
  });
  benchmark::RegisterBenchmark("BM_Outbound_24k_to_mulaw8k_Pipeline", [](benchmark::State& state) {
    StageRegistry reg;
    register_audio_stages(reg);
    auto spec = Json::parse(R"([{"stage":"resample","rate":8000},{"stage":"encode","encoding":"mulaw"}])").value();
    auto p = reg.build(spec, AudioFormat::pcm16(24000)).value();
    NullFrameSink sink;
    p.set_output(&sink);
    frames_loop(state, kOutbound.in, [&](std::span<const std::int16_t> in) {
      benchmark::DoNotOptimize(p.push(AudioFrame::view(AudioFormat::pcm16(24000), in)));
    });
  });
  pairs.push_back({"outbound TTS 24k -> 8k -> mu-law: Chain vs raw", "BM_Outbound_24k_to_mulaw8k_Chain",
                   "BM_Outbound_24k_to_mulaw8k_Raw"});
  pairs.push_back({"outbound TTS 24k -> 8k -> mu-law: Pipeline vs raw", "BM_Outbound_24k_to_mulaw8k_Pipeline",
                   "BM_Outbound_24k_to_mulaw8k_Raw"});

  benchmark::RegisterBenchmark("BM_Inbound_mulaw8k_to_16k_Raw", [](benchmark::State& state) {
    RawSoxr raw(kInbound, ResamplerQuality::medium);
    std::vector<std::byte> ulaw(160);
    std::vector<std::int16_t> pcm(160), up(4000);
    frames_loop(state, kInbound.in, [&](std::span<const std::int16_t> x) {
      mulaw_encode(x, ulaw);  // (outside the comparison: both sides pay it)
      mulaw_decode(ulaw, pcm);
      benchmark::DoNotOptimize(raw.process(pcm.data(), pcm.size(), up.data(), up.size()));
    });
  });
  benchmark::RegisterBenchmark("BM_Inbound_mulaw8k_to_16k_Chain", [](benchmark::State& state) {
    auto chain = make_chain(DecodeFilter::create(AudioFormat::mulaw8k()).value(),
                            ResampleFilter::create({.input_rate_hz = 8000, .output_rate_hz = 16000}).value(),
                            NullPcm{AudioFormat::pcm16(16000)})
                     .value();
    std::vector<std::byte> ulaw(160);
    frames_loop(state, kInbound.in, [&](std::span<const std::int16_t> x) {
      mulaw_encode(x, ulaw);
      benchmark::DoNotOptimize(chain.push(AudioFrame::view_bytes(AudioFormat::mulaw8k(), ulaw)));
    });
  });
  pairs.push_back({"inbound mu-law 8k -> decode -> 16k: Chain vs raw", "BM_Inbound_mulaw8k_to_16k_Chain",
                   "BM_Inbound_mulaw8k_to_16k_Raw"});
}

// --- quality table ------------------------------------------------------------------------

std::vector<std::int16_t> run_all(const ResamplerConfig& c, std::span<const std::int16_t> in) {
  auto rs = Resampler::create(c).value();
  const std::size_t frame = static_cast<std::size_t>(c.input_rate_hz / 50);
  std::vector<std::int16_t> out, buf(rs.max_output_samples(frame));
  for (std::size_t i = 0; i < in.size(); i += frame) {
    const std::size_t n = rs.process(in.subspan(i, std::min(frame, in.size() - i)), buf).value();
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  for (std::size_t n = rs.finish(buf).value(); n > 0; n = rs.finish(buf).value())
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

void print_quality_table() {
  std::printf("Resampler quality and latency (20 ms frames; SNR: round trip of 10 tones up to 0.85 of the lower\n"
              "Nyquist (0.70 for quick); alias: a sweep from 1.1x the output Nyquist (1.25x quick) to the input\n"
              "Nyquist, level after downsampling)\n");
  std::printf("%-11s %-7s %-12s %10s %10s %12s %12s\n", "backend", "preset", "pair", "latency", "lat ms", "rt SNR dB",
              "alias dB");
  for (auto backend : {ResamplerBackend::soxr, ResamplerBackend::samplerate}) {
    for (auto q : {ResamplerQuality::quick, ResamplerQuality::medium, ResamplerQuality::high}) {
      for (RatePair p : kPairs) {
        ResamplerConfig there{.input_rate_hz = p.in, .output_rate_hz = p.out, .quality = q, .backend = backend};
        ResamplerConfig back{.input_rate_hz = p.out, .output_rate_hz = p.in, .quality = q, .backend = backend};
        const int lo = std::min(p.in, p.out);
        const double pass = q == ResamplerQuality::quick ? 0.70 : 0.85;
        const auto x = testing::multitone(pass * lo / 2, 10, p.in, static_cast<std::size_t>(p.in));
        const auto z = run_all(back, run_all(there, x));
        const std::size_t skip = static_cast<std::size_t>(p.in / 50);
        const double snr = testing::snr_db(x, z, skip, x.size() - skip);
        std::string alias = "-";
        if (p.in > p.out) {
          const double from = (q == ResamplerQuality::quick ? 1.25 : 1.1) * p.out / 2.0;
          const auto s = testing::sweep(from, 0.97 * p.in / 2.0, p.in, static_cast<std::size_t>(p.in));
          const auto y = run_all(there, s);
          char b[32];
          std::snprintf(b, sizeof b, "%.1f",
                        testing::level_change_db(s, y, static_cast<std::size_t>(p.in / 20), static_cast<std::size_t>(p.out / 20)));
          alias = b;
        }
        auto rs = Resampler::create(there).value();
        std::printf("%-11s %-7s %5d->%-5d %10zu %10.2f %12.1f %12s\n", std::string(to_string(backend)).c_str(),
                    std::string(to_string(q)).c_str(), p.in, p.out, rs.latency_samples(),
                    static_cast<double>(rs.latency().count()) / 1e6, snr, alias.c_str());
      }
    }
  }
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace
}  // namespace loqui

int main(int argc, char** argv) {
  bool quality = true;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--no_quality_table") quality = false;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i)
    if (std::string(argv[i]) != "--no_quality_table") rest.push_back(argv[i]);
  if (quality) loqui::print_quality_table();
  std::vector<loqui::bench::Pair> pairs;
  for (auto backend : {loqui::ResamplerBackend::soxr, loqui::ResamplerBackend::samplerate})
    for (auto p : loqui::kPairs) loqui::register_resampler(p, backend, pairs);
  loqui::register_chains(pairs);
  return loqui::bench::run_with_table(static_cast<int>(rest.size()), rest.data(), std::move(pairs));
}
