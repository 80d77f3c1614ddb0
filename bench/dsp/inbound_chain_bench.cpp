// SPDX-License-Identifier: Apache-2.0
// File: the full inbound telephony chain, per 20 ms frame:
//   mu-law 8 kHz RTP-like packets -> jitter buffer (uplink mode; G.711 decode inside)
//   -> ResampleFilter 8 -> 16 kHz -> VadFilter (loqui's detector, 10 ms analysis)
// as a compile-time Chain, next to the raw calls doing the same signal work with no
// plumbing: the G.711 table decode, soxr_process with the same settings, and the
// detector's process() on two 10 ms frames. Each stage is also timed on its own
// (jitter buffer push + get_audio; resample filter vs soxr; VadFilter vs the bare
// detector; the energy detector and the loqui detector at 8 kHz for scale).
// Heap allocations per frame are counted (operator new and C malloc) in steady
// state; the target is zero.
// Run: ./build/bench/inbound_chain_bench [--benchmark_min_time=0.2]
#include <memory>
#include <string>
#include <vector>

#include "dsp_bench.hpp"
#include "loqui/audio/codecs.hpp"
#include "loqui/audio/g711.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/audio/vad.hpp"
#include "loqui/pipeline/chain.hpp"
#include "raw_soxr.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

constexpr std::size_t kPacket = 160;  // 20 ms of mu-law at 8 kHz
constexpr std::size_t kPackets = 250;  // 5 s of speech-like audio, cycled

/// 5 s of speech-like audio over a little noise, as 20 ms mu-law packets.
const std::vector<std::vector<std::byte>>& packets() {
  static const auto all = [] {
    auto x = testing::speechlike(8000, 5.0, 8000.0);
    const auto n = testing::noise(x.size(), 150.0, 5);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int16_t>(x[i] + n[i]);
    std::vector<std::vector<std::byte>> out(kPackets, std::vector<std::byte>(kPacket));
    for (std::size_t k = 0; k < kPackets; ++k) mulaw_encode(std::span(x).subspan(k * kPacket, kPacket), out[k]);
    return out;
  }();
  return all;
}

/// The same audio decoded (for the stages that start from pcm).
const std::vector<std::int16_t>& pcm8k() {
  static const auto all = [] {
    std::vector<std::int16_t> out(kPackets * kPacket);
    for (std::size_t k = 0; k < kPackets; ++k) mulaw_decode(packets()[k], std::span(out).subspan(k * kPacket, kPacket));
    return out;
  }();
  return all;
}

const std::vector<std::int16_t>& pcm16k() {
  static const auto all = [] {
    auto rs = Resampler::create({.input_rate_hz = 8000, .output_rate_hz = 16000}).value();
    std::vector<std::int16_t> out, buf(rs.max_output_samples(kPacket));
    for (std::size_t k = 0; k < kPackets; ++k) {
      const std::size_t n = rs.process(std::span(pcm8k()).subspan(k * kPacket, kPacket), buf).value();
      out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    out.resize(kPackets * 2 * kPacket, 0);
    return out;
  }();
  return all;
}

TimePoint at_ms(double ms) { return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ms))); }

/// Packets arrive every 20 ms with a little jitter; the clock ticks 30 ms behind.
struct PacketFeed {
  std::uint64_t k = 0;
  MediaPacket next() {
    MediaPacket p;
    p.sequence_number = static_cast<std::uint16_t>(k);
    p.timestamp = static_cast<std::uint32_t>(k * kPacket);
    p.ssrc = 0x1234;
    p.arrival = at_ms(20.0 * static_cast<double>(k) + 30.0 + static_cast<double>((k * 7919) % 17));
    p.payload = packets()[k % kPackets];
    return p;
  }
  TimePoint tick() { return at_ms(20.0 * static_cast<double>(k++) + 60.0); }
};

JitterBufferConfig uplink() {
  JitterBufferConfig c;
  c.mode = JitterMode::uplink;
  return c;
}

std::unique_ptr<VoiceDetector> loqui_vad(int rate) { return make_voice_detector("loqui", rate).value(); }

/// Counts VAD output so the work cannot be optimised away.
struct CountingObserver final : VadObserver {
  std::uint64_t frames = 0, events = 0;
  void on_vad_frame(const VadFrame& f) override { frames += f.speech ? 1 : 0; }
  void on_vad_event(const VadEvent&) override { ++events; }
};

void register_all(std::vector<bench::Pair>& pairs) {
  // --- the full chain -----------------------------------------------------------------
  benchmark::RegisterBenchmark("BM_InboundVad_Raw", [](benchmark::State& state) {
    bench::RawSoxr raw({8000, 16000}, ResamplerQuality::medium);
    auto det = loqui_vad(16000);
    std::vector<std::int16_t> pcm(kPacket), up(4 * kPacket);
    bench::cycle(state, kPackets, [&](std::size_t i) {
      mulaw_decode(packets()[i], pcm);
      const std::size_t n = raw.process(pcm.data(), pcm.size(), up.data(), up.size());
      for (std::size_t f = 0; f + 160 <= n; f += 160) benchmark::DoNotOptimize(det->process({up.data() + f, 160}));
    });
    state.SetLabel("g711 table + soxr_process + detector.process x2");
  });
  benchmark::RegisterBenchmark("BM_InboundVad_Chain", [](benchmark::State& state) {
    auto dec = make_decoder(AudioFormat::mulaw8k()).value();
    auto jb = JitterBuffer::create(uplink(), *dec).value();
    CountingObserver obs;
    auto vad = VadFilter::create(loqui_vad(16000)).value();
    vad.set_observer(&obs);
    auto chain = make_chain(ResampleFilter::create({.input_rate_hz = 8000, .output_rate_hz = 16000}).value(),
                            std::move(vad), bench::NullPcm{AudioFormat::pcm16(16000)})
                     .value();
    PacketFeed feed;
    bench::cycle(state, kPackets, [&](std::size_t) {
      (void)jb.push(feed.next());
      benchmark::DoNotOptimize(chain.push(jb.get_audio(feed.tick())));
    }, 300);
    state.SetLabel("jitter buffer + decode + ResampleFilter + VadFilter");
  });
  pairs.push_back({"inbound mu-law 8k -> JB -> decode -> 16k -> VAD", "BM_InboundVad_Chain", "BM_InboundVad_Raw"});

  // --- stages -------------------------------------------------------------------------
  benchmark::RegisterBenchmark("BM_Stage_JitterBuffer_Decode", [](benchmark::State& state) {
    auto dec = make_decoder(AudioFormat::mulaw8k()).value();
    auto jb = JitterBuffer::create(uplink(), *dec).value();
    PacketFeed feed;
    bench::cycle(state, kPackets, [&](std::size_t) {
      (void)jb.push(feed.next());
      benchmark::DoNotOptimize(jb.get_audio(feed.tick()).samples().data());
    }, 300);
    state.SetLabel("push + get_audio (uplink, G.711 decode inside)");
  });
  benchmark::RegisterBenchmark("BM_Stage_G711Decode_Raw", [](benchmark::State& state) {
    std::vector<std::int16_t> pcm(kPacket);
    bench::cycle(state, kPackets, [&](std::size_t i) {
      mulaw_decode(packets()[i], pcm);
      benchmark::DoNotOptimize(pcm.data());
    });
  });
  pairs.push_back({"jitter buffer (no library peer) vs G.711 table", "BM_Stage_JitterBuffer_Decode",
                   "BM_Stage_G711Decode_Raw"});
  benchmark::RegisterBenchmark("BM_Stage_Resample8to16_Filter", [](benchmark::State& state) {
    auto f = ResampleFilter::create({.input_rate_hz = 8000, .output_rate_hz = 16000}).value();
    bench::NullPcm sink{AudioFormat::pcm16(16000)};
    bench::cycle(state, kPackets, [&](std::size_t i) {
      benchmark::DoNotOptimize(
          f.push(AudioFrame::view(AudioFormat::pcm16(8000), std::span(pcm8k()).subspan(i * kPacket, kPacket)), sink));
    });
  });
  benchmark::RegisterBenchmark("BM_Stage_Resample8to16_Raw", [](benchmark::State& state) {
    bench::RawSoxr raw({8000, 16000}, ResamplerQuality::medium);
    std::vector<std::int16_t> up(4 * kPacket);
    bench::cycle(state, kPackets, [&](std::size_t i) {
      benchmark::DoNotOptimize(raw.process(pcm8k().data() + i * kPacket, kPacket, up.data(), up.size()));
    });
  });
  pairs.push_back({"resample 8 -> 16 kHz: ResampleFilter vs soxr", "BM_Stage_Resample8to16_Filter",
                   "BM_Stage_Resample8to16_Raw"});
  benchmark::RegisterBenchmark("BM_Stage_Vad16k_Filter", [](benchmark::State& state) {
    CountingObserver obs;
    auto f = VadFilter::create(loqui_vad(16000)).value();
    f.set_observer(&obs);
    bench::NullPcm sink{AudioFormat::pcm16(16000)};
    bench::cycle(state, kPackets, [&](std::size_t i) {
      benchmark::DoNotOptimize(f.push(
          AudioFrame::view(AudioFormat::pcm16(16000), std::span(pcm16k()).subspan(i * 2 * kPacket, 2 * kPacket),
                           static_cast<std::int64_t>(i * 2 * kPacket)),
          sink));
    });
    state.SetLabel("VadFilter: 2 x 10 ms scored + segmenter + observer");
  });
  benchmark::RegisterBenchmark("BM_Stage_Vad16k_Raw", [](benchmark::State& state) {
    auto det = loqui_vad(16000);
    bench::cycle(state, kPackets, [&](std::size_t i) {
      benchmark::DoNotOptimize(det->process({pcm16k().data() + i * 2 * kPacket, 160}));
      benchmark::DoNotOptimize(det->process({pcm16k().data() + i * 2 * kPacket + 160, 160}));
    });
    state.SetLabel("detector.process x2 (loqui, 16 kHz)");
  });
  pairs.push_back({"VAD 16 kHz: VadFilter vs the bare detector", "BM_Stage_Vad16k_Filter", "BM_Stage_Vad16k_Raw"});
  for (const char* name : {"loqui", "energy"}) {
    benchmark::RegisterBenchmark((std::string("BM_Detector_") + name + "_8k").c_str(), [name](benchmark::State& state) {
      auto det = make_voice_detector(name, 8000).value();
      bench::cycle(state, kPackets, [&](std::size_t i) {
        benchmark::DoNotOptimize(det->process({pcm8k().data() + i * kPacket, 80}));
        benchmark::DoNotOptimize(det->process({pcm8k().data() + i * kPacket + 80, 80}));
      });
      state.SetLabel("detector.process x2 (8 kHz)");
    });
  }
}

}  // namespace
}  // namespace loqui

int main(int argc, char** argv) {
  std::vector<loqui::bench::Pair> pairs;
  loqui::register_all(pairs);
  return loqui::bench::run_with_table(argc, argv, std::move(pairs));
}
