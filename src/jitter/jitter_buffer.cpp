// SPDX-License-Identifier: Apache-2.0
// File: the jitter buffer (include/loqui/audio/jitter_buffer.hpp; design in
// docs/jitter-buffer.md).
//
// Timeline model. Media time is counted in output samples since the stream's first
// timestamp ("ts_out"). `next_ts_out_` is the media time just after the last audio
// put into the sync buffer; `pending_media_` is how much of the sync buffer still
// stands for media, so the media time being played now is
//     play_pos = next_ts_out_ - pending_media_
// and the current delay, relative to the fastest recent packet, is
//     D_cur = now - play_pos - min(arrival - media time over the last 2 s).
// A packet with relative delay d is on time iff d <= D_cur (less its offset in the
// frame), and waits D_cur - d in the buffer. Time-stretching changes pending_media_
// and so D_cur; concealing a known loss advances next_ts_out_ (media time passes);
// a *stall* (buffer dry, nothing newer waiting) emits output without advancing media
// time, so D_cur grows until the missing packet arrives. If a newer packet arrives
// instead, the stalled output is counted as having covered the lost span.
#include "loqui/audio/jitter_buffer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <tuple>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "jitter/delay_estimator.hpp"
#include "jitter/time_stretch.hpp"

namespace loqui {

std::string_view to_string(JitterMode mode) noexcept {
  switch (mode) {
    case JitterMode::uplink: return "uplink";
    case JitterMode::playout: return "playout";
  }
  return "?";
}

std::string_view to_string(PushOutcome outcome) noexcept {
  switch (outcome) {
    case PushOutcome::inserted: return "inserted";
    case PushOutcome::duplicate: return "duplicate";
    case PushOutcome::late: return "late";
    case PushOutcome::discarded: return "discarded";
    case PushOutcome::reset: return "reset";
  }
  return "?";
}

// ---------------------------------------------------------------------------------
// Config

namespace {
Error config_error(std::string_view field, std::string_view what) {
  return Error(errc::invalid_config, "jitter." + std::string(field) + ": " + std::string(what));
}
}  // namespace

Status JitterBufferConfig::validate() const {
  if (frame_ms < 5 || frame_ms > 120) return config_error("frame_ms", "expected 5..120, found " + std::to_string(frame_ms));
  if (clock_rate_hz < 0 || clock_rate_hz > 384000)
    return config_error("clock_rate_hz", "expected 0 (decoder rate) or 1..384000, found " + std::to_string(clock_rate_hz));
  if (initial_delay_ms < 0 || initial_delay_ms > 10000)
    return config_error("initial_delay_ms", "expected 0..10000, found " + std::to_string(initial_delay_ms));
  if (min_delay_ms < 0 || min_delay_ms > 10000)
    return config_error("min_delay_ms", "expected 0..10000, found " + std::to_string(min_delay_ms));
  if (max_delay_ms < 20 || max_delay_ms > 10000)
    return config_error("max_delay_ms", "expected 20..10000, found " + std::to_string(max_delay_ms));
  if (min_delay_ms > max_delay_ms)
    return config_error("min_delay_ms", "must not exceed max_delay_ms (" + std::to_string(max_delay_ms) + ")");
  if (max_packets < 8 || max_packets > 4096)
    return config_error("max_packets", "expected 8..4096, found " + std::to_string(max_packets));
  if (max_payload_bytes < 1 || max_payload_bytes > 65536)
    return config_error("max_payload_bytes", "expected 1..65536, found " + std::to_string(max_payload_bytes));
  if (max_packet_ms < 10 || max_packet_ms > 120)
    return config_error("max_packet_ms", "expected 10..120, found " + std::to_string(max_packet_ms));
  if (!(max_stretch_rate >= 0 && max_stretch_rate <= 0.5)) return config_error("max_stretch_rate", "expected 0..0.5");
  if (!(fast_stretch_rate >= 0 && fast_stretch_rate <= 0.5)) return config_error("fast_stretch_rate", "expected 0..0.5");
  if (fast_threshold_ms < 0 || fast_threshold_ms > 10000) return config_error("fast_threshold_ms", "expected 0..10000");
  if (!(late_cost_ms_per_percent >= 0 && late_cost_ms_per_percent <= 10000))
    return config_error("late_cost_ms_per_percent", "expected 0..10000");
  if (!(stall_cost_ms_per_percent >= 0 && stall_cost_ms_per_percent <= 10000))
    return config_error("stall_cost_ms_per_percent", "expected 0..10000");
  if (!(forget_factor >= 0.9 && forget_factor <= 0.99999)) return config_error("forget_factor", "expected 0.9..0.99999");
  return {};
}

std::string JitterBufferConfig::to_string() const {
  std::ostringstream s;
  s << "mode=" << loqui::to_string(mode) << " frame_ms=" << frame_ms << " clock_rate_hz=" << clock_rate_hz
    << " initial_delay_ms=" << initial_delay_ms << " min_delay_ms=" << min_delay_ms
    << " max_delay_ms=" << max_delay_ms << " max_packets=" << max_packets
    << " max_payload_bytes=" << max_payload_bytes << " max_packet_ms=" << max_packet_ms
    << " max_stretch_rate=" << max_stretch_rate << " fast_stretch_rate=" << fast_stretch_rate
    << " fast_threshold_ms=" << fast_threshold_ms << " late_cost_ms_per_percent=" << late_cost_ms_per_percent
    << " stall_cost_ms_per_percent=" << stall_cost_ms_per_percent << " forget_factor=" << forget_factor
    << " use_fec=" << (use_fec ? "true" : "false");
  return s.str();
}

// ---------------------------------------------------------------------------------
// Implementation

namespace {
constexpr int kMaxDropout = 3000;   // RFC 3550 A.1: larger forward jumps need confirmation
constexpr int kMaxMisorder = 1000;  // older than this behind the newest: a jump, not reordering
constexpr double kMaxEarlyMs = 2000;  // a packet this much ahead of the timing reference is bogus
constexpr double kMinPlausibleLateMs = 10000;
constexpr std::size_t kSeenWords = 16;  // 1024 sequence numbers remembered for duplicates
constexpr std::size_t kMaxSegments = 256;
constexpr std::uint64_t kMinModelPackets = 10;
constexpr double kBandMs = 5;       // dead band around the target
constexpr double kOvershootMs = 5;  // a stretch may pass the target by this much (<= band: no ping-pong)
constexpr double kVoicedCorrelation = 0.9;
constexpr double kFastCorrelation = 0.5;
constexpr double kQuietStretchRate = 0.5;  // pauses may be shortened faster than speech

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t positive_mod(std::int64_t a, std::int64_t m) {
  const std::int64_t r = a % m;
  return r < 0 ? r + m : r;
}

double saturating_ms(TimePoint t, TimePoint origin) {
  // Two's-complement wrap is avoided by subtracting in long double.
  const long double d = static_cast<long double>(t.time_since_epoch().count()) -
                        static_cast<long double>(origin.time_since_epoch().count());
  return static_cast<double>(d / 1e6L);
}

enum class Seg : std::uint8_t {
  real,       // decoded packet
  fec,        // recovered from the next packet's FEC
  concealed,  // codec concealment standing for lost media
  stall,      // codec concealment while waiting (no media time)
  gap,        // uplink: missing media, emitted as gap frames (no stored samples)
};

struct Segment {
  Seg kind = Seg::real;
  bool started = false;
  bool discontinuity = false;  // first audio of a new stream
  std::size_t len = 0;  // stored samples left (gap: media samples left)
  std::int64_t seq = -1;
  TimePoint arrival{};
  bool media() const noexcept { return kind != Seg::stall; }
  bool stored() const noexcept { return kind != Seg::gap; }
  bool decoded() const noexcept { return kind == Seg::real || kind == Seg::fec; }
};

struct Slot {
  bool used = false;
  bool discontinuity = false;  // first packet after an SSRC change or resync
  std::int64_t ext_seq = 0;
  std::int64_t ext_ts = 0;
  TimePoint arrival{};
  std::uint32_t size = 0;
};
}  // namespace

struct JitterBuffer::Impl {
  Impl(const JitterBufferConfig& c, AudioDecoder& d, int clock_hz)
      : cfg(c),
        dec(&d),
        out_fmt(AudioFormat::pcm16(d.output_format().sample_rate_hz)),
        out_rate(d.output_format().sample_rate_hz),
        clock_rate(clock_hz),
        frame(static_cast<std::size_t>(out_rate) * static_cast<std::size_t>(c.frame_ms) / 1000),
        max_packet(static_cast<std::size_t>(out_rate) * static_cast<std::size_t>(c.max_packet_ms) / 1000),
        quantum(std::max<std::size_t>(1, static_cast<std::size_t>(out_rate) / 400)),
        stretcher(out_rate),
        model(jitter::DelayModelOptions{5.0, 400, c.forget_factor, c.late_cost_ms_per_percent,
                                        c.stall_cost_ms_per_percent}),
        window(512, 2000.0),
        slots(static_cast<std::size_t>(c.max_packets)),
        arena(static_cast<std::size_t>(c.max_packets) * static_cast<std::size_t>(c.max_payload_bytes)),
        segs(kMaxSegments),
        out(frame, 0) {
    tolerance = std::max<std::size_t>(1, quantum / 2);
    lookahead = cfg.max_stretch_rate > 0 || cfg.fast_stretch_rate > 0 ? stretcher.required_samples() : 0;
    need = frame + lookahead;
    buf.assign(need + max_packet + stretcher.max_period() + frame + quantum + 64, 0);
    initial_delay_ms = cfg.initial_delay_ms > 0 ? cfg.initial_delay_ms : (cfg.mode == JitterMode::uplink ? 40 : 80);
    max_late_ms = std::max(kMinPlausibleLateMs, 4.0 * cfg.max_delay_ms);
    stats.target_delay_ms = clamp_target(initial_delay_ms);
  }

  // ---- configuration and fixed resources
  JitterBufferConfig cfg;
  AudioDecoder* dec;
  AudioFormat out_fmt;
  int out_rate;
  int clock_rate;
  std::size_t frame;       // output samples per get_audio
  std::size_t max_packet;  // largest decode
  std::size_t quantum;     // 2.5 ms: concealment granularity (Opus needs multiples)
  std::size_t tolerance = 1;
  std::size_t lookahead = 0;
  std::size_t need = 0;
  double initial_delay_ms = 80;
  double max_late_ms = kMinPlausibleLateMs;
  jitter::TimeStretcher stretcher;
  jitter::DelayModel model;
  jitter::ArrivalWindow window;
  std::vector<Slot> slots;
  std::vector<std::byte> arena;
  std::vector<Segment> segs;
  std::vector<std::int16_t> buf;  // sync buffer: decoded/concealed samples not yet emitted
  std::vector<std::int16_t> out;  // the frame handed out

  // ---- clocks
  bool have_t0 = false;
  TimePoint t0{};
  bool have_arrival = false;
  TimePoint last_arrival{};
  bool have_now = false;
  TimePoint last_now{};

  // ---- stream (sequence/timestamp) state
  bool have_stream = false;
  std::uint32_t ssrc = 0;
  std::uint16_t hi_seq16 = 0;
  std::int64_t hi_ext_seq = 0;
  std::uint32_t hi_ts32 = 0;
  std::int64_t hi_ext_ts = 0;
  std::int64_t ts_origin = 0;
  std::int64_t first_ext_seq = 0;
  std::uint64_t received_stream = 0;
  std::int64_t lost_before = 0;
  std::int64_t flush_floor = std::numeric_limits<std::int64_t>::min();
  std::uint64_t seen[kSeenWords] = {};
  bool seq_probation = false;
  std::uint16_t probation_seq = 0;
  bool ts_probation = false;
  bool have_prev_ssrc = false;
  std::uint32_t prev_ssrc = 0;
  int prev_ssrc_run = 0;
  std::int64_t rebase_ext = std::numeric_limits<std::int64_t>::min();  // first packet of a rebased stream
  std::uint16_t probation_ts_seq = 0;
  double probation_offset_ms = 0;
  std::uint16_t synth_seq = 0;
  bool have_transit = false;
  double last_transit_ms = 0;

  // ---- packet store
  std::size_t stored_count = 0;
  std::int64_t lo_stored = 0;  // lowest stored ext seq (valid when stored_count > 0)
  std::int64_t hi_stored = 0;  // highest stored ext seq

  // ---- timeline
  bool started = false;
  std::int64_t next_seq = 0;
  std::int64_t next_ts_out = 0;
  std::size_t stall_samples = 0;
  bool in_underrun = false;
  bool overflow_skip = false;
  bool stall_frame = false;  // uplink: emit a gap frame without consuming media

  // ---- sync buffer
  std::size_t stored = 0;           // samples in buf
  std::size_t seg_head = 0;
  std::size_t seg_count = 0;
  std::int64_t pending_media = 0;   // media samples still in the sync buffer
  std::int64_t stretch_wait = 0;    // output samples until the next stretch is allowed
  double noise_floor_dbfs = -60;

  // ---- output
  std::int64_t out_ts = 0;
  bool discontinuity_pending = false;
  bool last_concealed = false;
  JitterFrameInfo info;
  JitterStats stats;
  double frame_delay_ms = 0;
  bool fec_usable = true;

  // ================================================================ helpers
  double clamp_target(double t) const {
    return std::clamp(t, static_cast<double>(cfg.min_delay_ms), static_cast<double>(cfg.max_delay_ms));
  }
  double target_ms() const {
    return clamp_target(model.count() >= kMinModelPackets ? model.target_ms() : initial_delay_ms);
  }
  double ms(TimePoint t) const { return saturating_ms(t, t0); }
  std::int64_t to_out(std::int64_t ext_ts) const {
    // Bounded so the multiplication cannot overflow; plausibility checks keep real
    // streams far inside this range.
    const std::int64_t rel = std::clamp<std::int64_t>(ext_ts - ts_origin, -(std::int64_t{1} << 40),
                                                      std::int64_t{1} << 40);
    return floor_div(rel * out_rate, clock_rate);
  }
  double out_ms(std::int64_t samples) const { return static_cast<double>(samples) * 1000.0 / out_rate; }
  std::int64_t ms_to_out(double m) const { return static_cast<std::int64_t>(std::floor(m * out_rate / 1000.0)); }
  // Where a packet's first sample falls in the output frame that will need it, in
  // ms: the packet must be there at that frame's tick, so this much more delay is
  // needed for it than its relative delay says. Frame boundaries are at the media
  // position of the next tick plus whole frames.
  double frame_phase_ms(std::int64_t ts_out) const {
    if (!started) return 0;
    const std::int64_t rel = ts_out - (next_ts_out - pending_media);
    if (rel < 0) return 0;
    return out_ms(positive_mod(rel, static_cast<std::int64_t>(frame)));
  }
  double current_delay(double now_ms) const {
    if (!started) return 0;
    return now_ms - out_ms(next_ts_out - pending_media) - window.min();
  }

  Slot& slot_of(std::int64_t ext) { return slots[static_cast<std::size_t>(positive_mod(ext, static_cast<std::int64_t>(slots.size())))]; }
  std::span<const std::byte> payload_of(const Slot& s) const {
    const std::size_t idx = static_cast<std::size_t>(&s - slots.data());
    return {arena.data() + idx * static_cast<std::size_t>(cfg.max_payload_bytes), s.size};
  }
  std::int64_t packet_duration(const Slot& s) const {
    const std::size_t n = dec->packet_samples(payload_of(s));
    return n > 0 ? static_cast<std::int64_t>(std::min(n, max_packet)) : static_cast<std::int64_t>(frame);
  }

  bool is_seen(std::int64_t ext) const {
    if (ext > hi_ext_seq || ext <= hi_ext_seq - static_cast<std::int64_t>(kSeenWords * 64)) return false;
    const auto bit = static_cast<std::size_t>(positive_mod(ext, kSeenWords * 64));
    return (seen[bit / 64] >> (bit % 64)) & 1u;
  }
  void mark_seen(std::int64_t ext) {
    if (ext > hi_ext_seq || ext <= hi_ext_seq - static_cast<std::int64_t>(kSeenWords * 64)) return;
    const auto bit = static_cast<std::size_t>(positive_mod(ext, kSeenWords * 64));
    seen[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
  void advance_seen(std::int64_t new_hi) {
    const std::int64_t span = new_hi - hi_ext_seq;
    if (span >= static_cast<std::int64_t>(kSeenWords * 64)) {
      std::fill(std::begin(seen), std::end(seen), 0);
      return;
    }
    for (std::int64_t e = hi_ext_seq + 1; e <= new_hi; ++e) {
      const auto bit = static_cast<std::size_t>(positive_mod(e, kSeenWords * 64));
      seen[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
    }
  }

  // ---- segments (a ring in media order)
  Segment& seg(std::size_t i) { return segs[(seg_head + i) % segs.size()]; }
  void append_segment(Seg kind, std::size_t len, std::int64_t seq, TimePoint arrival) {
    if (len == 0) return;
    const Segment s{kind, false, false, len, seq, arrival};
    if (s.stored()) stored += len;
    if (s.media()) pending_media += static_cast<std::int64_t>(len);
    if (seg_count == segs.size()) {
      // Only pathological input (thousands of 1-sample packets) gets here: fold into
      // the last segment rather than lose samples.
      Segment& last = seg(seg_count - 1);
      if (last.media() != s.media()) pending_media += s.media() ? 0 : static_cast<std::int64_t>(len);
      if (last.stored() != s.stored()) {
        if (s.stored()) stored -= len;  // keep sample accounting consistent with the buffer
      }
      last.len += len;
      return;
    }
    seg(seg_count++) = s;
  }
  std::size_t contiguous_decoded() {
    std::size_t n = 0;
    for (std::size_t i = 0; i < seg_count; ++i) {
      const Segment& s = seg(i);
      if (!s.decoded()) break;
      n += s.len;
    }
    return n;
  }

  // ================================================================ stream state
  // Drops every stored packet, counting them (nothing is lost silently).
  void clear_store() {
    stats.packets_discarded += stored_count;
    for (auto& s : slots) s.used = false;
    stored_count = 0;
  }
  void clear_sync() {
    stored = 0;
    seg_head = 0;
    seg_count = 0;
    pending_media = 0;
  }
  void clear_timeline() {
    started = false;
    stall_samples = 0;
    in_underrun = false;
    overflow_skip = false;
    stall_frame = false;
    clear_sync();
    discontinuity_pending = true;
  }
  void close_stream_counts() {
    if (have_stream) {
      lost_before += std::max<std::int64_t>(0, (hi_ext_seq - first_ext_seq + 1) - static_cast<std::int64_t>(received_stream));
    }
  }
  void begin_stream(const MediaPacket& p) {
    have_stream = true;
    ssrc = p.ssrc;
    hi_seq16 = p.sequence_number;
    hi_ext_seq = p.sequence_number;
    hi_ts32 = p.timestamp;
    hi_ext_ts = p.timestamp;
    ts_origin = hi_ext_ts;
    first_ext_seq = hi_ext_seq;
    received_stream = 0;
    std::fill(std::begin(seen), std::end(seen), 0);
  }

  // A new stream (SSRC change) or a confirmed jump in numbering or timing. Rather
  // than dropping what is buffered, the new numbering is mapped onto the current
  // timeline: the packet gets the next sequence range (`renumber`; a gap leaves room
  // for its reordered predecessors) and a timestamp as if it had arrived with zero
  // relative delay. Decoding it resets the decoder and flags its frame
  // kFrameDiscontinuity. Returns the packet's extended sequence number and timestamp.
  std::pair<std::int64_t, std::int64_t> rebase(const MediaPacket& p, double a_ms, bool renumber, std::int64_t ext) {
    close_stream_counts();
    if (renumber) {
      const auto cap = static_cast<std::int64_t>(slots.size());
      ext = hi_ext_seq + std::clamp<std::int64_t>(cap / 4, 2, 64);
      std::fill(std::begin(seen), std::end(seen), 0);
    }
    const double reference = window.empty() ? a_ms - out_ms(to_out(hi_ext_ts)) : window.min();
    const double units = (a_ms - reference) * clock_rate / 1000.0;
    const double bounded = std::clamp(units, -1e12, 1e12);
    const std::int64_t ext_ts = std::max(ts_origin + static_cast<std::int64_t>(std::llround(bounded)), hi_ext_ts + 1);
    hi_seq16 = p.sequence_number;
    hi_ext_seq = std::max(hi_ext_seq, ext);
    hi_ts32 = p.timestamp;
    hi_ext_ts = ext_ts;
    first_ext_seq = ext;
    received_stream = 0;
    seq_probation = false;
    ts_probation = false;
    have_transit = false;
    rebase_ext = ext;
    return {ext, ext_ts};
  }

  // ================================================================ push
  PushOutcome push(const MediaPacket& p) {
    TimePoint arrival = p.arrival;
    if (!have_t0) {
      t0 = arrival;
      have_t0 = true;
    }
    if (have_arrival && arrival < last_arrival) arrival = last_arrival;  // arrivals never go back
    last_arrival = arrival;
    have_arrival = true;

    if (p.payload.empty() || p.payload.size() > static_cast<std::size_t>(cfg.max_payload_bytes)) {
      ++stats.packets_discarded;
      return PushOutcome::discarded;
    }
    bool was_reset = false;
    const double a_ms = ms(arrival);
    bool new_ssrc = false;
    if (!have_stream) {
      begin_stream(p);
    } else if (p.ssrc != ssrc) {
      // Stragglers of the previous stream are dropped; three in a row mean the
      // sender really switched back.
      if (have_prev_ssrc && p.ssrc == prev_ssrc && ++prev_ssrc_run < 3) {
        ++stats.packets_discarded;
        return PushOutcome::discarded;
      }
      ++stats.ssrc_changes;
      LOQUI_LOG_DEBUG("jitter", "ssrc changed {:#x} -> {:#x}", ssrc, p.ssrc);
      prev_ssrc = ssrc;
      have_prev_ssrc = true;
      ssrc = p.ssrc;
      new_ssrc = true;
    }
    if (p.ssrc == ssrc) prev_ssrc_run = 0;

    std::int64_t ext = 0;
    std::int64_t ext_ts = 0;
    if (new_ssrc) {
      std::tie(ext, ext_ts) = rebase(p, a_ms, true, 0);
      was_reset = true;
    } else {
      // Sequence number: unwrap against the newest; huge jumps need a second packet.
      const int delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(p.sequence_number - hi_seq16));
      if (delta > kMaxDropout || delta < -kMaxMisorder) {
        if (seq_probation && p.sequence_number == static_cast<std::uint16_t>(probation_seq + 1)) {
          ++stats.resyncs;
          LOQUI_LOG_DEBUG("jitter", "sequence jump confirmed at {}: resync", p.sequence_number);
          std::tie(ext, ext_ts) = rebase(p, a_ms, true, 0);
          was_reset = true;
        } else {
          seq_probation = true;
          probation_seq = p.sequence_number;
          ++stats.packets_discarded;
          return PushOutcome::discarded;
        }
      } else {
        seq_probation = false;
        ext = hi_ext_seq + delta;
        ext_ts = hi_ext_ts + static_cast<std::int32_t>(p.timestamp - hi_ts32);
        // Timestamp plausibility against the arrival clock: a timestamp that leaps
        // far ahead of or behind its arrival time is a sender restart or garbage.
        // Two consecutive packets agreeing on the new timing re-anchor the timeline.
        if (!window.empty()) {
          const double offset = a_ms - out_ms(to_out(ext_ts));
          const double d = offset - window.min();
          if (d < -kMaxEarlyMs || d > max_late_ms) {
            if (ts_probation && p.sequence_number == static_cast<std::uint16_t>(probation_ts_seq + 1) &&
                std::abs(offset - probation_offset_ms) < 1000.0) {
              ++stats.resyncs;
              LOQUI_LOG_DEBUG("jitter", "timestamp jump confirmed at seq {}: resync", p.sequence_number);
              std::tie(ext, ext_ts) = rebase(p, a_ms, false, ext);
              was_reset = true;
            } else {
              ts_probation = true;
              probation_ts_seq = p.sequence_number;
              probation_offset_ms = offset;
              ++stats.packets_discarded;
              return PushOutcome::discarded;
            }
          } else {
            ts_probation = false;
          }
        }
      }
    }
    const double ts_ms = out_ms(to_out(ext_ts));

    if (ext < flush_floor) {  // audio from before a flush
      ++stats.packets_discarded;
      return PushOutcome::discarded;
    }
    if (is_seen(ext) || (slot_of(ext).used && slot_of(ext).ext_seq == ext)) {
      ++stats.packets_duplicated;
      return PushOutcome::duplicate;
    }

    // A new packet: count it and learn from its timing (late ones included).
    const bool overtaken = ext < hi_ext_seq;
    if (ext > hi_ext_seq) {
      advance_seen(ext);
      hi_ext_seq = ext;
      hi_seq16 = p.sequence_number;
      hi_ext_ts = ext_ts;
      hi_ts32 = p.timestamp;
    }
    mark_seen(ext);
    first_ext_seq = std::min(first_ext_seq, ext);
    ++stats.packets_received;
    ++received_stream;
    const double offset = a_ms - ts_ms;
    const double reference = window.add(a_ms, offset);
    model.add(offset - reference + frame_phase_ms(to_out(ext_ts)), overtaken);
    if (have_transit) stats.jitter_ms += (std::abs(offset - last_transit_ms) - stats.jitter_ms) / 16.0;
    last_transit_ms = offset;
    have_transit = true;

    const std::int64_t ts_out = to_out(ext_ts);
    if (started) {
      const std::size_t n = dec->packet_samples(p.payload);
      const std::int64_t dur = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(n, max_packet)));
      if (ext < next_seq || ts_out + dur <= next_ts_out) {
        ++stats.packets_late;
        return PushOutcome::late;
      }
    }
    if (!store(ext, ext_ts, arrival, p)) return PushOutcome::discarded;
    return was_reset ? PushOutcome::reset : PushOutcome::inserted;
  }

  void drop_slot(Slot& s) {
    s.used = false;
    --stored_count;
  }
  void rescan_stored_bounds() {
    bool any = false;
    for (const auto& s : slots) {
      if (!s.used) continue;
      if (!any) {
        lo_stored = hi_stored = s.ext_seq;
        any = true;
      } else {
        lo_stored = std::min(lo_stored, s.ext_seq);
        hi_stored = std::max(hi_stored, s.ext_seq);
      }
    }
  }

  bool store(std::int64_t ext, std::int64_t ext_ts, TimePoint arrival, const MediaPacket& p) {
    const auto cap = static_cast<std::int64_t>(slots.size());
    if (started) {
      if (ext - next_seq >= cap) {
        // Far ahead of playout: the buffer cannot hold the span. Skip playout forward
        // (the skipped packets are discarded) and re-anchor on what remains.
        const std::int64_t new_base = ext - cap + 1;
        for (std::int64_t e = next_seq; e < new_base && stored_count > 0; ++e) {
          Slot& s = slot_of(e);
          if (s.used && s.ext_seq == e) {
            drop_slot(s);
            ++stats.packets_discarded;
          }
        }
        next_seq = new_base;
        overflow_skip = true;
        ++stats.resyncs;
      }
    } else if (stored_count > 0) {
      if (ext < lo_stored && hi_stored - ext >= cap) {
        ++stats.packets_discarded;
        return false;
      }
      while (stored_count > 0 && ext - lo_stored >= cap) {
        Slot& s = slot_of(lo_stored);
        if (s.used && s.ext_seq == lo_stored) {
          drop_slot(s);
          ++stats.packets_discarded;
        }
        rescan_stored_bounds();
      }
    }
    Slot& s = slot_of(ext);
    if (s.used) {  // a stale occupant (cannot normally happen): replace it
      drop_slot(s);
      ++stats.packets_discarded;
    }
    s.used = true;
    s.discontinuity = ext == rebase_ext;
    s.ext_seq = ext;
    s.ext_ts = ext_ts;
    s.arrival = arrival;
    s.size = static_cast<std::uint32_t>(p.payload.size());
    const std::size_t idx = static_cast<std::size_t>(&s - slots.data());
    std::memcpy(arena.data() + idx * static_cast<std::size_t>(cfg.max_payload_bytes), p.payload.data(), p.payload.size());
    if (stored_count == 0) {
      lo_stored = hi_stored = ext;
    } else {
      lo_stored = std::min(lo_stored, ext);
      hi_stored = std::max(hi_stored, ext);
    }
    ++stored_count;
    return true;
  }

  // ================================================================ playout
  // The stored packet with the lowest sequence number not yet played. Packets on the
  // way whose media time has entirely passed are dropped and counted in `passed`.
  Slot* first_unplayed(std::uint64_t& passed) {
    const auto cap = static_cast<std::int64_t>(slots.size());
    for (std::int64_t e = next_seq; e < next_seq + cap && stored_count > 0; ++e) {
      Slot& s = slot_of(e);
      if (!s.used || s.ext_seq != e) continue;
      if (to_out(s.ext_ts) + packet_duration(s) > next_ts_out) return &s;
      drop_slot(s);
      ++passed;
      next_seq = e + 1;
    }
    return nullptr;
  }
  Slot* next_packet() { return first_unplayed(stats.packets_late); }

  void decode(Slot& s) {
    const std::int64_t ts_out = to_out(s.ext_ts);
    const bool discontinuity = s.discontinuity;
    if (discontinuity) dec->reset();  // a new stream: the old codec state does not apply
    const std::span<std::int16_t> room(buf.data() + stored, buf.size() - stored);
    auto r = dec->decode(payload_of(s), room.first(std::min(room.size(), max_packet)));
    next_seq = s.ext_seq + 1;
    const std::int64_t seq = s.ext_seq;
    const TimePoint arrival = s.arrival;
    drop_slot(s);
    if (!r || r.value() == 0) {
      // A payload the decoder rejects is lost media: the gap before the next packet
      // is concealed like any loss.
      ++stats.decode_errors;
      ++stats.packets_discarded;
      return;
    }
    const std::size_t n = std::min(r.value(), room.size());
    if (stall_samples > 0) ++stats.stall_recovered_packets;
    stall_samples = 0;
    in_underrun = false;
    append_segment(Seg::real, n, seq, arrival);
    if (discontinuity && seg_count > 0) seg(seg_count - 1).discontinuity = true;
    next_ts_out = std::max(ts_out, next_ts_out - static_cast<std::int64_t>(tolerance)) + static_cast<std::int64_t>(n);
    ++stats.packets_decoded;
  }

  std::size_t conceal_into_buffer(std::size_t samples) {
    const std::span<std::int16_t> room(buf.data() + stored, buf.size() - stored);
    samples = std::min(samples, room.size());
    std::size_t got = dec->conceal(samples, room.first(samples));
    got = std::min(got, samples);
    // A decoder that cannot conceal (or gives less) leaves silence.
    std::fill(room.begin() + static_cast<std::ptrdiff_t>(got), room.begin() + static_cast<std::ptrdiff_t>(samples), 0);
    return samples;
  }

  std::size_t round_up_quantum(std::size_t n) const { return (n + quantum - 1) / quantum * quantum; }

  bool enough_for_frame() {
    if (cfg.mode == JitterMode::playout) return stored >= frame;
    if (contiguous_decoded() >= frame) return true;
    for (std::size_t i = 0; i < seg_count; ++i)
      if (seg(i).kind == Seg::gap) return true;
    return false;
  }

  // Media between next_ts_out and packet `p` is missing.
  void fill_gap(Slot& p, std::int64_t gap) {
    // Opus in-band FEC: the packet right after a lost one carries it.
    if (cfg.use_fec && fec_usable && p.ext_seq - 1 >= next_seq && gap <= packet_duration(p) + static_cast<std::int64_t>(tolerance)) {
      const std::span<std::int16_t> room(buf.data() + stored, buf.size() - stored);
      const auto want = static_cast<std::size_t>(gap);
      auto r = dec->decode_fec(payload_of(p), want, room.first(std::min(room.size(), max_packet)));
      if (r && r.value() > 0) {
        const std::size_t n = std::min(r.value(), room.size());
        append_segment(Seg::fec, n, p.ext_seq - 1, p.arrival);
        next_ts_out += static_cast<std::int64_t>(n);
        ++stats.fec_recovered_packets;
        stats.fec_recovered_samples += n;
        next_seq = p.ext_seq;  // the recovered packet is no longer awaited
        return;
      }
      if (!r && r.error().code() == make_error_code(errc::not_supported)) fec_usable = false;
    }
    if (cfg.mode == JitterMode::uplink) {
      append_segment(Seg::gap, static_cast<std::size_t>(gap), -1, p.arrival);
      next_ts_out += gap;
      return;
    }
    std::size_t c = frame > stored ? frame - stored : quantum;
    c = std::min<std::size_t>(static_cast<std::size_t>(gap), round_up_quantum(c));
    c = conceal_into_buffer(c);
    append_segment(Seg::concealed, c, -1, p.arrival);
    next_ts_out += static_cast<std::int64_t>(c);
  }

  // Nothing to play and nothing newer waiting.
  void underrun(double now_ms, TimePoint now) {
    if (!in_underrun) ++stats.stalls;
    in_underrun = true;
    const bool may_stall = current_delay(now_ms) + cfg.frame_ms <= cfg.max_delay_ms;
    if (cfg.mode == JitterMode::uplink) {
      if (may_stall) {
        stall_frame = true;
      } else {
        append_segment(Seg::gap, frame, -1, now);
        next_ts_out += static_cast<std::int64_t>(frame);
      }
      return;
    }
    const std::size_t c = conceal_into_buffer(round_up_quantum(frame - std::min(frame, stored)));
    if (may_stall) {
      append_segment(Seg::stall, c, -1, now);
      stall_samples += c;
    } else {
      append_segment(Seg::concealed, c, -1, now);
      next_ts_out += static_cast<std::int64_t>(c);
    }
  }

  void fill(double now_ms, TimePoint now) {
    for (std::size_t guard = 0; guard < 4 * slots.size() + 16; ++guard) {
      if (stored >= need) break;
      if (overflow_skip) {
        Slot* p = next_packet();
        if (p == nullptr) break;
        overflow_skip = false;
        next_ts_out = to_out(p->ext_ts);
        stall_samples = 0;
        discontinuity_pending = true;
      }
      Slot* p = next_packet();
      if (p != nullptr) {
        std::int64_t gap = to_out(p->ext_ts) - next_ts_out;
        if (gap > static_cast<std::int64_t>(tolerance) && stall_samples > 0) {
          // The stalled output stands for (part of) the missing span.
          const std::int64_t cover = std::min<std::int64_t>(gap, static_cast<std::int64_t>(stall_samples));
          next_ts_out += cover;
          gap -= cover;
          stall_samples = 0;
          in_underrun = false;
        }
        if (gap <= static_cast<std::int64_t>(tolerance)) {
          decode(*p);
          continue;
        }
        if (enough_for_frame()) break;
        fill_gap(*p, gap);
        continue;
      }
      if (enough_for_frame()) break;
      underrun(now_ms, now);
      break;
    }
  }

  // Too far behind (the stall limit was hit and stretching could not catch up):
  // jump to the target, discarding what is skipped.
  void catch_up(double now_ms) {
    const double target = target_ms();
    const std::int64_t play_to = ms_to_out(now_ms - window.min() - target);
    clear_sync();
    next_ts_out = std::max(play_to, next_ts_out);
    stall_samples = 0;
    (void)first_unplayed(stats.packets_discarded);
    ++stats.resyncs;
    discontinuity_pending = true;
  }

  bool quiet(double level_dbfs) const { return level_dbfs < std::min(-35.0, noise_floor_dbfs + 8.0); }

  // Follows the target by removing or repeating one pitch period at the head of
  // the sync buffer, only where that is inaudible (periodic or quiet audio) and at
  // most `rate` of the output. At low delays only short periods fit: the frame
  // about to be emitted must stay covered by decoded audio.
  void stretch(double now_ms) {
    if (stretch_wait > 0) return;
    const std::size_t avail = contiguous_decoded();
    const double err = current_delay(now_ms) - target_ms();
    const bool fast = err > cfg.fast_threshold_ms;
    const double rate = fast ? std::max(cfg.fast_stretch_rate, cfg.max_stretch_rate) : cfg.max_stretch_rate;
    if (rate <= 0) return;
    const std::span<const std::int16_t> head(buf.data(), avail);
    if (err > kBandMs) {
      if (avail < frame + stretcher.min_period()) return;
      const std::size_t max_remove =
          std::min<std::size_t>(avail - frame, static_cast<std::size_t>(ms_to_out(err + kOvershootMs)));
      // A pause can be shortened by more than a pitch period at once: inaudible.
      for (std::size_t len = std::min(max_remove, avail / 2); len >= stretcher.max_period(); len /= 2) {
        if (!quiet(jitter::TimeStretcher::level_dbfs(head.first(2 * len)))) continue;
        remove(len, kQuietStretchRate);
        return;
      }
      const auto a = stretcher.analyse(head, max_remove);
      if (a.period == 0) return;
      if (a.correlation < (fast ? kFastCorrelation : kVoicedCorrelation) && !quiet(a.level_dbfs)) return;
      std::size_t len = a.period;
      if (fast) {  // as many whole periods as fit (NetEq's FastAccelerate)
        const std::size_t fit = std::min(max_remove, avail / 2) / a.period;
        len = a.period * std::max<std::size_t>(1, std::min<std::size_t>(fit, stretcher.max_period() / a.period));
      }
      remove(len, rate);
    } else if (err < -kBandMs) {
      const std::size_t room = buf.size() - stored;
      const auto a = stretcher.analyse(head, std::min<std::size_t>(room, static_cast<std::size_t>(ms_to_out(-err + kOvershootMs))));
      if (a.period == 0 || avail + a.period < frame) return;
      const bool ok = quiet(a.level_dbfs) || (cfg.mode == JitterMode::playout && a.correlation >= kVoicedCorrelation);
      if (!ok) return;
      stored = jitter::TimeStretcher::insert_period(buf, stored, a.period);
      // The inserted period belongs to the segment holding sample period-1.
      std::size_t pos = 0;
      for (std::size_t i = 0; i < seg_count; ++i) {
        Segment& s = seg(i);
        if (!s.stored()) continue;
        if (pos + s.len >= a.period) {
          s.len += a.period;
          break;
        }
        pos += s.len;
      }
      pending_media += static_cast<std::int64_t>(a.period);
      stats.inserted_samples_for_deceleration += a.period;
      stretch_wait = static_cast<std::int64_t>(static_cast<double>(a.period) / rate);
    }
  }

  void remove(std::size_t len, double rate) {
    stored = jitter::TimeStretcher::remove_period(buf, stored, len);
    remove_from_segments(len, len);
    pending_media -= static_cast<std::int64_t>(len);
    stats.removed_samples_for_acceleration += len;
    stretch_wait = static_cast<std::int64_t>(static_cast<double>(len) / rate);
  }

  // Stored samples [at, at+len) were removed: shrink the segments that held them.
  void remove_from_segments(std::size_t at, std::size_t len) {
    const std::size_t stop = at + len;
    std::size_t pos = 0;  // start of segment i in the layout before the removal
    for (std::size_t i = 0; i < seg_count && pos < stop; ++i) {
      Segment& s = seg(i);
      if (!s.stored()) continue;
      const std::size_t end = pos + s.len;
      const std::size_t lo = std::max(pos, at);
      const std::size_t hi = std::min(end, stop);
      if (hi > lo) s.len -= hi - lo;
      pos = end;
    }
  }

  // ================================================================ output
  void note_output(bool concealed, std::size_t n) {
    if (n == 0) return;
    if (concealed && !last_concealed) ++stats.concealment_events;
    last_concealed = concealed;
  }

  AudioFrame finish_frame(TimePoint now, std::uint32_t flags, TimePoint capture) {
    // The delay that applied to this frame, measured at its first sample.
    if (discontinuity_pending) {
      flags |= kFrameDiscontinuity;
      discontinuity_pending = false;
    }
    AudioFrame f = AudioFrame::view(out_fmt, out, out_ts);
    f.set_flags(flags);
    f.set_capture_time(capture == TimePoint{} ? now : capture);
    out_ts += static_cast<std::int64_t>(frame);
    info.flags = flags;
    stats.current_delay_ms = info.current_delay_ms = frame_delay_ms;
    stats.target_delay_ms = info.target_delay_ms = target_ms();
    return f;
  }

  AudioFrame emit_preroll(TimePoint now) {
    std::fill(out.begin(), out.end(), 0);
    info.preroll = true;
    return finish_frame(now, kFrameGap, now);
  }

  AudioFrame emit_gap_frame(TimePoint now) {
    std::fill(out.begin(), out.end(), 0);
    if (stall_frame) {
      stall_samples += frame;
      stall_frame = false;
    } else {
      // Consume the first queued gap segment (it stands for media); without one the
      // frame is a stall.
      bool consumed = false;
      for (std::size_t i = 0; i < seg_count; ++i) {
        Segment& s = seg(i);
        if (s.kind != Seg::gap) continue;
        const std::size_t take = std::min(s.len, frame);
        s.len -= take;
        pending_media -= static_cast<std::int64_t>(take);
        if (s.len == 0) {
          // Remove it from the ring, keeping order.
          for (std::size_t j = i; j + 1 < seg_count; ++j) seg(j) = seg(j + 1);
          --seg_count;
        }
        consumed = true;
        break;
      }
      if (!consumed) stall_samples += frame;
    }
    stats.gap_samples += frame;
    stats.total_samples += frame;
    info.gap_samples = static_cast<std::uint32_t>(frame);
    note_output(true, frame);
    return finish_frame(now, kFrameGap, now);
  }

  AudioFrame emit(TimePoint now) {
    if (cfg.mode == JitterMode::uplink && (stall_frame || contiguous_decoded() < frame)) return emit_gap_frame(now);
    std::size_t filled = 0;
    std::size_t consumed_stored = 0;
    std::uint32_t flags = kFrameNone;
    TimePoint capture{};
    std::int64_t best_seq = -1;
    std::size_t best_len = 0;
    while (filled < frame && seg_count > 0) {
      Segment& s = seg(0);
      if (!s.started) {
        s.started = true;
        if (s.discontinuity) flags |= kFrameDiscontinuity;
        if (s.kind == Seg::real || s.kind == Seg::fec) {
          const TimePoint played = now + out_fmt.duration_of(static_cast<std::int64_t>(filled));
          if (s.kind == Seg::real) {
            stats.jitter_buffer_delay_ms += saturating_ms(played, s.arrival);
            ++stats.jitter_buffer_emitted_count;
          }
          if (info.played_count < JitterFrameInfo::kMaxPlayed)
            info.played[info.played_count++] = PlayedPacket{s.seq, s.arrival, played};
        }
      }
      const std::size_t take = std::min(s.len, frame - filled);
      if (s.stored()) {
        std::memcpy(out.data() + filled, buf.data() + consumed_stored, take * sizeof(std::int16_t));
        consumed_stored += take;
      } else {
        std::fill_n(out.data() + filled, take, 0);
      }
      switch (s.kind) {
        case Seg::real:
        case Seg::fec:
          if (s.kind == Seg::fec) flags |= kFrameFecRecovered;
          info.real_samples += static_cast<std::uint32_t>(take);
          if (capture == TimePoint{}) capture = s.arrival;
          if (take > best_len) {
            best_len = take;
            best_seq = s.seq;
          }
          note_output(false, take);
          break;
        case Seg::concealed:
        case Seg::stall:
          flags |= kFrameConcealed;
          info.concealed_samples += static_cast<std::uint32_t>(take);
          stats.concealed_samples += take;
          note_output(true, take);
          break;
        case Seg::gap:
          flags |= kFrameGap;
          info.gap_samples += static_cast<std::uint32_t>(take);
          stats.gap_samples += take;
          note_output(true, take);
          break;
      }
      if (s.media()) pending_media -= static_cast<std::int64_t>(take);
      filled += take;
      s.len -= take;
      if (s.len == 0) {
        seg_head = (seg_head + 1) % segs.size();
        --seg_count;
      }
    }
    if (filled < frame) {  // cannot happen in playout (fill conceals); belt and braces
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(filled), out.end(), 0);
      info.concealed_samples += static_cast<std::uint32_t>(frame - filled);
      stats.concealed_samples += frame - filled;
      flags |= kFrameConcealed;
      note_output(true, frame - filled);
    }
    if (consumed_stored > 0) {
      std::memmove(buf.data(), buf.data() + consumed_stored, (stored - consumed_stored) * sizeof(std::int16_t));
      stored -= consumed_stored;
    }
    if (info.real_samples * 2 > frame) info.sequence = best_seq;
    stats.total_samples += frame;
    // Track the background level so quiet segments can be stretched freely.
    if (info.real_samples == frame) {
      double e = 0;
      for (const auto v : out) e += static_cast<double>(v) * v;
      const double rms = std::sqrt(e / static_cast<double>(frame)) / 32768.0;
      const double db = rms > 1e-6 ? 20 * std::log10(rms) : -120.0;
      noise_floor_dbfs = db < noise_floor_dbfs ? std::max(db, -90.0) : std::min(noise_floor_dbfs + 0.05, -30.0);
    }
    return finish_frame(now, flags, capture);
  }

  void try_start(double now_ms) {
    if (stored_count == 0) return;
    const Slot& first = slot_of(lo_stored);
    if (!first.used) {
      rescan_stored_bounds();
      if (!slot_of(lo_stored).used) return;
    }
    const Slot& s = slot_of(lo_stored);
    const double delay_if_started = now_ms - out_ms(to_out(s.ext_ts)) - window.min();
    if (delay_if_started + cfg.frame_ms / 2.0 < target_ms()) return;
    started = true;
    next_seq = s.ext_seq;
    next_ts_out = to_out(s.ext_ts);
    stall_samples = 0;
    in_underrun = false;
  }

  AudioFrame get_audio(TimePoint now) {
    if (!have_t0) {
      t0 = now;
      have_t0 = true;
    }
    if (have_now && now < last_now) now = last_now;
    last_now = now;
    have_now = true;
    info = JitterFrameInfo{};
    const double now_ms = ms(now);
    if (!started) try_start(now_ms);
    if (!started) {
      frame_delay_ms = 0;
      return emit_preroll(now);
    }
    fill(now_ms, now);
    if (current_delay(now_ms) > cfg.max_delay_ms + std::max(100.0, 2.0 * cfg.frame_ms)) {
      catch_up(now_ms);
      fill(now_ms, now);
    }
    stretch(now_ms);
    frame_delay_ms = current_delay(now_ms);
    AudioFrame f = emit(now);
    stretch_wait = std::max<std::int64_t>(0, stretch_wait - static_cast<std::int64_t>(frame));
    return f;
  }

  JitterStats snapshot() const {
    JitterStats s = stats;
    s.packets_lost = lost_before;
    if (have_stream)
      s.packets_lost += std::max<std::int64_t>(0, (hi_ext_seq - first_ext_seq + 1) - static_cast<std::int64_t>(received_stream));
    s.packets_buffered = stored_count;
    std::int64_t ahead = pending_media;
    if (started && stored_count > 0) {
      const Slot* hi = nullptr;
      for (const auto& sl : slots)
        if (sl.used && (hi == nullptr || sl.ext_seq > hi->ext_seq)) hi = &sl;
      if (hi != nullptr) ahead = std::max(ahead, to_out(hi->ext_ts) + packet_duration(*hi) - (next_ts_out - pending_media));
    }
    s.buffered_ms = out_ms(ahead);
    return s;
  }

  void flush() {
    clear_store();
    clear_timeline();
    flush_floor = have_stream ? hi_ext_seq + 1 : flush_floor;
    stretch_wait = 0;
  }

  PushOutcome push_frame(const AudioFrame& f) {
    if (f.empty() || f.format().encoding != dec->input_format().encoding) {
      ++stats.packets_discarded;
      return PushOutcome::discarded;
    }
    MediaPacket p;
    p.sequence_number = synth_seq++;
    p.timestamp = static_cast<std::uint32_t>(f.timestamp());
    p.ssrc = 0;
    p.arrival = f.capture_time();
    p.payload = f.bytes();
    return push(p);
  }
};

// ---------------------------------------------------------------------------------
// Public shell

JitterBuffer::JitterBuffer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitterBuffer::JitterBuffer(JitterBuffer&&) noexcept = default;
JitterBuffer& JitterBuffer::operator=(JitterBuffer&&) noexcept = default;
JitterBuffer::~JitterBuffer() = default;

Result<JitterBuffer> JitterBuffer::create(const JitterBufferConfig& config, AudioDecoder& decoder) {
  LOQUI_TRY(config.validate());
  const AudioFormat out = decoder.output_format();
  if (out.encoding != Encoding::pcm16 || out.channels != 1 || out.sample_rate_hz < 1000 || out.sample_rate_hz > 384000)
    return Error(errc::not_supported, "jitter buffer: decoder '" + std::string(decoder.name()) +
                                          "' must output mono pcm16, it outputs " + out.to_string());
  if ((static_cast<long long>(out.sample_rate_hz) * config.frame_ms) % 1000 != 0)
    return Error(errc::not_supported, "jitter buffer: frame_ms " + std::to_string(config.frame_ms) +
                                          " is not a whole number of samples at " +
                                          std::to_string(out.sample_rate_hz) + " Hz");
  // Opus RTP timestamps always run at 48 kHz, whatever rate the decoder runs at
  // (RFC 7587 section 4.1).
  const AudioFormat in = decoder.input_format();
  const int clock = config.clock_rate_hz > 0 ? config.clock_rate_hz
                    : in.encoding == Encoding::opus ? 48000
                                                    : in.sample_rate_hz;
  if (clock < 1000 || clock > 384000)
    return Error(errc::not_supported, "jitter buffer: no usable RTP clock rate (decoder '" +
                                          std::string(decoder.name()) + "' reports " + std::to_string(clock) +
                                          " Hz; set clock_rate_hz)");
  return JitterBuffer(std::make_unique<Impl>(config, decoder, clock));
}

PushOutcome JitterBuffer::push(const MediaPacket& packet) { return impl_->push(packet); }
PushOutcome JitterBuffer::push_frame(const AudioFrame& frame) { return impl_->push_frame(frame); }
AudioFrame JitterBuffer::get_audio(TimePoint now) { return impl_->get_audio(now); }
const JitterFrameInfo& JitterBuffer::last_frame_info() const noexcept { return impl_->info; }
JitterStats JitterBuffer::stats() const { return impl_->snapshot(); }
void JitterBuffer::flush() { impl_->flush(); }
const JitterBufferConfig& JitterBuffer::config() const noexcept { return impl_->cfg; }
AudioFormat JitterBuffer::output_format() const noexcept { return impl_->out_fmt; }
std::size_t JitterBuffer::frame_samples() const noexcept { return impl_->frame; }

}  // namespace loqui
