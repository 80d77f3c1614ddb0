// SPDX-License-Identifier: Apache-2.0
// File: PhoneLine (caller -> session over a simulated carrier) and PlayoutQueue
// (session -> caller at real-time pace).
#include "loqui/sim/phone_line.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "loqui/audio/codecs.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/sim/caller_script.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error line_error(std::string_view spec, const std::string& what) {
  return Error(errc::invalid_argument, fmt::format("line '{}': {}", spec, what));
}

/// splitmix64: small, seedable, the same sequence on every platform.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

/// Mono pcm16 FIFO fed by a resampler (or copied through at equal rates), read
/// in fixed frames. Sized once; reused by PhoneLine and PlayoutQueue.
class ResampledFifo {
 public:
  static Result<ResampledFifo> create(int in_rate, int out_rate, std::size_t frame_samples) {
    ResampledFifo f;
    f.frame_ = frame_samples;
    LOQUI_TRY(f.set_input_rate(in_rate, out_rate));
    return f;
  }
  int input_rate() const noexcept { return in_rate_; }
  /// Converts from another rate from now on; what is buffered stays.
  Status set_input_rate(int in_rate, int out_rate) {
    if (in_rate == out_rate) {
      resampler_.reset();
    } else {
      LOQUI_ASSIGN_OR_RETURN(auto r, Resampler::create({.input_rate_hz = in_rate, .output_rate_hz = out_rate}));
      resampler_.emplace(std::move(r));
      scratch_.resize(resampler_->max_output_samples(static_cast<std::size_t>(in_rate / 10)));
    }
    in_rate_ = in_rate;
    return ok_status();
  }
  Status write(std::span<const std::int16_t> in) {
    if (!resampler_) {
      push_samples(in);
      return ok_status();
    }
    const std::size_t piece = static_cast<std::size_t>(in_rate_ / 10);  // 100 ms fits scratch_
    for (std::size_t at = 0; at < in.size(); at += piece) {
      LOQUI_ASSIGN_OR_RETURN(auto n, resampler_->process(in.subspan(at, std::min(piece, in.size() - at)), scratch_));
      push_samples(std::span<const std::int16_t>(scratch_).first(n));
    }
    return ok_status();
  }
  /// Up to one frame into `out`; returns samples copied.
  std::size_t read(std::span<std::int16_t> out) {
    const std::size_t n = std::min({out.size(), size(), frame_});
    for (std::size_t i = 0; i < n; ++i) out[i] = ring_[(head_ + i) % ring_.size()];
    head_ = (head_ + n) % std::max<std::size_t>(1, ring_.size());
    size_ -= n;
    return n;
  }
  std::size_t size() const noexcept { return size_; }
  void clear() {
    head_ = 0;
    size_ = 0;
    if (resampler_) resampler_->reset();
  }

 private:
  int in_rate_ = 0;
  std::size_t frame_ = 0;
  std::optional<Resampler> resampler_;
  std::vector<std::int16_t> scratch_;
  // A ring that grows only when a burst outruns it (agent audio arrives faster
  // than real time), so the steady state allocates nothing.
  std::vector<std::int16_t> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;

  void push_samples(std::span<const std::int16_t> in) {
    if (size_ + in.size() > ring_.size()) {
      std::vector<std::int16_t> bigger(std::max<std::size_t>(ring_.size() * 2, size_ + in.size() + 4096));
      for (std::size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) % ring_.size()];
      ring_ = std::move(bigger);
      head_ = 0;
    }
    for (std::size_t i = 0; i < in.size(); ++i) ring_[(head_ + size_ + i) % ring_.size()] = in[i];
    size_ += in.size();
  }
};

}  // namespace

// ---------------------------------------------------------------- LineProfile

Result<LineProfile> LineProfile::parse(std::string_view spec) {
  LineProfile p;
  std::string_view rest = spec;
  std::size_t comma = rest.find(',');
  const std::string_view name = trim(rest.substr(0, comma));
  rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  if (name == "pstn" || name.empty()) {
    p.codec = AudioFormat::mulaw8k();
  } else if (name == "pstn-alaw") {
    p.codec = AudioFormat::alaw8k();
  } else if (name == "wideband") {
    p.codec = {16000, 1, Encoding::opus};
  } else if (name == "l16") {
    p.codec = AudioFormat::pcm16(16000);
  } else {
    return line_error(spec, fmt::format("unknown profile '{}' (expected pstn, pstn-alaw, wideband or l16)", name));
  }
  p.name = name.empty() ? "pstn" : std::string(name);
  while (!rest.empty()) {
    comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return line_error(spec, fmt::format("'{}' is not key=value", item));
    const std::string_view key = trim(item.substr(0, eq));
    std::string_view value = trim(item.substr(eq + 1));
    if (key == "loss") {
      const bool pct = !value.empty() && value.back() == '%';
      if (pct) value.remove_suffix(1);
      double v = -1;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size()) v = -1;
      if (pct) v /= 100.0;
      if (!(v >= 0 && v <= 0.5)) return line_error(spec, fmt::format("loss must be 0..50%, found '{}'", item));
      p.loss = v;
    } else if (key == "seed") {
      std::uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size())
        return line_error(spec, fmt::format("seed must be an unsigned integer, found '{}'", value));
      p.seed = v;
    } else if (key == "delay" || key == "jitter" || key == "ptime") {
      const auto d = parse_duration(value);
      if (!d) return line_error(spec, fmt::format("{} must be a duration like 40ms, found '{}'", key, value));
      if (key == "delay") p.base_delay = *d;
      if (key == "jitter") p.mean_jitter = *d;
      if (key == "ptime") {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
        if (ms != 10 && ms != 20 && ms != 40 && ms != 60)
          return line_error(spec, fmt::format("ptime must be 10, 20, 40 or 60 ms, found '{}'", value));
        p.ptime_ms = static_cast<int>(ms);
      }
    } else {
      return line_error(spec, fmt::format("unknown key '{}' (expected ptime, delay, jitter, loss or seed)", key));
    }
  }
  return p;
}

std::string LineProfile::to_string() const {
  return fmt::format("{} ({}, {} ms packets, delay {:.0f} ms, jitter {:.0f} ms, loss {:.1f}%)", name,
                     codec.to_string(), ptime_ms, to_ms(base_delay), to_ms(mean_jitter), loss * 100);
}

// ------------------------------------------------------------------ PhoneLine

struct PhoneLine::Impl {
  struct Pending {
    TimePoint arrival;
    std::uint64_t order;  ///< tie-break: send order
    std::uint16_t seq;
    std::uint32_t ts;
    std::vector<std::byte> payload;
    bool operator>(const Pending& o) const noexcept {
      return arrival != o.arrival ? arrival > o.arrival : order > o.order;
    }
  };

  LineProfile profile;
  int out_rate = 16000;
  std::unique_ptr<AudioEncoder> encoder;
  std::unique_ptr<AudioDecoder> decoder;
  std::optional<JitterBuffer> jitter;
  std::optional<ResampledFifo> fifo;
  Rng rng{1};
  std::vector<Pending> in_flight;  ///< a min-heap on arrival (std::push_heap with greater<>)
  std::vector<std::byte> packet;
  std::vector<std::vector<std::byte>> spare;  ///< payload buffers of delivered packets, reused
  std::vector<std::int16_t> out;
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;
  std::uint32_t timestamp = 0;
  std::int64_t out_timestamp = 0;
  std::uint32_t pending_flags = 0;
};

PhoneLine::PhoneLine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PhoneLine::PhoneLine(PhoneLine&&) noexcept = default;
PhoneLine& PhoneLine::operator=(PhoneLine&&) noexcept = default;
PhoneLine::~PhoneLine() = default;

Result<PhoneLine> PhoneLine::create(const LineProfile& profile, int output_rate_hz) {
  auto impl = std::make_unique<Impl>();
  impl->profile = profile;
  impl->out_rate = output_rate_hz;
  impl->rng.state = profile.seed;
  LOQUI_ASSIGN_OR_RETURN(impl->encoder, make_encoder(profile.codec, {.frame_ms = profile.ptime_ms}));
  LOQUI_ASSIGN_OR_RETURN(impl->decoder, make_decoder(profile.codec));
  JitterBufferConfig jc;
  jc.mode = JitterMode::uplink;
  jc.frame_ms = 20;
  jc.clock_rate_hz = profile.codec.sample_rate_hz;
  LOQUI_ASSIGN_OR_RETURN(auto jb, JitterBuffer::create(jc, *impl->decoder));
  impl->jitter.emplace(std::move(jb));
  const std::size_t out_frame = static_cast<std::size_t>(output_rate_hz / 50);
  LOQUI_ASSIGN_OR_RETURN(auto fifo, ResampledFifo::create(profile.codec.sample_rate_hz, output_rate_hz, out_frame));
  impl->fifo.emplace(std::move(fifo));
  impl->packet.resize(4000);
  impl->out.resize(out_frame);
  return PhoneLine(std::move(impl));
}

std::size_t PhoneLine::packet_samples() const noexcept {
  return static_cast<std::size_t>(impl_->profile.codec.sample_rate_hz / 1000 * impl_->profile.ptime_ms);
}

Status PhoneLine::send(std::span<const std::int16_t> pcm, TimePoint now) {
  Impl& s = *impl_;
  if (pcm.size() != packet_samples())
    return Error(errc::invalid_argument,
                 fmt::format("phone line: send() takes {} samples ({} ms at {} Hz), got {}", packet_samples(),
                             s.profile.ptime_ms, s.profile.codec.sample_rate_hz, pcm.size()));
  LOQUI_ASSIGN_OR_RETURN(auto bytes, s.encoder->encode(pcm, s.packet));
  const auto seq = static_cast<std::uint16_t>(s.sent & 0xffff);
  const std::uint32_t ts = s.timestamp;
  s.timestamp += static_cast<std::uint32_t>(pcm.size());
  ++s.sent;
  if (s.profile.loss > 0 && s.rng.uniform() < s.profile.loss) {
    ++s.dropped;
    return ok_status();
  }
  Duration delay = s.profile.base_delay;
  if (s.profile.mean_jitter.count() > 0) {
    const double u = std::max(1e-12, s.rng.uniform());
    delay += Duration(static_cast<std::int64_t>(-std::log(u) * static_cast<double>(s.profile.mean_jitter.count())));
  }
  std::vector<std::byte> payload;
  if (!s.spare.empty()) {
    payload = std::move(s.spare.back());
    s.spare.pop_back();
  }
  payload.assign(s.packet.begin(), s.packet.begin() + static_cast<std::ptrdiff_t>(bytes));
  s.in_flight.push_back({now + delay, s.sent, seq, ts, std::move(payload)});
  std::push_heap(s.in_flight.begin(), s.in_flight.end(), std::greater<>{});
  return ok_status();
}

AudioFrame PhoneLine::receive(TimePoint now) {
  Impl& s = *impl_;
  while (!s.in_flight.empty() && s.in_flight.front().arrival <= now) {
    std::pop_heap(s.in_flight.begin(), s.in_flight.end(), std::greater<>{});
    Impl::Pending& p = s.in_flight.back();
    s.jitter->push({.sequence_number = p.seq, .timestamp = p.ts, .ssrc = 0x10c01, .arrival = p.arrival,
                    .payload = p.payload});
    if (s.spare.size() < 64) s.spare.push_back(std::move(p.payload));  // reused by send()
    s.in_flight.pop_back();
  }
  // The jitter buffer and the resampler run at 20 ms a call; the FIFO absorbs
  // the resampler's start-up latency, so each call returns exactly 20 ms.
  const AudioFrame decoded = s.jitter->get_audio(now);
  s.pending_flags |= decoded.flags();
  (void)s.fifo->write(decoded.samples());
  const std::size_t got = s.fifo->read(s.out);
  std::fill(s.out.begin() + static_cast<std::ptrdiff_t>(got), s.out.end(), std::int16_t{0});
  AudioFrame frame = AudioFrame::view(AudioFormat::pcm16(s.out_rate), s.out);
  frame.set_timestamp(s.out_timestamp);
  frame.set_capture_time(now);
  frame.set_flags(s.pending_flags);
  s.pending_flags = kFrameNone;
  s.out_timestamp += static_cast<std::int64_t>(s.out.size());
  return frame;
}

JitterStats PhoneLine::stats() const { return impl_->jitter->stats(); }
std::uint64_t PhoneLine::packets_sent() const noexcept { return impl_->sent; }
std::uint64_t PhoneLine::packets_dropped() const noexcept { return impl_->dropped; }
const LineProfile& PhoneLine::profile() const noexcept { return impl_->profile; }

// --------------------------------------------------------------- PlayoutQueue

struct PlayoutQueue::Impl {
  int rate = 16000;
  std::optional<ResampledFifo> fifo;
  double played_input = 0;       ///< agent samples played, at the rate they were pushed
  std::int64_t base = 0;          ///< timestamp of the audio queued after the queue ran dry
  double played_since_base = 0;
};

PlayoutQueue::PlayoutQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PlayoutQueue::PlayoutQueue(PlayoutQueue&&) noexcept = default;
PlayoutQueue& PlayoutQueue::operator=(PlayoutQueue&&) noexcept = default;
PlayoutQueue::~PlayoutQueue() = default;

Result<PlayoutQueue> PlayoutQueue::create(int rate_hz) {
  if (rate_hz < 8000 || rate_hz > 48000 || rate_hz % 50 != 0)
    return Error(errc::invalid_argument, fmt::format("playout: rate_hz must be 8000..48000, got {}", rate_hz));
  auto impl = std::make_unique<Impl>();
  impl->rate = rate_hz;
  return PlayoutQueue(std::move(impl));
}

Status PlayoutQueue::push(const AudioFrame& frame) {
  Impl& s = *impl_;
  const AudioFormat f = frame.format();
  if (f.encoding != Encoding::pcm16 || f.channels != 1)
    return Error(errc::format_mismatch, "playout: agent audio must be mono pcm16, got " + f.to_string());
  if (empty()) {
    s.base = frame.timestamp();
    s.played_since_base = 0;
  }
  if (!s.fifo) {
    LOQUI_ASSIGN_OR_RETURN(auto fifo, ResampledFifo::create(f.sample_rate_hz, s.rate, frame_samples()));
    s.fifo.emplace(std::move(fifo));
  } else if (s.fifo->input_rate() != f.sample_rate_hz) {
    // The TTS changed rate (a fallback provider): a new converter, created once
    // per change, never per frame; audio already queued stays queued.
    LOQUI_TRY(s.fifo->set_input_rate(f.sample_rate_hz, s.rate));
  }
  return s.fifo->write(frame.samples());
}

std::size_t PlayoutQueue::play(std::span<std::int16_t> out) {
  Impl& s = *impl_;
  const std::size_t n = s.fifo ? s.fifo->read(out.first(std::min(out.size(), frame_samples()))) : 0;
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), std::int16_t{0});
  if (n > 0) {
    const double in = static_cast<double>(n) * s.fifo->input_rate() / s.rate;
    s.played_input += in;
    s.played_since_base += in;
  }
  return n;
}

void PlayoutQueue::clear() {
  if (impl_->fifo) impl_->fifo->clear();
}
bool PlayoutQueue::empty() const noexcept { return !impl_->fifo || impl_->fifo->size() == 0; }
std::int64_t PlayoutQueue::played_input_samples() const noexcept {
  return static_cast<std::int64_t>(std::llround(impl_->played_input));
}
std::int64_t PlayoutQueue::playback_position() const noexcept {
  return impl_->base + static_cast<std::int64_t>(std::llround(impl_->played_since_base));
}
double PlayoutQueue::queued_ms() const noexcept {
  return impl_->fifo ? static_cast<double>(impl_->fifo->size()) * 1000.0 / impl_->rate : 0.0;
}
int PlayoutQueue::rate_hz() const noexcept { return impl_->rate; }
std::size_t PlayoutQueue::frame_samples() const noexcept { return static_cast<std::size_t>(impl_->rate / 50); }

}  // namespace loqui
