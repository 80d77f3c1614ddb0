// SPDX-License-Identifier: Apache-2.0
// File: AudioFrame (a chunk of audio with its format and timing) and FramePool (the
// per-session pool that lets the media path run without heap allocation).
//
// An AudioFrame is either
//  * a *view* of memory someone else owns (AudioFrame::view): valid only as long
//    as that memory, typically only during the call it is passed to; or
//  * a *pooled* buffer from a FramePool: reference-counted, shared by copies,
//    returned to its pool when the last copy goes away.
// Stages receive `const AudioFrame&` that is valid only during push(); a stage that
// keeps audio must copy it (FramePool::copy) or keep a copy of a pooled frame.
//
// Timing: timestamp() is the media timestamp in per-channel samples since the
// stream started (at the frame's own rate); capture_time() is when the first
// sample was captured or received, on the Runtime clock.
//
// Thread safety: AudioFrame is a value type; copies of one pooled frame may live
// on different threads (the reference count is atomic), but the samples must not be
// written while shared. FramePool: acquire() from one thread at a time (the
// session strand); frames may be released on any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "loqui/audio/format.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

namespace detail {
struct FrameBlock;
void frame_block_retain(FrameBlock* b) noexcept;
void frame_block_release(FrameBlock* b) noexcept;
}  // namespace detail

/// Frame flags: what the samples are, beyond their values.
enum FrameFlags : std::uint32_t {
  kFrameNone = 0,
  /// No audio was received for this span; samples are zero and carry no content.
  /// The uplink jitter buffer emits these instead of synthetic speech so VAD and STT
  /// can tell a network gap from real silence.
  kFrameGap = 1u << 0,
  /// Samples were synthesised by packet-loss concealment (playout mode).
  kFrameConcealed = 1u << 1,
  /// Audio before this frame is not contiguous with it (SSRC change, reset, seek).
  kFrameDiscontinuity = 1u << 2,
  /// Recovered from forward error correction (Opus in-band FEC).
  kFrameFecRecovered = 1u << 3,
  /// Comfort noise or known digital silence.
  kFrameSilence = 1u << 4,
};

class AudioFrame {
 public:
  AudioFrame() = default;
  AudioFrame(const AudioFrame& other) noexcept;
  AudioFrame(AudioFrame&& other) noexcept;
  AudioFrame& operator=(const AudioFrame& other) noexcept;
  AudioFrame& operator=(AudioFrame&& other) noexcept;
  ~AudioFrame();

  /// A non-owning view of pcm16 samples (interleaved if channels > 1).
  static AudioFrame view(const AudioFormat& format, std::span<const std::int16_t> samples,
                         std::int64_t timestamp = 0);
  /// A non-owning view of encoded bytes (mulaw, alaw, l16be, f32, opus ...). For
  /// opus pass the packet's duration in samples.
  static AudioFrame view_bytes(const AudioFormat& format, std::span<const std::byte> bytes,
                               std::int64_t timestamp = 0, std::int64_t duration_samples = -1);

  bool empty() const noexcept { return size_bytes_ == 0; }
  /// True for pooled frames (which own their storage).
  bool pooled() const noexcept { return block_ != nullptr; }
  const AudioFormat& format() const noexcept { return format_; }

  /// Raw bytes in the frame's encoding.
  std::span<const std::byte> bytes() const noexcept { return {data_, size_bytes_}; }
  /// pcm16 samples (interleaved); empty unless encoding is pcm16.
  std::span<const std::int16_t> samples() const noexcept;
  /// f32 samples; empty unless encoding is f32.
  std::span<const float> samples_f32() const noexcept;

  /// Writable access: only for pooled frames with a single owner, or nothing
  /// (empty span) otherwise — writing shared audio would corrupt other holders.
  std::span<std::byte> mutable_bytes() noexcept;
  std::span<std::int16_t> mutable_samples() noexcept;
  std::span<float> mutable_samples_f32() noexcept;
  /// True if this is the only reference to a pooled buffer.
  bool unique() const noexcept;

  /// Per-channel samples in this frame.
  std::int64_t sample_count() const noexcept;
  Duration duration() const noexcept { return format_.duration_of(sample_count()); }

  /// Shrinks or grows the frame within its pooled capacity (per-channel samples).
  /// Returns false for views or if `samples` exceeds the capacity.
  bool resize(std::size_t samples) noexcept;
  /// Capacity of a pooled frame in bytes.
  std::size_t capacity_bytes() const noexcept;

  std::int64_t timestamp() const noexcept { return timestamp_; }
  void set_timestamp(std::int64_t samples) noexcept { timestamp_ = samples; }
  TimePoint capture_time() const noexcept { return capture_time_; }
  void set_capture_time(TimePoint t) noexcept { capture_time_ = t; }
  std::uint32_t flags() const noexcept { return flags_; }
  bool has_flag(FrameFlags f) const noexcept { return (flags_ & f) != 0; }
  void set_flags(std::uint32_t flags) noexcept { flags_ = flags; }
  void add_flags(std::uint32_t flags) noexcept { flags_ |= flags; }
  /// For opus frames: samples the packet decodes to.
  void set_duration_samples(std::int64_t samples) noexcept { duration_samples_ = samples; }
  /// Changes the format label (same byte layout), e.g. channels after a downmix in place.
  void set_format(const AudioFormat& format) noexcept { format_ = format; }

 private:
  friend class FramePool;
  detail::FrameBlock* block_ = nullptr;
  std::byte* data_ = nullptr;
  std::size_t size_bytes_ = 0;
  AudioFormat format_{};
  std::int64_t timestamp_ = 0;
  std::int64_t duration_samples_ = -1;
  TimePoint capture_time_{};
  std::uint32_t flags_ = kFrameNone;
};

/// A pool of fixed-capacity audio buffers. After warm-up, acquire() reuses released
/// buffers and allocates nothing; requests larger than the buffer size get a
/// one-off buffer (counted in Stats::oversize).
///
/// Lifetime: the pool may be destroyed while frames from it are alive; their
/// buffers are freed when the last frame goes.
///
/// @code
///   loqui::FramePool pool({.buffer_bytes = 640, .preallocate = 4});
///   loqui::AudioFrame f = pool.acquire(loqui::AudioFormat::pcm16(16000), 320);
///   std::ranges::fill(f.mutable_samples(), 0);
/// @endcode
class FramePool {
 public:
  struct Options {
    std::size_t buffer_bytes = 3840;  ///< 40 ms of 48 kHz mono pcm16
    std::size_t preallocate = 8;      ///< buffers created up front
  };
  struct Stats {
    std::uint64_t acquisitions = 0;     ///< acquire()/copy() calls
    std::uint64_t heap_allocations = 0; ///< buffers allocated from the heap, ever
    std::uint64_t oversize = 0;         ///< of those, one-off buffers above buffer_bytes
    std::size_t buffers_total = 0;      ///< regular buffers owned (free + in use)
    std::size_t buffers_in_use = 0;
  };

  FramePool();
  explicit FramePool(Options options);
  ~FramePool();
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  /// A pooled frame of `samples` per-channel samples (contents unspecified).
  /// For opus use acquire_bytes.
  AudioFrame acquire(const AudioFormat& format, std::size_t samples);
  /// A pooled frame of `bytes` bytes.
  AudioFrame acquire_bytes(const AudioFormat& format, std::size_t bytes);
  /// A pooled copy of any frame (data, format, timing, flags).
  AudioFrame copy(const AudioFrame& frame);

  Stats stats() const;
  std::size_t buffer_bytes() const noexcept;

  struct Core;  ///< implementation detail (shared with outstanding buffers)

 private:
  Core* core_;  // shared with outstanding blocks
};

}  // namespace loqui
