// SPDX-License-Identifier: Apache-2.0
// File: the jitter buffer for packetised media (RTP, or websocket carriers): it takes
// packets in network order at their arrival times and gives back exactly one frame
// of pcm16 per call on the session's media clock, decoding and concealing through
// an AudioDecoder. Part of the audio layer (see docs/jitter-buffer.md).
//
// What it handles: reordering, duplicates, loss, 16-bit sequence and 32-bit
// timestamp wrap-around, SSRC changes (reset, next frame flagged
// kFrameDiscontinuity), sender/receiver clock drift, bursts and delay spikes, late
// packets, and hostile input (absurd sequence jumps, timestamps that leap or run
// backwards, oversized payloads, arrival times that go back): all counted in
// JitterStats, never a crash.
//
// How it decides (after WebRTC NetEq; details in docs/jitter-buffer.md):
//  * relative arrival delay of each packet against the fastest packet of a 2 s
//    window feeds two forgetting histograms: all packets, and packets that were
//    overtaken by a later one (only those can be lost to lateness, because an
//    in-order late packet is caught by stretching the playout instead);
//  * the target delay minimises delay + late_cost x P(late) + stall_cost x P(stall),
//    clamped to [min_delay_ms, max_delay_ms];
//  * the playout follows the target by time-stretching (pitch-period removal and
//    insertion, only where the signal is periodic or quiet), at most
//    max_stretch_rate of the output (fast_stretch_rate when far above target);
//  * when the buffer runs dry with nothing newer waiting, playout *stalls*: the
//    concealment (playout) or gap frames (uplink) stand in for the missing audio
//    until it arrives, so a delay spike costs delay, not packets. If what arrives
//    next is a later packet, the stall is counted as covering the lost ones.
//
// Two modes:
//  * JitterMode::uplink (audio to VAD/STT): low delay; missing audio becomes whole
//    kFrameGap frames of zeros, never synthetic speech; the buffer shrinks by
//    removing pitch periods or quiet samples and grows only in quiet segments or by
//    gap frames.
//  * JitterMode::playout (audio to a listener): smooth audio; losses are concealed
//    by the decoder (codec PLC, Opus in-band FEC when the next packet is there),
//    frames carrying concealment are flagged kFrameConcealed.
// For websocket carriers (TCP: no loss, bursty arrival) the same object is a pacing
// buffer: push_frame() takes encoded frames without sequence numbers.
//
// Thread safety: Distinct objects: safe. Shared objects: unsafe; use from the
// session strand only (push and get_audio are called on the same strand).
//
// Memory: everything is allocated by create(); push() and get_audio() never
// allocate (packet slots, payload arena, decode and output buffers are fixed).
//
// @code
//   loqui::JitterBufferConfig cfg;
//   cfg.mode = loqui::JitterMode::playout;
//   auto jb = loqui::JitterBuffer::create(cfg, decoder).value();   // decoder outlives jb
//   // network thread hands packets to the strand:
//   jb.push({.sequence_number = seq, .timestamp = ts, .ssrc = ssrc,
//            .arrival = strand->now(), .payload = bytes});
//   // every 20 ms on the strand:
//   loqui::AudioFrame frame = jb.get_audio(strand->now());   // valid until the next call
//   if (frame.has_flag(loqui::kFrameGap)) { /* no audio received for this span */ }
// @endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "loqui/audio/codec.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/error.hpp"
#include "loqui/pipeline/flow.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

class Json;  // loqui/json.hpp; only the JSON helpers below need it

/// What the output is for.
enum class JitterMode : std::uint8_t {
  uplink,   ///< to VAD/STT: low delay, gaps flagged (kFrameGap), no synthetic speech
  playout,  ///< to a listener: smooth audio, codec concealment (kFrameConcealed)
};

/// "uplink" / "playout".
std::string_view to_string(JitterMode mode) noexcept;

/// Configuration. Plain aggregate; validate() names the bad field.
struct JitterBufferConfig {
  JitterMode mode = JitterMode::playout;
  /// Output per get_audio() call, ms (the session clock's tick). 5..120.
  int frame_ms = 20;
  /// RTP clock rate of packet timestamps; 0 = 48000 for Opus (RFC 7587, whatever
  /// rate it decodes at), else the decoder's input rate (8000 for G.711).
  int clock_rate_hz = 0;
  /// Delay at start and after a reset, before any arrival statistics exist; 0 = mode
  /// default (80 ms playout, 40 ms uplink).
  int initial_delay_ms = 0;
  /// Bounds of the target delay (relative to the fastest packet), ms.
  int min_delay_ms = 0;
  int max_delay_ms = 1000;
  /// Packet slots (also bounds how far ahead of playout a packet may be). 8..4096.
  int max_packets = 256;
  /// Largest payload kept; larger packets are discarded and counted. 1..65536.
  int max_payload_bytes = 1500;
  /// Longest packet the decoder may produce, ms (Opus allows 120). 10..120.
  int max_packet_ms = 120;
  /// Time-stretching limit as a fraction of output time (0.1 = at most 100 ms
  /// removed or inserted per second, NetEq's cap). 0 disables stretching. 0..0.5.
  double max_stretch_rate = 0.1;
  /// Limit used while the delay is more than fast_threshold_ms above target (after
  /// a delay spike); whole pitch periods are removed as in NetEq's FastAccelerate. 0..0.5.
  double fast_stretch_rate = 0.5;
  int fast_threshold_ms = 80;
  /// Target delay cost model: milliseconds of delay worth 1 % of packets lost to
  /// lateness, and worth 1 % of packets arriving after the buffer ran dry (stall).
  double late_cost_ms_per_percent = 20.0;
  double stall_cost_ms_per_percent = 10.0;
  /// Per-packet forgetting factor of the delay histograms (0.998 ~ the last 500
  /// packets weigh 63 %). 0.9..0.99999.
  double forget_factor = 0.998;
  /// Decode lost packets from the next packet's in-band FEC when the decoder can.
  bool use_fec = true;

  /// ok, or errc::invalid_config naming the field and the accepted range.
  Status validate() const;
  std::string to_string() const;
  /// Reads {"mode": "uplink"|"playout", "frame_ms": 20, ...} (same names as the
  /// fields). Unknown keys are errors naming `path`.
  static Result<JitterBufferConfig> from_json(const Json& json, std::string_view path = "jitter");
};

/// One packet as it arrived. `payload` is copied by push(); valid only during the call.
struct MediaPacket {
  std::uint16_t sequence_number = 0;
  std::uint32_t timestamp = 0;  ///< RTP timestamp, units of clock_rate_hz
  std::uint32_t ssrc = 0;
  /// RTP marker bit. Informational: timing relies on timestamps, so talkspurts after
  /// silence suppression need no marker.
  bool marker = false;
  TimePoint arrival{};          ///< on the Runtime clock (the same clock as get_audio)
  std::span<const std::byte> payload{};
};

/// What push() did with a packet (every outcome is also counted in JitterStats).
enum class PushOutcome : std::uint8_t {
  inserted,        ///< stored for playout
  duplicate,       ///< same sequence number already received
  late,            ///< its playout time has passed; discarded
  discarded,       ///< unusable: empty/oversized payload, absurd sequence or timestamp
  reset,           ///< inserted after resetting for a new SSRC or a confirmed resync
};
std::string_view to_string(PushOutcome outcome) noexcept;

/// Lifetime statistics (W3C RTCInboundRtpStreamStats and NetEq names where they exist).
struct JitterStats {
  std::uint64_t packets_received = 0;     ///< unique packets that arrived (incl. late ones)
  std::int64_t packets_lost = 0;          ///< expected - received (never arrived)
  std::uint64_t packets_late = 0;         ///< arrived after their playout time, discarded
  std::uint64_t packets_duplicated = 0;
  std::uint64_t packets_discarded = 0;    ///< invalid, overflow, absurd seq/ts, decode errors
  std::uint64_t packets_decoded = 0;      ///< played (decoded into the output)
  std::uint64_t decode_errors = 0;        ///< decoder rejected the payload (concealed)
  std::uint64_t fec_recovered_packets = 0;
  std::uint64_t fec_recovered_samples = 0;
  std::uint64_t total_samples = 0;        ///< emitted since playout started (excl. pre-roll)
  std::uint64_t concealed_samples = 0;    ///< playout: codec concealment
  std::uint64_t gap_samples = 0;          ///< uplink: zeros flagged kFrameGap
  std::uint64_t concealment_events = 0;   ///< runs of concealed or gap output
  std::uint64_t inserted_samples_for_deceleration = 0;
  std::uint64_t removed_samples_for_acceleration = 0;
  std::uint64_t stalls = 0;               ///< times the buffer ran dry with nothing newer
  std::uint64_t stall_recovered_packets = 0;  ///< packets played after a stall waited for them
  std::uint64_t ssrc_changes = 0;
  std::uint64_t resyncs = 0;              ///< timeline restarts (confirmed seq/ts jump, overflow)
  double jitter_buffer_delay_ms = 0;      ///< sum over played packets of (play - arrival)
  std::uint64_t jitter_buffer_emitted_count = 0;  ///< packets in that sum
  double current_delay_ms = 0;            ///< playout delay behind the fastest packet
  double target_delay_ms = 0;
  double jitter_ms = 0;                   ///< RFC 3550 interarrival jitter
  std::size_t packets_buffered = 0;       ///< waiting in the buffer now
  double buffered_ms = 0;                 ///< decoded + waiting audio ahead of playout

  /// Mean time a played packet waited (jitterBufferDelay / jitterBufferEmittedCount).
  double mean_delay_ms() const noexcept {
    return jitter_buffer_emitted_count ? jitter_buffer_delay_ms / static_cast<double>(jitter_buffer_emitted_count)
                                       : 0.0;
  }
  /// All fields by name (include loqui/json.hpp to use it).
  Json to_json() const;
};

/// A packet whose first sample was emitted in a frame.
struct PlayedPacket {
  std::int64_t sequence = 0;   ///< extended (unwrapped) sequence number
  TimePoint arrival{};
  TimePoint played{};          ///< time its first sample left (now + offset in the frame)
};

/// What the last get_audio() frame contains.
struct JitterFrameInfo {
  static constexpr std::size_t kMaxPlayed = 24;
  /// Extended sequence number of the packet that supplied most samples, or -1 when
  /// most samples were concealment, gap or pre-roll.
  std::int64_t sequence = -1;
  std::uint32_t flags = kFrameNone;
  std::uint32_t real_samples = 0;       ///< decoded (incl. FEC) samples
  std::uint32_t concealed_samples = 0;
  std::uint32_t gap_samples = 0;
  bool preroll = false;                 ///< before playout started (no packet yet)
  std::array<PlayedPacket, kMaxPlayed> played{};
  std::size_t played_count = 0;         ///< entries of `played` in use
  double current_delay_ms = 0;
  double target_delay_ms = 0;
};

/// The jitter buffer. Create with create(); see the file comment.
class JitterBuffer {
 public:
  /// `decoder` is not owned and must outlive the buffer; only this buffer may use it
  /// while it exists. Its output must be mono pcm16.
  /// Errors: errc::invalid_config (bad config), errc::not_supported (decoder output
  /// not mono pcm16, or no usable clock rate).
  static Result<JitterBuffer> create(const JitterBufferConfig& config, AudioDecoder& decoder);

  JitterBuffer(JitterBuffer&&) noexcept;
  JitterBuffer& operator=(JitterBuffer&&) noexcept;
  ~JitterBuffer();

  /// Hands over one packet. Never fails: bad packets are counted and dropped.
  PushOutcome push(const MediaPacket& packet);
  /// For carriers without sequence numbers (websocket media streams): `frame` holds
  /// encoded bytes in the decoder's input format, timestamp() in samples of
  /// clock_rate_hz, capture_time() the arrival. Sequence numbers are assigned in
  /// order of timestamps. An empty frame or one in another encoding is discarded.
  PushOutcome push_frame(const AudioFrame& frame);

  /// Emits the next frame (exactly frame_samples() samples). `now` is the session
  /// clock; it should advance by frame_ms per call (a late tick is tolerated). The
  /// frame views memory owned by the buffer: valid until the next call on it.
  AudioFrame get_audio(TimePoint now);
  /// Details of the frame last returned by get_audio().
  const JitterFrameInfo& last_frame_info() const noexcept;

  JitterStats stats() const;
  /// Drops buffered audio and timing (barge-in, seek); statistics are kept. The next
  /// frame is flagged kFrameDiscontinuity.
  void flush();

  const JitterBufferConfig& config() const noexcept;
  AudioFormat output_format() const noexcept;
  std::size_t frame_samples() const noexcept;
  std::string_view name() const noexcept { return "jitter_buffer"; }

 private:
  struct Impl;
  explicit JitterBuffer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The jitter buffer as a pipeline Source: pull() emits one frame at the strand
/// clock's now(). `buffer` is not owned and must outlive the source; `now` is any
/// callable returning the current TimePoint (e.g. [&] { return strand->now(); }).
///
/// @code
///   auto src = loqui::JitterBufferSource(jb, [&] { return strand->now(); });
///   timer: src.pull(chain);   // every frame_ms
/// @endcode
template <class NowFn>
class JitterBufferSource {
 public:
  JitterBufferSource(JitterBuffer& buffer, NowFn now) : jb_(&buffer), now_(std::move(now)) {}
  std::string_view name() const { return jb_->name(); }
  AudioFormat output_format() const { return jb_->output_format(); }
  template <class Next>
  Flow pull(Next& next) {
    return next.push(jb_->get_audio(now_()));
  }
  void flush() { jb_->flush(); }

 private:
  JitterBuffer* jb_;
  NowFn now_;
};

}  // namespace loqui
