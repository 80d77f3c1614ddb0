// SPDX-License-Identifier: Apache-2.0
// File: the codecs behind the AudioDecoder/AudioEncoder interface (codec.hpp) and
// their stage forms. make_decoder()/make_encoder() map a packet format to a codec:
//
//   mulaw, alaw  G.711 (g711.hpp), any rate (8 kHz in practice), mono. conceal()
//                uses PitchConcealer (plc.hpp, G.711 Appendix I style).
//   l16be        RTP L16: big-endian pcm16, any rate, 1..8 channels; conceal()
//                uses PitchConcealer for mono, silence otherwise.
//   pcm16        L16 little-endian (as most websocket carriers send it).
//   opus         libopus (LOQUI_WITH_OPUS): 8/12/16/24/48 kHz, 1-2 channels, one
//                libopus state per object; conceal() is Opus PLC, decode_fec() the
//                in-band FEC (LBRR) of the next packet, packet_samples() reads the
//                TOC. For opus the format's rate is the *decoding* rate: Opus packets
//                decode at any of the five rates whatever they were encoded at.
//
// Bad input never crashes: corrupt or truncated Opus packets and wrong-sized
// frames are errc::parse_error/invalid_argument with the libopus message, and the
// decoder stays usable; DecodeFilter turns them into counted concealment.
//
// Thread safety: codec objects and filters hold per-stream state and are confined
// to one strand. Distinct objects: safe.
//
// @code
//   auto dec = loqui::make_decoder(loqui::AudioFormat::mulaw8k());
//   std::array<int16_t, 160> pcm;
//   auto n = (*dec)->decode(payload, pcm);         // Result<size_t>
//   if (lost) (*dec)->conceal(160, pcm);           // pitch-repetition PLC
//
//   auto enc = loqui::make_encoder({48000, 1, loqui::Encoding::opus},
//                                  {.frame_ms = 20, .opus = {.bitrate_bps = 24000, .inband_fec = true}});
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/audio/codec.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/pipeline/concepts.hpp"

namespace loqui {

struct DecoderOptions {
  /// G.711/L16: conceal() synthesises speech by pitch repetition. Off: silence.
  bool plc = true;
};

struct OpusEncoderOptions {
  enum class Application : std::uint8_t { voip, audio, low_delay };
  Application application = Application::voip;
  int bitrate_bps = 24000;       ///< 6000..510000; 0 = libopus chooses
  int complexity = 5;            ///< 0 (cheapest) .. 10 (best)
  bool vbr = true;               ///< variable bitrate
  bool inband_fec = false;       ///< send LBRR redundancy the receiver's decode_fec() uses
  int packet_loss_percent = 0;   ///< expected loss 0..100 (tunes FEC; needed for FEC to be sent)
  bool dtx = false;              ///< discontinuous transmission in silence
};

struct EncoderOptions {
  /// Packet duration. Opus: 10, 20, 40 or 60 (encode() then takes exactly this
  /// many samples); G.711/L16 take any length and ignore it except in EncodeFilter.
  int frame_ms = 20;
  OpusEncoderOptions opus;
};

/// A decoder for packets of `packets` (see the table above). Errors:
/// not_supported (f32, opus without libopus), invalid_argument (rate/channels the
/// codec cannot do), internal (libopus refused, with its message).
Result<std::unique_ptr<AudioDecoder>> make_decoder(const AudioFormat& packets, const DecoderOptions& options = {});
/// An encoder producing packets of `packets` from pcm16 at the same rate/channels.
Result<std::unique_ptr<AudioEncoder>> make_encoder(const AudioFormat& packets, const EncoderOptions& options = {});

/// Decoding as a compile-time Filter (encoded frames in, pcm16 out).
///  * frames flagged kFrameGap are not decoded: silence of the same duration goes
///    out with the flag kept (no audio was received);
///  * a corrupt packet is concealed (conceal() for the packet's duration, or the
///    previous packet's if unknown) and counted; last_error() describes it, but the
///    stream goes on (Flow::ok);
///  * G.711/L16 frames of any length are decoded in pieces; no allocation after
///    create().
class DecodeFilter {
 public:
  struct Stats {
    std::uint64_t packets = 0;            ///< frames decoded successfully
    std::uint64_t corrupt_packets = 0;    ///< frames that failed to decode (concealed)
    std::uint64_t concealed_samples = 0;  ///< per-channel samples synthesised for them
    std::uint64_t gap_samples = 0;        ///< per-channel samples of kFrameGap silence
  };

  /// `max_packet_ms`: the longest packet expected (Opus allows 120 ms).
  static Result<DecodeFilter> create(const AudioFormat& packets, const DecoderOptions& options = {},
                                     int max_packet_ms = 120);
  /// Takes ownership of `decoder` (non-null).
  explicit DecodeFilter(std::unique_ptr<AudioDecoder> decoder, int max_packet_ms = 120);

  std::string_view name() const noexcept { return name_; }
  AudioFormat input_format() const noexcept { return in_; }
  AudioFormat output_format() const noexcept { return out_; }

  template <PushTarget Next>
  Flow push(const AudioFrame& frame, Next& next) {
    Flow flow = Flow::ok;
    if (!decode_frame(frame, [&](const AudioFrame& f) { return (flow = next.push(f)) == Flow::ok; }))
      return flow == Flow::ok ? Flow::error : flow;
    return flow;
  }
  /// Barge-in / new stream: resets the decoder.
  void flush();
  const Error* last_error() const noexcept { return error_.message().empty() ? nullptr : &error_; }
  const Stats& stats() const noexcept { return stats_; }
  AudioDecoder& decoder() noexcept { return *decoder_; }

 private:
  /// Decodes `frame` and calls `emit` for each output frame (false from emit
  /// stops). Returns false on a fatal error or a stop.
  template <class Emit>
  bool decode_frame(const AudioFrame& frame, Emit&& emit);
  std::size_t decode_piece(std::span<const std::byte> bytes, std::int64_t expected, std::uint32_t& flags);

  std::unique_ptr<AudioDecoder> decoder_;
  std::string name_;
  AudioFormat in_{};
  AudioFormat out_{};
  std::vector<std::int16_t> buf_;
  std::size_t last_packet_samples_ = 0;
  Stats stats_;
  Error error_;
};

/// Encoding as a compile-time Filter (pcm16 in, encoded frames out). Opus takes
/// whole frames: input is gathered into frame_ms packets (any input frame size
/// works), and finish() pads the last partial frame with silence so no audio is
/// lost. G.711/L16 encode each input frame as it comes. No allocation after create().
class EncodeFilter {
 public:
  static Result<EncodeFilter> create(const AudioFormat& packets, const EncoderOptions& options = {});
  /// Takes ownership of `encoder` (non-null); `frame_ms` as in EncoderOptions.
  EncodeFilter(std::unique_ptr<AudioEncoder> encoder, int frame_ms);

  std::string_view name() const noexcept { return name_; }
  AudioFormat input_format() const noexcept { return in_; }
  AudioFormat output_format() const noexcept { return out_; }

  template <PushTarget Next>
  Flow push(const AudioFrame& frame, Next& next) {
    Flow flow = Flow::ok;
    if (!encode_frame(frame, [&](const AudioFrame& f) { return (flow = next.push(f)) == Flow::ok; }))
      return flow == Flow::ok ? Flow::error : flow;
    return flow;
  }
  /// End of stream: encodes the buffered partial packet (padded with silence).
  template <PushTarget Next>
  Flow finish(Next& next) {
    Flow flow = Flow::ok;
    if (!finish_frames([&](const AudioFrame& f) { return (flow = next.push(f)) == Flow::ok; }))
      return flow == Flow::ok ? Flow::error : flow;
    return flow;
  }
  /// Barge-in: drops the buffered partial packet and resets the encoder.
  void flush();
  const Error* last_error() const noexcept { return error_.message().empty() ? nullptr : &error_; }
  AudioEncoder& encoder() noexcept { return *encoder_; }

 private:
  template <class Emit>
  bool encode_frame(const AudioFrame& frame, Emit&& emit);
  template <class Emit>
  bool finish_frames(Emit&& emit);
  template <class Emit>
  bool emit_packet(std::span<const std::int16_t> pcm, std::uint32_t flags, Emit& emit);

  std::unique_ptr<AudioEncoder> encoder_;
  std::string name_;
  AudioFormat in_{};
  AudioFormat out_{};
  bool packetised_ = false;          // opus: whole frames only
  std::size_t frame_samples_ = 0;    // per channel, per packet
  std::vector<std::int16_t> pending_;  // opus: gathered input
  std::size_t pending_len_ = 0;        // interleaved samples in pending_
  std::uint32_t pending_flags_ = 0;
  std::vector<std::byte> packet_;
  std::int64_t next_timestamp_ = 0;
  bool started_ = false;
  Error error_;
};

// --- templates ------------------------------------------------------------------------

template <class Emit>
bool DecodeFilter::decode_frame(const AudioFrame& frame, Emit&& emit) {
  if (!(frame.format() == in_)) {
    error_ = frame_format_error(name_, frame.format(), in_);
    return false;
  }
  const auto ch = static_cast<std::size_t>(out_.channels);
  const std::size_t cap = buf_.size() / ch;  // per-channel samples per output frame
  std::int64_t ts = frame.timestamp();
  auto send = [&](std::size_t samples, std::uint32_t flags) {
    AudioFrame o = AudioFrame::view(out_, std::span<const std::int16_t>(buf_.data(), samples * ch), ts);
    o.set_capture_time(frame.capture_time());
    o.set_flags(flags);
    ts += static_cast<std::int64_t>(samples);
    return emit(o);
  };
  if (frame.has_flag(kFrameGap)) {
    // Nothing was received: silence of the same length, still flagged.
    std::int64_t left = frame.sample_count();
    stats_.gap_samples += static_cast<std::uint64_t>(std::max<std::int64_t>(left, 0));
    std::fill(buf_.begin(), buf_.end(), std::int16_t{0});
    while (left > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(cap)));
      if (!send(n, frame.flags())) return false;
      left -= static_cast<std::int64_t>(n);
    }
    return true;
  }
  const std::span<const std::byte> bytes = frame.bytes();
  const int bps = in_.bytes_per_sample();
  if (bps == 0) {  // packetised (opus): one packet per frame
    std::uint32_t flags = frame.flags();
    const std::size_t n = decode_piece(bytes, frame.sample_count(), flags);
    return n == 0 || send(n, flags);
  }
  const std::size_t piece_bytes = cap * ch * static_cast<std::size_t>(bps);
  for (std::size_t off = 0; off < bytes.size(); off += piece_bytes) {
    const auto piece = bytes.subspan(off, std::min(piece_bytes, bytes.size() - off));
    std::uint32_t flags = frame.flags();
    const std::size_t n = decode_piece(piece, -1, flags);
    if (n > 0 && !send(n, flags)) return false;
  }
  return true;
}

template <class Emit>
bool EncodeFilter::emit_packet(std::span<const std::int16_t> pcm, std::uint32_t flags, Emit& emit) {
  auto n = encoder_->encode(pcm, packet_);
  if (!n) {
    error_ = std::move(n).error();
    return false;
  }
  const auto samples = static_cast<std::int64_t>(pcm.size() / static_cast<std::size_t>(in_.channels));
  AudioFrame o = AudioFrame::view_bytes(out_, std::span<const std::byte>(packet_.data(), *n), next_timestamp_, samples);
  o.set_flags(flags);
  next_timestamp_ += samples;
  return emit(o);
}

template <class Emit>
bool EncodeFilter::encode_frame(const AudioFrame& frame, Emit&& emit) {
  if (!(frame.format() == in_)) {
    error_ = frame_format_error(name_, frame.format(), in_);
    return false;
  }
  if (!started_) {
    next_timestamp_ = frame.timestamp() - static_cast<std::int64_t>(pending_len_ / static_cast<std::size_t>(in_.channels));
    started_ = true;
  }
  std::span<const std::int16_t> in = frame.samples();
  const std::size_t packet_len = frame_samples_ * static_cast<std::size_t>(in_.channels);
  if (!packetised_) {
    // Sample codecs: encode as it comes, in pieces no larger than the packet buffer.
    while (!in.empty()) {
      const std::size_t n = std::min(in.size(), packet_len);
      if (!emit_packet(in.first(n), frame.flags(), emit)) return false;
      in = in.subspan(n);
    }
    return true;
  }
  pending_flags_ |= frame.flags();
  while (!in.empty()) {
    const std::size_t n = std::min(in.size(), packet_len - pending_len_);
    std::copy(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n), pending_.begin() + static_cast<std::ptrdiff_t>(pending_len_));
    pending_len_ += n;
    in = in.subspan(n);
    if (pending_len_ == packet_len) {
      const std::uint32_t flags = pending_flags_;
      pending_len_ = 0;
      pending_flags_ = in.empty() ? 0 : frame.flags();
      if (!emit_packet(std::span<const std::int16_t>(pending_.data(), packet_len), flags, emit)) return false;
    }
  }
  return true;
}

template <class Emit>
bool EncodeFilter::finish_frames(Emit&& emit) {
  started_ = false;
  if (pending_len_ == 0) return true;
  const std::size_t packet_len = frame_samples_ * static_cast<std::size_t>(in_.channels);
  std::fill(pending_.begin() + static_cast<std::ptrdiff_t>(pending_len_), pending_.begin() + static_cast<std::ptrdiff_t>(packet_len),
            std::int16_t{0});
  pending_len_ = 0;
  const std::uint32_t flags = pending_flags_;
  pending_flags_ = 0;
  return emit_packet(std::span<const std::int16_t>(pending_.data(), packet_len), flags, emit);
}

}  // namespace loqui
