// SPDX-License-Identifier: Apache-2.0
// File: ns per 20 ms frame for the codecs: G.711 through the AudioEncoder/Decoder
// interface and the Encode/DecodeFilter stages next to the bare table functions,
// and Opus (48 kHz mono, 24 kbit/s VBR, complexity 5) through loqui next to raw
// opus_encode/opus_decode with the same settings; heap allocations per frame.
// Run: ./build/bench/codec_bench [--benchmark_min_time=0.2]
#include <opus.h>

#include <vector>

#include "dsp_bench.hpp"
#include "loqui/audio/codecs.hpp"
#include "loqui/audio/g711.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

using bench::cycle;
using bench::NullBytes;
using bench::NullPcm;

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

/// 20 ms pcm frame i of one second.
std::span<const std::int16_t> pcm_frame(const std::vector<std::int16_t>& x, std::size_t frame, std::size_t i) {
  return std::span(x).subspan(i * frame, frame);
}

struct Mulaw {
  std::vector<std::int16_t> pcm = speechlike(kRate8);
  std::vector<std::byte> coded = [&] {
    std::vector<std::byte> c(pcm.size());
    mulaw_encode(pcm, c);
    return c;
  }();
  std::size_t frames() const { return pcm.size() / kFrame8; }
  std::span<const std::byte> packet(std::size_t i) const { return std::span(coded).subspan(i * kFrame8, kFrame8); }
};

// --- G.711 ----------------------------------------------------------------------------

void BM_MulawEncode_Table(benchmark::State& state) {
  const Mulaw m;
  std::vector<std::byte> out(kFrame8);
  cycle(state, m.frames(), [&](std::size_t i) { benchmark::DoNotOptimize(mulaw_encode(pcm_frame(m.pcm, kFrame8, i), out)); });
}
BENCHMARK(BM_MulawEncode_Table);

void BM_MulawEncode_Filter(benchmark::State& state) {
  const Mulaw m;
  auto enc = EncodeFilter::create(AudioFormat::mulaw8k()).value();
  NullBytes sink{AudioFormat::mulaw8k()};
  cycle(state, m.frames(), [&](std::size_t i) {
    benchmark::DoNotOptimize(enc.push(AudioFrame::view(AudioFormat::pcm16(kRate8), pcm_frame(m.pcm, kFrame8, i)), sink));
  });
}
BENCHMARK(BM_MulawEncode_Filter);

void BM_MulawDecode_Table(benchmark::State& state) {
  const Mulaw m;
  std::vector<std::int16_t> out(kFrame8);
  cycle(state, m.frames(), [&](std::size_t i) { benchmark::DoNotOptimize(mulaw_decode(m.packet(i), out)); });
}
BENCHMARK(BM_MulawDecode_Table);

void BM_MulawDecode_Decoder(benchmark::State& state) {
  const Mulaw m;
  auto dec = make_decoder(AudioFormat::mulaw8k()).value();  // with PLC history upkeep
  std::vector<std::int16_t> out(kFrame8);
  cycle(state, m.frames(), [&](std::size_t i) { benchmark::DoNotOptimize(dec->decode(m.packet(i), out).ok()); });
}
BENCHMARK(BM_MulawDecode_Decoder);

void BM_MulawDecode_Filter(benchmark::State& state) {
  const Mulaw m;
  auto dec = DecodeFilter::create(AudioFormat::mulaw8k()).value();
  NullPcm sink{AudioFormat::pcm16(kRate8)};
  cycle(state, m.frames(), [&](std::size_t i) {
    benchmark::DoNotOptimize(dec.push(AudioFrame::view_bytes(AudioFormat::mulaw8k(), m.packet(i)), sink));
  });
}
BENCHMARK(BM_MulawDecode_Filter);

void BM_MulawConceal_Decoder(benchmark::State& state) {
  const Mulaw m;
  auto dec = make_decoder(AudioFormat::mulaw8k()).value();
  std::vector<std::int16_t> out(kFrame8);
  // One good packet, one lost: each iteration pays a pitch search and a recovery.
  cycle(state, m.frames(), [&](std::size_t i) {
    benchmark::DoNotOptimize(dec->decode(m.packet(i), out).ok());
    benchmark::DoNotOptimize(dec->conceal(kFrame8, out));
  });
}
BENCHMARK(BM_MulawConceal_Decoder);

// --- Opus -----------------------------------------------------------------------------

/// libopus directly, with the settings make_encoder() uses by default.
struct RawOpus {
  OpusEncoder* enc = nullptr;
  OpusDecoder* dec = nullptr;
  RawOpus() {
    int err = 0;
    enc = opus_encoder_create(kRate48, 1, OPUS_APPLICATION_VOIP, &err);
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(24000));
    opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(5));
    opus_encoder_ctl(enc, OPUS_SET_VBR(1));
    dec = opus_decoder_create(kRate48, 1, &err);
  }
  ~RawOpus() {
    opus_encoder_destroy(enc);
    opus_decoder_destroy(dec);
  }
  int decode(const std::vector<std::byte>& p, std::int16_t* out) {
    return opus_decode(dec, reinterpret_cast<const unsigned char*>(p.data()), static_cast<opus_int32>(p.size()), out, 5760, 0);
  }
};

struct OpusInput {
  std::vector<std::int16_t> pcm = speechlike(kRate48);
  std::vector<std::vector<std::byte>> packets = [&] {
    RawOpus raw;
    std::vector<std::vector<std::byte>> out;
    std::vector<unsigned char> buf(4000);
    for (std::size_t i = 0; i + kFrame48 <= pcm.size(); i += kFrame48) {
      const int n = opus_encode(raw.enc, pcm.data() + i, static_cast<int>(kFrame48), buf.data(), 4000);
      out.emplace_back(reinterpret_cast<std::byte*>(buf.data()), reinterpret_cast<std::byte*>(buf.data()) + n);
    }
    return out;
  }();
};

void BM_OpusEncode_Raw(benchmark::State& state) {
  const OpusInput in;
  RawOpus raw;
  std::vector<unsigned char> out(4000);
  cycle(state, in.packets.size(), [&](std::size_t i) {
    benchmark::DoNotOptimize(opus_encode(raw.enc, pcm_frame(in.pcm, kFrame48, i).data(), static_cast<int>(kFrame48), out.data(), 4000));
  });
}
BENCHMARK(BM_OpusEncode_Raw);

void BM_OpusEncode_Loqui(benchmark::State& state) {
  const OpusInput in;
  auto enc = make_encoder(kOpus48).value();
  std::vector<std::byte> out(4000);
  cycle(state, in.packets.size(),
        [&](std::size_t i) { benchmark::DoNotOptimize(enc->encode(pcm_frame(in.pcm, kFrame48, i), out).ok()); });
}
BENCHMARK(BM_OpusEncode_Loqui);

void BM_OpusEncode_Filter(benchmark::State& state) {
  const OpusInput in;
  auto enc = EncodeFilter::create(kOpus48).value();
  NullBytes sink{kOpus48};
  cycle(state, in.packets.size(), [&](std::size_t i) {
    benchmark::DoNotOptimize(enc.push(AudioFrame::view(AudioFormat::pcm16(kRate48), pcm_frame(in.pcm, kFrame48, i)), sink));
  });
}
BENCHMARK(BM_OpusEncode_Filter);

void BM_OpusDecode_Raw(benchmark::State& state) {
  const OpusInput in;
  RawOpus raw;
  std::vector<std::int16_t> out(5760);
  cycle(state, in.packets.size(), [&](std::size_t i) { benchmark::DoNotOptimize(raw.decode(in.packets[i], out.data())); });
}
BENCHMARK(BM_OpusDecode_Raw);

void BM_OpusDecode_Loqui(benchmark::State& state) {
  const OpusInput in;
  auto dec = make_decoder(kOpus48).value();
  std::vector<std::int16_t> out(5760);
  cycle(state, in.packets.size(), [&](std::size_t i) { benchmark::DoNotOptimize(dec->decode(in.packets[i], out).ok()); });
}
BENCHMARK(BM_OpusDecode_Loqui);

void BM_OpusDecode_Filter(benchmark::State& state) {
  const OpusInput in;
  auto dec = DecodeFilter::create(kOpus48).value();
  NullPcm sink{AudioFormat::pcm16(kRate48)};
  cycle(state, in.packets.size(), [&](std::size_t i) {
    benchmark::DoNotOptimize(dec.push(AudioFrame::view_bytes(kOpus48, in.packets[i], 0, kFrame48), sink));
  });
}
BENCHMARK(BM_OpusDecode_Filter);

// Alternate good and lost packets so PLC always starts from fresh audio.
void BM_OpusConceal_Raw(benchmark::State& state) {
  const OpusInput in;
  RawOpus raw;
  std::vector<std::int16_t> out(5760);
  cycle(state, in.packets.size(), [&](std::size_t i) {
    benchmark::DoNotOptimize(raw.decode(in.packets[i], out.data()));
    benchmark::DoNotOptimize(opus_decode(raw.dec, nullptr, 0, out.data(), static_cast<int>(kFrame48), 0));
  });
}
BENCHMARK(BM_OpusConceal_Raw);

void BM_OpusConceal_Loqui(benchmark::State& state) {
  const OpusInput in;
  auto dec = make_decoder(kOpus48).value();
  std::vector<std::int16_t> out(5760);
  cycle(state, in.packets.size(), [&](std::size_t i) {
    benchmark::DoNotOptimize(dec->decode(in.packets[i], out).ok());
    benchmark::DoNotOptimize(dec->conceal(kFrame48, out));
  });
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
