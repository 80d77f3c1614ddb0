// SPDX-License-Identifier: Apache-2.0
// File: small compile-time stages for pipeline tests and benchmarks.
#pragma once

#include <numeric>
#include <string>
#include <vector>

#include "loqui/pipeline/chain.hpp"

namespace loqui::testing {

/// Duplicates each sample: pcm16 at `rate` -> pcm16 at 2*rate.
class Upsample2x {
 public:
  explicit Upsample2x(int rate = 8000) : in_(AudioFormat::pcm16(rate)), out_(AudioFormat::pcm16(rate * 2)) {}
  std::string_view name() const { return "upsample2x"; }
  AudioFormat input_format() const { return in_; }
  AudioFormat output_format() const { return out_; }
  template <PushTarget Next>
  Flow push(const AudioFrame& f, Next& next) {
    const auto in = f.samples();
    buf_.resize(in.size() * 2);  // grows once, then stays
    for (std::size_t i = 0; i < in.size(); ++i) buf_[2 * i] = buf_[2 * i + 1] = in[i];
    AudioFrame o = AudioFrame::view(out_, buf_, f.timestamp() * 2);
    o.set_capture_time(f.capture_time());
    return next.push(o);
  }

 private:
  AudioFormat in_, out_;
  std::vector<std::int16_t> buf_;
};

/// Adds a constant to every sample.
class AddOffset {
 public:
  AddOffset(int rate, std::int16_t offset) : fmt_(AudioFormat::pcm16(rate)), offset_(offset) {}
  std::string_view name() const { return "add_offset"; }
  AudioFormat input_format() const { return fmt_; }
  AudioFormat output_format() const { return fmt_; }
  template <PushTarget Next>
  Flow push(const AudioFrame& f, Next& next) {
    const auto in = f.samples();
    buf_.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) buf_[i] = static_cast<std::int16_t>(in[i] + offset_);
    AudioFrame o = AudioFrame::view(fmt_, buf_, f.timestamp());
    return next.push(o);
  }
  void flush() { ++flushes; }
  int flushes = 0;

 private:
  AudioFormat fmt_;
  std::int16_t offset_;
  std::vector<std::int16_t> buf_;
};

/// Holds back the first frame and emits it at finish(): exercises finish() draining.
class DelayOne {
 public:
  explicit DelayOne(int rate) : fmt_(AudioFormat::pcm16(rate)) {}
  std::string_view name() const { return "delay_one"; }
  AudioFormat input_format() const { return fmt_; }
  AudioFormat output_format() const { return fmt_; }
  template <PushTarget Next>
  Flow push(const AudioFrame& f, Next& next) {
    Flow r = Flow::ok;
    if (!held_.empty()) r = next.push(AudioFrame::view(fmt_, held_, held_ts_));
    held_.assign(f.samples().begin(), f.samples().end());
    held_ts_ = f.timestamp();
    return r;
  }
  template <PushTarget Next>
  Flow finish(Next& next) {
    if (held_.empty()) return Flow::ok;
    Flow r = next.push(AudioFrame::view(fmt_, held_, held_ts_));
    held_.clear();
    return r;
  }

 private:
  AudioFormat fmt_;
  std::vector<std::int16_t> held_;
  std::int64_t held_ts_ = 0;
};

/// Sums samples it receives (a sink that does real work but stores nothing).
class Summer {
 public:
  explicit Summer(int rate) : fmt_(AudioFormat::pcm16(rate)) {}
  std::string_view name() const { return "summer"; }
  AudioFormat input_format() const { return fmt_; }
  Flow push(const AudioFrame& f) {
    for (auto s : f.samples()) sum += s;
    ++frames;
    return Flow::ok;
  }
  std::int64_t sum = 0;
  std::int64_t frames = 0;

 private:
  AudioFormat fmt_;
};

/// Records every frame's samples.
class Collector {
 public:
  explicit Collector(int rate) : fmt_(AudioFormat::pcm16(rate)) {}
  std::string_view name() const { return "collector"; }
  AudioFormat input_format() const { return fmt_; }
  Flow push(const AudioFrame& f) {
    frames.emplace_back(f.samples().begin(), f.samples().end());
    timestamps.push_back(f.timestamp());
    return Flow::ok;
  }
  std::vector<std::vector<std::int16_t>> frames;
  std::vector<std::int64_t> timestamps;

 private:
  AudioFormat fmt_;
};

/// A source emitting `count` frames of a ramp.
class RampSource {
 public:
  RampSource(int rate, int frame_samples, int count) : fmt_(AudioFormat::pcm16(rate)), n_(frame_samples), left_(count) {}
  std::string_view name() const { return "ramp"; }
  AudioFormat output_format() const { return fmt_; }
  template <PushTarget Next>
  Flow pull(Next& next) {
    if (left_ == 0) return Flow::eos;
    --left_;
    buf_.resize(static_cast<std::size_t>(n_));
    std::iota(buf_.begin(), buf_.end(), static_cast<std::int16_t>(0));
    Flow r = next.push(AudioFrame::view(fmt_, buf_, ts_));
    ts_ += n_;
    return r;
  }

 private:
  AudioFormat fmt_;
  int n_;
  int left_;
  std::int64_t ts_ = 0;
  std::vector<std::int16_t> buf_;
};

}  // namespace loqui::testing
