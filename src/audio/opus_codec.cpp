// SPDX-License-Identifier: Apache-2.0
// File: libopus wrapped in RAII, one OpusDecoder/OpusEncoder state per stream (as
// opus.h requires), every return checked and turned into an Error carrying
// opus_strerror(): parse_error for packets, invalid_argument for arguments.
#include "audio/opus_codec.hpp"

#include <opus.h>

#include <algorithm>
#include <string>
#include <vector>

namespace loqui::detail {
namespace {

constexpr int kMaxFrameMs = 120;  // the longest packet Opus allows

struct DecoderDeleter {
  void operator()(::OpusDecoder* d) const noexcept { opus_decoder_destroy(d); }
};
struct EncoderDeleter {
  void operator()(::OpusEncoder* e) const noexcept { opus_encoder_destroy(e); }
};

bool opus_rate(int hz) { return hz == 8000 || hz == 12000 || hz == 16000 || hz == 24000 || hz == 48000; }

Status check_format(const AudioFormat& f, std::string_view what) {
  if (f.encoding != Encoding::opus)
    return Error(errc::invalid_argument, std::string(what) + ": expected an opus format, got " + f.to_string());
  if (!opus_rate(f.sample_rate_hz))
    return Error(errc::invalid_argument, std::string(what) + ": Opus runs at 8000, 12000, 16000, 24000 or 48000 Hz, not " +
                                             std::to_string(f.sample_rate_hz));
  if (f.channels != 1 && f.channels != 2)
    return Error(errc::invalid_argument, std::string(what) + ": Opus takes 1 or 2 channels, not " + std::to_string(f.channels));
  return ok_status();
}

Error opus_error(errc code, std::string_view what, int rc) {
  return Error(code, "opus " + std::string(what) + ": " + opus_strerror(rc));
}

class OpusAudioDecoder final : public AudioDecoder {
 public:
  OpusAudioDecoder(std::unique_ptr<::OpusDecoder, DecoderDeleter> st, const AudioFormat& f)
      : st_(std::move(st)),
        in_(f),
        out_(AudioFormat::pcm16(f.sample_rate_hz, f.channels)),
        ch_(static_cast<std::size_t>(f.channels)),
        quantum_(static_cast<std::size_t>(f.sample_rate_hz) / 400),
        max_frame_(static_cast<std::size_t>(f.sample_rate_hz) * kMaxFrameMs / 1000),
        scratch_(max_frame_ * ch_) {}

  std::string_view name() const noexcept override { return "opus"; }
  AudioFormat input_format() const noexcept override { return in_; }
  AudioFormat output_format() const noexcept override { return out_; }

  Result<std::size_t> decode(std::span<const std::byte> packet, std::span<std::int16_t> out) override {
    if (packet.empty()) return Error(errc::parse_error, "opus decode: empty packet (a lost packet? use conceal())");
    const auto* data = reinterpret_cast<const unsigned char*>(packet.data());
    const auto len = static_cast<opus_int32>(std::min<std::size_t>(packet.size(), 0x7fffffff));
    const int nb = opus_packet_get_nb_samples(data, len, in_.sample_rate_hz);
    if (nb < 0) return opus_error(errc::parse_error, "decode", nb);
    if (static_cast<std::size_t>(nb) * ch_ > out.size()) {
      return Error(errc::overflow, "opus decode: the packet holds " + std::to_string(nb) + " samples per channel, room for " +
                                       std::to_string(out.size() / ch_));
    }
    const int n = opus_decode(st_.get(), data, len, out.data(), nb, 0);
    if (n < 0) return opus_error(errc::parse_error, "decode", n);
    return static_cast<std::size_t>(n);
  }

  std::size_t conceal(std::size_t samples, std::span<std::int16_t> out) override {
    samples = std::min(samples, out.size() / ch_);
    std::size_t done = 0;
    while (done < samples) {
      // libopus conceals in multiples of 2.5 ms; a remainder is synthesised whole
      // and cut (the decoder runs a fraction of 2.5 ms ahead, which is harmless).
      const std::size_t want = std::min(samples - done, max_frame_);
      const std::size_t whole = std::min(max_frame_, (want + quantum_ - 1) / quantum_ * quantum_);
      const int n = opus_decode(st_.get(), nullptr, 0, scratch_.data(), static_cast<int>(whole), 0);
      const std::size_t got = n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), want) : 0;
      std::copy(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(got * ch_),
                out.begin() + static_cast<std::ptrdiff_t>(done * ch_));
      if (got < want) {  // libopus failed: silence rather than garbage
        std::fill(out.begin() + static_cast<std::ptrdiff_t>((done + got) * ch_),
                  out.begin() + static_cast<std::ptrdiff_t>((done + want) * ch_), std::int16_t{0});
      }
      done += want;
    }
    return samples;
  }

  Result<std::size_t> decode_fec(std::span<const std::byte> next_packet, std::size_t samples,
                                 std::span<std::int16_t> out) override {
    if (next_packet.empty()) return Error(errc::parse_error, "opus decode_fec: empty packet");
    if (samples == 0 || samples % quantum_ != 0 || samples > max_frame_) {
      return Error(errc::invalid_argument, "opus decode_fec: " + std::to_string(samples) +
                                               " samples is not a multiple of 2.5 ms up to 120 ms");
    }
    if (samples * ch_ > out.size()) return Error(errc::overflow, "opus decode_fec: output too small");
    const auto* data = reinterpret_cast<const unsigned char*>(next_packet.data());
    const auto len = static_cast<opus_int32>(std::min<std::size_t>(next_packet.size(), 0x7fffffff));
    if (const int nb = opus_packet_get_nb_samples(data, len, in_.sample_rate_hz); nb < 0)
      return opus_error(errc::parse_error, "decode_fec", nb);
    const int n = opus_decode(st_.get(), data, len, out.data(), static_cast<int>(samples), 1);
    if (n < 0) return opus_error(errc::parse_error, "decode_fec", n);
    return static_cast<std::size_t>(n);
  }

  std::size_t packet_samples(std::span<const std::byte> packet) const override {
    if (packet.empty()) return 0;
    const int nb = opus_packet_get_nb_samples(reinterpret_cast<const unsigned char*>(packet.data()),
                                              static_cast<opus_int32>(std::min<std::size_t>(packet.size(), 0x7fffffff)),
                                              in_.sample_rate_hz);
    return nb > 0 ? static_cast<std::size_t>(nb) : 0;
  }

  void reset() override { (void)opus_decoder_ctl(st_.get(), OPUS_RESET_STATE); }

 private:
  std::unique_ptr<::OpusDecoder, DecoderDeleter> st_;
  AudioFormat in_;
  AudioFormat out_;
  std::size_t ch_;
  std::size_t quantum_;    // 2.5 ms
  std::size_t max_frame_;  // 120 ms
  std::vector<std::int16_t> scratch_;
};

class OpusAudioEncoder final : public AudioEncoder {
 public:
  OpusAudioEncoder(std::unique_ptr<::OpusEncoder, EncoderDeleter> st, const AudioFormat& f, std::size_t frame)
      : st_(std::move(st)), out_(f), in_(AudioFormat::pcm16(f.sample_rate_hz, f.channels)), frame_(frame) {}

  std::string_view name() const noexcept override { return "opus"; }
  AudioFormat input_format() const noexcept override { return in_; }
  AudioFormat output_format() const noexcept override { return out_; }

  Result<std::size_t> encode(std::span<const std::int16_t> pcm, std::span<std::byte> out) override {
    const auto ch = static_cast<std::size_t>(in_.channels);
    if (pcm.size() != frame_ * ch) {
      return Error(errc::invalid_argument, "opus encode: expected " + std::to_string(frame_) +
                                               " samples per channel (one packet), got " + std::to_string(pcm.size() / ch));
    }
    if (out.empty()) return Error(errc::overflow, "opus encode: no room for the packet");
    const int n = opus_encode(st_.get(), pcm.data(), static_cast<int>(frame_), reinterpret_cast<unsigned char*>(out.data()),
                              static_cast<opus_int32>(std::min<std::size_t>(out.size(), 0x7fffffff)));
    if (n == OPUS_BUFFER_TOO_SMALL) return opus_error(errc::overflow, "encode", n);
    if (n < 0) return opus_error(errc::internal, "encode", n);
    return static_cast<std::size_t>(n);
  }

  void reset() override { (void)opus_encoder_ctl(st_.get(), OPUS_RESET_STATE); }

 private:
  std::unique_ptr<::OpusEncoder, EncoderDeleter> st_;
  AudioFormat out_;
  AudioFormat in_;
  std::size_t frame_;
};

}  // namespace

Result<std::unique_ptr<AudioDecoder>> make_opus_decoder(const AudioFormat& format) {
  LOQUI_TRY(check_format(format, "opus decoder"));
  int err = OPUS_OK;
  std::unique_ptr<::OpusDecoder, DecoderDeleter> st(opus_decoder_create(format.sample_rate_hz, format.channels, &err));
  if (!st || err != OPUS_OK) return opus_error(errc::internal, "decoder create", err);
  return std::unique_ptr<AudioDecoder>(std::make_unique<OpusAudioDecoder>(std::move(st), format));
}

Result<std::unique_ptr<AudioEncoder>> make_opus_encoder(const AudioFormat& format, const EncoderOptions& options) {
  LOQUI_TRY(check_format(format, "opus encoder"));
  const OpusEncoderOptions& o = options.opus;
  const int ms = options.frame_ms;
  if (ms != 10 && ms != 20 && ms != 40 && ms != 60)
    return Error(errc::invalid_argument, "opus encoder: frame_ms must be 10, 20, 40 or 60, got " + std::to_string(ms));
  if (o.bitrate_bps != 0 && (o.bitrate_bps < 6000 || o.bitrate_bps > 510000))
    return Error(errc::invalid_argument, "opus encoder: bitrate_bps must be 0 or 6000..510000, got " + std::to_string(o.bitrate_bps));
  if (o.complexity < 0 || o.complexity > 10)
    return Error(errc::invalid_argument, "opus encoder: complexity must be 0..10, got " + std::to_string(o.complexity));
  if (o.packet_loss_percent < 0 || o.packet_loss_percent > 100)
    return Error(errc::invalid_argument, "opus encoder: packet_loss_percent must be 0..100");
  int app = OPUS_APPLICATION_VOIP;
  if (o.application == OpusEncoderOptions::Application::audio) app = OPUS_APPLICATION_AUDIO;
  if (o.application == OpusEncoderOptions::Application::low_delay) app = OPUS_APPLICATION_RESTRICTED_LOWDELAY;
  int err = OPUS_OK;
  std::unique_ptr<::OpusEncoder, EncoderDeleter> st(opus_encoder_create(format.sample_rate_hz, format.channels, app, &err));
  if (!st || err != OPUS_OK) return opus_error(errc::internal, "encoder create", err);
  auto ctl = [&](int rc, const char* what) -> Status {
    if (rc != OPUS_OK) return opus_error(errc::invalid_argument, what, rc);
    return ok_status();
  };
  LOQUI_TRY(ctl(opus_encoder_ctl(st.get(), OPUS_SET_BITRATE(o.bitrate_bps == 0 ? OPUS_AUTO : o.bitrate_bps)), "set bitrate"));
  LOQUI_TRY(ctl(opus_encoder_ctl(st.get(), OPUS_SET_COMPLEXITY(o.complexity)), "set complexity"));
  LOQUI_TRY(ctl(opus_encoder_ctl(st.get(), OPUS_SET_VBR(o.vbr ? 1 : 0)), "set vbr"));
  LOQUI_TRY(ctl(opus_encoder_ctl(st.get(), OPUS_SET_INBAND_FEC(o.inband_fec ? 1 : 0)), "set inband fec"));
  LOQUI_TRY(ctl(opus_encoder_ctl(st.get(), OPUS_SET_PACKET_LOSS_PERC(o.packet_loss_percent)), "set packet loss"));
  LOQUI_TRY(ctl(opus_encoder_ctl(st.get(), OPUS_SET_DTX(o.dtx ? 1 : 0)), "set dtx"));
  const auto frame = static_cast<std::size_t>(format.sample_rate_hz) * static_cast<std::size_t>(ms) / 1000;
  return std::unique_ptr<AudioEncoder>(std::make_unique<OpusAudioEncoder>(std::move(st), format, frame));
}

}  // namespace loqui::detail
