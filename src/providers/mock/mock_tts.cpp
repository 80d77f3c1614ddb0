// SPDX-License-Identifier: Apache-2.0
// File: the mock TextToSpeech: word-shaped tones (or noise bursts) with exact word
// timings, delivered in chunks on the strand's clock, with failures on cue.
#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <numbers>
#include <stdexcept>

#include "provider/scheduled_calls.hpp"
#include "providers/mock/mock_internal.hpp"

namespace loqui {

struct MockTextToSpeech::Shared {
  MockTtsOptions options;
  mutable std::mutex mu;
  std::vector<std::string> utterances;
  int streams_opened = 0;
};

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t utf8_chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint32_t word_seed(std::string_view w) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (char c : w) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

class MockTtsStream final : public TtsStream {
 public:
  MockTtsStream(std::shared_ptr<MockTextToSpeech::Shared> shared, const SessionContext& session,
                const TtsStreamOptions& options, TtsObserver& observer)
      : shared_(std::move(shared)),
        opt_(shared_->options),
        format_(options.format),
        speed_(options.speed > 0 ? options.speed : 1.0),
        observer_(&observer),
        calls_(session.strand),
        amplitude_(32767.0 * std::pow(10.0, opt_.level_dbfs / 20.0)) {
    chunk_samples_ = std::max<std::int64_t>(1, format_.samples_in(opt_.chunk));
    buffer_.resize(static_cast<std::size_t>(chunk_samples_));
  }
  ~MockTtsStream() override { cancel(); }

  Status send_text(std::string_view text) override {
    if (state_ == State::closed) return closed_error();
    Utterance& u = current();
    u.text.append(text);
    if (state_ == State::hung) return ok_status();
    if (opt_.streaming_input) plan(u);
    schedule();
    return ok_status();
  }

  Status flush() override {
    if (state_ == State::closed) return closed_error();
    Utterance& u = current();
    if (const MockFailure* f = detail::find_mock_failure(opt_.failures, u.index);
        f && f->mode == MockFailure::Mode::throw_exception) {
      throw std::runtime_error("mock tts '" + opt_.name + "': " + f->message);
    }
    u.flushed = true;
    {
      std::lock_guard lock(shared_->mu);
      shared_->utterances.push_back(u.text);
    }
    if (state_ == State::hung) return ok_status();
    plan(u);
    schedule();
    return ok_status();
  }

  void clear() override {
    ++epoch_;
    queue_.clear();
    calls_.clear();
  }

  void cancel() noexcept override {
    state_ = State::closed;
    ++epoch_;
    queue_.clear();
    calls_.clear();
  }

  AudioFormat output_format() const override { return format_; }

 private:
  enum class State : std::uint8_t { open, hung, closed };
  struct Segment {
    std::int64_t start, end;  // samples from the utterance start
    std::uint32_t seed;
  };
  struct Utterance {
    int index = 0;  // 1-based, in flush order
    std::string text;
    std::size_t consumed = 0;  // bytes of text already planned
    bool flushed = false;
    bool started = false;  // first audio scheduled
    bool failed = false;   // its failure fired
    std::vector<Segment> segments;
    std::vector<WordTiming> words;
    std::size_t words_sent = 0;
    std::size_t segment_cursor = 0;
    std::int64_t planned = 0;   // samples of audio planned
    std::int64_t produced = 0;  // samples delivered
    int chunks = 0;
  };

  Error closed_error() const { return Error(errc::closed, "mock tts '" + opt_.name + "': stream is closed"); }

  Utterance& current() {
    if (queue_.empty() || queue_.back().flushed) {
      queue_.emplace_back();
      queue_.back().index = ++utterances_;
    }
    return queue_.back();
  }

  // Turns complete words of the unplanned text into audio segments.
  void plan(Utterance& u) {
    const std::string_view text = u.text;
    std::size_t i = u.consumed;
    for (;;) {
      while (i < text.size() && is_space(text[i])) ++i;
      std::size_t j = i;
      while (j < text.size() && !is_space(text[j])) ++j;
      if (j == i || (j == text.size() && !u.flushed)) break;  // nothing, or a word still arriving
      const std::string_view word = text.substr(i, j - i);
      const Duration length =
          std::clamp<Duration>(opt_.char_duration * static_cast<std::int64_t>(utf8_chars(word)), opt_.min_word,
                               opt_.max_word);
      const std::int64_t start = u.planned;
      const std::int64_t end = start + std::max<std::int64_t>(1, scaled(length));
      u.segments.push_back({start, end, word_seed(word)});
      u.words.push_back({std::string(word), format_.duration_of(start), format_.duration_of(end)});
      const char last = word.back();
      u.planned = end + scaled(opt_.word_gap) +
                  ((last == '.' || last == '!' || last == '?') ? scaled(opt_.sentence_pause) : 0);
      i = j;
    }
    u.consumed = i;
  }

  std::int64_t scaled(Duration d) const {
    return format_.samples_in(Duration(static_cast<std::int64_t>(static_cast<double>(d.count()) / speed_)));
  }

  void schedule() {
    if (state_ != State::open || queue_.empty() || !calls_.empty()) return;
    Utterance& u = queue_.front();
    if (!u.started) {
      if (u.planned == 0 && !u.flushed) return;
      u.started = true;
      calls_.after(opt_.first_audio_latency, [this] { produce(); });
      return;
    }
    const std::int64_t available = u.planned - u.produced;
    if (available >= chunk_samples_ || u.flushed) calls_.at(std::max(next_due_, calls_.now()), [this] { produce(); });
  }

  // Delivers the next chunk of the front utterance (or its end).
  void produce() {
    if (state_ != State::open || queue_.empty()) return;
    const std::uint64_t epoch = epoch_;
    Utterance& u = queue_.front();
    if (u.flushed && u.produced == u.planned) {
      finish_utterance();  // an utterance without audio
      return;
    }
    if (const MockFailure* f = pending_failure(u); f && u.chunks >= f->after) {
      if (!inject(*f, u)) return;
    }
    const std::int64_t n = std::min(chunk_samples_, u.planned - u.produced);
    if (!u.flushed && n < chunk_samples_) return;  // wait for more text
    if (opt_.word_timings) {
      std::size_t end = u.words_sent;
      while (end < u.words.size() && format_.samples_in(u.words[end].start) < u.produced + n) ++end;
      if (end > u.words_sent) {
        const std::span<const WordTiming> batch(u.words.data() + u.words_sent, end - u.words_sent);
        u.words_sent = end;
        observer_->on_word_timings(batch);
        if (epoch != epoch_) return;
      }
    }
    render(u, n);
    const AudioFrame frame = AudioFrame::view(format_, std::span<const std::int16_t>(buffer_.data(), n), u.produced);
    u.produced += n;
    ++u.chunks;
    observer_->on_audio(frame);
    if (epoch != epoch_) return;
    if (u.flushed && u.produced == u.planned) {
      finish_utterance();  // on_done right after the last audio
      return;
    }
    next_due_ = calls_.now() + Duration(static_cast<std::int64_t>(
                                   static_cast<double>(format_.duration_of(n).count()) / opt_.synthesis_speed));
    schedule();
  }

  // The front utterance delivered all its audio: on_done, unless its failure (with
  // more `after` chunks than it had) strikes now.
  void finish_utterance() {
    if (const MockFailure* f = pending_failure(queue_.front())) {
      if (!inject(*f, queue_.front())) return;
    }
    queue_.pop_front();
    const std::uint64_t epoch = epoch_;
    observer_->on_done();
    if (epoch == epoch_) schedule();
  }

  const MockFailure* pending_failure(const Utterance& u) const {
    const MockFailure* f = detail::find_mock_failure(opt_.failures, u.index);
    return (f && !u.failed && f->mode != MockFailure::Mode::throw_exception) ? f : nullptr;
  }

  // Applies `f` to `u`; true if the stream carries on (garbage), false if it stopped.
  bool inject(const MockFailure& f, Utterance& u) {
    u.failed = true;
    switch (f.mode) {
      case MockFailure::Mode::error:
        cancel();
        observer_->on_error(detail::mock_failure_error(f, opt_.name));
        return false;
      case MockFailure::Mode::hang:
        state_ = State::hung;
        calls_.clear();
        return false;
      case MockFailure::Mode::garbage:
      case MockFailure::Mode::throw_exception: break;
    }
    // Garbage: a frame that claims another format than output_format().
    const std::uint64_t epoch = epoch_;
    AudioFormat wrong = format_;
    wrong.sample_rate_hz = format_.sample_rate_hz == 16000 ? 8000 : 16000;
    std::fill(buffer_.begin(), buffer_.end(), std::int16_t{0});
    observer_->on_audio(AudioFrame::view(wrong, buffer_, u.produced));
    return epoch == epoch_;
  }

  void render(Utterance& u, std::int64_t n) {
    const double rate = format_.sample_rate_hz;
    for (std::int64_t k = 0; k < n; ++k) buffer_[static_cast<std::size_t>(k)] = 0;
    const std::int64_t a = u.produced, b = u.produced + n;
    while (u.segment_cursor < u.segments.size() && u.segments[u.segment_cursor].end <= a) ++u.segment_cursor;
    const std::int64_t ramp_max = format_.samples_in(std::chrono::milliseconds(8));
    for (std::size_t si = u.segment_cursor; si < u.segments.size() && u.segments[si].start < b; ++si) {
      const Segment& seg = u.segments[si];
      const std::int64_t len = seg.end - seg.start;
      const std::int64_t ramp = std::max<std::int64_t>(1, std::min(ramp_max, len / 2));
      const double freq = 150.0 + static_cast<double>(seg.seed % 250u);
      for (std::int64_t s = std::max(a, seg.start); s < std::min(b, seg.end); ++s) {
        const std::int64_t pos = s - seg.start;
        const std::int64_t edge = std::min(pos, seg.end - 1 - s);
        const double env =
            edge >= ramp ? 1.0 : 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(edge) / ramp);
        double v;
        if (opt_.waveform == MockTtsOptions::Waveform::tone) {
          v = std::sin(2.0 * std::numbers::pi * freq * static_cast<double>(pos) / rate);
        } else {
          const std::uint64_t h = mix64(seg.seed ^ (static_cast<std::uint64_t>(s) << 20));
          v = static_cast<double>(h >> 11) / static_cast<double>(1ull << 52) - 1.0;
        }
        buffer_[static_cast<std::size_t>(s - a)] = static_cast<std::int16_t>(std::lround(amplitude_ * env * v));
      }
    }
  }

  std::shared_ptr<MockTextToSpeech::Shared> shared_;
  const MockTtsOptions& opt_;
  AudioFormat format_;
  double speed_;
  TtsObserver* observer_;
  detail::ScheduledCalls calls_;
  double amplitude_;
  std::int64_t chunk_samples_ = 0;
  std::vector<std::int16_t> buffer_;
  State state_ = State::open;
  std::uint64_t epoch_ = 0;  // bumped by clear()/cancel(): work of an older epoch stops
  std::deque<Utterance> queue_;
  int utterances_ = 0;
  TimePoint next_due_{};
};

}  // namespace

MockTextToSpeech::MockTextToSpeech(MockTtsOptions options) : shared_(std::make_shared<Shared>()) {
  info_.kind = ProviderKind::tts;
  info_.name = options.name;
  info_.description = "mock text-to-speech";
  capabilities_.output_formats = detail::pcm16_formats(options.sample_rates);
  capabilities_.word_timings = options.word_timings;
  capabilities_.streaming_input = options.streaming_input;
  shared_->options = std::move(options);
}

Result<std::shared_ptr<MockTextToSpeech>> MockTextToSpeech::create(MockTtsOptions options) {
  LOQUI_TRY(detail::validate_mock_common("tts", options.name, options.sample_rates, options.failures));
  if (!(options.synthesis_speed > 0)) {
    return Error(errc::invalid_argument, "mock tts '" + options.name + "': synthesis_speed must be > 0");
  }
  if (options.chunk <= Duration::zero() || options.first_audio_latency < Duration::zero() ||
      options.char_duration < Duration::zero() || options.min_word <= Duration::zero() ||
      options.max_word < options.min_word || options.word_gap < Duration::zero() ||
      options.sentence_pause < Duration::zero()) {
    return Error(errc::invalid_argument, "mock tts '" + options.name +
                                             "': durations must be >= 0, chunk and min_word > 0, max_word >= min_word");
  }
  return std::shared_ptr<MockTextToSpeech>(new MockTextToSpeech(std::move(options)));
}

Result<std::unique_ptr<TtsStream>> MockTextToSpeech::open(const SessionContext& session,
                                                          const TtsStreamOptions& options, TtsObserver& observer) {
  if (!session.strand) return Error(errc::invalid_argument, "mock tts '" + info_.name + "': session has no strand");
  if (shared_->options.open_error) return Error(*shared_->options.open_error);
  LOQUI_TRY(detail::check_format("mock tts '" + info_.name + "'", options.format, capabilities_.output_formats));
  if (!(options.speed > 0.25 && options.speed <= 4.0)) {
    return Error(errc::invalid_argument,
                 "mock tts '" + info_.name + "': speed " + std::to_string(options.speed) + " is outside (0.25, 4]");
  }
  {
    std::lock_guard lock(shared_->mu);
    ++shared_->streams_opened;
  }
  return std::unique_ptr<TtsStream>(new MockTtsStream(shared_, session, options, observer));
}

std::vector<std::string> MockTextToSpeech::utterances() const {
  std::lock_guard lock(shared_->mu);
  return shared_->utterances;
}

int MockTextToSpeech::streams_opened() const {
  std::lock_guard lock(shared_->mu);
  return shared_->streams_opened;
}

Result<MockTtsOptions> MockTextToSpeech::parse_options(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  MockTtsOptions o;
  o.name = r.get_string("name", o.name);
  o.first_audio_latency = detail::read_ms(r, "first_audio_ms", o.first_audio_latency);
  o.chunk = detail::read_ms(r, "chunk_ms", o.chunk);
  if (o.chunk <= Duration::zero()) r.error_at("chunk_ms", "expected a positive number of milliseconds");
  o.synthesis_speed = r.get_number("synthesis_speed", o.synthesis_speed, {.min = 0.01, .max = 1000});
  o.char_duration = detail::read_ms(r, "char_ms", o.char_duration);
  o.min_word = detail::read_ms(r, "min_word_ms", o.min_word);
  o.max_word = detail::read_ms(r, "max_word_ms", o.max_word);
  if (o.min_word <= Duration::zero() || o.max_word < o.min_word)
    r.error_at("max_word_ms", "expected min_word_ms > 0 and max_word_ms >= min_word_ms");
  o.word_gap = detail::read_ms(r, "word_gap_ms", o.word_gap);
  o.sentence_pause = detail::read_ms(r, "sentence_pause_ms", o.sentence_pause);
  o.waveform = r.get_enum("waveform", "tone", {"tone", "noise"}) == "noise" ? MockTtsOptions::Waveform::noise
                                                                            : MockTtsOptions::Waveform::tone;
  o.level_dbfs = r.get_number("level_dbfs", o.level_dbfs, {.min = -96, .max = 0});
  o.streaming_input = r.get_bool("streaming_input", o.streaming_input);
  o.word_timings = r.get_bool("word_timings", o.word_timings);
  o.sample_rates = detail::read_sample_rates(r, o.sample_rates);
  o.failures = detail::read_mock_failures(r, "failures", "utterance");
  o.open_error = detail::read_mock_open_error(r, "open_error", o.name);
  LOQUI_TRY(r.finish());
  return o;
}

}  // namespace loqui
