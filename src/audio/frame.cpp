// SPDX-License-Identifier: Apache-2.0
// File: AudioFrame and FramePool. A pooled buffer is one heap block (header +
// payload) that goes back onto its pool's free list when the last frame using it is
// destroyed; the pool core lives until the pool and all its blocks are gone.
#include "loqui/audio/frame.hpp"

#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace loqui {

struct FramePool::Core {
  std::mutex mu;
  std::vector<detail::FrameBlock*> free;
  std::size_t buffer_bytes = 0;
  std::size_t outstanding = 0;  // blocks alive (free or in use)
  bool pool_alive = true;
  Stats stats;
};

namespace detail {

struct alignas(std::max_align_t) FrameBlock {
  std::atomic<int> refs{1};
  FramePool::Core* core = nullptr;  // null for oversize blocks owned by no free list
  std::size_t capacity = 0;
  bool oversize = false;
  std::byte* data() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
};

namespace {
FrameBlock* new_block(FramePool::Core* core, std::size_t capacity, bool oversize) {
  void* mem = ::operator new(sizeof(FrameBlock) + capacity);
  auto* b = ::new (mem) FrameBlock();
  b->core = core;
  b->capacity = capacity;
  b->oversize = oversize;
  return b;
}
void delete_block(FrameBlock* b) noexcept {
  b->~FrameBlock();
  ::operator delete(static_cast<void*>(b));
}
}  // namespace

void frame_block_retain(FrameBlock* b) noexcept { b->refs.fetch_add(1, std::memory_order_relaxed); }

void frame_block_release(FrameBlock* b) noexcept {
  if (b->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  FramePool::Core* core = b->core;
  bool destroy_core = false;
  {
    std::lock_guard lock(core->mu);
    --core->stats.buffers_in_use;
    if (core->pool_alive && !b->oversize) {
      b->refs.store(1, std::memory_order_relaxed);
      core->free.push_back(b);
      return;
    }
    --core->outstanding;
    if (!b->oversize) --core->stats.buffers_total;
    destroy_core = !core->pool_alive && core->outstanding == 0;
  }
  delete_block(b);
  if (destroy_core) delete core;
}

}  // namespace detail

// --- AudioFrame -------------------------------------------------------------------

AudioFrame::AudioFrame(const AudioFrame& o) noexcept
    : block_(o.block_), data_(o.data_), size_bytes_(o.size_bytes_), format_(o.format_),
      timestamp_(o.timestamp_), duration_samples_(o.duration_samples_), capture_time_(o.capture_time_),
      flags_(o.flags_) {
  if (block_) detail::frame_block_retain(block_);
}

AudioFrame::AudioFrame(AudioFrame&& o) noexcept
    : block_(std::exchange(o.block_, nullptr)), data_(std::exchange(o.data_, nullptr)),
      size_bytes_(std::exchange(o.size_bytes_, 0)), format_(o.format_), timestamp_(o.timestamp_),
      duration_samples_(o.duration_samples_), capture_time_(o.capture_time_), flags_(o.flags_) {}

AudioFrame& AudioFrame::operator=(const AudioFrame& o) noexcept {
  if (this != &o) {
    AudioFrame copy(o);
    *this = std::move(copy);
  }
  return *this;
}

AudioFrame& AudioFrame::operator=(AudioFrame&& o) noexcept {
  if (this != &o) {
    if (block_) detail::frame_block_release(block_);
    block_ = std::exchange(o.block_, nullptr);
    data_ = std::exchange(o.data_, nullptr);
    size_bytes_ = std::exchange(o.size_bytes_, 0);
    format_ = o.format_;
    timestamp_ = o.timestamp_;
    duration_samples_ = o.duration_samples_;
    capture_time_ = o.capture_time_;
    flags_ = o.flags_;
  }
  return *this;
}

AudioFrame::~AudioFrame() {
  if (block_) detail::frame_block_release(block_);
}

AudioFrame AudioFrame::view(const AudioFormat& format, std::span<const std::int16_t> samples, std::int64_t ts) {
  AudioFrame f;
  f.format_ = format;
  f.format_.encoding = Encoding::pcm16;
  // A view never writes: mutable_* refuse non-pooled frames, so the cast is safe.
  f.data_ = const_cast<std::byte*>(reinterpret_cast<const std::byte*>(samples.data()));
  f.size_bytes_ = samples.size_bytes();
  f.timestamp_ = ts;
  return f;
}

AudioFrame AudioFrame::view_bytes(const AudioFormat& format, std::span<const std::byte> bytes, std::int64_t ts,
                                  std::int64_t duration_samples) {
  AudioFrame f;
  f.format_ = format;
  f.data_ = const_cast<std::byte*>(bytes.data());
  f.size_bytes_ = bytes.size();
  f.timestamp_ = ts;
  f.duration_samples_ = duration_samples;
  return f;
}

std::span<const std::int16_t> AudioFrame::samples() const noexcept {
  if (format_.encoding != Encoding::pcm16 || data_ == nullptr) return {};
  return {reinterpret_cast<const std::int16_t*>(data_), size_bytes_ / sizeof(std::int16_t)};
}

std::span<const float> AudioFrame::samples_f32() const noexcept {
  if (format_.encoding != Encoding::f32 || data_ == nullptr) return {};
  return {reinterpret_cast<const float*>(data_), size_bytes_ / sizeof(float)};
}

bool AudioFrame::unique() const noexcept {
  return block_ != nullptr && block_->refs.load(std::memory_order_acquire) == 1;
}

std::span<std::byte> AudioFrame::mutable_bytes() noexcept {
  if (!unique()) return {};
  return {data_, size_bytes_};
}
std::span<std::int16_t> AudioFrame::mutable_samples() noexcept {
  if (!unique() || format_.encoding != Encoding::pcm16) return {};
  return {reinterpret_cast<std::int16_t*>(data_), size_bytes_ / sizeof(std::int16_t)};
}
std::span<float> AudioFrame::mutable_samples_f32() noexcept {
  if (!unique() || format_.encoding != Encoding::f32) return {};
  return {reinterpret_cast<float*>(data_), size_bytes_ / sizeof(float)};
}

std::int64_t AudioFrame::sample_count() const noexcept {
  if (format_.encoding == Encoding::opus) return duration_samples_ < 0 ? 0 : duration_samples_;
  const std::size_t per = format_.bytes_for(1);
  return per == 0 ? 0 : static_cast<std::int64_t>(size_bytes_ / per);
}

bool AudioFrame::resize(std::size_t samples) noexcept {
  if (!block_) return false;
  const std::size_t bytes = format_.encoding == Encoding::opus ? samples : format_.bytes_for(samples);
  if (bytes > block_->capacity) return false;
  size_bytes_ = bytes;
  return true;
}

std::size_t AudioFrame::capacity_bytes() const noexcept { return block_ ? block_->capacity : 0; }

// --- FramePool --------------------------------------------------------------------

FramePool::FramePool() : FramePool(Options{}) {}

FramePool::FramePool(Options options) : core_(new Core) {
  core_->buffer_bytes = options.buffer_bytes == 0 ? 1 : options.buffer_bytes;
  core_->free.reserve(options.preallocate + 8);
  for (std::size_t i = 0; i < options.preallocate; ++i) {
    core_->free.push_back(detail::new_block(core_, core_->buffer_bytes, false));
    ++core_->outstanding;
    ++core_->stats.buffers_total;
    ++core_->stats.heap_allocations;
  }
}

FramePool::~FramePool() {
  std::vector<detail::FrameBlock*> to_free;
  bool destroy_core = false;
  {
    std::lock_guard lock(core_->mu);
    core_->pool_alive = false;
    to_free.swap(core_->free);
    core_->outstanding -= to_free.size();
    destroy_core = core_->outstanding == 0;
  }
  for (auto* b : to_free) detail::delete_block(b);
  if (destroy_core) delete core_;
}

AudioFrame FramePool::acquire(const AudioFormat& format, std::size_t samples) {
  const std::size_t bytes = format.encoding == Encoding::opus ? samples : format.bytes_for(samples);
  return acquire_bytes(format, bytes);
}

AudioFrame FramePool::acquire_bytes(const AudioFormat& format, std::size_t bytes) {
  detail::FrameBlock* b = nullptr;
  {
    std::lock_guard lock(core_->mu);
    ++core_->stats.acquisitions;
    ++core_->stats.buffers_in_use;
    if (bytes <= core_->buffer_bytes) {
      if (!core_->free.empty()) {
        b = core_->free.back();
        core_->free.pop_back();
      } else {
        ++core_->stats.heap_allocations;
        ++core_->stats.buffers_total;
        ++core_->outstanding;
      }
    } else {
      ++core_->stats.heap_allocations;
      ++core_->stats.oversize;
      ++core_->outstanding;
    }
  }
  if (b == nullptr) {
    const bool oversize = bytes > core_->buffer_bytes;
    b = detail::new_block(core_, oversize ? bytes : core_->buffer_bytes, oversize);
  }
  AudioFrame f;
  f.block_ = b;
  f.data_ = b->data();
  f.size_bytes_ = bytes;
  f.format_ = format;
  return f;
}

AudioFrame FramePool::copy(const AudioFrame& frame) {
  AudioFrame f = acquire_bytes(frame.format(), frame.bytes().size());
  if (!frame.bytes().empty()) std::memcpy(f.data_, frame.bytes().data(), frame.bytes().size());
  f.timestamp_ = frame.timestamp_;
  f.duration_samples_ = frame.duration_samples_;
  f.capture_time_ = frame.capture_time_;
  f.flags_ = frame.flags_;
  return f;
}

FramePool::Stats FramePool::stats() const {
  std::lock_guard lock(core_->mu);
  return core_->stats;
}

std::size_t FramePool::buffer_bytes() const noexcept { return core_->buffer_bytes; }

}  // namespace loqui
