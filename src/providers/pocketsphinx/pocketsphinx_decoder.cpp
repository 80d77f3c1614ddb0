// SPDX-License-Identifier: Apache-2.0
// File: the pocketsphinx decoder wrapper (see pocketsphinx_decoder.hpp).
#include "providers/pocketsphinx/pocketsphinx_decoder.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/fsg_model.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "providers/pocketsphinx/hint_lm.hpp"

namespace loqui::detail {
namespace {

constexpr const char* kGeneral = "_default";
constexpr int kSampleRate = 16000;
constexpr std::int64_t kSamplesPerFrame = 160;  // pocketsphinx frames are 10 ms
constexpr std::size_t kMaxUtteranceSamples = 60 * kSampleRate;  // fallback buffer bound
constexpr std::size_t kMaxSearches = 64;

Duration at_sample(std::int64_t sample) { return std::chrono::nanoseconds(sample * 1'000'000'000 / kSampleRate); }

// "word(2)" -> "word"; fillers and sentence markers are dropped ("").
std::string clean_word(const char* w) {
  if (!w || !*w || w[0] == '<' || w[0] == '[' || w[0] == '+') return {};
  std::string s(w);
  if (auto p = s.find('('); p != std::string::npos) s.erase(p);
  return s;
}

}  // namespace

struct PocketsphinxDecoder::Ps {
  ps_decoder_t* ps = nullptr;
  ~Ps() {
    if (ps) ps_free(ps);
  }
};

PocketsphinxDecoder::PocketsphinxDecoder(const PocketsphinxOptions& options)
    : options_(options), ps_(std::make_unique<Ps>()) {}

PocketsphinxDecoder::~PocketsphinxDecoder() = default;

Result<std::unique_ptr<PocketsphinxDecoder>> PocketsphinxDecoder::create(const PocketsphinxOptions& options,
                                                                         bool narrowband) {
  const std::string& mllr = narrowband ? options.mllr_narrowband : options.mllr;
  std::error_code ec;
  for (const auto& [what, path] : {std::pair<const char*, const std::string&>{"model_dir", options.model_dir},
                                   {"dictionary", options.dictionary},
                                   {"language_model", options.language_model}}) {
    if (!std::filesystem::exists(path, ec)) {
      return Error(errc::not_found, std::string(what) + ": '" + path +
                                        "' does not exist (Debian: apt-get install pocketsphinx-en-us)")
          .set_provider("pocketsphinx");
    }
  }
  cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", options.model_dir.c_str(), "-dict",
                                 options.dictionary.c_str(), "-lm", options.language_model.c_str(), "-logfn",
                                 "/dev/null", "-remove_noise", options.remove_noise ? "yes" : "no", nullptr);
  if (!config) return Error(errc::provider_failed, "pocketsphinx: invalid configuration").set_provider("pocketsphinx");
  if (!mllr.empty()) cmd_ln_set_str_r(config, "-mllr", mllr.c_str());
  std::unique_ptr<PocketsphinxDecoder> d(new PocketsphinxDecoder(options));
  d->ps_->ps = ps_init(config);
  cmd_ln_free_r(config);
  if (!d->ps_->ps) {
    return Error(errc::provider_failed, "pocketsphinx: cannot load the models in '" + options.model_dir + "'" +
                                            (mllr.empty() ? "" : " with the MLLR transform '" + mllr + "'"))
        .set_provider("pocketsphinx");
  }
  return d;
}

Background PocketsphinxDecoder::background_words(int count) const {
  Background out;
  ngram_model_t* lm = ps_get_lm(ps_->ps, kGeneral);
  if (!lm || count <= 0) return out;
  std::vector<std::pair<double, std::string>> all;
  const std::uint32_t* counts = ngram_model_get_counts(lm);
  logmath_t* lmath = ps_get_logmath(ps_->ps);
  for (std::uint32_t wid = 0; wid < counts[0]; ++wid) {
    const char* w = ngram_word(lm, static_cast<int32>(wid));
    if (!w || w[0] == '<' || w[0] == '[') continue;
    int32 used = 0;
    const int32 score = ngram_ng_score(lm, static_cast<int32>(wid), nullptr, 0, &used);
    all.emplace_back(logmath_exp(lmath, score), w);
  }
  const std::size_t n = std::min(all.size(), static_cast<std::size_t>(count));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; i < n; ++i) out.emplace_back(all[i].second, all[i].first);
  return out;
}

Status PocketsphinxDecoder::set_hints(const RecognitionHints& hints) {
  if (!options_.hints) return ok_status();
  LOQUI_TRY(compile_hints(hints));
  // Between turns the stream is fed silence, which keeps an utterance open: if
  // nobody has spoken in it yet, drop it so the caller's answer is decoded with
  // the new grammar (otherwise hints would always arrive one turn late).
  if (in_utt_ && !heard_speech_ && utt_search_ != next_search_) {
    ps_end_utt(ps_->ps);
    in_utt_ = false;
    utt_audio_.clear();
  }
  return ok_status();
}

Status PocketsphinxDecoder::compile_hints(const RecognitionHints& hints) {
  if (hints.phrases.empty()) {
    next_search_ = kGeneral;
    return ok_status();
  }
  std::string key;
  for (const auto& p : hints.phrases) key += p + '\n';
  if (auto it = searches_.find(key); it != searches_.end()) {
    next_search_ = it->second;
    return ok_status();
  }
  if (searches_.size() >= kMaxSearches) {  // a pathological host: stay on the last grammars
    next_search_ = kGeneral;
    return ok_status();
  }
  auto known = [&](const std::string& w) {
    char* phones = ps_lookup_word(ps_->ps, w.c_str());
    if (!phones) return false;
    ckd_free(phones);
    return true;
  };
  HintLmOptions lm;
  lm.carrier_weight = options_.carrier_weight;
  lm.background = background_.get();
  lm.background_weight = options_.background_weight;
  std::string text = build_hint_fsg(hints.phrases, known, lm);
  if (text.empty()) {
    next_search_ = kGeneral;
    return ok_status();
  }
  FILE* fp = fmemopen(text.data(), text.size(), "r");
  if (!fp) return Error(errc::internal, "pocketsphinx: fmemopen failed").set_provider("pocketsphinx");
  fsg_model_t* fsg = fsg_model_read(fp, ps_get_logmath(ps_->ps), static_cast<float32>(options_.hint_language_weight));
  std::fclose(fp);
  if (!fsg) return Error(errc::provider_failed, "pocketsphinx: cannot build the hint grammar").set_provider("pocketsphinx");
  const std::string name = "hints" + std::to_string(searches_.size() + 1);
  const int rc = ps_set_fsg(ps_->ps, name.c_str(), fsg);
  fsg_model_free(fsg);
  if (rc < 0) return Error(errc::provider_failed, "pocketsphinx: cannot load the hint grammar").set_provider("pocketsphinx");
  searches_[key] = name;
  next_search_ = name;
  return ok_status();
}

DecoderEvents PocketsphinxDecoder::process(std::span<const std::int16_t> pcm, std::int64_t stream_offset) {
  DecoderEvents ev;
  std::size_t i = 0;
  while (i < pcm.size()) {
    const std::size_t n = std::min<std::size_t>(pcm.size() - i, 1600);  // 100 ms steps
    const auto chunk = pcm.subspan(i, n);
    if (!in_utt_) {
      if (ps_get_search(ps_->ps) == nullptr || next_search_ != ps_get_search(ps_->ps)) {
        if (ps_set_search(ps_->ps, next_search_.c_str()) < 0) next_search_ = kGeneral;
      }
      utt_search_ = next_search_;
      ps_start_utt(ps_->ps);
      in_utt_ = true;
      heard_speech_ = false;
      utt_start_ = stream_offset + static_cast<std::int64_t>(i);
      utt_samples_ = 0;
      since_interim_ = 0;
      last_interim_.clear();
      utt_audio_.clear();
    }
    ps_process_raw(ps_->ps, chunk.data(), chunk.size(), FALSE, FALSE);
    if (utt_audio_.size() + n <= kMaxUtteranceSamples) utt_audio_.insert(utt_audio_.end(), chunk.begin(), chunk.end());
    utt_samples_ += static_cast<std::int64_t>(n);
    since_interim_ += static_cast<std::int64_t>(n);
    const bool speech = ps_get_in_speech(ps_->ps) != 0;
    if (speech && !heard_speech_) {
      heard_speech_ = true;
      ev.speech_started = true;
      ev.speech_offset = at_sample(stream_offset + static_cast<std::int64_t>(i));
    }
    if (options_.endpointing && heard_speech_ && !speech) {
      Transcript t = end_utterance(false, stream_offset + static_cast<std::int64_t>(i + n));
      t.speech_final = true;
      if (!t.text.empty()) ev.transcripts.push_back(std::move(t));
    } else if (options_.interim_interval > Duration::zero() && heard_speech_ &&
               at_sample(since_interim_) >= options_.interim_interval) {
      since_interim_ = 0;
      std::string text = hypothesis(nullptr);
      if (!text.empty() && text != last_interim_) {
        last_interim_ = text;
        Transcript t;
        t.text = std::move(text);
        t.audio_start = at_sample(utt_start_);
        t.audio_end = at_sample(utt_start_ + utt_samples_);
        ev.transcripts.push_back(std::move(t));
      }
    }
    i += n;
  }
  return ev;
}

Transcript PocketsphinxDecoder::finalize(std::int64_t stream_offset) {
  if (!in_utt_) {
    Transcript t;
    t.is_final = true;
    t.from_finalize = true;
    t.audio_start = t.audio_end = at_sample(stream_offset);
    return t;
  }
  return end_utterance(true, stream_offset);
}

Transcript PocketsphinxDecoder::end_utterance(bool from_finalize, std::int64_t stream_offset) {
  ps_end_utt(ps_->ps);
  in_utt_ = false;
  Transcript t;
  t.is_final = true;
  t.from_finalize = from_finalize;
  t.audio_start = at_sample(utt_start_);
  t.audio_end = at_sample(stream_offset);
  t.text = hypothesis(&t.words);
  if (!cmn_warm_ && heard_speech_ && !utt_audio_.empty()) {
    // The decoder's first utterance was heard with the initial cepstral mean,
    // which fits espeak-ng and telephone audio badly; now that the mean has
    // adapted to this caller, decode it again (once per stream).
    cmn_warm_ = true;
    if (ps_set_search(ps_->ps, utt_search_.c_str()) >= 0) {
      ps_start_utt(ps_->ps);
      ps_process_raw(ps_->ps, utt_audio_.data(), utt_audio_.size(), FALSE, TRUE);
      ps_end_utt(ps_->ps);
      t.words.clear();
      t.text = hypothesis(&t.words);
    }
  }
  if (t.text.empty() && heard_speech_ && utt_search_ != kGeneral && options_.fallback_to_general &&
      !utt_audio_.empty()) {
    // The grammar found no path through what was said: ask the general model.
    if (ps_set_search(ps_->ps, kGeneral) >= 0) {
      ps_start_utt(ps_->ps);
      ps_process_raw(ps_->ps, utt_audio_.data(), utt_audio_.size(), FALSE, TRUE);
      ps_end_utt(ps_->ps);
      t.words.clear();
      t.text = hypothesis(&t.words);
    }
  }
  utt_audio_.clear();
  t.confidence = t.text.empty() ? 0.f : 1.f;
  return t;
}

std::string PocketsphinxDecoder::hypothesis(std::vector<Word>* words) {
  std::string text;
  if (words) {
    for (ps_seg_t* seg = ps_seg_iter(ps_->ps); seg; seg = ps_seg_next(seg)) {
      const std::string w = clean_word(ps_seg_word(seg));
      if (w.empty()) continue;
      int sf = 0, ef = 0;
      ps_seg_frames(seg, &sf, &ef);
      Word word;
      word.text = w;
      word.start = at_sample(utt_start_ + sf * kSamplesPerFrame);
      word.end = at_sample(utt_start_ + (ef + 1) * kSamplesPerFrame);
      words->push_back(std::move(word));
      text += (text.empty() ? "" : " ") + w;
    }
    return text;
  }
  int32 score = 0;
  const char* hyp = ps_get_hyp(ps_->ps, &score);
  if (!hyp) return {};
  // Alternate pronunciations never appear in ps_get_hyp; fillers may.
  std::string h(hyp);
  std::string out, cur;
  for (std::size_t i = 0; i <= h.size(); ++i) {
    if (i == h.size() || h[i] == ' ') {
      const std::string w = clean_word(cur.c_str());
      if (!w.empty()) out += (out.empty() ? "" : " ") + w;
      cur.clear();
    } else {
      cur += h[i];
    }
  }
  return out;
}

}  // namespace loqui::detail
