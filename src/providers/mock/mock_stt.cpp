// SPDX-License-Identifier: Apache-2.0
// File: the mock SpeechToText: scripted transcripts with interim results, a latency
// profile and failures on cue, all timed on the session strand.
#include <mutex>
#include <stdexcept>

#include "loqui/audio/convert.hpp"
#include "provider/scheduled_calls.hpp"
#include "providers/mock/mock_internal.hpp"

namespace loqui {

struct MockSpeechToText::Shared {
  MockSttOptions options;
  mutable std::mutex mu;
  Record record;
};

namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < text.size() && !(text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r')) ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string join_words(const std::vector<std::string>& words, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < words.size(); ++i) {
    if (i) out += ' ';
    out += words[i];
  }
  return out;
}

class MockSttStream final : public SttStream {
 public:
  MockSttStream(std::shared_ptr<MockSpeechToText::Shared> shared, const SessionContext& session,
                const AudioFormat& format, SttObserver& observer)
      : shared_(std::move(shared)),
        opt_(shared_->options),
        format_(format),
        observer_(&observer),
        calls_(session.strand) {}

  ~MockSttStream() override { cancel(); }

  Status send_audio(const AudioFrame& frame) override {
    if (state_ == State::closed) return Error(errc::closed, "mock stt '" + opt_.name + "': stream is closed");
    if (frame.format() != format_) {
      return Error(errc::format_mismatch, "mock stt '" + opt_.name + "': frame is " + frame.format().to_string() +
                                              ", the stream was opened for " + format_.to_string());
    }
    const std::int64_t n = frame.sample_count();
    {
      std::lock_guard lock(shared_->mu);
      shared_->record.audio_received += format_.duration_of(n);
    }
    if (state_ == State::hung) return ok_status();
    const bool speech = !frame.has_flag(kFrameGap) && n > 0 && rms_dbfs(frame.samples()) > opt_.speech_threshold_dbfs;
    if (speech) {
      if (!in_utterance_) start_utterance();
      last_speech_end_ = samples_ + n;
      silence_ = 0;
    } else if (in_utterance_) {
      silence_ += n;
    }
    samples_ += n;
    if (!in_utterance_) return ok_status();

    // Interim results: one more word per interim_interval of utterance audio.
    const std::int64_t interval = format_.samples_in(opt_.interim_interval);
    if (interval > 0) {
      const std::int64_t due = (samples_ - utt_start_) / interval;
      while (interims_planned_ < due && revealed_ < words_.size()) {
        ++interims_planned_;
        ++revealed_;
        Transcript t;
        t.text = join_words(words_, revealed_);
        t.confidence = confidence_ * 0.8f;
        t.audio_start = format_.duration_of(utt_start_);
        t.audio_end = format_.duration_of(samples_);
        schedule(opt_.interim_latency, std::move(t), utt_index_, /*utterance_end=*/-1);
      }
    }
    // Vendor endpointing.
    if (opt_.endpointing > Duration::zero() && silence_ >= format_.samples_in(opt_.endpointing)) {
      end_utterance(/*from_finalize=*/false);
    }
    return ok_status();
  }

  void finalize() override {
    if (state_ != State::open) return;
    {
      std::lock_guard lock(shared_->mu);
      ++shared_->record.finalize_calls;
    }
    if (!in_utterance_ && !opt_.require_speech) {
      start_utterance();
      last_speech_end_ = samples_;
    }
    if (in_utterance_) {
      if (const MockFailure* f = detail::find_mock_failure(opt_.failures, utt_index_);
          f && f->mode == MockFailure::Mode::throw_exception) {
        in_utterance_ = false;  // the utterance is lost with the exception
        throw std::runtime_error("mock stt '" + opt_.name + "': " + f->message);
      }
      end_utterance(/*from_finalize=*/true);
      return;
    }
    // Nothing was said since the last final: an empty final still answers finalize().
    Transcript t;
    t.is_final = true;
    t.from_finalize = true;
    t.audio_start = format_.duration_of(samples_);
    t.audio_end = t.audio_start;
    schedule(opt_.final_latency, std::move(t), /*utterance=*/0, -1);
  }

  void set_hints(const RecognitionHints& hints) override {
    std::lock_guard lock(shared_->mu);
    shared_->record.hints.push_back(hints);
  }

  void cancel() noexcept override {
    state_ = State::closed;
    calls_.clear();
  }

 private:
  enum class State : std::uint8_t { open, hung, closed };
  // Per utterance (index 1..): outputs delivered and whether its failure fired. An
  // utterance's final may still be pending while the next one's interims arrive.
  struct Progress {
    int outputs = 0;
    bool failed = false;
  };

  void start_utterance() {
    in_utterance_ = true;
    utt_index_ = ++utterances_;
    utt_start_ = samples_;
    silence_ = 0;
    revealed_ = 0;
    interims_planned_ = 0;
    progress_.resize(static_cast<std::size_t>(utt_index_) + 1);
    const std::size_t i = static_cast<std::size_t>(utt_index_ - 1);
    if (i < opt_.transcripts.size()) {
      words_ = split_words(opt_.transcripts[i].text);
      confidence_ = opt_.transcripts[i].confidence;
    } else {
      words_ = split_words(opt_.default_text);
      confidence_ = 0.9f;
    }
    if (opt_.vad_events) {
      const Duration at = format_.duration_of(utt_start_);
      calls_.after(Duration::zero(), [this, at] {
        if (state_ == State::open) observer_->on_speech_started(at);
      });
    }
  }

  void end_utterance(bool from_finalize) {
    in_utterance_ = false;
    Transcript t;
    t.text = join_words(words_, words_.size());
    t.is_final = true;
    t.from_finalize = from_finalize;
    t.speech_final = !from_finalize;
    t.confidence = confidence_;
    t.audio_start = format_.duration_of(utt_start_);
    t.audio_end = format_.duration_of(last_speech_end_);
    if (!words_.empty()) {
      const Duration span = t.audio_end - t.audio_start;
      const auto n = static_cast<std::int64_t>(words_.size());
      for (std::int64_t k = 0; k < n; ++k) {
        t.words.push_back(Word{words_[static_cast<std::size_t>(k)], t.audio_start + span * k / n,
                               t.audio_start + span * (k + 1) / n, confidence_});
      }
    }
    const std::int64_t utterance_end = (!from_finalize && opt_.vad_events) ? last_speech_end_ : -1;
    schedule(opt_.final_latency, std::move(t), utt_index_, utterance_end);
  }

  // Delivers `t` after `delay`, unless the utterance's failure strikes first.
  // `utterance` 0 = not a scripted utterance (empty finals); `utterance_end` >= 0
  // also reports on_utterance_end at that sample offset.
  void schedule(Duration delay, Transcript t, int utterance, std::int64_t utterance_end) {
    calls_.after(delay, [this, t = std::make_shared<Transcript>(std::move(t)), utterance, utterance_end] {
      deliver(*t, utterance, utterance_end);
    });
  }

  void deliver(const Transcript& t, int utterance, std::int64_t utterance_end) {
    if (state_ != State::open) return;
    Progress* p = utterance > 0 ? &progress_[static_cast<std::size_t>(utterance)] : nullptr;
    if (const MockFailure* f = p ? detail::find_mock_failure(opt_.failures, utterance) : nullptr;
        f && f->mode != MockFailure::Mode::throw_exception && p->outputs >= f->after && !p->failed) {
      p->failed = true;
      switch (f->mode) {
        case MockFailure::Mode::error:
          state_ = State::closed;
          calls_.clear();
          observer_->on_error(detail::mock_failure_error(*f, opt_.name));
          return;
        case MockFailure::Mode::hang:
          state_ = State::hung;
          calls_.clear();
          return;
        case MockFailure::Mode::garbage: {
          Transcript g = t;
          g.text = std::string(detail::kMockGarbageText);
          g.audio_start = t.audio_end + std::chrono::seconds(1);  // ends before it starts
          observer_->on_transcript(g);
          return;
        }
        case MockFailure::Mode::throw_exception: break;
      }
    }
    if (p) ++p->outputs;
    observer_->on_transcript(t);
    if (utterance_end >= 0 && state_ == State::open) observer_->on_utterance_end(format_.duration_of(utterance_end));
  }

  std::shared_ptr<MockSpeechToText::Shared> shared_;
  const MockSttOptions& opt_;
  AudioFormat format_;
  SttObserver* observer_;
  detail::ScheduledCalls calls_;
  State state_ = State::open;

  std::int64_t samples_ = 0;           // stream audio received
  bool in_utterance_ = false;
  int utterances_ = 0;                 // utterances started
  int utt_index_ = 0;                  // 1-based index of the current/last utterance
  std::vector<Progress> progress_;
  std::int64_t utt_start_ = 0;
  std::int64_t last_speech_end_ = 0;
  std::int64_t silence_ = 0;
  std::vector<std::string> words_;
  float confidence_ = 0.9f;
  std::size_t revealed_ = 0;
  std::int64_t interims_planned_ = 0;
};

}  // namespace

MockSpeechToText::MockSpeechToText(MockSttOptions options) : shared_(std::make_shared<Shared>()) {
  info_.kind = ProviderKind::stt;
  info_.name = options.name;
  info_.description = "mock speech-to-text";
  capabilities_.input_formats = detail::pcm16_formats(options.sample_rates);
  capabilities_.interim_results = options.interim_interval > Duration::zero();
  capabilities_.word_timings = true;
  capabilities_.vendor_endpointing = options.endpointing > Duration::zero();
  capabilities_.vad_events = options.vad_events;
  capabilities_.recognition_hints = true;
  shared_->options = std::move(options);
}

Result<std::shared_ptr<MockSpeechToText>> MockSpeechToText::create(MockSttOptions options) {
  LOQUI_TRY(detail::validate_mock_common("stt", options.name, options.sample_rates, options.failures));
  if (options.final_latency < Duration::zero() || options.interim_interval < Duration::zero() ||
      options.interim_latency < Duration::zero() || options.endpointing < Duration::zero()) {
    return Error(errc::invalid_argument, "mock stt '" + options.name + "': durations must not be negative");
  }
  return std::shared_ptr<MockSpeechToText>(new MockSpeechToText(std::move(options)));
}

Result<std::unique_ptr<SttStream>> MockSpeechToText::open(const SessionContext& session,
                                                          const SttStreamOptions& options, SttObserver& observer) {
  if (!session.strand) return Error(errc::invalid_argument, "mock stt '" + info_.name + "': session has no strand");
  if (shared_->options.open_error) return Error(*shared_->options.open_error);
  LOQUI_TRY(detail::check_format("mock stt '" + info_.name + "'", options.format, capabilities_.input_formats));
  {
    std::lock_guard lock(shared_->mu);
    ++shared_->record.streams_opened;
  }
  return std::unique_ptr<SttStream>(new MockSttStream(shared_, session, options.format, observer));
}

MockSpeechToText::Record MockSpeechToText::record() const {
  std::lock_guard lock(shared_->mu);
  return shared_->record;
}

Result<MockSttOptions> MockSpeechToText::parse_options(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  MockSttOptions o;
  o.name = r.get_string("name", o.name);
  if (const Json* list = r.get_raw("transcripts")) {
    if (!list->is_array()) {
      r.error_at("transcripts", "expected an array of strings or {\"text\", \"confidence\"} objects, found " +
                                    list->describe());
    } else {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const Json& item = list->as_array()[i];
        if (item.is_string()) {
          o.transcripts.push_back({item.as_string()});
          continue;
        }
        ConfigReader ir(item, r.path_of("transcripts") + "[" + std::to_string(i) + "]", errors);
        MockUtterance u;
        u.text = ir.get_string("text", "");
        u.confidence = static_cast<float>(ir.get_number("confidence", 0.95, {.min = 0, .max = 1}));
        (void)ir.finish();
        o.transcripts.push_back(std::move(u));
      }
    }
  }
  o.default_text = r.get_string("default_text", o.default_text);
  o.final_latency = detail::read_ms(r, "final_latency_ms", o.final_latency);
  o.interim_interval = detail::read_ms(r, "interim_interval_ms", o.interim_interval);
  o.interim_latency = detail::read_ms(r, "interim_latency_ms", o.interim_latency);
  o.endpointing = detail::read_ms(r, "endpointing_ms", o.endpointing);
  o.speech_threshold_dbfs = r.get_number("speech_threshold_dbfs", o.speech_threshold_dbfs, {.min = -120, .max = 0});
  o.require_speech = r.get_bool("require_speech", o.require_speech);
  o.vad_events = r.get_bool("vad_events", o.vad_events);
  o.sample_rates = detail::read_sample_rates(r, o.sample_rates);
  o.failures = detail::read_mock_failures(r, "failures", "utterance");
  o.open_error = detail::read_mock_open_error(r, "open_error", o.name);
  LOQUI_TRY(r.finish());
  return o;
}

}  // namespace loqui
