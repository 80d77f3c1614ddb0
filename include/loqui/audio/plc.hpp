// SPDX-License-Identifier: Apache-2.0
// File: packet-loss concealment for codecs without their own (G.711, L16), in the
// spirit of ITU-T G.711 Appendix I: the pitch period of the last 48.75 ms of good
// audio is found by normalised cross-correlation (66-200 Hz), the last period is
// repeated, with a quarter-period overlap-add where the repetition wraps; after
// 10 ms of loss the last two, after 20 ms the last three periods are cycled (less
// buzz), the signal fades linearly from 10 ms and is silent from 60 ms; the first
// good audio after a loss is cross-faded from the synthetic signal over 4 ms (+4 ms
// per further 10 ms lost, at most 10 ms).
//
// Unlike Appendix I this variant adds no delay (App. I delays output by 3.75 ms to
// overlap-add into the last good samples): the seam into the loss is smoothed by
// cross-fading from the time-reversed last quarter period, which keeps the signal
// continuous without holding audio back.
//
// All lengths are defined at 8 kHz and scale with the rate. Buffers are allocated
// by the constructor; on_good() and conceal() never allocate.
//
// Thread safety: per-stream state, confined to one strand.
//
// @code
//   loqui::PitchConcealer plc(8000);
//   // for each 20 ms of audio:
//   if (received) { decode(pkt, pcm); plc.on_good(pcm); }  // may cross-fade pcm in place
//   else          { plc.conceal(pcm); }
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace loqui {

class PitchConcealer {
 public:
  /// `sample_rate_hz`: 4000..96000 (mono).
  explicit PitchConcealer(int sample_rate_hz = 8000);

  /// Good audio, in order. After a loss, the start of `samples` is cross-faded in
  /// place from the synthetic continuation.
  void on_good(std::span<std::int16_t> samples) noexcept;
  /// Synthesises `out.size()` samples for lost audio (continuing any loss in progress).
  void conceal(std::span<std::int16_t> out) noexcept;
  /// Forgets history (new stream).
  void reset() noexcept;

  int sample_rate_hz() const noexcept { return rate_; }
  /// Pitch period (samples) used by the loss in progress or the last one; 0 before any.
  int pitch_samples() const noexcept { return pitch_; }
  /// Samples lost in the current run of consecutive losses (0 while audio is good).
  std::size_t lost_samples() const noexcept { return lost_; }
  /// Total samples synthesised and number of loss events (runs) since construction.
  std::uint64_t concealed_samples_total() const noexcept { return concealed_total_; }
  std::uint64_t loss_events() const noexcept { return events_; }

 private:
  std::size_t ms(double milliseconds) const noexcept;
  void remember(std::span<const std::int16_t> samples) noexcept;
  void unroll_history() noexcept;
  int find_pitch() noexcept;
  void build_cycle(int periods) noexcept;
  float next_synthetic() noexcept;
  float gain_at(std::size_t lost) const noexcept;

  int rate_;
  std::vector<std::int16_t> ring_;  // the last 48.75 ms of good audio (ring)
  std::size_t ring_pos_ = 0;        // next write position in ring_
  std::vector<float> history_;      // ring_ unrolled, oldest first, when a loss starts
  std::vector<float> cycle_;    // the repeated periods (with the wrap cross-faded)
  std::vector<float> prev_cycle_;  // the cycle being faded out when more periods are used
  std::vector<float> tail_;     // time-reversed end of the good audio, for the entry fade
  std::vector<float> scores_;   // pitch search scratch, by lag
  std::size_t cycle_len_ = 0;
  std::size_t cycle_pos_ = 0;
  std::size_t prev_len_ = 0;
  std::size_t prev_pos_ = 0;
  std::size_t fade_len_ = 0;
  std::size_t fade_left_ = 0;
  std::size_t entry_len_ = 0;
  int periods_ = 0;
  int pitch_ = 0;
  std::size_t lost_ = 0;
  std::uint64_t concealed_total_ = 0;
  std::uint64_t events_ = 0;
};

}  // namespace loqui
