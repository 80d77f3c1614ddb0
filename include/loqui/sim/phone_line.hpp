// SPDX-License-Identifier: Apache-2.0
// File: a simulated phone line for `loqui run` and tests. The caller's audio
// travels as it would from a carrier: encoded into packets (8 kHz mu-law by
// default), delayed with jitter, optionally lost, reordered by that jitter,
// then through the JitterBuffer (uplink mode), decoded and resampled to the
// rate the session takes. The agent's side is a PlayoutQueue: the transport's
// buffer that plays agent audio at real-time pace and reports what was heard.
//
// Threading: neither type is thread-safe; use each from one strand (the
// simulation's). Both take the time from the caller (`now`), so they run under
// real or virtual time alike.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/audio/format.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/error.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

/// How the caller's line behaves. `parse` takes "NAME[,key=value...]":
/// names `pstn` (8 kHz mu-law, the default), `pstn-alaw`, `wideband` (16 kHz
/// Opus), `l16` (16 kHz linear, no codec); keys `ptime=20ms`, `delay=40ms`
/// (one-way base delay), `jitter=30ms` (mean of the exponential extra delay),
/// `loss=2%` (independent packet loss), `seed=7`.
struct LineProfile {
  std::string name = "pstn";
  AudioFormat codec = AudioFormat::mulaw8k();  ///< what the packets carry
  int ptime_ms = 20;
  Duration base_delay = std::chrono::milliseconds(40);
  Duration mean_jitter{};
  double loss = 0;  ///< probability a packet never arrives, 0..0.5
  std::uint64_t seed = 1;

  static Result<LineProfile> parse(std::string_view spec);
  /// Rate of the PCM the line takes from the caller (the codec's rate).
  int pcm_rate_hz() const noexcept { return codec.sample_rate_hz; }
  std::string to_string() const;
};

/// Caller -> session. send() a packet's worth of caller PCM at pcm_rate_hz()
/// each ptime; receive() once per 20 ms returns what the session hears.
class PhoneLine {
 public:
  /// `output_rate_hz`: the rate receive() returns (pcm16 mono).
  static Result<PhoneLine> create(const LineProfile& profile, int output_rate_hz);
  PhoneLine(PhoneLine&&) noexcept;
  PhoneLine& operator=(PhoneLine&&) noexcept;
  ~PhoneLine();

  /// Samples per send() call (ptime at the codec rate).
  std::size_t packet_samples() const noexcept;
  /// Encodes one packet sent at `now`; schedules its arrival (or loses it).
  /// Errors: invalid_argument if `pcm` is not packet_samples() long.
  Status send(std::span<const std::int16_t> pcm, TimePoint now);
  /// The next 20 ms at the output rate (packets that arrived by `now` are
  /// delivered to the jitter buffer first). Gaps are flagged, not invented.
  AudioFrame receive(TimePoint now);

  JitterStats stats() const;
  std::uint64_t packets_sent() const noexcept;
  std::uint64_t packets_dropped() const noexcept;  ///< lost on the line by the profile
  const LineProfile& profile() const noexcept;

 private:
  struct Impl;
  explicit PhoneLine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Session -> caller: the transport's playout buffer. Agent audio is queued as
/// it arrives (bursts, any pcm16 rate) and played at real-time pace, 20 ms per
/// play() call, at `rate_hz`. clear() drops what was not played (barge-in).
class PlayoutQueue {
 public:
  static Result<PlayoutQueue> create(int rate_hz);
  PlayoutQueue(PlayoutQueue&&) noexcept;
  PlayoutQueue& operator=(PlayoutQueue&&) noexcept;
  ~PlayoutQueue();

  /// Queues agent audio (mono pcm16 at any supported rate). Errors name the format.
  Status push(const AudioFrame& frame);
  /// Plays the next 20 ms into `out` (silence where nothing is queued); returns
  /// how many samples were agent audio.
  std::size_t play(std::span<std::int16_t> out);
  void clear();
  bool empty() const noexcept;
  /// Agent samples played so far, at the rate of the pushed audio.
  std::int64_t played_input_samples() const noexcept;
  /// Position on the agent timeline up to which audio was played: the timestamp
  /// of the audio pushed when the queue was empty plus what was played since
  /// (what Session::report_playback takes).
  std::int64_t playback_position() const noexcept;
  /// Queued and not yet played, in ms.
  double queued_ms() const noexcept;
  int rate_hz() const noexcept;
  std::size_t frame_samples() const noexcept;

 private:
  struct Impl;
  explicit PlayoutQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loqui
