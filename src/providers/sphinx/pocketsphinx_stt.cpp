// SPDX-License-Identifier: Apache-2.0
// File: the embedded offline STT `pocketsphinx` (CMU pocketsphinx 5prealpha, the
// Debian en-us model). One decoder per stream.
//
// Recognition: with recognition hints (the flow engine sends the phrases it
// expects in each dialog state) the stream decodes against a JSGF grammar of
// those phrases, which is fast and accurate for in-grammar speech; without
// hints it uses the model's general n-gram language model, which is slow
// (about real time) and inaccurate on synthetic voices. docs/providers/pocketsphinx.md.
//
// Utterances: audio is buffered until a frame is louder than
// `speech_threshold_dbfs` (with `preroll_ms` of audio before it), then decoded
// as it arrives; interim hypotheses every `interim_ms` of audio; finalize()
// (the session's end of speech) ends the utterance and delivers the final.
// Results are delivered on the strand, never inside send_audio()/finalize().
//
// Threading: decoding runs inside send_audio() on the session strand: under
// virtual time that keeps calls deterministic; under real time it costs the
// loop about 1-3 ms of CPU per 20 ms frame with a grammar.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <deque>
#include <set>

#include <pocketsphinx.h>

#include "common/log.hpp"
#include "loqui/audio/convert.hpp"
#include "loqui/config.hpp"
#include "loqui/provider/registry.hpp"
#include "provider/scheduled_calls.hpp"
#include "providers/sphinx/pocketsphinx_stt.hpp"

namespace loqui::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kDefaultModelDir = "/usr/share/pocketsphinx/model/en-us";

struct Options {
  std::string hmm, dict, lm;
  double speech_threshold_dbfs = -45.0;
  Duration preroll = 300ms;
  Duration interim = 400ms;
  bool use_hints = true;
};

struct DecoderDeleter {
  void operator()(ps_decoder_t* ps) const noexcept { ps_free(ps); }
};
using Decoder = std::unique_ptr<ps_decoder_t, DecoderDeleter>;

/// A decoder with the acoustic model, dictionary and (if `with_lm`) the n-gram LM.
Result<Decoder> make_decoder(const Options& o, bool with_lm) {
  cmd_ln_t* config =
      with_lm ? cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", o.hmm.c_str(), "-dict", o.dict.c_str(), "-lm",
                            o.lm.c_str(), "-logfn", "/dev/null", nullptr)
              : cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", o.hmm.c_str(), "-dict", o.dict.c_str(), "-logfn",
                            "/dev/null", nullptr);
  if (!config) return Error(errc::invalid_config, "pocketsphinx: bad decoder configuration");
  ps_decoder_t* ps = ps_init(config);
  cmd_ln_free_r(config);
  if (!ps)
    return Error(errc::not_found, "pocketsphinx: cannot load the model (hmm " + o.hmm + ", dict " + o.dict +
                                      (with_lm ? ", lm " + o.lm : std::string()) + ")");
  return Decoder(ps);
}

/// Lower-case words of a phrase, letters and apostrophes only.
std::vector<std::string> words_of(std::string_view phrase) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : phrase) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalpha(u) || c == '\'') {
      cur += static_cast<char>(std::tolower(u));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

class SphinxStream final : public SttStream {
 public:
  SphinxStream(const Options& o, Decoder lm, const SessionContext& session, SttObserver& observer,
               std::string name)
      : options_(o), lm_(std::move(lm)), observer_(observer), calls_(session.strand), name_(std::move(name)) {}

  ~SphinxStream() override { cancel(); }

  Status send_audio(const AudioFrame& frame) override {
    if (cancelled_) return Error(errc::closed, "pocketsphinx: stream cancelled");
    const AudioFormat f = frame.format();
    if (f.encoding != Encoding::pcm16 || f.channels != 1 || f.sample_rate_hz != 16000)
      return Error(errc::format_mismatch, "pocketsphinx: takes mono pcm16 at 16000 Hz, got " + f.to_string());
    const auto s = frame.samples();
    audio_pos_ += static_cast<std::int64_t>(s.size());
    if (!in_utt_) {
      const bool gap = frame.has_flag(kFrameGap);
      if (gap || rms_dbfs(s) < options_.speech_threshold_dbfs) {
        preroll_.insert(preroll_.end(), s.begin(), s.end());
        const auto keep = static_cast<std::size_t>(to_ms(options_.preroll) * 16);
        if (preroll_.size() > keep)
          preroll_.erase(preroll_.begin(), preroll_.begin() + static_cast<std::ptrdiff_t>(preroll_.size() - keep));
        return ok_status();
      }
      LOQUI_TRY(start_utterance());
      std::vector<std::int16_t> pre(preroll_.begin(), preroll_.end());
      preroll_.clear();
      utt_start_ = audio_pos_ - static_cast<std::int64_t>(s.size() + pre.size());
      process(pre);
    }
    process({s.begin(), s.end()});
    utt_samples_ += static_cast<std::int64_t>(s.size());
    if (utt_samples_ - last_interim_ >= static_cast<std::int64_t>(to_ms(options_.interim) * 16)) {
      last_interim_ = utt_samples_;
      const char* h = ps_get_hyp(active(), nullptr);
      std::string text = h ? h : "";
      if (!text.empty() && text != last_hyp_) {
        last_hyp_ = text;
        deliver(std::move(text), false);
      }
    }
    return ok_status();
  }

  void finalize() override {
    if (cancelled_) return;
    if (!in_utt_) {
      deliver("", true);  // nothing was said since the last final
      return;
    }
    ps_end_utt(active());
    in_utt_ = false;
    const char* h = ps_get_hyp(active(), nullptr);
    deliver(h ? h : "", true);
    last_hyp_.clear();
  }

  void set_hints(const RecognitionHints& hints) override {
    if (!options_.use_hints || cancelled_) return;
    pending_hints_ = hints;  // applied at the next utterance: a grammar cannot change mid-utterance
    has_pending_hints_ = true;
  }

  void cancel() noexcept override {
    cancelled_ = true;
    calls_.clear();
    if (in_utt_) {
      ps_end_utt(active());
      in_utt_ = false;
    }
  }

 private:
  ps_decoder_t* active() const noexcept { return grammar_ ? grammar_.get() : lm_.get(); }

  Status start_utterance() {
    if (has_pending_hints_) {
      has_pending_hints_ = false;
      apply_hints(pending_hints_);
    }
    if (!grammar_ && !lm_) return Error(errc::internal, "pocketsphinx: no decoder");
    if (ps_start_utt(active()) < 0) return Error(errc::provider_failed, "pocketsphinx: cannot start an utterance");
    in_utt_ = true;
    utt_samples_ = 0;
    last_interim_ = 0;
    return ok_status();
  }

  void process(const std::vector<std::int16_t>& pcm) {
    if (!pcm.empty()) ps_process_raw(active(), pcm.data(), pcm.size(), FALSE, FALSE);
  }

  /// A JSGF grammar of the expected phrases (words the dictionary knows); no
  /// usable phrase: the n-gram model.
  void apply_hints(const RecognitionHints& hints) {
    std::set<std::string> phrases;
    if (!grammar_) {
      auto d = make_decoder(options_, false);
      if (!d) {
        LOQUI_LOG_WARN("pocketsphinx", "no grammar decoder: {}", d.error().message());
        return;
      }
      grammar_ = std::move(*d);
    }
    for (const auto& p : hints.phrases) {
      const auto words = words_of(p);
      if (words.empty()) continue;
      bool known = true;
      std::string joined;
      for (const auto& w : words) {
        known = known && ps_lookup_word(grammar_.get(), w.c_str()) != nullptr;
        joined += (joined.empty() ? "" : " ") + w;
      }
      if (known) phrases.insert(joined);
    }
    if (phrases.empty()) {
      if (lm_) grammar_.reset();
      return;
    }
    std::string g = "#JSGF V1.0;\ngrammar hints;\npublic <utt> = ";
    bool first = true;
    for (const auto& p : phrases) {
      g += (first ? "(" : " | (") + p + ")";
      first = false;
    }
    g += ";\n";
    const std::string search = "hints" + std::to_string(++grammar_count_);
    if (ps_set_jsgf_string(grammar_.get(), search.c_str(), g.c_str()) < 0 ||
        ps_set_search(grammar_.get(), search.c_str()) < 0) {
      LOQUI_LOG_WARN("pocketsphinx", "grammar from {} hint phrases rejected; using the language model", phrases.size());
      if (lm_) grammar_.reset();
    }
  }

  void deliver(std::string text, bool final) {
    Transcript t;
    t.text = std::move(text);
    t.is_final = final;
    t.from_finalize = final;
    t.confidence = t.text.empty() ? 0.f : 0.8f;
    t.audio_start = std::chrono::duration_cast<Duration>(std::chrono::microseconds(utt_start_ * 1000 / 16));
    t.audio_end = std::chrono::duration_cast<Duration>(std::chrono::microseconds(audio_pos_ * 1000 / 16));
    calls_.after(Duration::zero(), [this, t = std::make_shared<Transcript>(std::move(t))] {
      observer_.on_transcript(*t);
    });
  }

  Options options_;
  Decoder lm_;
  Decoder grammar_;
  SttObserver& observer_;
  ScheduledCalls calls_;
  std::string name_;
  std::deque<std::int16_t> preroll_;
  RecognitionHints pending_hints_;
  bool has_pending_hints_ = false;
  bool in_utt_ = false;
  bool cancelled_ = false;
  std::int64_t audio_pos_ = 0;
  std::int64_t utt_start_ = 0;
  std::int64_t utt_samples_ = 0;
  std::int64_t last_interim_ = 0;
  std::string last_hyp_;
  int grammar_count_ = 0;
};

class SphinxStt final : public SpeechToText {
 public:
  explicit SphinxStt(Options o) : options_(std::move(o)) {
    info_.name = "pocketsphinx";
    info_.needs_real_time = false;
    caps_.input_formats = {AudioFormat::pcm16(16000)};
    caps_.interim_results = true;
    caps_.recognition_hints = options_.use_hints;
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const SttCapabilities& capabilities() const noexcept override { return caps_; }
  Result<std::unique_ptr<SttStream>> open(const SessionContext& session, const SttStreamOptions& options,
                                          SttObserver& observer) override {
    if (!session.strand) return Error(errc::invalid_argument, "pocketsphinx: session has no strand");
    const AudioFormat f = options.format;
    if (f.encoding != Encoding::pcm16 || f.channels != 1 || f.sample_rate_hz != 16000)
      return Error(errc::format_mismatch, "pocketsphinx: takes mono pcm16 at 16000 Hz, asked for " + f.to_string());
    LOQUI_ASSIGN_OR_RETURN(auto lm, make_decoder(options_, true));
    return std::unique_ptr<SttStream>(
        std::make_unique<SphinxStream>(options_, std::move(lm), session, observer, info_.name));
  }

 private:
  Options options_;
  ProviderInfo info_;
  SttCapabilities caps_;
};

Result<Options> parse_options(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  (void)r.get_string("provider", "pocketsphinx");
  Options o;
  const std::string dir = r.get_string("model_dir", std::string(kDefaultModelDir));
  o.hmm = r.get_string("hmm", dir + "/en-us");
  o.dict = r.get_string("dict", dir + "/cmudict-en-us.dict");
  o.lm = r.get_string("lm", dir + "/en-us.lm.bin");
  o.speech_threshold_dbfs = r.get_number("speech_threshold_dbfs", -45.0, {.min = -90, .max = 0});
  o.preroll = std::chrono::milliseconds(r.get_int("preroll_ms", 300, {.min = 0, .max = 2000}));
  o.interim = std::chrono::milliseconds(r.get_int("interim_ms", 400, {.min = 100, .max = 5000}));
  o.use_hints = r.get_bool("hints", true);
  LOQUI_TRY(r.finish());
  return o;
}

}  // namespace

void register_pocketsphinx(Registry& registry) {
  Status s = registry.add_stt(
      "pocketsphinx", "embedded offline STT (CMU pocketsphinx, en-us): grammar from recognition hints",
      [](const ProviderContext&, const Json& config, std::string_view path) -> Result<std::shared_ptr<SpeechToText>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, parse_options(config, path));
        return std::shared_ptr<SpeechToText>(std::make_shared<SphinxStt>(std::move(options)));
      },
      SttCapabilities{.input_formats = {AudioFormat::pcm16(16000)}, .interim_results = true,
                      .recognition_hints = true});
  if (!s) LOQUI_LOG_ERROR("registry", "cannot register pocketsphinx: {}", s.error().to_string());
}

}  // namespace loqui::detail
