// SPDX-License-Identifier: Apache-2.0
// File: SttFallback: one SpeechToText over an ordered list of them; on failure or
// timeout the current utterance's audio is replayed to the next provider.
#include <algorithm>
#include <deque>

#include <optional>

#include "provider/switching_stream.hpp"

namespace loqui {

struct SttFallback::Impl : detail::RouteSet<SpeechToText> {};

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

class FallbackSttStream final
    : public SttStream,
      public detail::SwitchingStream<FallbackSttStream, SttStream, SttObserver, SttRelay> {
  using Base = detail::SwitchingStream<FallbackSttStream, SttStream, SttObserver, SttRelay>;
  friend Base;

 public:
  static constexpr std::string_view kKind = "stt";

  FallbackSttStream(std::shared_ptr<SttFallback::Impl> impl, const SessionContext& session,
                    const SttStreamOptions& options, SttObserver& observer)
      : Base(impl->table, session, observer),
        impl_(std::move(impl)),
        options_(options),
        replay_limit_samples_(options.format.samples_in(impl_->table[0].options.replay_limit)) {
    relay_.stream = this;
  }

  ~FallbackSttStream() override { release_streams(); }

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
    if (finalize_points_.size() == 1) watch();
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
    buffer_.clear();
    close();
  }

  // ---- from the relay
  void transcript(std::uint64_t attempt, const Transcript& in) {
    if (!active(attempt)) return;
    if (in.audio_end < in.audio_start) {
      fail(tagged(Error(errc::provider_protocol, what() + ": transcript ends before it starts")));
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
      cursor_.succeed(now());
      watchdog_.cancel();
      watch();
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
    if (active(attempt)) fail(tagged(e));
  }

 private:
  struct Kept {
    AudioFrame frame;    // pooled copy
    std::int64_t start;  // first sample, on this stream's timeline
  };

  Duration offset_duration() const { return options_.format.duration_of(offset_); }

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
    buffer_.push_back({pool_->copy(frame), samples_});
    samples_ += frame.sample_count();
    while (!buffer_.empty() && samples_ - buffer_.front().start > replay_limit_samples_) buffer_.pop_front();
  }

  // Audio before `sample` is settled: no replay needed.
  void trim(std::int64_t sample) {
    while (!buffer_.empty() && buffer_.front().start + buffer_.front().frame.sample_count() <= sample)
      buffer_.pop_front();
  }

  // ---- SwitchingStream hooks
  Result<std::unique_ptr<SttStream>> open_route(std::size_t i) {
    const std::string label = what();
    LOQUI_ASSIGN_OR_RETURN(std::unique_ptr<SttStream> s, detail::guarded(label + " open", [&] {
                             return impl_->providers[i]->open(ctx_, options_, relay_);
                           }));
    // Replay: the new stream's time zero is the first kept sample.
    offset_ = buffer_.empty() ? samples_ : buffer_.front().start;
    Status st = ok_status();
    for (const Kept& k : buffer_) {
      st = detail::guarded(label + " send_audio", [&] { return s->send_audio(k.frame); });
      if (!st) break;
    }
    if (st && hints_) {
      st = detail::guarded(label + " set_hints", [&] {
        s->set_hints(*hints_);
        return ok_status();
      });
    }
    for (std::size_t f = 0; st && f < finalize_points_.size(); ++f) {
      st = detail::guarded(label + " finalize", [&] {
        s->finalize();
        return ok_status();
      });
    }
    if (!st) {
      retire(std::move(s));
      return std::move(st).error();
    }
    return s;
  }
  bool take_discard() { return std::exchange(interim_delivered_, false); }
  void drop_pending() { buffer_.clear(); }

  // Watchdog: the final answering the oldest unanswered finalize().
  void watch() {
    const Duration limit = route().options.first_output_timeout;
    if (limit <= Duration::zero() || finalize_points_.empty()) return;
    const std::uint64_t attempt = attempt_;
    (void)watchdog_.arm(limit, [this, attempt, limit] {
      if (!active(attempt)) return;
      fail(tagged(Error(errc::timeout, what() + ": no final transcript within " +
                                           std::to_string(limit.count() / 1'000'000) + " ms of finalize()")));
    });
  }

  std::shared_ptr<SttFallback::Impl> impl_;
  SttStreamOptions options_;
  std::int64_t replay_limit_samples_;
  std::unique_ptr<FramePool> pool_;
  std::deque<Kept> buffer_;                   // audio after the last final, for replay
  std::deque<std::int64_t> finalize_points_;  // stream sample of each unanswered finalize()
  std::optional<RecognitionHints> hints_;
  std::int64_t samples_ = 0;  // audio received, in samples
  std::int64_t offset_ = 0;   // where the current provider's time zero is
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
  LOQUI_ASSIGN_OR_RETURN(static_cast<detail::RouteSet<SpeechToText>&>(*impl),
                         detail::build_routes(ProviderKind::stt, std::move(routes)));
  std::shared_ptr<SttFallback> fb(new SttFallback());
  fb->info_ = impl->info;
  SttCapabilities caps = impl->providers[0]->capabilities();
  for (const auto& p : impl->providers) {
    const SttCapabilities& c = p->capabilities();
    detail::keep_common_formats(caps.input_formats, c.input_formats);
    caps.interim_results = caps.interim_results && c.interim_results;
    caps.word_timings = caps.word_timings && c.word_timings;
    caps.vendor_endpointing = caps.vendor_endpointing && c.vendor_endpointing;
    caps.vad_events = caps.vad_events && c.vad_events;
    caps.recognition_hints = caps.recognition_hints && c.recognition_hints;
  }
  if (caps.input_formats.empty()) {
    return Error(errc::invalid_config, "stt " + impl->info.description + ": the providers accept no input format in common");
  }
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
