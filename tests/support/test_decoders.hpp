// SPDX-License-Identifier: Apache-2.0
// File: small AudioDecoders for jitter-buffer tests, fuzzing and benchmarks: a
// host-order pcm16 ("L16") decoder whose concealment is recognisable, and a variant
// whose packets carry a copy of the previous packet as in-band FEC (like Opus LBRR).
// Plus a helper to turn samples into a payload. (A speech-like signal to put in
// them is jitter::speech_like_signal in src/jitter/trace.hpp.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "loqui/audio/codec.hpp"

namespace loqui::testing {

/// Payload = pcm16 samples in host order. conceal() writes kConcealValue so tests can
/// see which samples were synthesised; it also counts calls.
class PcmTestDecoder : public AudioDecoder {
 public:
  static constexpr std::int16_t kConcealValue = 1234;
  explicit PcmTestDecoder(int rate_hz = 8000) : rate_(rate_hz) {}
  std::string_view name() const noexcept override { return "pcm-test"; }
  AudioFormat input_format() const noexcept override { return AudioFormat::pcm16(rate_); }
  AudioFormat output_format() const noexcept override { return AudioFormat::pcm16(rate_); }
  Result<std::size_t> decode(std::span<const std::byte> packet, std::span<std::int16_t> out) override {
    ++decodes;
    if (packet.size() % 2 != 0) return Error(errc::parse_error, "pcm-test: odd payload size");
    const std::size_t n = packet.size() / 2;
    if (n > out.size()) return Error(errc::overflow, "pcm-test: output too small");
    std::memcpy(out.data(), packet.data(), n * 2);
    return n;
  }
  std::size_t conceal(std::size_t samples, std::span<std::int16_t> out) override {
    ++conceal_calls;
    concealed += samples;
    const std::size_t n = std::min(samples, out.size());
    for (std::size_t i = 0; i < n; ++i) out[i] = kConcealValue;
    return n;
  }
  std::size_t packet_samples(std::span<const std::byte> packet) const override {
    return packet.size() % 2 == 0 ? packet.size() / 2 : 0;
  }
  void reset() override { ++resets; }

  int decodes = 0;
  int conceal_calls = 0;
  std::size_t concealed = 0;
  int resets = 0;

 protected:
  int rate_;
};

/// Payload = [this packet's samples][the previous packet's samples], both host-order
/// pcm16 of equal length. decode_fec() returns the second half (the lost packet).
class FecTestDecoder : public PcmTestDecoder {
 public:
  using PcmTestDecoder::PcmTestDecoder;
  std::string_view name() const noexcept override { return "fec-test"; }
  Result<std::size_t> decode(std::span<const std::byte> packet, std::span<std::int16_t> out) override {
    return PcmTestDecoder::decode(packet.first(packet.size() / 2 / 2 * 2), out);
  }
  Result<std::size_t> decode_fec(std::span<const std::byte> next_packet, std::size_t samples,
                                 std::span<std::int16_t> out) override {
    ++fec_calls;
    const std::size_t half = next_packet.size() / 2 / 2 * 2;
    auto n = PcmTestDecoder::decode(next_packet.subspan(half, half), out);
    if (n && n.value() != samples) return Error(errc::parse_error, "fec-test: FEC frame size mismatch");
    return n;
  }
  std::size_t packet_samples(std::span<const std::byte> packet) const override { return packet.size() / 4; }
  int fec_calls = 0;
};

/// Bytes of `samples` as a host-order pcm16 payload.
inline std::vector<std::byte> pcm_payload(std::span<const std::int16_t> samples) {
  std::vector<std::byte> b(samples.size() * 2);
  std::memcpy(b.data(), samples.data(), b.size());
  return b;
}

}  // namespace loqui::testing
