// SPDX-License-Identifier: Apache-2.0
// File: the G.711 and L16 codecs, the codec factory, and the non-template parts of
// DecodeFilter/EncodeFilter. Opus lives in opus_codec.cpp.
#include "loqui/audio/codecs.hpp"

#include <algorithm>
#include <optional>

#include "audio/opus_codec.hpp"
#include "loqui/audio/convert.hpp"
#include "loqui/audio/g711.hpp"
#include "loqui/audio/plc.hpp"
#include "loqui/features.hpp"

namespace loqui {
namespace {

/// Concealment shared by the sample codecs: pitch repetition for mono with PLC on,
/// silence otherwise.
class SampleConcealment {
 public:
  SampleConcealment(const AudioFormat& out, bool plc) : channels_(static_cast<std::size_t>(out.channels)) {
    if (plc && out.channels == 1) plc_.emplace(out.sample_rate_hz);
  }
  void on_good(std::span<std::int16_t> pcm) noexcept {
    if (plc_) plc_->on_good(pcm);
  }
  std::size_t conceal(std::size_t samples, std::span<std::int16_t> out) noexcept {
    samples = std::min(samples, out.size() / channels_);
    const auto dst = out.first(samples * channels_);
    if (plc_) plc_->conceal(dst);
    else std::fill(dst.begin(), dst.end(), std::int16_t{0});
    return samples;
  }
  void reset() noexcept {
    if (plc_) plc_->reset();
  }

 private:
  std::size_t channels_;
  std::optional<PitchConcealer> plc_;
};

class G711Decoder final : public AudioDecoder {
 public:
  G711Decoder(const AudioFormat& f, bool plc)
      : in_(f), out_(AudioFormat::pcm16(f.sample_rate_hz, 1)), plc_(out_, plc) {}
  std::string_view name() const noexcept override { return in_.encoding == Encoding::mulaw ? "g711-mulaw" : "g711-alaw"; }
  AudioFormat input_format() const noexcept override { return in_; }
  AudioFormat output_format() const noexcept override { return out_; }
  Result<std::size_t> decode(std::span<const std::byte> packet, std::span<std::int16_t> out) override {
    if (packet.size() > out.size()) {
      return Error(errc::overflow, std::string(name()) + ": " + std::to_string(packet.size()) +
                                       " samples, room for " + std::to_string(out.size()));
    }
    const std::size_t n = in_.encoding == Encoding::mulaw ? mulaw_decode(packet, out) : alaw_decode(packet, out);
    plc_.on_good(out.first(n));
    return n;
  }
  std::size_t conceal(std::size_t samples, std::span<std::int16_t> out) override { return plc_.conceal(samples, out); }
  std::size_t packet_samples(std::span<const std::byte> packet) const override { return packet.size(); }
  void reset() override { plc_.reset(); }

 private:
  AudioFormat in_;
  AudioFormat out_;
  SampleConcealment plc_;
};

class G711Encoder final : public AudioEncoder {
 public:
  explicit G711Encoder(const AudioFormat& f) : out_(f), in_(AudioFormat::pcm16(f.sample_rate_hz, 1)) {}
  std::string_view name() const noexcept override { return out_.encoding == Encoding::mulaw ? "g711-mulaw" : "g711-alaw"; }
  AudioFormat input_format() const noexcept override { return in_; }
  AudioFormat output_format() const noexcept override { return out_; }
  Result<std::size_t> encode(std::span<const std::int16_t> pcm, std::span<std::byte> out) override {
    if (pcm.size() > out.size()) {
      return Error(errc::overflow, std::string(name()) + ": " + std::to_string(pcm.size()) + " samples, room for " +
                                       std::to_string(out.size()) + " bytes");
    }
    return out_.encoding == Encoding::mulaw ? mulaw_encode(pcm, out) : alaw_encode(pcm, out);
  }
  void reset() override {}

 private:
  AudioFormat out_;
  AudioFormat in_;
};

/// L16: pcm16 bytes, big-endian (RTP, RFC 3551) or little-endian (host order).
class L16Decoder final : public AudioDecoder {
 public:
  L16Decoder(const AudioFormat& f, bool plc)
      : in_(f), out_(AudioFormat::pcm16(f.sample_rate_hz, f.channels)), plc_(out_, plc) {}
  std::string_view name() const noexcept override { return in_.encoding == Encoding::l16be ? "l16be" : "l16le"; }
  AudioFormat input_format() const noexcept override { return in_; }
  AudioFormat output_format() const noexcept override { return out_; }
  Result<std::size_t> decode(std::span<const std::byte> packet, std::span<std::int16_t> out) override {
    const std::size_t frame_bytes = in_.bytes_for(1);
    if (packet.size() % frame_bytes != 0) {
      return Error(errc::parse_error, std::string(name()) + ": a packet of " + std::to_string(packet.size()) +
                                          " bytes is not a whole number of " + std::to_string(frame_bytes) +
                                          "-byte sample frames");
    }
    const std::size_t samples = packet.size() / 2;
    if (samples > out.size()) {
      return Error(errc::overflow, std::string(name()) + ": " + std::to_string(samples) + " samples, room for " +
                                       std::to_string(out.size()));
    }
    if (in_.encoding == Encoding::l16be) {
      swap_bytes16(packet, out);
    } else {
      for (std::size_t i = 0; i < samples; ++i) {
        const auto lo = static_cast<std::uint16_t>(packet[2 * i]);
        const auto hi = static_cast<std::uint16_t>(packet[2 * i + 1]);
        out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
      }
    }
    plc_.on_good(out.first(samples));
    return samples / static_cast<std::size_t>(in_.channels);
  }
  std::size_t conceal(std::size_t samples, std::span<std::int16_t> out) override { return plc_.conceal(samples, out); }
  std::size_t packet_samples(std::span<const std::byte> packet) const override { return packet.size() / in_.bytes_for(1); }
  void reset() override { plc_.reset(); }

 private:
  AudioFormat in_;
  AudioFormat out_;
  SampleConcealment plc_;
};

class L16Encoder final : public AudioEncoder {
 public:
  explicit L16Encoder(const AudioFormat& f) : out_(f), in_(AudioFormat::pcm16(f.sample_rate_hz, f.channels)) {}
  std::string_view name() const noexcept override { return out_.encoding == Encoding::l16be ? "l16be" : "l16le"; }
  AudioFormat input_format() const noexcept override { return in_; }
  AudioFormat output_format() const noexcept override { return out_; }
  Result<std::size_t> encode(std::span<const std::int16_t> pcm, std::span<std::byte> out) override {
    if (pcm.size() % static_cast<std::size_t>(in_.channels) != 0)
      return Error(errc::invalid_argument, std::string(name()) + ": input is not whole sample frames");
    if (pcm.size() * 2 > out.size()) return Error(errc::overflow, std::string(name()) + ": output too small");
    const bool big = out_.encoding == Encoding::l16be;
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      const auto u = static_cast<std::uint16_t>(pcm[i]);
      const auto hi = static_cast<std::byte>(u >> 8);
      const auto lo = static_cast<std::byte>(u & 0xff);
      out[2 * i] = big ? hi : lo;
      out[2 * i + 1] = big ? lo : hi;
    }
    return pcm.size() * 2;
  }
  void reset() override {}

 private:
  AudioFormat out_;
  AudioFormat in_;
};

Status check_packets(const AudioFormat& f, std::string_view what) {
  if (Status s = f.validate(); !s) return std::move(s).error().add_context(what);
  if (f.encoding == Encoding::f32)
    return Error(errc::not_supported, std::string(what) + ": f32 is a sample format, not a codec (use the to_pcm16 stage)");
  if (f.encoding == Encoding::opus && !LOQUI_HAS_OPUS)
    return Error(errc::not_supported, std::string(what) + ": Opus is not built into this loqui (LOQUI_WITH_OPUS=OFF)");
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<AudioDecoder>> make_decoder(const AudioFormat& packets, const DecoderOptions& options) {
  LOQUI_TRY(check_packets(packets, "decoder"));
  switch (packets.encoding) {
    case Encoding::mulaw:
    case Encoding::alaw: return std::unique_ptr<AudioDecoder>(std::make_unique<G711Decoder>(packets, options.plc));
    case Encoding::l16be:
    case Encoding::pcm16: return std::unique_ptr<AudioDecoder>(std::make_unique<L16Decoder>(packets, options.plc));
    case Encoding::opus:
#if LOQUI_HAS_OPUS
      return detail::make_opus_decoder(packets);
#else
      break;
#endif
    case Encoding::f32: break;
  }
  return Error(errc::not_supported, "decoder: no codec for " + packets.to_string());
}

Result<std::unique_ptr<AudioEncoder>> make_encoder(const AudioFormat& packets, const EncoderOptions& options) {
  LOQUI_TRY(check_packets(packets, "encoder"));
  if (options.frame_ms < 1 || options.frame_ms > 120)
    return Error(errc::invalid_argument, "encoder: frame_ms must be 1..120, got " + std::to_string(options.frame_ms));
  switch (packets.encoding) {
    case Encoding::mulaw:
    case Encoding::alaw: return std::unique_ptr<AudioEncoder>(std::make_unique<G711Encoder>(packets));
    case Encoding::l16be:
    case Encoding::pcm16: return std::unique_ptr<AudioEncoder>(std::make_unique<L16Encoder>(packets));
    case Encoding::opus:
#if LOQUI_HAS_OPUS
      return detail::make_opus_encoder(packets, options);
#else
      break;
#endif
    case Encoding::f32: break;
  }
  return Error(errc::not_supported, "encoder: no codec for " + packets.to_string());
}

// --- DecodeFilter ---------------------------------------------------------------------

Result<DecodeFilter> DecodeFilter::create(const AudioFormat& packets, const DecoderOptions& options, int max_packet_ms) {
  if (max_packet_ms < 1 || max_packet_ms > 1000)
    return Error(errc::invalid_argument, "decode: max_packet_ms must be 1..1000, got " + std::to_string(max_packet_ms));
  LOQUI_ASSIGN_OR_RETURN(auto dec, make_decoder(packets, options));
  return DecodeFilter(std::move(dec), max_packet_ms);
}

DecodeFilter::DecodeFilter(std::unique_ptr<AudioDecoder> decoder, int max_packet_ms)
    : decoder_(std::move(decoder)),
      name_("decode:" + std::string(to_string(decoder_->input_format().encoding))),
      in_(decoder_->input_format()),
      out_(decoder_->output_format()) {
  const auto per_channel = std::max<std::size_t>(
      1, static_cast<std::size_t>(out_.sample_rate_hz) * static_cast<std::size_t>(std::max(max_packet_ms, 1)) / 1000);
  buf_.resize(per_channel * static_cast<std::size_t>(out_.channels));
}

std::size_t DecodeFilter::decode_piece(std::span<const std::byte> bytes, std::int64_t expected, std::uint32_t& flags) {
  const auto ch = static_cast<std::size_t>(out_.channels);
  auto r = decoder_->decode(bytes, buf_);
  if (r) {
    ++stats_.packets;
    last_packet_samples_ = *r;
    return *r;
  }
  // A packet that does not decode is lost audio: conceal it for as long as it
  // would have lasted, and count it.
  error_ = std::move(r).error().add_context(name_);
  ++stats_.corrupt_packets;
  std::size_t n = expected > 0 ? static_cast<std::size_t>(expected) : 0;
  if (n == 0) n = decoder_->packet_samples(bytes);
  if (n == 0 && in_.bytes_per_sample() > 0) n = bytes.size() / in_.bytes_for(1);
  if (n == 0) n = last_packet_samples_;
  if (n == 0) n = static_cast<std::size_t>(out_.sample_rate_hz) / 50;  // 20 ms
  n = decoder_->conceal(std::min(n, buf_.size() / ch), buf_);
  stats_.concealed_samples += n;
  flags |= kFrameConcealed;
  return n;
}

void DecodeFilter::flush() { decoder_->reset(); }

// --- EncodeFilter ---------------------------------------------------------------------

Result<EncodeFilter> EncodeFilter::create(const AudioFormat& packets, const EncoderOptions& options) {
  LOQUI_ASSIGN_OR_RETURN(auto enc, make_encoder(packets, options));
  return EncodeFilter(std::move(enc), options.frame_ms);
}

EncodeFilter::EncodeFilter(std::unique_ptr<AudioEncoder> encoder, int frame_ms)
    : encoder_(std::move(encoder)),
      name_("encode:" + std::string(to_string(encoder_->output_format().encoding))),
      in_(encoder_->input_format()),
      out_(encoder_->output_format()),
      packetised_(out_.bytes_per_sample() == 0) {
  frame_samples_ = std::max<std::size_t>(
      1, static_cast<std::size_t>(in_.sample_rate_hz) * static_cast<std::size_t>(std::max(frame_ms, 1)) / 1000);
  const std::size_t interleaved = frame_samples_ * static_cast<std::size_t>(in_.channels);
  if (packetised_) pending_.resize(interleaved);
  // Opus: at most 1275 bytes per 20 ms frame, 3 frames per packet, plus headers.
  packet_.resize(packetised_ ? 4000 : interleaved * static_cast<std::size_t>(out_.bytes_per_sample()));
}

void EncodeFilter::flush() {
  pending_len_ = 0;
  pending_flags_ = 0;
  started_ = false;
  encoder_->reset();
}

}  // namespace loqui
