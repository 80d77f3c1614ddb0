// SPDX-License-Identifier: Apache-2.0
// File: fuzzes the Opus decode path (after libopus' opus_decode_fuzzer.c): the
// AudioDecoder's decode/conceal/decode_fec/packet_samples and the DecodeFilter
// that conceals corrupt packets, on arbitrary packet sequences.
//
// Input: byte 0 picks the decoding rate (8/12/16/24/48 kHz) and channels (1/2);
// then records of [len_hi, len_lo, op, len bytes of packet]. op % 4: 0 decode,
// 1 conceal (len samples), 2 decode_fec (next packet, 20 ms), 3 reset.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "loqui/audio/codecs.hpp"

namespace {
struct CountingSink {
  loqui::AudioFormat fmt;
  std::size_t samples = 0;
  std::string_view name() const { return "count"; }
  loqui::AudioFormat input_format() const { return fmt; }
  loqui::Flow push(const loqui::AudioFrame& f) {
    samples += f.samples().size();
    return loqui::Flow::ok;
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const int kRates[] = {8000, 12000, 16000, 24000, 48000};
  const int rate = kRates[data[0] % 5];
  const int channels = 1 + ((data[0] >> 3) & 1);
  const loqui::AudioFormat format{rate, channels, loqui::Encoding::opus};
  auto dec = loqui::make_decoder(format);
  auto filter = loqui::DecodeFilter::create(format);
  if (!dec.ok() || !filter.ok()) return 0;  // built without Opus
  CountingSink sink{loqui::AudioFormat::pcm16(rate, channels)};
  const std::size_t max_frame = static_cast<std::size_t>(rate) * 120 / 1000;
  std::vector<std::int16_t> out(max_frame * static_cast<std::size_t>(channels));
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  std::size_t pos = 1;
  while (pos + 3 <= size) {
    const std::size_t len = (static_cast<std::size_t>(data[pos]) << 8 | data[pos + 1]) % 1500;
    const int op = data[pos + 2] % 4;
    pos += 3;
    const std::size_t n = std::min(len, size - pos);
    const std::span<const std::byte> packet(bytes + pos, n);
    pos += n;
    switch (op) {
      case 0: {
        auto r = (*dec)->decode(packet, out);
        if (r.ok()) {
          if (*r > max_frame) std::abort();
          if (*r != (*dec)->packet_samples(packet)) std::abort();
        }
        break;
      }
      case 1: {
        const std::size_t want = len % (max_frame + 100);
        const std::size_t got = (*dec)->conceal(want, out);
        if (got != std::min(want, max_frame)) std::abort();
        break;
      }
      case 2: {
        auto r = (*dec)->decode_fec(packet, static_cast<std::size_t>(rate / 50), out);
        if (r.ok() && *r > max_frame) std::abort();
        break;
      }
      default: (*dec)->reset();
    }
    // The same packet through the stage: a corrupt one is concealed, never fatal.
    const std::size_t before = sink.samples;
    if (filter->push(loqui::AudioFrame::view_bytes(format, packet), sink) != loqui::Flow::ok) std::abort();
    if (sink.samples - before > out.size()) std::abort();
  }
  return 0;
}
