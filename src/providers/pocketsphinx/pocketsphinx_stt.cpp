// SPDX-License-Identifier: Apache-2.0
// File: the `pocketsphinx` SpeechToText: streams, the decoding worker, config and
// registration (threading model in pocketsphinx_stt.hpp).
#include "providers/pocketsphinx/pocketsphinx_stt.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/config.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/pocketsphinx/acoustic_adaptation.hpp"

namespace loqui::detail {
namespace {

constexpr int kModelRate = 16000;

std::vector<AudioFormat> input_formats() {
  const bool can_resample = resampler_backend_available(ResamplerBackend::soxr) ||
                            resampler_backend_available(ResamplerBackend::samplerate);
  std::vector<AudioFormat> out{AudioFormat::pcm16(kModelRate)};
  if (can_resample)
    for (int rate : {8000, 11025, 22050, 24000, 32000, 44100, 48000}) out.push_back(AudioFormat::pcm16(rate));
  return out;
}

SttCapabilities capabilities_for(const PocketsphinxOptions& o) {
  return SttCapabilities{.input_formats = input_formats(),
                         .interim_results = o.interim_interval > Duration::zero(),
                         .word_timings = true,
                         .vendor_endpointing = o.endpointing,
                         .vad_events = true,
                         .recognition_hints = o.hints};
}

struct PsModel;

/// A job for a stream's decoder.
struct Job {
  enum class Kind : std::uint8_t { audio, hints, finalize } kind = Kind::audio;
  std::vector<std::int16_t> pcm;  ///< 16 kHz
  std::int64_t offset = 0;        ///< stream position (16 kHz samples) after the job's audio
  RecognitionHints hints;
};

/// What a job produced, delivered on the strand.
struct Outcome {
  DecoderEvents events;
  std::optional<Transcript> final_answer;  ///< the answer to a finalize()
  std::optional<Error> error;
};

/// The decoder side and the strand side of one stream. Shared by the stream, the
/// worker's jobs and posted deliveries, so it outlives the stream object.
class StreamCore {
 public:
  StreamCore(std::shared_ptr<PsModel> model, const SessionContext& session, SttObserver& observer, bool narrowband)
      : strand(session.strand), model_(std::move(model)), observer_(&observer), narrowband_(narrowband) {}

  const std::shared_ptr<Strand> strand;
  std::atomic<bool> cancelled{false};

  /// Runs a job against the decoder (worker thread or strand), creating the
  /// decoder on first use.
  Outcome run(const Job& job);

  /// On the strand: hands an outcome to the observer.
  void deliver(const Outcome& o) {
    if (closed_) return;
    if (o.error) {
      closed_ = true;
      observer_->on_error(*o.error);
      return;
    }
    if (o.events.speech_started) {
      observer_->on_speech_started(o.events.speech_offset);
      if (closed_) return;
    }
    for (const auto& t : o.events.transcripts) {
      observer_->on_transcript(t);
      if (closed_) return;
    }
    if (o.final_answer) observer_->on_transcript(*o.final_answer);
  }

  bool closed() const noexcept { return closed_; }
  void close() noexcept {
    closed_ = true;
    cancelled.store(true, std::memory_order_release);
  }

 private:
  std::shared_ptr<PsModel> model_;  // never the worker: a job may hold the last reference
  SttObserver* observer_;
  bool narrowband_;  // 8 kHz input: the narrowband MLLR transform
  bool closed_ = false;
  std::unique_ptr<PocketsphinxDecoder> decoder_;  // only touched by run()
  std::optional<Error> init_error_;
};

/// Decodes the jobs of all streams of one provider, in arrival order, on its own thread.
class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void submit(std::shared_ptr<StreamCore> core, Job job) {
    {
      std::lock_guard lock(mu_);
      jobs_.emplace_back(std::move(core), std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::pair<std::shared_ptr<StreamCore>, Job> item;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        item = std::move(jobs_.front());
        jobs_.pop_front();
      }
      auto& core = item.first;
      if (core->cancelled.load(std::memory_order_acquire)) continue;
      Outcome o = core->run(item.second);
      // A stopped runtime drops the delivery; a cancelled stream ignores it.
      (void)core->strand->post([core, o = std::move(o)] { core->deliver(o); });
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::shared_ptr<StreamCore>, Job>> jobs_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the rest is built
};

/// What all decoders of one provider share: options and the background words.
struct PsModel {
  PocketsphinxOptions options;
  std::mutex mu;
  std::shared_ptr<const Background> background;  // computed by the first decoder

  std::shared_ptr<const Background> get_background(const PocketsphinxDecoder& d) {
    std::lock_guard lock(mu);
    if (!background) background = std::make_shared<const Background>(d.background_words(options.background_words));
    return background;
  }
};

/// The provider's worker, created by its first real-time stream. Held by the
/// provider and its streams (never by jobs), so it is joined from a thread other
/// than its own.
struct WorkerHolder {
  std::mutex mu;
  std::unique_ptr<Worker> worker;
  Worker* get() {
    std::lock_guard lock(mu);
    if (!worker) worker = std::make_unique<Worker>();
    return worker.get();
  }
};

Outcome StreamCore::run(const Job& job) {
  Outcome o;
  if (!decoder_ && !init_error_) {
    auto d = PocketsphinxDecoder::create(model_->options, narrowband_);
    if (d) {
      decoder_ = std::move(*d);
      decoder_->set_background(model_->get_background(*decoder_));
    } else {
      init_error_ = std::move(d).error();
    }
  }
  if (init_error_) {
    o.error = *init_error_;
    return o;
  }
  switch (job.kind) {
    case Job::Kind::audio:
      o.events = decoder_->process(job.pcm, job.offset - static_cast<std::int64_t>(job.pcm.size()));
      break;
    case Job::Kind::hints:
      if (Status s = decoder_->set_hints(job.hints); !s) {
        LOQUI_LOG_WARN("stt.pocketsphinx", "hints for state '{}' ignored: {}", job.hints.state, s.error().message());
      }
      break;
    case Job::Kind::finalize: o.final_answer = decoder_->finalize(job.offset); break;
  }
  return o;
}

class PocketsphinxStream final : public SttStream {
 public:
  PocketsphinxStream(std::shared_ptr<WorkerHolder> workers, bool hints, std::shared_ptr<StreamCore> core,
                     AudioFormat format, std::optional<Resampler> resampler, bool mirror, Worker* worker)
      : workers_(std::move(workers)),
        hints_(hints),
        core_(std::move(core)),
        format_(format),
        resampler_(std::move(resampler)),
        mirror_(mirror),
        worker_(worker) {}
  ~PocketsphinxStream() override { cancel(); }

  Status send_audio(const AudioFrame& frame) override {
    if (core_->closed()) return closed_error();
    if (frame.format() != format_) {
      return Error(errc::format_mismatch, "pocketsphinx: frame format " + frame.format().to_string() +
                                              " differs from the stream's " + format_.to_string())
          .set_provider("pocketsphinx");
    }
    std::span<const std::int16_t> in = frame.samples();
    if (frame.flags() & kFrameGap) {  // missing audio decodes as silence
      zeros_.assign(in.size(), 0);
      in = zeros_;
    }
    Job job;
    if (mirror_) {  // 8 kHz: x0 0 x1 0 ...
      job.pcm.resize(in.size() * 2);
      mirror_upsample(in, job.pcm);
    } else if (resampler_) {
      job.pcm.resize(resampler_->max_output_samples(in.size()));
      auto n = resampler_->process(in, job.pcm);
      if (!n) return std::move(n).error().set_provider("pocketsphinx");
      job.pcm.resize(*n);
    } else {
      job.pcm.assign(in.begin(), in.end());
    }
    if (job.pcm.empty()) return ok_status();
    offset_ += static_cast<std::int64_t>(job.pcm.size());
    job.offset = offset_;
    submit(std::move(job));
    return ok_status();
  }

  void finalize() override {
    if (core_->closed()) return;
    Job job;
    job.kind = Job::Kind::finalize;
    job.offset = offset_;
    submit(std::move(job));
  }

  void set_hints(const RecognitionHints& hints) override {
    if (core_->closed() || !hints_) return;
    Job job;
    job.kind = Job::Kind::hints;
    job.hints = hints;
    submit(std::move(job));
  }

  void cancel() noexcept override { core_->close(); }

 private:
  Error closed_error() const {
    return Error(errc::closed, "pocketsphinx: stream is closed").set_provider("pocketsphinx");
  }

  void submit(Job job) {
    if (worker_) {
      worker_->submit(core_, std::move(job));
      return;
    }
    // Virtual time: decode in a strand task, in order, never inside this call.
    (void)core_->strand->post([core = core_, job = std::move(job)] {
      if (core->closed()) return;
      core->deliver(core->run(job));
    });
  }

  std::shared_ptr<WorkerHolder> workers_;  // keeps the worker alive
  bool hints_;
  std::shared_ptr<StreamCore> core_;
  AudioFormat format_;
  std::optional<Resampler> resampler_;
  bool mirror_;     // 8 kHz input upsampled by zero-stuffing
  Worker* worker_;  // null under virtual time
  std::int64_t offset_ = 0;
  std::vector<std::int16_t> zeros_;
};

class PocketsphinxSpeechToText final : public SpeechToText {
 public:
  explicit PocketsphinxSpeechToText(std::shared_ptr<PsModel> model)
      : model_(std::move(model)), workers_(std::make_shared<WorkerHolder>()) {
    info_.kind = ProviderKind::stt;
    info_.name = "pocketsphinx";
    info_.description = "pocketsphinx (CMU Sphinx) en-US, hint grammars from the dialog";
    capabilities_ = capabilities_for(model_->options);
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const SttCapabilities& capabilities() const noexcept override { return capabilities_; }

  Result<std::unique_ptr<SttStream>> open(const SessionContext& session, const SttStreamOptions& options,
                                          SttObserver& observer) override {
    if (!session.strand) return Error(errc::invalid_argument, "pocketsphinx: session has no strand");
    const auto& formats = capabilities_.input_formats;
    if (std::find(formats.begin(), formats.end(), options.format) == formats.end()) {
      std::string list;
      for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f.to_string();
      return Error(errc::format_mismatch, "pocketsphinx: format " + options.format.to_string() +
                                              " is not supported (supported: " + list + ")")
          .set_provider("pocketsphinx");
    }
    std::optional<Resampler> resampler;
    const bool mirror = options.format.sample_rate_hz == 8000 && model_->options.narrowband == "mirror";
    if (options.format.sample_rate_hz != kModelRate && !mirror) {
      LOQUI_ASSIGN_OR_RETURN(auto rs, Resampler::create({.input_rate_hz = options.format.sample_rate_hz,
                                                         .output_rate_hz = kModelRate}));
      resampler.emplace(std::move(rs));
    }
    auto core = std::make_shared<StreamCore>(model_, session, observer, options.format.sample_rate_hz == 8000);
    Worker* worker = session.strand->runtime().is_virtual() ? nullptr : workers_->get();
    auto stream = std::make_unique<PocketsphinxStream>(workers_, model_->options.hints, std::move(core),
                                                       options.format, std::move(resampler), mirror, worker);
    if (!options.keyterms.empty()) stream->set_hints({.state = "", .phrases = options.keyterms, .jsgf = ""});
    return std::unique_ptr<SttStream>(std::move(stream));
  }

 private:
  std::shared_ptr<PsModel> model_;
  std::shared_ptr<WorkerHolder> workers_;
  ProviderInfo info_;
  SttCapabilities capabilities_;
};

}  // namespace

Result<PocketsphinxOptions> parse_pocketsphinx_options(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  PocketsphinxOptions o;
  o.model_dir = r.get_string("model_dir", o.model_dir);
  o.dictionary = r.get_string("dictionary", o.dictionary);
  o.language_model = r.get_string("language_model", o.language_model);
  o.remove_noise = r.get_bool("remove_noise", o.remove_noise);
  o.hints = r.get_bool("hints", o.hints);
  o.endpointing = r.get_bool("endpointing", o.endpointing);
  o.interim_interval = std::chrono::milliseconds(r.get_int("interim_ms", 500, {.min = 0, .max = 60'000}));
  o.background_words = static_cast<int>(r.get_int("background_words", o.background_words, {.min = 0, .max = 100'000}));
  o.background_weight = r.get_number("background_weight", o.background_weight, {.min = 0, .max = 0.9});
  o.carrier_weight = r.get_number("carrier_weight", o.carrier_weight, {.min = 0, .max = 100});
  o.hint_language_weight = r.get_number("hint_language_weight", o.hint_language_weight, {.min = 0.1, .max = 50});
  o.fallback_to_general = r.get_bool("fallback_to_general", o.fallback_to_general);
  o.narrowband = r.get_enum("narrowband", o.narrowband, {"mirror", "resample"});
  o.mllr = r.get_string("mllr", o.mllr);
  o.mllr_narrowband = r.get_string("mllr_narrowband", o.mllr_narrowband);
  const std::int64_t rate = r.get_int("sample_rate", kModelRate, {.min = 8000, .max = 48000});
  if (rate != kModelRate) {
    r.error_at("sample_rate", "the en-US model is 16000 Hz; other input rates are resampled (found " +
                                  std::to_string(rate) + ")");
  }
  LOQUI_TRY(r.finish());
  return o;
}

Result<std::shared_ptr<SpeechToText>> make_pocketsphinx_stt(const PocketsphinxOptions& options, std::string_view path) {
  std::error_code ec;
  for (const auto& [key, file] : {std::pair<const char*, const std::string&>{"model_dir", options.model_dir},
                                  {"dictionary", options.dictionary},
                                  {"language_model", options.language_model}}) {
    if (!std::filesystem::exists(file, ec)) {
      return Error(errc::not_found, std::string(path) + "." + key + ": '" + file +
                                        "' does not exist (Debian: apt-get install pocketsphinx-en-us)")
          .set_provider("pocketsphinx");
    }
  }
  auto model = std::make_shared<PsModel>();
  model->options = options;
  return std::shared_ptr<SpeechToText>(std::make_shared<PocketsphinxSpeechToText>(std::move(model)));
}

void register_pocketsphinx(Registry& registry) {
  Status s = registry.add_stt(
      "pocketsphinx", "embedded offline STT (CMU pocketsphinx, en-US): interim results, word timings, hint grammars",
      [](const ProviderContext& context, const Json& config,
         std::string_view path) -> Result<std::shared_ptr<SpeechToText>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, parse_pocketsphinx_options(config, path));
        const std::string where(path);
        if (!options.mllr.empty()) {
          LOQUI_ASSIGN_OR_RETURN(options.mllr, resolve_mllr(options.mllr, false, context.base_dir, where + ".mllr"));
        }
        if (!options.mllr_narrowband.empty()) {
          LOQUI_ASSIGN_OR_RETURN(options.mllr_narrowband, resolve_mllr(options.mllr_narrowband, true, context.base_dir,
                                                                       where + ".mllr_narrowband"));
        }
        return make_pocketsphinx_stt(options, path);
      },
      capabilities_for(PocketsphinxOptions{}));
  if (!s) LOQUI_LOG_ERROR("registry", "cannot register pocketsphinx: {}", s.error().to_string());
}

}  // namespace loqui::detail
