// SPDX-License-Identifier: Apache-2.0
// File: the `espeak` TextToSpeech: streaming synthesis through espeak-ng's
// callback, sentence by sentence, with word timings, delivered on the session
// strand (threading model in espeak_tts.hpp).
#include "providers/espeak/espeak_tts.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.hpp"
#include "loqui/config.hpp"
#include "loqui/provider/registry.hpp"

namespace loqui::detail {
namespace {

constexpr int kOutputRates[] = {22050, 8000, 16000, 24000, 32000, 44100, 48000};

std::vector<AudioFormat> espeak_formats() {
  const bool can_resample = resampler_backend_available(ResamplerBackend::soxr) ||
                            resampler_backend_available(ResamplerBackend::samplerate);
  std::vector<AudioFormat> out;
  for (int rate : kOutputRates) {
    if (rate == 22050 || can_resample) out.push_back(AudioFormat::pcm16(rate));
  }
  return out;
}

/// A piece of synthesis output on its way to the strand.
struct Chunk {
  std::uint64_t epoch = 0;
  std::vector<std::int16_t> pcm;  ///< native rate
  std::vector<WordTiming> words;  ///< times from the start of the job
  bool job_end = false;           ///< last chunk of a job; job_samples is its length
  std::int64_t job_samples = 0;
  bool utterance_end = false;  ///< the flush marker: on_done follows the audio so far
  std::optional<Error> error;
};

class StreamCore;

/// One sentence to synthesise (or the end-of-utterance marker).
struct Job {
  std::shared_ptr<StreamCore> core;  ///< set for the worker; the inline runner has its core
  std::uint64_t epoch = 0;
  EspeakVoice voice;
  std::string text;
  bool utterance_end = false;
};

// Synthesises `job` and hands its output to `emit` chunk by chunk; `emit`
// returns false to abort (the stream was cleared or cancelled).
void run_job(EspeakEngine& engine, const Job& job, const std::function<bool(std::shared_ptr<Chunk>)>& emit) {
  auto chunk = [&] {
    auto c = std::make_shared<Chunk>();
    c->epoch = job.epoch;
    return c;
  };
  if (job.utterance_end) {
    auto c = chunk();
    c->utterance_end = true;
    (void)emit(std::move(c));
    return;
  }
  const AudioFormat native = AudioFormat::pcm16(engine.sample_rate());
  bool go = true;
  auto sink = [&](std::span<const std::int16_t> pcm, std::span<const EspeakWord> words) {
    auto c = chunk();
    c->pcm.assign(pcm.begin(), pcm.end());
    for (const EspeakWord& w : words) {
      c->words.push_back({job.text.substr(w.byte_offset, w.byte_length), native.duration_of(w.start_sample),
                          native.duration_of(w.end_sample)});
    }
    go = emit(std::move(c));
    return go;
  };
  auto samples = engine.synthesize(job.voice, job.text, sink);
  if (!go) return;
  auto end = chunk();
  if (samples) {
    end->job_end = true;
    end->job_samples = *samples;
  } else {
    end->error = std::move(samples).error().set_provider("espeak");
  }
  (void)emit(std::move(end));
}

/// The strand side of a stream: delivery, resampling, counters. Shared with the
/// worker's jobs and the posted deliveries, so it outlives the stream object.
class StreamCore {
 public:
  StreamCore(const SessionContext& session, TtsObserver& observer, AudioFormat format, int native_rate,
             std::optional<Resampler> resampler, EspeakEngine* engine)
      : strand(session.strand),
        observer_(&observer),
        format_(format),
        native_(AudioFormat::pcm16(native_rate)),
        resampler_(std::move(resampler)),
        engine_(engine),
        inline_timer_(session.strand) {}

  const std::shared_ptr<Strand> strand;
  /// Read by the worker to abort a synthesis that is no longer wanted.
  std::atomic<std::uint64_t> shared_epoch{0};

  std::uint64_t epoch() const noexcept { return epoch_; }
  bool closed() const noexcept { return closed_; }

  /// Drops everything pending (clear) or everything for good (close).
  void drop(bool close) {
    closed_ = closed_ || close;
    ++epoch_;
    shared_epoch.store(epoch_, std::memory_order_release);
    job_base_ = 0;
    out_samples_ = 0;
    if (resampler_) resampler_->reset();
    inline_jobs_.clear();
    inline_timer_.cancel();
  }

  /// Virtual time: runs jobs one per strand task, on this thread.
  void run_inline(Job job) {
    inline_jobs_.push_back(std::move(job));
    if (!inline_timer_.armed()) (void)inline_timer_.arm(Duration::zero(), [this] { next_inline(); });
  }

  void deliver(const Chunk& c) {
    if (closed_ || c.epoch != epoch_) return;
    const std::uint64_t e = epoch_;
    auto still = [&] { return !closed_ && epoch_ == e; };
    if (c.error) {
      drop(/*close=*/true);
      observer_->on_error(*c.error);
      return;
    }
    if (c.utterance_end) {
      if (resampler_) {
        out_.resize(resampler_->max_output_samples(0));
        auto n = resampler_->finish(out_);
        if (n && *n > 0 && !emit_audio(*n)) return;
      }
      job_base_ = 0;
      out_samples_ = 0;
      observer_->on_done();
      return;
    }
    if (!c.words.empty()) {
      words_.assign(c.words.begin(), c.words.end());
      const Duration base = native_.duration_of(job_base_);
      for (auto& w : words_) {
        w.start += base;
        w.end += base;
      }
      observer_->on_word_timings(words_);
      if (!still()) return;
    }
    if (!c.pcm.empty()) {
      if (resampler_) {
        out_.resize(resampler_->max_output_samples(c.pcm.size()));
        auto n = resampler_->process(c.pcm, out_);
        if (!n) {
          drop(/*close=*/true);
          observer_->on_error(std::move(n).error().set_provider("espeak"));
          return;
        }
        if (*n > 0 && !emit_audio(*n)) return;
      } else {
        const AudioFrame frame = AudioFrame::view(format_, c.pcm, out_samples_);
        out_samples_ += frame.sample_count();
        observer_->on_audio(frame);
        if (!still()) return;
      }
    }
    if (c.job_end) job_base_ += c.job_samples;
  }

 private:
  // Delivers out_[0, n); false if the observer cleared or cancelled meanwhile.
  bool emit_audio(std::size_t n) {
    const std::uint64_t e = epoch_;
    const AudioFrame frame = AudioFrame::view(format_, std::span<const std::int16_t>(out_.data(), n), out_samples_);
    out_samples_ += static_cast<std::int64_t>(n);
    observer_->on_audio(frame);
    return !closed_ && epoch_ == e;
  }

  void next_inline() {
    if (inline_jobs_.empty() || closed_) return;
    Job job = std::move(inline_jobs_.front());
    inline_jobs_.pop_front();
    if (job.epoch == epoch_) {
      run_job(*engine_, job, [&](std::shared_ptr<Chunk> c) {
        deliver(*c);
        return !closed_ && epoch_ == job.epoch;
      });
    }
    // The observer may have cleared the queue; the timer is re-armed only if work remains.
    if (!inline_jobs_.empty() && !closed_ && !inline_timer_.armed())
      (void)inline_timer_.arm(Duration::zero(), [this] { next_inline(); });
  }

  TtsObserver* observer_;
  AudioFormat format_;
  AudioFormat native_;
  std::optional<Resampler> resampler_;
  EspeakEngine* engine_;
  Timer inline_timer_;
  std::deque<Job> inline_jobs_;
  std::uint64_t epoch_ = 0;
  bool closed_ = false;
  std::int64_t job_base_ = 0;     // native samples of the utterance's finished jobs
  std::int64_t out_samples_ = 0;  // output samples of the utterance delivered
  std::vector<std::int16_t> out_;
  std::vector<WordTiming> words_;
};

/// Synthesises the jobs of all streams of one provider, in arrival order, on its
/// own thread, posting the output to each stream's strand.
class Worker {
 public:
  explicit Worker(EspeakEngine* engine) : engine_(engine), thread_([this] { run(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void submit(Job job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      StreamCore& core = *job.core;
      if (core.shared_epoch.load(std::memory_order_acquire) != job.epoch) continue;  // cleared meanwhile
      run_job(*engine_, job, [&](std::shared_ptr<Chunk> c) {
        // Delivered in order on the strand; a stopped runtime simply drops it.
        (void)core.strand->post([core = job.core, c = std::move(c)] { core->deliver(*c); });
        return !stopping() && core.shared_epoch.load(std::memory_order_acquire) == job.epoch;
      });
    }
  }
  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  EspeakEngine* engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the rest is built
};

struct EspeakShared {
  EspeakOptions options;
  EspeakEngine* engine = nullptr;
  std::mutex mu;
  std::unique_ptr<Worker> worker;  // created by the first real-time stream

  Worker* get_worker() {
    std::lock_guard lock(mu);
    if (!worker) worker = std::make_unique<Worker>(engine);
    return worker.get();
  }
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class EspeakStream final : public TtsStream {
 public:
  EspeakStream(std::shared_ptr<EspeakShared> shared, std::shared_ptr<StreamCore> core, EspeakVoice voice,
               Worker* worker)
      : shared_(std::move(shared)), core_(std::move(core)), voice_(std::move(voice)), worker_(worker) {}
  ~EspeakStream() override { cancel(); }

  Status send_text(std::string_view text) override {
    if (core_->closed()) return closed_error();
    pending_.append(text);
    // Whole sentences go to synthesis at once, the rest waits for more text.
    std::size_t start = 0;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      const char c = pending_[i];
      const bool end = c == '\n' || ((c == '.' || c == '!' || c == '?' || c == ';' || c == ':') &&
                                     i + 1 < pending_.size() && is_space(pending_[i + 1]));
      if (!end) continue;
      submit(pending_.substr(start, i + 1 - start), false);
      start = i + 1;
    }
    pending_.erase(0, start);
    return ok_status();
  }

  Status flush() override {
    if (core_->closed()) return closed_error();
    submit(std::exchange(pending_, {}), false);
    submit({}, true);
    return ok_status();
  }

  void clear() override {
    if (core_->closed()) return;
    pending_.clear();
    core_->drop(/*close=*/false);
  }

  void cancel() noexcept override {
    pending_.clear();
    if (!core_->closed()) core_->drop(/*close=*/true);
  }

  AudioFormat output_format() const override { return format_; }
  void set_format(AudioFormat f) { format_ = f; }

 private:
  Error closed_error() const { return Error(errc::closed, "espeak: stream is closed").set_provider("espeak"); }

  void submit(std::string text, bool utterance_end) {
    if (!utterance_end && std::all_of(text.begin(), text.end(), is_space)) return;
    Job job{nullptr, core_->epoch(), voice_, std::move(text), utterance_end};
    if (worker_) {
      job.core = core_;
      worker_->submit(std::move(job));
    } else {
      core_->run_inline(std::move(job));
    }
  }

  std::shared_ptr<EspeakShared> shared_;  // keeps the worker alive
  std::shared_ptr<StreamCore> core_;
  EspeakVoice voice_;
  Worker* worker_;  // null under virtual time
  std::string pending_;
  AudioFormat format_{};
};

class EspeakTextToSpeech final : public TextToSpeech {
 public:
  explicit EspeakTextToSpeech(std::shared_ptr<EspeakShared> shared) : shared_(std::move(shared)) {
    info_.kind = ProviderKind::tts;
    info_.name = "espeak";
    info_.description = "espeak-ng voice " + shared_->options.voice.name;
    capabilities_.output_formats = espeak_formats();
    capabilities_.word_timings = true;
    capabilities_.streaming_input = true;
  }

  const ProviderInfo& info() const noexcept override { return info_; }
  const TtsCapabilities& capabilities() const noexcept override { return capabilities_; }

  Result<std::unique_ptr<TtsStream>> open(const SessionContext& session, const TtsStreamOptions& options,
                                          TtsObserver& observer) override {
    if (!session.strand) return Error(errc::invalid_argument, "espeak: session has no strand");
    const auto& formats = capabilities_.output_formats;
    if (std::find(formats.begin(), formats.end(), options.format) == formats.end()) {
      std::string list;
      for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f.to_string();
      return Error(errc::format_mismatch, "espeak: format " + options.format.to_string() +
                                              " is not supported (supported: " + list + ")")
          .set_provider("espeak");
    }
    EspeakVoice voice = shared_->options.voice;
    if (!options.voice.empty() && options.voice != voice.name) {
      LOQUI_TRY(shared_->engine->check_voice(options.voice));
      voice.name = options.voice;
    }
    if (!(options.speed > 0)) return Error(errc::invalid_argument, "espeak: speed must be > 0");
    voice.rate_wpm = std::clamp(static_cast<int>(voice.rate_wpm * options.speed + 0.5), 80, 450);

    const int native = shared_->engine->sample_rate();
    std::optional<Resampler> resampler;
    if (options.format.sample_rate_hz != native) {
      LOQUI_ASSIGN_OR_RETURN(auto rs, Resampler::create({.input_rate_hz = native,
                                                         .output_rate_hz = options.format.sample_rate_hz,
                                                         .quality = shared_->options.resample_quality}));
      resampler.emplace(std::move(rs));
    }
    auto core = std::make_shared<StreamCore>(session, observer, options.format, native, std::move(resampler),
                                             shared_->engine);
    Worker* worker = session.strand->runtime().is_virtual() ? nullptr : shared_->get_worker();
    auto stream = std::make_unique<EspeakStream>(shared_, std::move(core), std::move(voice), worker);
    stream->set_format(options.format);
    return std::unique_ptr<TtsStream>(std::move(stream));
  }

 private:
  std::shared_ptr<EspeakShared> shared_;
  ProviderInfo info_;
  TtsCapabilities capabilities_;
};

}  // namespace

Result<EspeakOptions> parse_espeak_options(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  EspeakOptions o;
  o.voice.name = r.get_string("voice", o.voice.name);
  o.voice.rate_wpm = static_cast<int>(r.get_int("rate_wpm", o.voice.rate_wpm, {.min = 80, .max = 450}));
  o.voice.pitch = static_cast<int>(r.get_int("pitch", o.voice.pitch, {.min = 0, .max = 100}));
  o.voice.range = static_cast<int>(r.get_int("range", o.voice.range, {.min = 0, .max = 100}));
  o.voice.volume = static_cast<int>(r.get_int("volume", o.voice.volume, {.min = 0, .max = 200}));
  o.data_path = r.get_string("data_path", "");
  const std::string quality = r.get_enum("resample_quality", "medium", {"quick", "medium", "high"});
  o.resample_quality = parse_resampler_quality(quality).value_or(ResamplerQuality::medium);
  LOQUI_TRY(r.finish());
  return o;
}

Result<std::shared_ptr<TextToSpeech>> make_espeak_tts(const EspeakOptions& options, std::string_view path) {
  const std::string where(path);
  auto engine = EspeakEngine::get(options.data_path);
  if (!engine) return std::move(engine).error().add_context(where + ".data_path").set_provider("espeak");
  if (Status s = (*engine)->check_voice(options.voice.name); !s) {
    return std::move(s).error().add_context(where + ".voice").set_provider("espeak");
  }
  auto shared = std::make_shared<EspeakShared>();
  shared->options = options;
  shared->engine = *engine;
  return std::shared_ptr<TextToSpeech>(std::make_shared<EspeakTextToSpeech>(std::move(shared)));
}

void register_espeak(Registry& registry) {
  Status s = registry.add_tts(
      "espeak", "embedded offline TTS (espeak-ng): word timings, voice/rate/pitch",
      [](const ProviderContext&, const Json& config, std::string_view path) -> Result<std::shared_ptr<TextToSpeech>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, parse_espeak_options(config, path));
        return make_espeak_tts(options, path);
      },
      TtsCapabilities{.output_formats = espeak_formats(), .word_timings = true, .streaming_input = true});
  if (!s) LOQUI_LOG_ERROR("registry", "cannot register espeak: {}", s.error().to_string());
}

}  // namespace loqui::detail
