// SPDX-License-Identifier: Apache-2.0
// File: ns per 20 ms frame for the codecs: G.711 through the AudioEncoder/Decoder
// interface and the Encode/DecodeFilter stages next to the bare table functions,
// and Opus (48 kHz mono, 24 kbit/s VBR, complexity 5) through loqui next to raw
// opus_encode/opus_decode with the same settings; heap allocations per frame.
// Run: ./build/bench/codec_bench [--benchmark_min_time=0.2]
#include <opus.h>

#include <vector>

#include "bench_table.hpp"
#include "loqui/audio/codecs.hpp"
#include "loqui/audio/g711.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

constexpr int kRate8 = 8000;
constexpr std::size_t kFrame8 = 160;
constexpr int kRate48 = 48000;
constexpr std::size_t kFrame48 = 960;
const AudioFormat kOpus48{kRate48, 1, Encoding::opus};

/// One second of a speech stand-in: harmonics plus noise.
std::vector<std::int16_t> speechlike(int rate) {
  auto x = testing::multitone(rate * 0.4, 12, rate, static_cast<std::size_t>(rate), 1200.0);
  const auto n = testing::noise(x.size(), 1500.0, 3);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int16_t>(x[i] + n[i]);
  return x;
}

struct NullPcm {
  AudioFormat fmt;
  std::int64_t sum = 0;
  std::string_view name() const { return "null"; }
  AudioFormat input_format() const { return fmt; }
  Flow push(const AudioFrame& f) {
    sum += f.samples().empty() ? 0 : f.samples()[0];
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

// --- G.711 ----------------------------------------------------------------------------

void BM_MulawEncode_Table(benchmark::State& state) {
  const auto x = speechlike(kRate8);
  std::vector<std::byte> out(kFrame8);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    mulaw_encode(std::span(x).subspan(i, kFrame8), out);
    benchmark::DoNotOptimize(out.data());
    i = (i + kFrame8) % (x.size() - kFrame8);
  }
  probe.finish(state);
}
BENCHMARK(BM_MulawEncode_Table);

void BM_MulawEncode_Filter(benchmark::State& state) {
  const auto x = speechlike(kRate8);
  auto enc = EncodeFilter::create(AudioFormat::mulaw8k()).value();
  NullBytes sink{AudioFormat::mulaw8k()};
  std::size_t i = 0;
  for (int w = 0; w < 10; ++w) (void)enc.push(AudioFrame::view(AudioFormat::pcm16(kRate8), std::span(x).first(kFrame8)), sink);
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(enc.push(AudioFrame::view(AudioFormat::pcm16(kRate8), std::span(x).subspan(i, kFrame8)), sink));
    i = (i + kFrame8) % (x.size() - kFrame8);
  }
  probe.finish(state);
}
BENCHMARK(BM_MulawEncode_Filter);

void BM_MulawDecode_Table(benchmark::State& state) {
  const auto x = speechlike(kRate8);
  std::vector<std::byte> enc(x.size());
  mulaw_encode(x, enc);
  std::vector<std::int16_t> out(kFrame8);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    mulaw_decode(std::span(enc).subspan(i, kFrame8), out);
    benchmark::DoNotOptimize(out.data());
    i = (i + kFrame8) % (enc.size() - kFrame8);
  }
  probe.finish(state);
}
BENCHMARK(BM_MulawDecode_Table);

void BM_MulawDecode_Decoder(benchmark::State& state) {
  const auto x = speechlike(kRate8);
  std::vector<std::byte> enc(x.size());
  mulaw_encode(x, enc);
  auto dec = make_decoder(AudioFormat::mulaw8k()).value();  // with PLC history upkeep
  std::vector<std::int16_t> out(kFrame8);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dec->decode(std::span(enc).subspan(i, kFrame8), out).ok());
    i = (i + kFrame8) % (enc.size() - kFrame8);
  }
  probe.finish(state);
}
BENCHMARK(BM_MulawDecode_Decoder);

void BM_MulawDecode_Filter(benchmark::State& state) {
  const auto x = speechlike(kRate8);
  std::vector<std::byte> enc(x.size());
  mulaw_encode(x, enc);
  auto dec = DecodeFilter::create(AudioFormat::mulaw8k()).value();
  NullPcm sink{AudioFormat::pcm16(kRate8)};
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        dec.push(AudioFrame::view_bytes(AudioFormat::mulaw8k(), std::span(enc).subspan(i, kFrame8)), sink));
    i = (i + kFrame8) % (enc.size() - kFrame8);
  }
  probe.finish(state);
}
BENCHMARK(BM_MulawDecode_Filter);

void BM_MulawConceal_Decoder(benchmark::State& state) {
  const auto x = speechlike(kRate8);
  std::vector<std::byte> enc(x.size());
  mulaw_encode(x, enc);
  auto dec = make_decoder(AudioFormat::mulaw8k()).value();
  std::vector<std::int16_t> out(kFrame8);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    // One good packet, one lost: each iteration pays a pitch search and a recovery.
    benchmark::DoNotOptimize(dec->decode(std::span(enc).subspan(i, kFrame8), out).ok());
    benchmark::DoNotOptimize(dec->conceal(kFrame8, out));
    i = (i + kFrame8) % (enc.size() - kFrame8);
  }
  probe.finish(state);
}
BENCHMARK(BM_MulawConceal_Decoder);

// --- Opus -----------------------------------------------------------------------------

struct RawOpusEncoder {
  OpusEncoder* st = nullptr;
  RawOpusEncoder() {
    int err = 0;
    st = opus_encoder_create(kRate48, 1, OPUS_APPLICATION_VOIP, &err);
    opus_encoder_ctl(st, OPUS_SET_BITRATE(24000));
    opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(5));
    opus_encoder_ctl(st, OPUS_SET_VBR(1));
  }
  ~RawOpusEncoder() { opus_encoder_destroy(st); }
};

std::vector<std::vector<std::byte>> opus_packets(const std::vector<std::int16_t>& x) {
  RawOpusEncoder enc;
  std::vector<std::vector<std::byte>> out;
  std::vector<unsigned char> buf(4000);
  for (std::size_t i = 0; i + kFrame48 <= x.size(); i += kFrame48) {
    const int n = opus_encode(enc.st, x.data() + i, static_cast<int>(kFrame48), buf.data(), 4000);
    out.emplace_back(reinterpret_cast<std::byte*>(buf.data()), reinterpret_cast<std::byte*>(buf.data()) + n);
  }
  return out;
}

void BM_OpusEncode_Raw(benchmark::State& state) {
  const auto x = speechlike(kRate48);
  RawOpusEncoder enc;
  std::vector<unsigned char> out(4000);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(opus_encode(enc.st, x.data() + i, static_cast<int>(kFrame48), out.data(), 4000));
    i = (i + kFrame48) % (x.size() - kFrame48);
  }
  probe.finish(state);
}
BENCHMARK(BM_OpusEncode_Raw);

void BM_OpusEncode_Loqui(benchmark::State& state) {
  const auto x = speechlike(kRate48);
  auto enc = make_encoder(kOpus48).value();
  std::vector<std::byte> out(4000);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(enc->encode(std::span(x).subspan(i, kFrame48), out).ok());
    i = (i + kFrame48) % (x.size() - kFrame48);
  }
  probe.finish(state);
}
BENCHMARK(BM_OpusEncode_Loqui);

void BM_OpusEncode_Filter(benchmark::State& state) {
  const auto x = speechlike(kRate48);
  auto enc = EncodeFilter::create(kOpus48).value();
  NullBytes sink{kOpus48};
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(enc.push(AudioFrame::view(AudioFormat::pcm16(kRate48), std::span(x).subspan(i, kFrame48)), sink));
    i = (i + kFrame48) % (x.size() - kFrame48);
  }
  probe.finish(state);
}
BENCHMARK(BM_OpusEncode_Filter);

void BM_OpusDecode_Raw(benchmark::State& state) {
  const auto packets = opus_packets(speechlike(kRate48));
  int err = 0;
  OpusDecoder* dec = opus_decoder_create(kRate48, 1, &err);
  std::vector<std::int16_t> out(5760);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    const auto& p = packets[i];
    benchmark::DoNotOptimize(opus_decode(dec, reinterpret_cast<const unsigned char*>(p.data()),
                                         static_cast<opus_int32>(p.size()), out.data(), 5760, 0));
    i = (i + 1) % packets.size();
  }
  probe.finish(state);
  opus_decoder_destroy(dec);
}
BENCHMARK(BM_OpusDecode_Raw);

void BM_OpusDecode_Loqui(benchmark::State& state) {
  const auto packets = opus_packets(speechlike(kRate48));
  auto dec = make_decoder(kOpus48).value();
  std::vector<std::int16_t> out(5760);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dec->decode(packets[i], out).ok());
    i = (i + 1) % packets.size();
  }
  probe.finish(state);
}
BENCHMARK(BM_OpusDecode_Loqui);

void BM_OpusDecode_Filter(benchmark::State& state) {
  const auto packets = opus_packets(speechlike(kRate48));
  auto dec = DecodeFilter::create(kOpus48).value();
  NullPcm sink{AudioFormat::pcm16(kRate48)};
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dec.push(AudioFrame::view_bytes(kOpus48, packets[i], 0, kFrame48), sink));
    i = (i + 1) % packets.size();
  }
  probe.finish(state);
}
BENCHMARK(BM_OpusDecode_Filter);

void BM_OpusConceal_Raw(benchmark::State& state) {
  const auto packets = opus_packets(speechlike(kRate48));
  int err = 0;
  OpusDecoder* dec = opus_decoder_create(kRate48, 1, &err);
  std::vector<std::int16_t> out(5760);
  for (const auto& p : packets)
    benchmark::DoNotOptimize(opus_decode(dec, reinterpret_cast<const unsigned char*>(p.data()),
                                         static_cast<opus_int32>(p.size()), out.data(), 5760, 0));
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    // Alternate good and lost packets so PLC always starts from fresh audio.
    const auto& p = packets[i];
    benchmark::DoNotOptimize(opus_decode(dec, reinterpret_cast<const unsigned char*>(p.data()),
                                         static_cast<opus_int32>(p.size()), out.data(), 5760, 0));
    benchmark::DoNotOptimize(opus_decode(dec, nullptr, 0, out.data(), static_cast<int>(kFrame48), 0));
    i = (i + 1) % packets.size();
  }
  probe.finish(state);
  opus_decoder_destroy(dec);
}
BENCHMARK(BM_OpusConceal_Raw);

void BM_OpusConceal_Loqui(benchmark::State& state) {
  const auto packets = opus_packets(speechlike(kRate48));
  auto dec = make_decoder(kOpus48).value();
  std::vector<std::int16_t> out(5760);
  for (const auto& p : packets) (void)dec->decode(p, out);
  std::size_t i = 0;
  bench::AllocProbe probe;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dec->decode(packets[i], out).ok());
    benchmark::DoNotOptimize(dec->conceal(kFrame48, out));
    i = (i + 1) % packets.size();
  }
  probe.finish(state);
}
BENCHMARK(BM_OpusConceal_Loqui);

}  // namespace
}  // namespace loqui

int main(int argc, char** argv) {
  return loqui::bench::run_with_table(
      argc, argv,
      {{"G.711 mu-law encode: EncodeFilter vs table", "BM_MulawEncode_Filter", "BM_MulawEncode_Table"},
       {"G.711 mu-law decode: decoder (PLC on) vs table", "BM_MulawDecode_Decoder", "BM_MulawDecode_Table"},
       {"G.711 mu-law decode: DecodeFilter vs table", "BM_MulawDecode_Filter", "BM_MulawDecode_Table"},
       {"Opus 48k encode: AudioEncoder vs libopus", "BM_OpusEncode_Loqui", "BM_OpusEncode_Raw"},
       {"Opus 48k encode: EncodeFilter vs libopus", "BM_OpusEncode_Filter", "BM_OpusEncode_Raw"},
       {"Opus 48k decode: AudioDecoder vs libopus", "BM_OpusDecode_Loqui", "BM_OpusDecode_Raw"},
       {"Opus 48k decode: DecodeFilter vs libopus", "BM_OpusDecode_Filter", "BM_OpusDecode_Raw"},
       {"Opus 48k decode+PLC: AudioDecoder vs libopus", "BM_OpusConceal_Loqui", "BM_OpusConceal_Raw"}});
}
