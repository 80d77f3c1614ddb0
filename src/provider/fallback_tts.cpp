// SPDX-License-Identifier: Apache-2.0
// File: TtsFallback: one TextToSpeech over an ordered list of them; on failure or
// timeout the pending text is spoken again by the next provider.
#include <algorithm>
#include <deque>

#include "provider/fallback_internal.hpp"
#include "provider/scheduled_calls.hpp"

namespace loqui {

struct TtsFallback::Impl {
  std::vector<std::shared_ptr<TextToSpeech>> providers;
  detail::RouteTable table;
};

namespace {

class FallbackTtsStream;

class TtsRelay final : public TtsObserver {
 public:
  FallbackTtsStream* stream = nullptr;
  std::uint64_t attempt = 0;
  void on_audio(const AudioFrame& audio) override;
  void on_word_timings(std::span<const WordTiming> words) override;
  void on_done() override;
  void on_error(const Error& error) override;
};

class FallbackTtsStream final : public TtsStream {
 public:
  FallbackTtsStream(std::shared_ptr<TtsFallback::Impl> impl, const SessionContext& session,
                    const TtsStreamOptions& options, TtsObserver& observer)
      : impl_(std::move(impl)),
        ctx_(session),
        options_(options),
        observer_(&observer),
        cursor_(impl_->table),
        watchdog_(session.strand),
        deferred_(session.strand) {
    relay_.stream = this;
  }

  ~FallbackTtsStream() override {
    cancel();
    detail::guarded_void("tts stream destructor", [&] {
      stream_.reset();
      graveyard_.clear();
    });
  }

  // Opens the first admissible provider. Errors: all of them failed to open.
  Status start() {
    if (open_next(/*replay=*/false)) return ok_status();
    return cursor_.exhausted();
  }

  Status send_text(std::string_view text) override {
    if (closed_) return closed_error();
    if (pending_.empty() || pending_.back().flushed) pending_.emplace_back();
    pending_.back().text.append(text);
    forward([&] { return stream_->send_text(text); });
    return ok_status();
  }

  Status flush() override {
    if (closed_) return closed_error();
    if (pending_.empty() || pending_.back().flushed) pending_.emplace_back();
    pending_.back().flushed = true;
    forward([&] { return stream_->flush(); });
    if (pending_.size() == 1) watch_front();
    return ok_status();
  }

  void clear() override {
    if (closed_) return;
    pending_.clear();
    watchdog_.cancel();
    forward([&] {
      stream_->clear();
      return ok_status();
    });
  }

  void cancel() noexcept override {
    if (closed_) return;
    closed_ = true;
    ++attempt_;
    watchdog_.cancel();
    deferred_.clear();
    pending_.clear();
    if (stream_) detail::guarded_void("tts cancel", [&] { stream_->cancel(); });
    cursor_.abandon();
  }

  AudioFormat output_format() const override { return format_; }

  // ---- from the relay
  void audio(std::uint64_t attempt, const AudioFrame& frame) {
    if (!active(attempt)) return;
    if (frame.format() != format_) {
      fail(Error(errc::provider_protocol, "tts '" + cursor_.route().label + "': audio in " +
                                              frame.format().to_string() + ", expected " + format_.to_string())
               .set_provider(cursor_.route().label));
      return;
    }
    if (!announce(attempt)) return;
    if (!pending_.empty()) pending_.front().audio_delivered = true;
    watch_front();
    observer_->on_audio(frame);
  }
  void words(std::uint64_t attempt, std::span<const WordTiming> words) {
    if (active(attempt) && announce(attempt)) observer_->on_word_timings(words);
  }
  void done(std::uint64_t attempt) {
    if (!active(attempt)) return;
    if (!announce(attempt)) return;
    cursor_.succeed(ctx_.strand->now());
    if (!pending_.empty()) pending_.pop_front();
    watchdog_.cancel();
    watch_front();
    observer_->on_done();
  }
  void error(std::uint64_t attempt, const Error& e) {
    if (!active(attempt)) return;
    Error tagged = e;
    if (tagged.provider().empty()) tagged.set_provider(cursor_.route().label);
    fail(tagged);
  }

 private:
  struct Pending {
    std::string text;
    bool flushed = false;
    bool audio_delivered = false;  // audio of it reached the observer from the current provider
  };

  Error closed_error() const { return Error(errc::closed, "tts fallback: stream is closed"); }
  bool active(std::uint64_t attempt) const noexcept { return !closed_ && !failing_ && attempt == attempt_; }

  bool announce(std::uint64_t attempt) {
    if (announced_) return true;
    announced_ = true;
    observer_->on_provider(cursor_.route().label, restarted_);
    restarted_ = false;
    return active(attempt);
  }

  // Calls the current stream on behalf of the consumer. A failure cannot be
  // reported inside the consumer's call, so the switch is deferred to a task.
  template <class F>
  void forward(F&& f) {
    if (failing_ || !stream_) return;  // the deferred switch replays pending text
    Status st = detail::guarded("tts '" + cursor_.route().label + "'", f);
    if (st) return;
    Error e = std::move(st).error();
    if (e.provider().empty()) e.set_provider(cursor_.route().label);
    failing_ = true;
    deferred_.after(Duration::zero(), [this, e = std::make_shared<Error>(std::move(e))] {
      failing_ = false;
      fail(*e);
    });
  }

  // Watchdog for the front utterance once it is flushed: first audio, then gaps.
  void watch_front() {
    if (pending_.empty() || !pending_.front().flushed) {
      watchdog_.cancel();
      return;
    }
    const bool started = pending_.front().audio_delivered;
    const RouteOptions& o = cursor_.route().options;
    const Duration limit = started ? o.idle_timeout : o.first_output_timeout;
    if (limit <= Duration::zero()) {
      watchdog_.cancel();
      return;
    }
    if (!started && watchdog_.armed()) return;  // keep the first-audio deadline of this utterance
    const std::uint64_t attempt = attempt_;
    (void)watchdog_.arm(limit, [this, attempt, limit, started] {
      if (!active(attempt)) return;
      const std::string& label = cursor_.route().label;
      fail(Error(errc::timeout, "tts '" + label + "': " +
                                    (started ? "no audio for " : "no first audio within ") +
                                    std::to_string(limit.count() / 1'000'000) + " ms")
               .set_provider(label));
    });
  }

  // Opens the next admissible provider (and replays pending text); false if none.
  bool open_next(bool replay) {
    for (;;) {
      const int i = cursor_.next(ctx_.strand->now());
      if (i < 0) return false;
      const std::string& label = cursor_.route().label;
      ++attempt_;
      relay_.attempt = attempt_;
      announced_ = false;
      auto opened = detail::guarded("tts '" + label + "' open", [&] {
        return impl_->providers[static_cast<std::size_t>(i)]->open(ctx_, options_, relay_);
      });
      if (!opened) {
        cursor_.fail(ctx_.strand->now(), std::move(opened).error().set_provider(label));
        continue;
      }
      std::unique_ptr<TtsStream> s = std::move(opened).value();
      if (!replay) format_ = s->output_format();
      Status st = ok_status();
      if (s->output_format() != format_) {
        st = Error(errc::format_mismatch, "tts '" + label + "': produces " + s->output_format().to_string() +
                                              ", the stream speaks " + format_.to_string());
      }
      for (const Pending& p : pending_) {
        if (!st) break;
        if (!p.text.empty()) st = detail::guarded("tts '" + label + "' send_text", [&] { return s->send_text(p.text); });
        if (st && p.flushed) st = detail::guarded("tts '" + label + "' flush", [&] { return s->flush(); });
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

  // The stream may be inside its own callback: cancel it now, destroy it later.
  void retire(std::unique_ptr<TtsStream> s) {
    if (!s) return;
    detail::guarded_void("tts cancel", [&] { s->cancel(); });
    graveyard_.push_back(std::move(s));
    deferred_.after(Duration::zero(), [this] {
      detail::guarded_void("tts stream destructor", [&] { graveyard_.clear(); });
    });
  }

  void fail(const Error& e) {
    watchdog_.cancel();
    ++attempt_;
    retire(std::move(stream_));
    cursor_.fail(ctx_.strand->now(), e);
    const bool restarted = !pending_.empty() && pending_.front().audio_delivered;
    for (auto& p : pending_) p.audio_delivered = false;
    if (open_next(/*replay=*/true)) {
      restarted_ = restarted_ || restarted;
      watch_front();
      return;
    }
    closed_ = true;
    pending_.clear();
    observer_->on_error(cursor_.exhausted());
  }

  std::shared_ptr<TtsFallback::Impl> impl_;
  SessionContext ctx_;
  TtsStreamOptions options_;
  TtsObserver* observer_;
  detail::RouteCursor cursor_;
  TtsRelay relay_;
  std::unique_ptr<TtsStream> stream_;
  std::vector<std::unique_ptr<TtsStream>> graveyard_;
  Timer watchdog_;
  detail::ScheduledCalls deferred_;
  std::deque<Pending> pending_;  // utterances not yet done, in order
  AudioFormat format_{};
  std::uint64_t attempt_ = 0;
  bool closed_ = false;
  bool failing_ = false;    // a failure is waiting for its deferred switch
  bool announced_ = false;  // on_provider sent for the current provider
  bool restarted_ = false;  // the next on_provider says: drop the utterance's audio
};

void TtsRelay::on_audio(const AudioFrame& audio) { stream->audio(attempt, audio); }
void TtsRelay::on_word_timings(std::span<const WordTiming> words) { stream->words(attempt, words); }
void TtsRelay::on_done() { stream->done(attempt); }
void TtsRelay::on_error(const Error& error) { stream->error(attempt, error); }

}  // namespace

TtsFallback::~TtsFallback() = default;

Result<std::shared_ptr<TtsFallback>> TtsFallback::create(std::vector<Route<TextToSpeech>> routes) {
  auto impl = std::make_shared<Impl>();
  std::vector<std::string> names;
  std::vector<RouteOptions> options;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (!routes[i].provider)
      return Error(errc::invalid_argument, "tts fallback: route " + std::to_string(i) + " has no provider");
    names.push_back(routes[i].provider->info().name);
    options.push_back(routes[i].options);
    impl->providers.push_back(routes[i].provider);
  }
  LOQUI_ASSIGN_OR_RETURN(impl->table, detail::RouteTable::build(ProviderKind::tts, names, std::move(options)));
  std::shared_ptr<TtsFallback> fb(new TtsFallback());
  fb->info_.kind = ProviderKind::tts;
  fb->info_.name = "fallback";
  TtsCapabilities caps = impl->providers[0]->capabilities();
  std::string chain;
  for (std::size_t i = 0; i < impl->providers.size(); ++i) {
    const auto& p = *impl->providers[i];
    chain += (i ? " -> " : "") + impl->table[i].label;
    fb->info_.needs_real_time = fb->info_.needs_real_time || p.info().needs_real_time;
    const TtsCapabilities& c = p.capabilities();
    std::erase_if(caps.output_formats, [&](const AudioFormat& f) {
      return std::find(c.output_formats.begin(), c.output_formats.end(), f) == c.output_formats.end();
    });
    caps.word_timings = caps.word_timings && c.word_timings;
    caps.streaming_input = caps.streaming_input && c.streaming_input;
  }
  if (caps.output_formats.empty()) {
    return Error(errc::invalid_config, "tts fallback (" + chain + "): the providers have no output format in common");
  }
  fb->info_.description = "fallback: " + chain;
  fb->capabilities_ = std::move(caps);
  fb->impl_ = std::move(impl);
  return fb;
}

Result<std::unique_ptr<TtsStream>> TtsFallback::open(const SessionContext& session, const TtsStreamOptions& options,
                                                     TtsObserver& observer) {
  if (!session.strand) return Error(errc::invalid_argument, "tts fallback: session has no strand");
  auto stream = std::make_unique<FallbackTtsStream>(impl_, session, options, observer);
  LOQUI_TRY(stream->start());
  return std::unique_ptr<TtsStream>(std::move(stream));
}

std::vector<RouteHealth> TtsFallback::health(TimePoint now) const { return impl_->table.health(now); }

}  // namespace loqui
