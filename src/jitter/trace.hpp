// SPDX-License-Identifier: Apache-2.0
// File: packet traces for the jitter buffer (private): the text format of
// `loqui jitter --trace` (one packet per line: `seq send_ms arrival_ms`, arrival
// `lost` or -1 for a lost packet, `#` comments), a seeded generator of network
// conditions (heavy-tailed jitter, delay spikes, random and bursty loss,
// reordering, clock drift), a replay driver that runs a JitterBuffer over a trace on
// a simulated clock (no sleeping), and the metrics the CLI and the benchmark report
// for loqui and for speexdsp alike (one definition for both).
//
// Thread safety: plain functions and values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/audio/codec.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/error.hpp"

namespace loqui::jitter {

struct TraceEntry {
  std::int64_t seq = 0;     ///< as written (taken modulo 65536 for RTP)
  double send_ms = 0;       ///< sender clock
  double arrival_ms = -1;   ///< receiver clock; < 0 = lost
  bool lost() const noexcept { return arrival_ms < 0; }
};

/// Parses trace text. Errors (errc::parse_error) name `source` and the line:
/// "trace.tsv:12: expected `seq send_ms arrival_ms`, found 2 fields".
Result<std::vector<TraceEntry>> parse_trace(std::string_view text, std::string_view source = "trace");
/// Reads and parses a file (errc::io_error if it cannot be read).
Result<std::vector<TraceEntry>> read_trace_file(const std::filesystem::path& path);
/// Writes the text format (with a header comment).
std::string format_trace(const std::vector<TraceEntry>& trace, std::string_view comment = {});

/// Network conditions for generate_trace(). Delays in ms.
struct TraceSpec {
  std::string name = "trace";
  std::uint64_t seed = 1;
  double duration_s = 60;
  double ptime_ms = 20;
  double base_delay_ms = 40;
  enum class Jitter : std::uint8_t { pareto, weibull } jitter = Jitter::pareto;
  double jitter_scale_ms = 10;   ///< Pareto (Lomax) scale / Weibull scale
  double jitter_shape = 2.5;     ///< Pareto alpha / Weibull k (< 1 is heavy-tailed)
  double jitter_memory = 0.7;    ///< queueing memory: j_k = max(memory * j_{k-1}, X_k)
  double spikes_per_min = 1;     ///< delay spikes (network stalls), Poisson
  double spike_min_ms = 200;
  double spike_max_ms = 400;
  double random_loss = 0.01;     ///< independent loss probability
  double burst_loss_start = 0.0; ///< probability per packet that a loss burst starts
  double burst_loss_mean_len = 3;
  double reorder = 0.01;         ///< probability a packet is delayed past the next ones
  double drift_ppm = 1000;       ///< sender clock fast by this much (+) or slow (-)
};

/// A deterministic trace (same spec and seed, same trace), sorted by sequence.
std::vector<TraceEntry> generate_trace(const TraceSpec& spec);

/// Metrics of one playout run over a trace, defined identically for every jitter
/// buffer compared:
///  * late: arrived but never played (too late, or dropped by the buffer), % of packets sent;
///  * concealed: output samples that were concealment or gap, % of output since playout began;
///  * delay: per played packet, time from its arrival until its first sample was played.
struct TraceMetrics {
  std::uint64_t packets = 0;   ///< lines in the trace (sent)
  std::uint64_t lost = 0;      ///< lost in the network
  std::uint64_t arrived = 0;   ///< unique packets that arrived
  std::uint64_t played = 0;
  std::uint64_t late = 0;      ///< arrived - played
  double late_pct = 0;
  double concealed_pct = 0;
  double mean_delay_ms = 0;
  double p95_delay_ms = 0;
  std::uint64_t output_samples = 0;
  std::uint64_t concealed_samples = 0;
};

class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(const std::vector<TraceEntry>& trace);
  /// One output frame after playout began: `samples` long, `concealed` of them not decoded.
  void on_output(std::uint64_t samples, std::uint64_t concealed);
  /// A packet's first sample was played at `play_ms` (only the first call per seq counts).
  void on_played(std::int64_t trace_seq, double play_ms);
  TraceMetrics finish() const;

 private:
  std::int64_t min_seq_ = 0;
  std::vector<double> arrival_;   // first arrival per seq (index seq - min_seq), -1 if none
  std::vector<std::uint8_t> played_;
  std::vector<double> delays_;
  std::uint64_t pending_samples_ = 0;    // output after the last real audio (not yet counted:
  std::uint64_t pending_concealed_ = 0;  // the tail after the stream ends is not concealment)
  TraceMetrics m_;
};

/// How trace lines become packets.
struct ReplayOptions {
  double ptime_ms = 20;          ///< packet duration (RTP timestamp step)
  int clock_rate_hz = 8000;      ///< RTP clock
  std::uint32_t ts_base = 0;     ///< RTP timestamp of send_ms = 0
  std::uint32_t ssrc = 0x10c1;
  double tail_ms = 0;            ///< play at most this long after the last arrival (0 = 1.5 x max delay + 200)
};

/// One get_audio() call of a replay.
struct SlotRecord {
  double play_ms = 0;        ///< on the trace's arrival clock
  std::int64_t seq = -1;     ///< trace seq mostly played in the slot, -1 if concealed/gap/pre-roll
  std::uint32_t flags = 0;
  bool preroll = false;
};

struct ReplayResult {
  std::vector<SlotRecord> slots;
  TraceMetrics metrics;
  JitterStats stats;
  std::uint64_t output_hash = 0;  ///< FNV-1a over all output samples and flags
};

/// Runs `jb` over `trace` on a simulated clock: ticks every frame_ms from the first
/// arrival; before each tick, every packet that has arrived by then is pushed in
/// arrival order. Stops when every packet has arrived and nothing is left to play.
/// `payloads[i]` is the payload of trace[i] (unused for lost ones).
/// Errors: invalid_argument if payloads and trace differ in length.
Result<ReplayResult> replay_trace(const std::vector<TraceEntry>& trace,
                                  const std::vector<std::vector<std::byte>>& payloads, JitterBuffer& jb,
                                  const ReplayOptions& options);

/// RTP timestamp for a trace line: send_ms on the ptime grid, in clock units.
std::uint32_t rtp_timestamp(const TraceEntry& e, const ReplayOptions& options);

/// A voiced, speech-like signal for traces without real audio: harmonics of a
/// slowly gliding pitch (110-180 Hz), syllable-rate envelope with pauses between
/// syllables. `level` is the peak amplitude.
std::vector<std::int16_t> speech_like_signal(int rate_hz, double seconds, double level = 8000.0);

/// Payloads for every trace line: `audio` (pcm16 at the encoder's input rate,
/// looped) cut into ptime packets on the send_ms grid and encoded in send order, so
/// stateful codecs (Opus, with its in-band FEC) see a continuous stream; lost lines
/// get their payload too (the sender sent it). Duplicate lines share one.
/// Errors: invalid_argument (audio shorter than a packet, a trace spanning more
/// than 24 hours of packets), or the encoder's error naming the packet.
Result<std::vector<std::vector<std::byte>>> encode_payloads(const std::vector<TraceEntry>& trace,
                                                            AudioEncoder& encoder,
                                                            std::span<const std::int16_t> audio,
                                                            const ReplayOptions& options);

}  // namespace loqui::jitter
