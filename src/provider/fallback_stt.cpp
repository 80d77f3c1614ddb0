// SPDX-License-Identifier: Apache-2.0
// File: SttFallback: one SpeechToText over an ordered list of them; on failure or
// timeout the current utterance's audio is replayed to the next provider.
#include <algorithm>
#include <deque>

#include "provider/fallback_internal.hpp"
#include "provider/scheduled_calls.hpp"

namespace loqui {

struct SttFallback::Impl {
  std::vector<std::shared_ptr<SpeechToText>> providers;
  detail::RouteTable table;
};

namespace {

class FallbackSttStream;

class SttRelay final : public SttObserver {
 public:
  FallbackSttStream* stream = nullptr;
  std::uint64_t attempt = 0;
  void on_transcript(const Transcript& t) override;
  void on_speech_started(Duration offset) override;
  void on_utterance_end(Duration offset) override;
  void on_error(const Error& error) override;
};

class FallbackSttStream final : public SttStream {
 public:
  FallbackSttStream(std::shared_ptr<SttFallback::Impl> impl, const SessionContext& session,
                    const SttStreamOptions& options, SttObserver& observer)
      : impl_(std::move(impl)),
        ctx_(session),
        options_(options),
        observer_(&observer),
        cursor_(impl_->table),
        replay_limit_samples_(options.format.samples_in(impl_->table[0].options.replay_limit)),
        watchdog_(session.strand),
        deferred_(session.strand) {
    relay_.stream = this;
  }

  ~FallbackSttStream() override {
    cancel();
    detail::guarded_void("stt stream destructor", [&] {
      stream_.reset();
      graveyard_.clear();
    });
  }

  Status start() {
    if (open_next()) return ok_status();
    return cursor_.exhausted();
  }

  Status send_audio(const AudioFrame& frame) override {
    if (closed_) return Error(errc::closed, "stt fallback: stream is closed");
    if (frame.format() != options_.format) {
      return Error(errc::format_mismatch, "stt fallback: frame is " + frame.format().to_string() +
                                              ", the stream was opened for " + options_.format.to_string());
    }
    keep(frame);
    forward([&] { return stream_->send_audio(frame); });
    return ok_status();
  }

  void finalize() override {
    if (closed_) return;
    finalize_points_.push_back(samples_);
    forward([&] {
      stream_->finalize();
      return ok_status();
    });
    if (finalize_points_.size() == 1) arm_watchdog();
  }

  void set_hints(const RecognitionHints& hints) override {
    if (closed_) return;
    hints_ = hints;
    forward([&] {
      stream_->set_hints(hints);
      return ok_status();
    });
  }

  void cancel() noexcept override {
    if (closed_) return;
    closed_ = true;
    ++attempt_;
    watchdog_.cancel();
    deferred_.clear();
    buffer_.clear();
    if (stream_) detail::guarded_void("stt cancel", [&] { stream_->cancel(); });
    cursor_.abandon();
  }

  // ---- from the relay
  void transcript(std::uint64_t attempt, const Transcript& in) {
    if (!active(attempt)) return;
    if (in.audio_end < in.audio_start) {
      fail(Error(errc::provider_protocol, "stt '" + cursor_.route().label + "': transcript ends before it starts")
               .set_provider(cursor_.route().label));
      return;
    }
    Transcript t = in;
    shift(t);
    if (!announce(attempt)) return;
    if (t.is_final) {
      interim_delivered_ = false;
      trim(options_.format.samples_in(t.audio_end));
    } else {
      interim_delivered_ = true;
    }
    if (t.from_finalize && !finalize_points_.empty()) {
      trim(finalize_points_.front());
      finalize_points_.pop_front();
      cursor_.succeed(ctx_.strand->now());
      watchdog_.cancel();
      if (!finalize_points_.empty()) arm_watchdog();
    }
    observer_->on_transcript(t);
  }
  void speech_started(std::uint64_t attempt, Duration offset) {
    if (active(attempt)) observer_->on_speech_started(offset + offset_duration());
  }
  void utterance_end(std::uint64_t attempt, Duration offset) {
    if (active(attempt)) observer_->on_utterance_end(offset + offset_duration());
  }
  void error(std::uint64_t attempt, const Error& e) {
    if (!active(attempt)) return;
    Error tagged = e;
    if (tagged.provider().empty()) tagged.set_provider(cursor_.route().label);
    fail(tagged);
  }

 private:
  struct Kept {
    AudioFrame frame;    // pooled copy
    std::int64_t start;  // first sample, on this stream's timeline
  };

  bool active(std::uint64_t attempt) const noexcept { return !closed_ && !failing_ && attempt == attempt_; }
  Duration offset_duration() const { return options_.format.duration_of(offset_); }

  bool announce(std::uint64_t attempt) {
    if (announced_) return true;
    announced_ = true;
    observer_->on_provider(cursor_.route().label, restarted_);
    restarted_ = false;
    return active(attempt);
  }

  // Results of a replacement provider count from the replay start.
  void shift(Transcript& t) const {
    const Duration d = offset_duration();
    t.audio_start += d;
    t.audio_end += d;
    for (auto& w : t.words) {
      w.start += d;
      w.end += d;
    }
  }

  // Keeps a copy of `frame` for replay; the oldest audio beyond the limit goes.
  void keep(const AudioFrame& frame) {
    if (!pool_) {
      pool_ = std::make_unique<FramePool>(
          FramePool::Options{.buffer_bytes = std::max<std::size_t>(frame.bytes().size(), 320), .preallocate = 0});
    }
    const std::int64_t n = frame.sample_count();
    buffer_.push_back({pool_->copy(frame), samples_});
    samples_ += n;
    while (!buffer_.empty() && samples_ - buffer_.front().start > replay_limit_samples_) buffer_.pop_front();
  }

  // Audio before `sample` is settled: no replay needed.
  void trim(std::int64_t sample) {
    while (!buffer_.empty() && buffer_.front().start + buffer_.front().frame.sample_count() <= sample)
      buffer_.pop_front();
  }

  template <class F>
  void forward(F&& f) {
    if (failing_ || !stream_) return;  // the deferred switch replays the buffer
    Status st = detail::guarded("stt '" + cursor_.route().label + "'", f);
    if (st) return;
    Error e = std::move(st).error();
    if (e.provider().empty()) e.set_provider(cursor_.route().label);
    failing_ = true;
    deferred_.after(Duration::zero(), [this, e = std::make_shared<Error>(std::move(e))] {
      failing_ = false;
      fail(*e);
    });
  }

  void arm_watchdog() {
    const Duration limit = cursor_.route().options.first_output_timeout;
    if (limit <= Duration::zero() || finalize_points_.empty()) return;
    const std::uint64_t attempt = attempt_;
    (void)watchdog_.arm(limit, [this, attempt, limit] {
      if (!active(attempt)) return;
      const std::string& label = cursor_.route().label;
      fail(Error(errc::timeout, "stt '" + label + "': no final transcript within " +
                                    std::to_string(limit.count() / 1'000'000) + " ms of finalize()")
               .set_provider(label));
    });
  }

  bool open_next() {
    for (;;) {
      const int i = cursor_.next(ctx_.strand->now());
      if (i < 0) return false;
      const std::string& label = cursor_.route().label;
      ++attempt_;
      relay_.attempt = attempt_;
      announced_ = false;
      auto opened = detail::guarded("stt '" + label + "' open", [&] {
        return impl_->providers[static_cast<std::size_t>(i)]->open(ctx_, options_, relay_);
      });
      if (!opened) {
        cursor_.fail(ctx_.strand->now(), std::move(opened).error().set_provider(label));
        continue;
      }
      std::unique_ptr<SttStream> s = std::move(opened).value();
      // Replay: the new stream's time zero is the first buffered sample.
      offset_ = buffer_.empty() ? samples_ : buffer_.front().start;
      Status st = ok_status();
      for (const Kept& k : buffer_) {
        st = detail::guarded("stt '" + label + "' send_audio", [&] { return s->send_audio(k.frame); });
        if (!st) break;
      }
      if (st && hints_) {
        st = detail::guarded("stt '" + label + "' set_hints", [&] {
          s->set_hints(*hints_);
          return ok_status();
        });
      }
      for (std::size_t f = 0; st && f < finalize_points_.size(); ++f) {
        st = detail::guarded("stt '" + label + "' finalize", [&] {
          s->finalize();
          return ok_status();
        });
      }
      if (!st) {
        retire(std::move(s));
        Error e = std::move(st).error();
        if (e.provider().empty()) e.set_provider(label);
        cursor_.fail(ctx_.strand->now(), e);
        continue;
      }
      stream_ = std::move(s);
      return true;
    }
  }

  void retire(std::unique_ptr<SttStream> s) {
    if (!s) return;
    detail::guarded_void("stt cancel", [&] { s->cancel(); });
    graveyard_.push_back(std::move(s));
    deferred_.after(Duration::zero(), [this] {
      detail::guarded_void("stt stream destructor", [&] { graveyard_.clear(); });
    });
  }

  void fail(const Error& e) {
    watchdog_.cancel();
    ++attempt_;
    retire(std::move(stream_));
    cursor_.fail(ctx_.strand->now(), e);
    const bool restarted = interim_delivered_;
    interim_delivered_ = false;
    if (open_next()) {
      restarted_ = restarted_ || restarted;
      arm_watchdog();
      return;
    }
    closed_ = true;
    buffer_.clear();
    observer_->on_error(cursor_.exhausted());
  }

  std::shared_ptr<SttFallback::Impl> impl_;
  SessionContext ctx_;
  SttStreamOptions options_;
  SttObserver* observer_;
  detail::RouteCursor cursor_;
  std::int64_t replay_limit_samples_;
  SttRelay relay_;
  std::unique_ptr<SttStream> stream_;
  std::vector<std::unique_ptr<SttStream>> graveyard_;
  Timer watchdog_;
  detail::ScheduledCalls deferred_;
  std::unique_ptr<FramePool> pool_;
  std::deque<Kept> buffer_;                  // audio after the last final, for replay
  std::deque<std::int64_t> finalize_points_;  // stream sample of each unanswered finalize()
  std::optional<RecognitionHints> hints_;
  std::int64_t samples_ = 0;  // audio received, in samples
  std::int64_t offset_ = 0;   // where the current provider's time zero is
  std::uint64_t attempt_ = 0;
  bool closed_ = false;
  bool failing_ = false;
  bool announced_ = false;
  bool restarted_ = false;
  bool interim_delivered_ = false;  // interim results of the current utterance were delivered
};

void SttRelay::on_transcript(const Transcript& t) { stream->transcript(attempt, t); }
void SttRelay::on_speech_started(Duration offset) { stream->speech_started(attempt, offset); }
void SttRelay::on_utterance_end(Duration offset) { stream->utterance_end(attempt, offset); }
void SttRelay::on_error(const Error& error) { stream->error(attempt, error); }

}  // namespace

SttFallback::~SttFallback() = default;

Result<std::shared_ptr<SttFallback>> SttFallback::create(std::vector<Route<SpeechToText>> routes) {
  auto impl = std::make_shared<Impl>();
  std::vector<std::string> names;
  std::vector<RouteOptions> options;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (!routes[i].provider)
      return Error(errc::invalid_argument, "stt fallback: route " + std::to_string(i) + " has no provider");
    names.push_back(routes[i].provider->info().name);
    options.push_back(routes[i].options);
    impl->providers.push_back(routes[i].provider);
  }
  LOQUI_ASSIGN_OR_RETURN(impl->table, detail::RouteTable::build(ProviderKind::stt, names, std::move(options)));
  std::shared_ptr<SttFallback> fb(new SttFallback());
  fb->info_.kind = ProviderKind::stt;
  fb->info_.name = "fallback";
  SttCapabilities caps = impl->providers[0]->capabilities();
  std::string chain;
  for (std::size_t i = 0; i < impl->providers.size(); ++i) {
    const auto& p = *impl->providers[i];
    chain += (i ? " -> " : "") + impl->table[i].label;
    fb->info_.needs_real_time = fb->info_.needs_real_time || p.info().needs_real_time;
    const SttCapabilities& c = p.capabilities();
    std::erase_if(caps.input_formats, [&](const AudioFormat& f) {
      return std::find(c.input_formats.begin(), c.input_formats.end(), f) == c.input_formats.end();
    });
    caps.interim_results = caps.interim_results && c.interim_results;
    caps.word_timings = caps.word_timings && c.word_timings;
    caps.vendor_endpointing = caps.vendor_endpointing && c.vendor_endpointing;
    caps.vad_events = caps.vad_events && c.vad_events;
    caps.recognition_hints = caps.recognition_hints && c.recognition_hints;
  }
  if (caps.input_formats.empty()) {
    return Error(errc::invalid_config, "stt fallback (" + chain + "): the providers accept no input format in common");
  }
  fb->info_.description = "fallback: " + chain;
  fb->capabilities_ = std::move(caps);
  fb->impl_ = std::move(impl);
  return fb;
}

Result<std::unique_ptr<SttStream>> SttFallback::open(const SessionContext& session, const SttStreamOptions& options,
                                                     SttObserver& observer) {
  if (!session.strand) return Error(errc::invalid_argument, "stt fallback: session has no strand");
  if (std::find(capabilities_.input_formats.begin(), capabilities_.input_formats.end(), options.format) ==
      capabilities_.input_formats.end()) {
    return Error(errc::format_mismatch, "stt fallback: format " + options.format.to_string() +
                                            " is not accepted by every provider (" + info_.description + ")");
  }
  auto stream = std::make_unique<FallbackSttStream>(impl_, session, options, observer);
  LOQUI_TRY(stream->start());
  return std::unique_ptr<SttStream>(std::move(stream));
}

std::vector<RouteHealth> SttFallback::health(TimePoint now) const { return impl_->table.health(now); }

}  // namespace loqui
