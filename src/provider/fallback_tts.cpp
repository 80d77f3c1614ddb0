// SPDX-License-Identifier: Apache-2.0
// File: TtsFallback: one TextToSpeech over an ordered list of them; on failure or
// timeout the pending text is spoken again by the next provider.
#include <algorithm>
#include <deque>

#include <optional>

#include "provider/switching_stream.hpp"

namespace loqui {

struct TtsFallback::Impl : detail::RouteSet<TextToSpeech> {};

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

class FallbackTtsStream final
    : public TtsStream,
      public detail::SwitchingStream<FallbackTtsStream, TtsStream, TtsObserver, TtsRelay> {
  using Base = detail::SwitchingStream<FallbackTtsStream, TtsStream, TtsObserver, TtsRelay>;
  friend Base;

 public:
  static constexpr std::string_view kKind = "tts";

  FallbackTtsStream(std::shared_ptr<TtsFallback::Impl> impl, const SessionContext& session,
                    const TtsStreamOptions& options, TtsObserver& observer)
      : Base(impl->table, session, observer), impl_(std::move(impl)), options_(options) {
    relay_.stream = this;
  }

  ~FallbackTtsStream() override { release_streams(); }

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
    if (pending_.size() == 1) watch();
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
    pending_.clear();
    close();
  }

  AudioFormat output_format() const override { return format_.value_or(options_.format); }

  // ---- from the relay
  void audio(std::uint64_t attempt, const AudioFrame& frame) {
    if (!active(attempt)) return;
    if (frame.format() != output_format()) {
      fail(tagged(Error(errc::provider_protocol, what() + ": audio in " + frame.format().to_string() + ", expected " +
                                                     output_format().to_string())));
      return;
    }
    if (!announce(attempt)) return;
    if (!pending_.empty()) pending_.front().audio_delivered = true;
    watch();
    observer_->on_audio(frame);
  }
  void words(std::uint64_t attempt, std::span<const WordTiming> words) {
    if (active(attempt) && announce(attempt)) observer_->on_word_timings(words);
  }
  void done(std::uint64_t attempt) {
    if (!active(attempt) || !announce(attempt)) return;
    cursor_.succeed(now());
    if (!pending_.empty()) pending_.pop_front();
    watchdog_.cancel();
    watch();
    observer_->on_done();
  }
  void error(std::uint64_t attempt, const Error& e) {
    if (active(attempt)) fail(tagged(e));
  }

 private:
  struct Pending {
    std::string text;
    bool flushed = false;
    bool audio_delivered = false;  // audio of it reached the observer from the current provider
  };

  Error closed_error() const { return Error(errc::closed, "tts fallback: stream is closed"); }

  // ---- SwitchingStream hooks
  Result<std::unique_ptr<TtsStream>> open_route(std::size_t i) {
    const std::string label = what();
    LOQUI_ASSIGN_OR_RETURN(std::unique_ptr<TtsStream> s, detail::guarded(label + " open", [&] {
                             return impl_->providers[i]->open(ctx_, options_, relay_);
                           }));
    if (!format_) format_ = s->output_format();  // the first provider sets the stream's format
    Status st = ok_status();
    if (s->output_format() != *format_) {
      st = Error(errc::format_mismatch,
                 label + ": produces " + s->output_format().to_string() + ", the stream speaks " + format_->to_string());
    }
    // Replay: every utterance not yet done, flushed ones flushed again.
    for (const Pending& p : pending_) {
      if (!st) break;
      if (!p.text.empty()) st = detail::guarded(label + " send_text", [&] { return s->send_text(p.text); });
      if (st && p.flushed) st = detail::guarded(label + " flush", [&] { return s->flush(); });
    }
    if (!st) {
      retire(std::move(s));
      return std::move(st).error();
    }
    return s;
  }
  bool take_discard() {
    const bool discard = !pending_.empty() && pending_.front().audio_delivered;
    for (auto& p : pending_) p.audio_delivered = false;
    return discard;
  }
  void drop_pending() { pending_.clear(); }

  // Watchdog for the front utterance once it is flushed: first audio, then gaps.
  void watch() {
    if (pending_.empty() || !pending_.front().flushed) {
      watchdog_.cancel();
      return;
    }
    const bool started = pending_.front().audio_delivered;
    const RouteOptions& o = route().options;
    const Duration limit = started ? o.idle_timeout : o.first_output_timeout;
    if (limit <= Duration::zero()) {
      watchdog_.cancel();
      return;
    }
    if (!started && watchdog_.armed()) return;  // keep the first-audio deadline of this utterance
    const std::uint64_t attempt = attempt_;
    (void)watchdog_.arm(limit, [this, attempt, limit, started] {
      if (!active(attempt)) return;
      fail(tagged(Error(errc::timeout, what() + ": " + (started ? "no audio for " : "no first audio within ") +
                                           std::to_string(limit.count() / 1'000'000) + " ms")));
    });
  }

  std::shared_ptr<TtsFallback::Impl> impl_;
  TtsStreamOptions options_;
  std::deque<Pending> pending_;  // utterances not yet done, in order
  std::optional<AudioFormat> format_;
};

void TtsRelay::on_audio(const AudioFrame& audio) { stream->audio(attempt, audio); }
void TtsRelay::on_word_timings(std::span<const WordTiming> words) { stream->words(attempt, words); }
void TtsRelay::on_done() { stream->done(attempt); }
void TtsRelay::on_error(const Error& error) { stream->error(attempt, error); }

}  // namespace

TtsFallback::~TtsFallback() = default;

Result<std::shared_ptr<TtsFallback>> TtsFallback::create(std::vector<Route<TextToSpeech>> routes) {
  auto impl = std::make_shared<Impl>();
  LOQUI_ASSIGN_OR_RETURN(static_cast<detail::RouteSet<TextToSpeech>&>(*impl),
                         detail::build_routes(ProviderKind::tts, std::move(routes)));
  std::shared_ptr<TtsFallback> fb(new TtsFallback());
  fb->info_ = impl->info;
  TtsCapabilities caps = impl->providers[0]->capabilities();
  for (const auto& p : impl->providers) {
    const TtsCapabilities& c = p->capabilities();
    detail::keep_common_formats(caps.output_formats, c.output_formats);
    caps.word_timings = caps.word_timings && c.word_timings;
    caps.streaming_input = caps.streaming_input && c.streaming_input;
  }
  if (caps.output_formats.empty()) {
    return Error(errc::invalid_config, "tts " + impl->info.description + ": the providers have no output format in common");
  }
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
