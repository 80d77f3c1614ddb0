// SPDX-License-Identifier: Apache-2.0
// File: Session and its turn manager (ARCHITECTURE.md section 5). One Impl per call,
// confined to the call's strand. docs/turn-manager.md describes the rules.
#include "loqui/agent/session.hpp"

#include <algorithm>
#include <cmath>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>

#include "agent/turn_text.hpp"
#include "loqui/agent/text_chunker.hpp"
#include "loqui/agent/text_normalizer.hpp"
#include "loqui/audio/convert.hpp"
#include "loqui/audio/resampler.hpp"

namespace loqui {

namespace {

constexpr int kWorkRate = 16000;  // the session's working rate for caller audio

std::string join_text(const std::string& a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return a;
  return a + " " + std::string(b);
}

// The LLM section whose prices apply. A `router` answers some turns itself with
// zero tokens and passes the others to its "llm", so every token it reports is
// that LLM's: price them as such.
const Json& billed_llm_section(const Json& section) {
  const Json* s = &section;
  for (int depth = 0; depth < 8 && AgentConfig::provider_name(*s) == "router"; ++depth) {
    const Json* inner = s->find("llm");
    if (!inner || !inner->is_object()) break;
    s = inner;
  }
  return *s;
}

}  // namespace

struct Session::Impl : std::enable_shared_from_this<Session::Impl> {
  // ------------------------------------------------------------ observers
  struct SttObs final : SttObserver {
    Impl* s;
    explicit SttObs(Impl* i) : s(i) {}
    void on_provider(std::string_view p, bool) override { s->note_provider(p); }
    void on_transcript(const Transcript& t) override { s->on_transcript(t); }
    void on_utterance_end(Duration) override { s->on_vendor_utterance_end(); }
    void on_error(const Error& e) override { s->on_stt_error(e); }
  };
  struct LlmObs final : LlmObserver {
    Impl* s;
    explicit LlmObs(Impl* i) : s(i) {}
    void on_provider(std::string_view p, bool restarted) override { s->on_llm_provider(p, restarted); }
    void on_text(std::string_view d) override { s->on_llm_text(d); }
    void on_tool_call(const ToolCall& c) override {
      if (!s->preempt) s->note_provider(s->llm_label);
      s->round_calls.push_back(c);
      s->arm_llm_watchdog();
    }
    void on_usage(const TokenUsage& u) override { s->round_usage = u; }
    void on_recognition_hints(const RecognitionHints& h) override {
      if (s->stt_) s->stt_->set_hints(h);
    }
    void on_done(FinishReason r) override { s->on_llm_done(r); }
    void on_error(const Error& e) override { s->on_llm_error(e); }
  };
  struct TtsObs final : TtsObserver {
    Impl* s;
    explicit TtsObs(Impl* i) : s(i) {}
    void on_provider(std::string_view p, bool restarted) override { s->on_tts_provider(p, restarted); }
    void on_audio(const AudioFrame& a) override { s->on_tts_audio(a); }
    void on_word_timings(std::span<const WordTiming> w) override { s->on_tts_words(w); }
    void on_done() override { s->on_tts_done(); }
    void on_error(const Error& e) override { s->on_tts_error(e); }
  };

  // What the agent is saying: one TTS utterance per chunk.
  enum class UttKind : std::uint8_t { response, greeting, filler, canned };
  struct Anchor {
    std::int64_t utt_sample;       // offset inside the utterance
    std::int64_t timeline_sample;  // where it plays
  };
  struct Utt {
    std::string text;                      // as written (transcript, history)
    std::string spoken;                    // as sent to TTS (normalised)
    std::vector<std::size_t> spoken_words;  // spoken words per written word; empty: 1:1
    UttKind kind = UttKind::response;
    bool committed = false;  // already in the LLM history (text of a tool-call round)
    bool done = false;
    std::int64_t emitted = 0;  // samples delivered
    std::vector<WordTiming> words;
    std::vector<Anchor> anchors;
  };

  Impl(Runtime& rt, AgentConfig c, AgentProviders p, SessionOptions o)
      : runtime(rt),
        strand(o.strand ? o.strand : rt.make_strand(o.session_id)),
        cfg(std::move(c)),
        prov(std::move(p)),
        opt(std::move(o)),
        segmenter(cfg.vad.segmenter),
        chunker({.first_min_chars = cfg.turn.first_chunk_min_chars}),
        pool({.buffer_bytes = 1920, .preallocate = 2}),
        stt_obs(this),
        llm_obs(this),
        tts_obs(this),
        eot_timer(strand),
        finish_timer(strand),
        idle_timer(strand),
        max_timer(strand),
        filler_timer(strand),
        llm_timer(strand),
        tts_timer(strand),
        dtmf_timer(strand) {}

  ~Impl() {
    if (stt_) stt_->cancel();
    if (llm_) llm_->cancel();
    if (tts_) tts_->cancel();
  }

  // ------------------------------------------------------------ setup
  Status open() {
    if (!prov.stt || !prov.llm || !prov.tts) return Error(errc::invalid_argument, "session: missing a provider");
    if (!opt.vad_factory) return Error(errc::invalid_argument, "session: SessionOptions::vad_factory is required");
    vad = opt.vad_factory();
    if (!vad) return Error(errc::invalid_argument, "session: vad_factory returned no detector");
    const AudioFormat vf = vad->format();
    if (vf.encoding != Encoding::pcm16 || vf.channels != 1 || (vf.sample_rate_hz != 8000 && vf.sample_rate_hz != 16000))
      return Error(errc::format_mismatch, "session: voice detector format " + vf.to_string() +
                                              " is not pcm16 mono 8000/16000 Hz");
    if (vf.sample_rate_hz != kWorkRate) {
      LOQUI_ASSIGN_OR_RETURN(auto r, Resampler::create({.input_rate_hz = kWorkRate, .output_rate_hz = vf.sample_rate_hz}));
      vad_rs.emplace(std::move(r));
    }
    if (opt.caller_sample_rate_hz != kWorkRate) {
      LOQUI_ASSIGN_OR_RETURN(auto r,
                             Resampler::create({.input_rate_hz = opt.caller_sample_rate_hz, .output_rate_hz = kWorkRate}));
      in_rs.emplace(std::move(r));
    }
    for (const auto& t : cfg.simulated_tools) {
      if (opt.tools && opt.tools->find(t.spec.name)) continue;  // the host's implementation wins
      LOQUI_TRY(sim_tools.add_simulated(t));
    }
    // A tool the agent names must exist: a typo never silently removes a tool.
    for (std::size_t i = 0; i < cfg.tools.size(); ++i) {
      const std::string& name = cfg.tools[i];
      if (name == kTransferToHumanTool || name == kEndCallTool || sim_tools.find(name) ||
          (opt.tools && opt.tools->find(name)))
        continue;
      return Error(errc::invalid_config, "agent.tools[" + std::to_string(i) + "]: unknown tool '" + name +
                                             "' (not registered by the host, not declared with a result, not a "
                                             "built-in: transfer_to_human, end_call)");
    }
    SessionContext ctx{.strand = strand, .session_id = opt.session_id, .tenant_id = cfg.tenant.id, .pool = &pool};
    // STT: the caller's own rate if accepted (no resampling: a telephony STT gets
    // the 8 kHz audio the line carried, not an upsampled copy), else 16 kHz if
    // accepted, else its preferred pcm16 rate.
    AudioFormat sf = AudioFormat::pcm16(kWorkRate);
    const auto& in_formats = prov.stt->capabilities().input_formats;
    const AudioFormat caller_format = AudioFormat::pcm16(opt.caller_sample_rate_hz);
    if (opt.caller_sample_rate_hz != kWorkRate &&
        std::find(in_formats.begin(), in_formats.end(), caller_format) != in_formats.end()) {
      sf = caller_format;
      stt_direct = true;
    } else if (!in_formats.empty() && std::find(in_formats.begin(), in_formats.end(), sf) == in_formats.end()) {
      auto it = std::find_if(in_formats.begin(), in_formats.end(),
                             [](const AudioFormat& f) { return f.encoding == Encoding::pcm16 && f.channels == 1; });
      if (it == in_formats.end())
        return Error(errc::format_mismatch, "session: STT '" + prov.stt->info().name + "' takes no pcm16 mono input");
      sf = *it;
      LOQUI_ASSIGN_OR_RETURN(auto r, Resampler::create({.input_rate_hz = kWorkRate, .output_rate_hz = sf.sample_rate_hz}));
      stt_rs.emplace(std::move(r));
    }
    stt_format = sf;
    LOQUI_ASSIGN_OR_RETURN(stt_, prov.stt->open(ctx, {.format = sf, .language = cfg.language}, stt_obs));
    LOQUI_ASSIGN_OR_RETURN(llm_, prov.llm->open(ctx));
    agent_format = AudioFormat::pcm16(opt.agent_sample_rate_hz);
    LOQUI_ASSIGN_OR_RETURN(tts_, prov.tts->open(ctx, {.format = agent_format, .language = cfg.language}, tts_obs));
    agent_format = tts_->output_format();
    rec.session_id = opt.session_id;
    rec.tenant_id = cfg.tenant.id;
    rec.agent_name = cfg.name;
    auto model = [](const Json& section) {
      const Json* m = section.find("model");
      return m && m->is_string() ? m->as_string() : std::string();
    };
    const Json& llm_billed = billed_llm_section(cfg.llm);
    rec.providers = {AgentConfig::provider_name(cfg.stt), AgentConfig::provider_name(llm_billed),
                     AgentConfig::provider_name(cfg.tts), model(cfg.stt), model(llm_billed), model(cfg.tts)};
    history.push_back({.role = Role::system, .content = cfg.rendered_system_prompt()});
    req.tools = offered_tools();
    if (opt.text_normalizer) {
      normalizer = opt.text_normalizer;
    } else if (cfg.normalize_text) {
      owned_normalizer = make_text_normalizer(cfg.language);
      normalizer = owned_normalizer.get();
    }
    for (auto* list : {&cfg.handoff.keywords, &cfg.handoff.phrases, &cfg.handoff.urgent_keywords})
      for (auto& p : *list) p = detail::normalized_text(p);
    return ok_status();
  }

  // ------------------------------------------------------------ helpers
  TimePoint now() const { return strand->now(); }
  // Nothing is published after CallEnded (a handler may end the call mid-step).
  void publish(const SessionEvent& e) {
    if (!ended) bus.publish(e);
  }

  void set_state(TurnState s) {
    if (s == state || state == TurnState::ended) return;
    const TurnState from = state;
    state = s;
    publish(StateChanged{now(), from, s});
  }

  void note_provider(std::string_view p) {
    if (p.empty()) return;
    if (std::find(rec.providers_answered.begin(), rec.providers_answered.end(), p) == rec.providers_answered.end())
      rec.providers_answered.emplace_back(p);
  }

  template <class F>
  void on_strand(F&& f) {
    if (strand->running_in_this_thread()) {
      f();
      return;
    }
    (void)strand->post([w = weak_from_this(), f = std::forward<F>(f)]() mutable {
      if (auto self = w.lock()) f();
    });
  }

  std::int64_t timeline_samples(TimePoint t) const {
    return agent_format.samples_in(t - rec.started);
  }

  bool agent_active() const { return responding || !utts.empty() || now() < timeline_end; }

  // ------------------------------------------------------------ lifecycle
  void start() {
    if (started || ended) return;
    started = true;
    rec.started = rec.ended = now();
    timeline_end = rec.started;
    publish(CallStarted{now(), opt.session_id, cfg.tenant.id});
    set_state(TurnState::listening);
    if (cfg.turn.max_call > Duration::zero()) {
      (void)max_timer.arm(cfg.turn.max_call, [this] { on_max_duration(); });
    }
    if (!cfg.greeting.empty()) {
      begin_agent_segment();
      speak(cfg.greeting, UttKind::greeting);
    } else if (cfg.greet_with_llm) {
      // The LLM opens the call: a request with the system prompt only.
      tool_rounds = 0;
      begin_agent_segment();
      set_state(TurnState::thinking);
      generate();
    } else {
      arm_idle();
    }
  }

  void end_call(std::string reason) {
    if (ended) return;
    if (!utts.empty()) stop_agent_speech(/*interrupted=*/true, /*clear=*/true);
    close_user_turn_metrics();
    ended = true;
    for (Timer* t : {&eot_timer, &finish_timer, &idle_timer, &max_timer, &filler_timer, &llm_timer,
                     &tts_timer, &dtmf_timer})
      t->cancel();
    if (stt_) stt_->cancel();
    if (llm_) llm_->cancel();
    if (tts_) tts_->cancel();
    responding = false;
    rec.ended = now();
    rec.end_reason = reason;
    rec.usage.call_seconds = to_ms(rec.ended - rec.started) / 1000.0;
    const TurnState from = state;
    state = TurnState::ended;
    bus.publish(StateChanged{now(), from, TurnState::ended});
    bus.publish(CallEnded{now(), std::move(reason)});
  }

  // ------------------------------------------------------------ caller audio
  void drain_input() {
    {
      std::lock_guard lock(in_mu);
      std::swap(in_queue, in_work);
      drain_posted = false;
    }
    for (const auto& f : in_work) process_audio(f);
    in_work.clear();
  }

  void process_audio(const AudioFrame& frame) {
    if (ended || !started) return;
    std::span<const std::int16_t> pcm = frame.samples();
    const bool gap = frame.has_flag(kFrameGap);
    if (stt_direct && stt_ && !stt_failed && !pcm.empty()) {
      AudioFrame f = AudioFrame::view(AudioFormat::pcm16(opt.caller_sample_rate_hz), pcm, caller_direct_samples);
      caller_direct_samples += static_cast<std::int64_t>(pcm.size());
      if (gap) f.add_flags(kFrameGap);
      Status st = stt_->send_audio(f);
      if (!st && st.error().code() != make_error_code(errc::closed)) report_error(st.error(), "stt", true);
    }
    if (in_rs) {
      work.resize(in_rs->max_output_samples(pcm.size()));
      auto n = in_rs->process(pcm, work);
      if (!n) return report_error(n.error(), "resampler", true);
      pcm = std::span<const std::int16_t>(work.data(), *n);
    }
    if (pcm.empty()) return;
    // STT gets everything (continuous stream).
    const AudioFormat wf = AudioFormat::pcm16(kWorkRate);
    rec.usage.stt_audio_seconds += static_cast<double>(pcm.size()) / kWorkRate;
    if (stt_ && !stt_failed && !stt_direct) {
      Status st;
      if (stt_rs) {
        stt_buf.resize(stt_rs->max_output_samples(pcm.size()));
        auto n = stt_rs->process(pcm, stt_buf);
        if (n && *n > 0) {
          AudioFrame f = AudioFrame::view(stt_rs->output_format(), std::span<const std::int16_t>(stt_buf.data(), *n));
          if (gap) f.add_flags(kFrameGap);
          st = stt_->send_audio(f);
        }
      } else {
        AudioFrame f = AudioFrame::view(wf, pcm, caller_samples);
        if (gap) f.add_flags(kFrameGap);
        st = stt_->send_audio(f);
      }
      if (!st && st.error().code() != make_error_code(errc::closed)) report_error(st.error(), "stt", true);
    }
    // VAD in detector frames.
    std::span<const std::int16_t> vpcm = pcm;
    if (vad_rs) {
      vad_buf2.resize(vad_rs->max_output_samples(pcm.size()));
      auto n = vad_rs->process(pcm, vad_buf2);
      if (!n) return report_error(n.error(), "vad", true);
      vpcm = std::span<const std::int16_t>(vad_buf2.data(), *n);
    }
    const std::size_t fs = vad->frame_samples();
    const int vrate = vad->format().sample_rate_hz;
    const std::int64_t frame_end_media = caller_samples + static_cast<std::int64_t>(pcm.size());
    caller_samples = frame_end_media;
    for (std::int16_t s : vpcm) {
      vad_acc.push_back(gap ? std::int16_t{0} : s);
      if (vad_acc.size() < fs) continue;
      const Duration frame_start = AudioFormat::pcm16(vrate).duration_of(vad_samples);
      vad_samples += static_cast<std::int64_t>(fs);
      const float p = vad->process(vad_acc);
      const double level = rms_dbfs(vad_acc);
      vad_acc.clear();
      // Wall time of a media time: now minus how far that media lags behind.
      const Duration media_now = wf.duration_of(frame_end_media);
      auto wall = [&](Duration media) { return now() - std::max(Duration::zero(), media_now - media); };
      if (p >= cfg.vad.segmenter.threshold && level >= cfg.vad.segmenter.min_volume_dbfs) {
        last_voiced = wall(frame_start + std::chrono::milliseconds(10));
        if (barge && last_voiced - barge_start >= cfg.turn.interruption_min_duration) check_barge(false);
        if (ended) return;
      }
      if (auto ev = segmenter.push(frame_start, p, level)) {
        const TimePoint at = wall(ev->at);
        if (ev->kind == VadEvent::Kind::speech_started) on_vad_start(at);
        else on_vad_stop(at);
        if (ended) return;
      }
    }
  }

  void on_vad_start(TimePoint at) {
    user_speaking = true;
    idle_timer.cancel();
    reprompts = 0;
    publish(SpeechStarted{at});
    if (preempt) cancel_preempt();  // the caller goes on: the early answer is void
    if (agent_active() && !barge) {
      barge = true;
      barge_start = at;
      barge_mark = user_text.size();
      interim.clear();
      return;
    }
    if (barge) return;
    open_user_turn(at);
  }

  void open_user_turn(TimePoint at) {
    eot_timer.cancel();
    if (!turn_open) {
      turn_open = true;
      turn_speech_start = at;
      interim.clear();
    }
    set_state(TurnState::user_speaking);
  }

  void on_vad_stop(TimePoint at) {
    user_speaking = false;
    speech_end = at;
    publish(SpeechStopped{at, at - (barge ? barge_start : turn_speech_start)});
    if (stt_ && !stt_failed) {
      ++pending_finals;
      stt_->finalize();
    }
    if (barge) {
      check_barge(false);
      return;
    }
    evaluate_eot();
  }

  // ------------------------------------------------------------ transcripts
  void on_transcript(const Transcript& t) {
    if (ended) return;
    note_provider(prov.stt->info().name);
    publish(TranscriptReceived{now(), t, prov.stt->info().name});
    if (!t.is_final && !t.from_finalize) {
      interim = t.text;
      if (barge) check_barge(false);
      else if (turn_open && !user_speaking) evaluate_eot();
      return;
    }
    const std::string text = detail::trim(t.text);
    if (!text.empty()) user_text = join_text(user_text, text);
    interim.clear();
    if (t.from_finalize) pending_finals = std::max(0, pending_finals - 1);
    last_stt_final = now();
    if (t.speech_final) vendor_final = true;
    if (barge) {
      check_barge(pending_finals == 0 && !user_speaking);
      return;
    }
    if (!turn_open && !text.empty() && !agent_active()) {
      // A final for speech the VAD did not flag (quiet speech): still a turn.
      open_user_turn(now());
      speech_end = now();
      user_speaking = false;
    }
    evaluate_eot();
    maybe_preempt();
  }

  // The vendor's endpointer says the caller finished: the short delay applies.
  void on_vendor_utterance_end() {
    if (ended || barge || !turn_open) return;
    vendor_final = true;
    evaluate_eot();
  }

  void on_stt_error(const Error& e) {
    if (ended) return;
    pending_finals = 0;
    // The stream is closed: reopen it (destroying the old one later, never inside
    // its own callback). Words of the failed utterance are lost.
    if (stt_) {
      stt_->cancel();
      (void)strand->post([old = std::shared_ptr<SttStream>(std::move(stt_))] {});
    }
    SessionContext ctx{.strand = strand, .session_id = opt.session_id, .tenant_id = cfg.tenant.id, .pool = &pool};
    auto reopened = prov.stt->open(ctx, {.format = stt_format, .language = cfg.language}, stt_obs);
    if (reopened) stt_ = std::move(*reopened);
    else stt_failed = true;
    report_error(e, "stt", !stt_failed);
    evaluate_eot();
  }

  // ------------------------------------------------------------ end of turn
  Duration endpoint_delay() const {
    const TurnConfig& t = cfg.turn;
    if (vendor_final) return t.endpointing_min;
    switch (detail::classify_completeness(join_text(user_text, interim))) {
      case detail::Completeness::finished: return t.endpointing_min;
      case detail::Completeness::unfinished: return t.endpointing_max;
      case detail::Completeness::unknown: break;
    }
    return t.endpointing_min + (t.endpointing_max - t.endpointing_min) / 2;
  }

  void evaluate_eot() {
    if (ended || !turn_open || user_speaking || barge) return;
    if (pending_finals == 0 && detail::trim(user_text).empty() && detail::trim(interim).empty()) {
      end_of_turn();  // all finals are in and nothing was said: noise, no need to wait
      return;
    }
    const Duration delay = endpoint_delay();
    eot_deadline = speech_end + delay;
    if (now() < eot_deadline) {
      (void)eot_timer.arm_at(eot_deadline, [this] { evaluate_eot(); });
      return;
    }
    if (pending_finals > 0) {
      set_state(TurnState::end_of_turn);  // waiting for the STT final
      return;
    }
    end_of_turn();
  }

  void end_of_turn() {
    eot_timer.cancel();
    const std::string text = detail::trim(user_text);
    user_text.clear();
    interim.clear();
    turn_open = false;
    vendor_final = false;
    if (text.empty()) {
      // Noise, or a false interruption: nothing was said.
      // The interrupting speech brought no words (noise, a cough, or nothing the STT
      // understood): the interruption was false; say the rest, unless the caller has
      // been silent too long since.
      if (!resume_text.empty() && now() - speech_end <= cfg.turn.false_interruption_timeout) {
        ++rec.false_interruptions;
        publish(Interrupted{now(), {}, resume_text, /*resumed=*/true});
        std::string again = std::move(resume_text);
        resume_text.clear();
        begin_agent_segment();
        speak(again, UttKind::canned);
        return;
      }
      set_state(TurnState::listening);
      arm_idle();
      return;
    }
    resume_text.clear();
    metrics = TurnMetrics{};
    metrics.turn_index = ++turn_index;
    metrics.user_speech_start = turn_speech_start;
    metrics.user_speech_end = speech_end;
    metrics.stt_final = last_stt_final;
    metrics.end_of_turn = now();
    metrics.endpointing_wait = std::max(Duration::zero(), eot_deadline - speech_end);
    metrics.stt_provider = prov.stt->info().name;
    metrics.llm_provider = prov.llm->info().name;
    metrics.tts_provider = prov.tts->info().name;
    if (miss_pending) metrics.preemptive = PreemptiveOutcome::miss;
    miss_pending = false;
    metrics_open = true;
    rec.transcript.push_back({Speaker::caller, turn_speech_start, speech_end, text, false, text});
    publish(EndOfTurn{now(), text, metrics.endpointing_wait, "silence"});
    set_state(TurnState::thinking);
    if (preempt && preempt_text != text) cancel_preempt();
    if (check_handoff_triggers(text)) {
      if (preempt) cancel_preempt();
      return;
    }
    tool_rounds = 0;
    begin_agent_segment();
    if (preempt) {
      confirm_preempt();
      return;
    }
    history.push_back({.role = Role::user, .content = text});
    generate();
  }

  // ------------------------------------------------------------ preemptive generation
  // Starts the LLM on the final transcript while the endpointing silence runs. Its
  // output is held back until the turn really ends with the same text.
  void maybe_preempt() {
    if (!cfg.turn.preemptive_generation || preempt || responding || !turn_open || user_speaking || barge ||
        pending_finals > 0 || !agent_idle_for_preempt())
      return;
    const std::string text = detail::trim(user_text);
    if (text.empty() || now() >= eot_deadline) return;
    preempt = true;
    preempt_text = text;
    preempt_buffer.clear();
    preempt_done = false;
    preempt_first_token.reset();
    preempt_request = now();
    history.push_back({.role = Role::user, .content = text});
    generate();
  }

  bool agent_idle_for_preempt() const { return utts.empty() && now() >= timeline_end; }

  void cancel_preempt() {
    if (!preempt) return;
    preempt = false;
    ++rec.preemptive_misses;
    if (metrics_open) metrics.preemptive = PreemptiveOutcome::miss;
    else miss_pending = true;
    if (llm_) llm_->cancel();
    llm_timer.cancel();
    add_usage();
    responding = false;
    round_calls.clear();
    if (!history.empty() && history.back().role == Role::user) history.pop_back();
  }

  void confirm_preempt() {
    preempt = false;
    ++rec.preemptive_hits;
    metrics.preemptive = PreemptiveOutcome::hit;
    metrics.llm_request = preempt_request;
    metrics.llm_first_token = preempt_first_token;
    metrics.llm_provider = llm_label;
    if (!preempt_buffer.empty() || !round_calls.empty()) note_provider(llm_label);
    set_state(TurnState::thinking);
    const std::string buffered = std::move(preempt_buffer);
    preempt_buffer.clear();
    for (auto& chunk : chunker.push(buffered)) speak(chunk, UttKind::response);
    if (preempt_done) on_llm_done(preempt_finish);
  }

  // ------------------------------------------------------------ LLM
  std::vector<ToolSpec> offered_tools() const {
    std::vector<ToolSpec> out;
    auto add_named = [&](const std::string& name) {
      if (name == kTransferToHumanTool) out.push_back(transfer_to_human_spec());
      else if (name == kEndCallTool) out.push_back(end_call_spec());
      else if (const auto* e = opt.tools ? opt.tools->find(name) : nullptr) out.push_back(e->spec);
      else if (const auto* s = sim_tools.find(name)) out.push_back(s->spec);
    };
    if (!cfg.tools.empty()) {
      for (const auto& n : cfg.tools) add_named(n);
    } else if (opt.tools) {
      out = opt.tools->specs();
    }
    return out;
  }

  void generate() {
    if (ended) return;
    responding = true;
    round_calls.clear();
    round_text.clear();
    round_usage = {};
    llm_label = prov.llm->info().name;
    chunker.reset();
    if (metrics_open && !metrics.llm_request) metrics.llm_request = now();
    trim_history();
    arm_llm_watchdog();
    Status st;
    try {
      st = llm_->generate(req, llm_obs);  // the history is the request: no copy per turn
    } catch (const std::exception& e) {
      st = Error(errc::provider_failed, std::string("llm generate() threw: ") + e.what());
    }
    if (!st) on_llm_error(st.error());
  }

  static std::int64_t estimate_tokens(const ChatMessage& m) {
    std::size_t chars = m.content.size();
    for (const auto& c : m.tool_calls) chars += c.name.size() + c.arguments.size();
    return static_cast<std::int64_t>(chars / 4) + 4;
  }

  // Keeps the history within turn.history_max_tokens: drops the oldest turns (a
  // user message and everything up to the next one, so tool calls leave with their
  // results), never the system prompt or the current turn. Dropped messages go to
  // SessionOptions::summarize, whose text becomes a system note after the prompt.
  void trim_history() {
    const std::int64_t budget = cfg.turn.history_max_tokens;
    if (budget <= 0) return;
    std::int64_t total = 0;
    for (const auto& m : history) total += estimate_tokens(m);
    std::size_t first = 1;  // after the system prompt
    if (history.size() > 1 && history[1].role == Role::system) first = 2;  // the summary note
    std::vector<ChatMessage> dropped;
    while (total > budget) {
      std::size_t end = first + 1;
      while (end < history.size() && history[end].role != Role::user) ++end;
      if (end >= history.size()) break;  // only the current turn is left
      for (std::size_t i = first; i < end; ++i) {
        total -= estimate_tokens(history[i]);
        dropped.push_back(std::move(history[i]));
      }
      history.erase(history.begin() + static_cast<std::ptrdiff_t>(first),
                    history.begin() + static_cast<std::ptrdiff_t>(end));
    }
    if (dropped.empty() || !opt.summarize) return;
    std::string note = opt.summarize(dropped);
    if (note.empty()) return;
    if (first == 2) {
      history[1].content = join_text(history[1].content, note);
    } else {
      history.insert(history.begin() + 1, ChatMessage{.role = Role::system, .content = "Earlier in the call: " + note});
    }
  }

  void arm_llm_watchdog() {
    (void)llm_timer.arm(cfg.turn.llm_timeout, [this] {
      if (!responding || ended) return;
      llm_->cancel();
      on_llm_error(Error(errc::timeout, "llm: no output for " + std::to_string(static_cast<long long>(
                                                                    to_ms(cfg.turn.llm_timeout))) + " ms"));
    });
  }

  void arm_tts_watchdog() {
    (void)tts_timer.arm(cfg.turn.tts_timeout, [this] {
      if (ended || !front_pending()) return;
      on_tts_error(Error(errc::timeout, "tts: no audio for " + std::to_string(static_cast<long long>(
                                                                  to_ms(cfg.turn.tts_timeout))) + " ms"));
    });
  }

  void on_llm_provider(std::string_view p, bool restarted) {
    llm_label = p;
    if (metrics_open) metrics.llm_provider = llm_label;
    if (restarted) {
      // The fallback switched providers: only text not yet spoken can be dropped.
      round_calls.clear();
      round_text.clear();
      chunker.reset();
    }
  }

  void on_llm_text(std::string_view delta) {
    if (!responding) return;
    arm_llm_watchdog();
    if (preempt) {
      if (!preempt_first_token) preempt_first_token = now();
      preempt_buffer += delta;
      round_text += delta;
      return;
    }
    if (metrics_open && !metrics.llm_first_token) metrics.llm_first_token = now();
    note_provider(llm_label);
    publish(LlmDelta{now(), std::string(delta)});
    round_text += delta;
    for (auto& chunk : chunker.push(delta)) speak(chunk, UttKind::response);
  }

  void add_usage() {
    rec.usage.llm_input_tokens += round_usage.input_tokens;
    rec.usage.llm_output_tokens += round_usage.output_tokens;
    rec.usage.llm_cached_input_tokens += round_usage.cached_input_tokens;
    round_usage = {};
  }

  void on_llm_done(FinishReason reason) {
    if (!responding) return;
    llm_timer.cancel();
    if (preempt) {
      preempt_done = true;  // held until the turn is confirmed
      preempt_finish = reason;
      return;
    }
    add_usage();
    if (std::string rest = chunker.flush(); !rest.empty()) speak(rest, UttKind::response);
    if (!round_calls.empty()) {
      // The text of this round goes into the tool-call message.
      for (auto& u : utts)
        if (u.kind == UttKind::response) u.committed = true;
      history.push_back({.role = Role::assistant, .content = round_text, .tool_calls = round_calls});
      run_tools();
      return;
    }
    failed_turns = 0;
    responding = false;
    if (spoken_in_segment == 0) {
      // The model said nothing at all.
      speak(cfg.phrases.fallback, UttKind::canned);
    }
    check_finished();
  }

  void on_llm_error(const Error& e) {
    if (!responding || ended) return;
    llm_timer.cancel();
    if (preempt) {
      // The early attempt failed: forget it; the turn generates normally.
      report_error(e, "llm", true);
      llm_->cancel();
      add_usage();
      responding = false;
      preempt = false;
      round_calls.clear();
      if (!history.empty() && history.back().role == Role::user) history.pop_back();
      return;
    }
    add_usage();
    report_error(e, "llm", true);
    turn_failed();
  }

  // A turn the agent could not handle: apologise, maybe hand off.
  void turn_failed() {
    responding = false;
    tools_pending.clear();
    filler_timer.cancel();
    ++failed_turns;
    if (cfg.handoff.after_failed_turns > 0 && failed_turns >= cfg.handoff.after_failed_turns) {
      do_handoff("failed_turns", "normal", "");
      return;
    }
    speak(cfg.phrases.fallback, UttKind::canned);
    check_finished();
  }

  // ------------------------------------------------------------ tools
  struct PendingTool {
    ToolCall call;
    TimePoint start;
    bool done = false;
  };

  void run_tools() {
    ++tool_rounds;
    const std::uint64_t gen = ++tool_generation;
    tools_pending.clear();
    for (const auto& c : round_calls) tools_pending.push_back({c, now(), false});
    if (metrics_open) metrics.tool_calls += static_cast<int>(round_calls.size());
    (void)filler_timer.arm(cfg.turn.tool_filler_after, [this] { on_filler_due(); });
    for (std::size_t i = 0; i < tools_pending.size(); ++i) {
      if (ended || gen != tool_generation) return;
      start_tool(i, gen);
    }
  }

  void start_tool(std::size_t i, std::uint64_t gen) {
    const ToolCall call = tools_pending[i].call;
    publish(ToolCallStarted{now(), call});
    if (call.name == kTransferToHumanTool || call.name == kEndCallTool) {
      Json args = call.parse_arguments().value_or(Json::object());
      // Decide first, then complete the call: a completed round would otherwise
      // start the next LLM round.
      if (call.name == kTransferToHumanTool) {
        do_handoff("tool", args.find("urgency") ? args.find("urgency")->string_or("normal") : "normal",
                   args.find("reason") ? args.find("reason")->string_or("") : "",
                   /*say_message=*/detail::trim(round_text).empty());
        finish_tool(i, gen, Json::object({{"ok", true}, {"transferring", true}}));
      } else {
        if (end_after_speaking.empty()) end_after_speaking = "end_call";
        finish_tool(i, gen, Json::object({{"ok", true}}));
      }
      return;
    }
    const ToolRegistry::Entry* entry = opt.tools ? opt.tools->find(call.name) : nullptr;
    if (!entry) entry = sim_tools.find(call.name);
    const bool allowed = cfg.tools.empty() || std::find(cfg.tools.begin(), cfg.tools.end(), call.name) != cfg.tools.end();
    if (!entry || !allowed) {
      finish_tool(i, gen, Error(errc::not_found, "unknown tool '" + call.name + "'"));
      return;
    }
    auto args = call.parse_arguments();
    if (!args) {
      finish_tool(i, gen, Error(args.error()));
      return;
    }
    if (entry->async) {
      ToolDone done = [w = weak_from_this(), i, gen](Result<Json> r) {
        auto self = w.lock();
        if (!self) return;
        auto res = std::make_shared<Result<Json>>(std::move(r));
        self->on_strand([self = self.get(), i, gen, res] { self->finish_tool(i, gen, std::move(*res)); });
      };
      try {
        entry->async(*args, std::move(done));
      } catch (const std::exception& e) {
        finish_tool(i, gen, Error(errc::internal, "tool '" + call.name + "' threw: " + e.what()));
      }
      return;
    }
    Result<Json> r = Error(errc::internal, "unset");
    try {
      r = entry->sync(*args);
    } catch (const std::exception& e) {
      r = Error(errc::internal, "tool '" + call.name + "' threw: " + e.what());
    }
    if (entry->latency > Duration::zero()) {
      auto res = std::make_shared<Result<Json>>(std::move(r));
      (void)strand->call_after(entry->latency, [w = weak_from_this(), i, gen, res] {
        if (auto self = w.lock()) self->finish_tool(i, gen, std::move(*res));
      });
      return;
    }
    finish_tool(i, gen, std::move(r));
  }

  void finish_tool(std::size_t i, std::uint64_t gen, Result<Json> r) {
    if (ended || gen != tool_generation || i >= tools_pending.size() || tools_pending[i].done) return;
    PendingTool& p = tools_pending[i];
    p.done = true;
    ToolCallRecord tr{p.start, now(), p.call.name, p.call.arguments, nullptr, r.ok(), {}};
    Json content;
    if (r) {
      tr.result = *r;
      content = *r;
      if (auto a = p.call.parse_arguments(); a && a->is_object())
        for (const auto& m : a->as_object()) entities[m.key] = m.value;
    } else {
      tr.error = r.error().message();
      content = Json::object({{"error", r.error().message()}});
    }
    publish(ToolCallFinished{now(), p.call, tr.result, tr.ok, tr.error, now() - p.start});
    rec.tool_calls.push_back(tr);
    history.push_back({.role = Role::tool, .content = content.dump(), .tool_call_id = p.call.id, .name = p.call.name});
    if (handoff_done || !end_after_speaking.empty()) {
      if (std::all_of(tools_pending.begin(), tools_pending.end(), [](const PendingTool& t) { return t.done; })) {
        filler_timer.cancel();
        responding = false;
        check_finished();
      }
      return;
    }
    if (!std::all_of(tools_pending.begin(), tools_pending.end(), [](const PendingTool& t) { return t.done; })) return;
    filler_timer.cancel();
    if (tool_rounds >= cfg.turn.max_tool_rounds) {
      report_error(Error(errc::overflow, "tool rounds exceeded turn.max_tool_rounds = " +
                                             std::to_string(cfg.turn.max_tool_rounds)),
                   "tools", true);
      turn_failed();
      return;
    }
    generate();
  }

  void on_filler_due() {
    if (ended || !responding || tools_pending.empty() || cfg.phrases.fillers.empty()) return;
    const std::string& f = cfg.phrases.fillers[static_cast<std::size_t>(filler_index++) % cfg.phrases.fillers.size()];
    speak(f, UttKind::filler);
  }

  // ------------------------------------------------------------ handoff
  bool check_handoff_triggers(const std::string& raw) {
    const std::string text = detail::normalized_text(raw);
    for (const auto& k : cfg.handoff.keywords) {
      if (detail::contains_normalized(text, k)) {
        const bool urgent = std::find(cfg.handoff.urgent_keywords.begin(), cfg.handoff.urgent_keywords.end(), k) !=
                            cfg.handoff.urgent_keywords.end();
        do_handoff("keyword", urgent ? "emergency" : "normal", k);
        return true;
      }
    }
    for (const auto& p : cfg.handoff.phrases) {
      if (detail::contains_normalized(text, p)) {
        do_handoff("caller_request", "normal", p);
        return true;
      }
    }
    return false;
  }

  // `say_message`: false when the model already told the caller (the text of the
  // round that called transfer_to_human), so the message is not said twice.
  void do_handoff(std::string reason, std::string urgency, std::string detail_text, bool say_message = true) {
    if (handoff_done || ended) return;
    handoff_done = true;
    if (llm_ && responding) llm_->cancel();
    responding = false;
    Handoff h;
    h.at = now();
    h.reason = std::move(reason);
    h.urgency = urgency.empty() ? "normal" : std::move(urgency);
    h.message = cfg.handoff.message;
    std::string last_caller;  // NOLINT
    for (const auto& e : rec.transcript) {
      h.transcript.emplace_back(std::string(to_string(e.speaker)), e.speaker == Speaker::agent ? e.heard_text : e.text);
      if (e.speaker == Speaker::caller) last_caller = e.text;
    }
    h.summary = "Caller asked: \"" + last_caller + "\". Handoff reason: " + h.reason +
                (detail_text.empty() ? std::string() : " (" + detail_text + ")") + ". " +
                std::to_string(turn_index) + " caller turn(s), " + std::to_string(rec.tool_calls.size()) +
                " tool call(s).";
    h.entities = entities;
    if (opt.human_available) h.entities["human_available"] = opt.human_available();
    rec.handoff = HandoffRecord{h.at, h.reason, h.urgency, h.summary, h.entities};
    publish(h);
    if (ended) return;
    if (say_message) speak(cfg.handoff.message, UttKind::canned);
    end_after_speaking = "handoff";
    check_finished();
  }

  // ------------------------------------------------------------ speaking
  void begin_agent_segment() {
    spoken_in_segment = 0;
    segment_start.reset();
    segment_interrupted = false;
  }

  void speak(const std::string& text, UttKind kind) {
    if (ended || text.empty() || !tts_ || tts_failed) return;
    if (metrics_open && !metrics.first_sentence && kind == UttKind::response) {
      metrics.first_sentence = now();
    }
    if (metrics_open && !metrics.tts_request) metrics.tts_request = now();
    Utt u;
    u.text = text;
    u.kind = kind;
    u.spoken = normalizer ? normalizer->normalize(text, &u.spoken_words) : text;
    if (u.spoken.empty()) return;  // nothing to say (markdown only)
    utts.push_back(std::move(u));
    const std::string& spoken = utts.back().spoken;
    ++spoken_in_segment;
    if (!tts_timer.armed()) arm_tts_watchdog();
    rec.usage.tts_characters += static_cast<std::int64_t>(spoken.size());
    publish(AgentText{now(), text});
    Status st;
    try {
      st = tts_->send_text(spoken);
      if (st) st = tts_->flush();
    } catch (const std::exception& e) {
      st = Error(errc::provider_failed, std::string("tts threw: ") + e.what());
    }
    if (!st) on_tts_error(st.error());
  }

  Utt* front_pending() {
    for (auto& u : utts)
      if (!u.done) return &u;
    return nullptr;
  }

  void on_tts_provider(std::string_view p, bool restarted) {
    note_provider(p);
    if (metrics_open) metrics.tts_provider = std::string(p);
    if (restarted) {
      if (Utt* u = front_pending()) {
        u->emitted = 0;
        u->words.clear();
        u->anchors.clear();
      }
    }
  }

  void on_tts_audio(const AudioFrame& a) {
    if (ended) return;
    Utt* u = front_pending();
    if (!u) return;  // audio of a cleared utterance
    if (a.format() != agent_format || a.sample_count() <= 0) {
      report_error(Error(errc::format_mismatch, "tts audio is " + a.format().to_string() + ", expected " +
                                                    agent_format.to_string()),
                   "tts", true);
      return;
    }
    note_provider(prov.tts->info().name);
    arm_tts_watchdog();
    const TimePoint t = now();
    const TimePoint play_at = std::max(t, timeline_end);
    const std::int64_t ts = timeline_samples(play_at);
    if (u->anchors.empty() || play_at > timeline_end) u->anchors.push_back({u->emitted, ts});
    u->emitted += a.sample_count();
    timeline_end = play_at + a.duration();
    agent_samples_emitted = ts + a.sample_count();
    if (!segment_start) {
      segment_start = play_at;
      publish(AgentAudioStarted{play_at});
      set_state(TurnState::speaking);
      if (ended) return;
    }
    if (metrics_open && !metrics.tts_first_audio) {
      metrics.tts_first_audio = t;
      metrics.agent_audio_start = play_at;
      compute_latency();
    }
    if (opt.audio_sink) {
      AudioFrame out = pool.copy(a);
      out.set_timestamp(ts);
      out.set_capture_time(play_at);
      opt.audio_sink->on_agent_audio(out, play_at);
    }
    (void)finish_timer.arm_at(timeline_end, [this] { check_finished(); });
  }

  void compute_latency() {
    TurnMetrics& m = metrics;
    if (!m.user_speech_end || !m.agent_audio_start) return;
    m.voice_to_voice = *m.agent_audio_start - *m.user_speech_end;
    Duration wait{};
    const TimePoint deadline = *m.user_speech_end + m.endpointing_wait;
    if (m.stt_final && *m.stt_final > deadline) wait += *m.stt_final - deadline;
    if (m.llm_request && m.first_sentence) {
      // A preemptive request starts before the end of turn: only the part after it waits.
      const TimePoint from = m.end_of_turn ? std::max(*m.llm_request, *m.end_of_turn) : *m.llm_request;
      wait += std::max(Duration::zero(), *m.first_sentence - from);
    }
    if (m.tts_request && m.tts_first_audio) wait += *m.tts_first_audio - *m.tts_request;
    m.provider_wait = wait;
    m.loqui_overhead = *m.voice_to_voice - m.endpointing_wait - wait;
  }

  void on_tts_words(std::span<const WordTiming> w) {
    if (Utt* u = front_pending()) u->words.insert(u->words.end(), w.begin(), w.end());
  }

  void on_tts_done() {
    if (ended) return;
    if (Utt* u = front_pending()) u->done = true;
    if (front_pending()) arm_tts_watchdog();
    else tts_timer.cancel();
    check_finished();
  }

  void on_tts_error(const Error& e) {
    if (ended) return;
    report_error(e, "tts", true);
    // The stream is closed: reopen it for later turns; what was queued is lost.
    tts_timer.cancel();
    if (tts_) {
      tts_->cancel();
      // Never destroy a stream inside its own callback: later, on the strand.
      (void)strand->post([old = std::shared_ptr<TtsStream>(std::move(tts_))] {});
    }
    for (auto& u : utts) u.done = true;
    SessionContext ctx{.strand = strand, .session_id = opt.session_id, .tenant_id = cfg.tenant.id, .pool = &pool};
    auto reopened = prov.tts->open(ctx, {.format = agent_format, .language = cfg.language}, tts_obs);
    if (reopened) tts_ = std::move(*reopened);
    else tts_failed = true;
    check_finished();
  }

  // Position of playback on the agent timeline, in samples.
  std::int64_t played_samples() const {
    if (opt.playback_reports && reported_playback >= 0) return std::min(reported_playback, agent_samples_emitted);
    return std::min(timeline_samples(now()), agent_samples_emitted);
  }

  // Byte offsets where the words of `text` start.
  static std::vector<std::size_t> word_starts(std::string_view text) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const bool space = text[i] == ' ' || text[i] == '\n' || text[i] == '\t';
      const bool prev_space = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n' || text[i - 1] == '\t';
      if (!space && prev_space) out.push_back(i);
    }
    return out;
  }

  // The words of `u` the caller heard, given the timeline position `pos`.
  std::string heard_of(const Utt& u, std::int64_t pos) const {
    if (u.anchors.empty()) return {};
    // Utterance offset playing at `pos`.
    std::int64_t off = -1;
    for (const auto& a : u.anchors)
      if (a.timeline_sample <= pos) off = a.utt_sample + (pos - a.timeline_sample);
    if (off <= 0) return {};
    off = std::min(off, u.emitted);
    if (off >= u.emitted && u.done) return u.text;
    // 1. How many words of the spoken (normalised) text were heard.
    const std::size_t spoken_total = word_starts(u.spoken).size();
    double spoken_heard = 0;
    if (!u.words.empty()) {
      std::size_t heard = 0;
      for (const auto& w : u.words) {
        const std::int64_t mid = agent_format.samples_in(w.start + (w.end - w.start) / 2);
        if (mid > off) break;
        ++heard;
      }
      spoken_heard = static_cast<double>(heard);
      // Once all timings are known, a TTS that splits words differently ("10:30")
      // is mapped proportionally.
      if (u.done && spoken_total != u.words.size())
        spoken_heard = spoken_heard * static_cast<double>(spoken_total) / static_cast<double>(u.words.size());
    } else {
      // No word timings: the words spread evenly over the audio (its length known
      // when the utterance is done, else estimated at 65 ms per character).
      const double length = u.done ? static_cast<double>(std::max<std::int64_t>(1, u.emitted))
                                   : static_cast<double>(agent_format.samples_in(
                                         std::chrono::milliseconds(65) * static_cast<std::int64_t>(u.spoken.size())));
      spoken_heard = std::floor(std::clamp(static_cast<double>(off) / length, 0.0, 1.0) *
                                static_cast<double>(spoken_total));
    }
    // 2. Which written words those were: a written word that became several spoken
    // ones ("$5" -> "five dollars") counts as heard when half of them were.
    const auto text_words = word_starts(u.text);
    std::size_t n = 0;
    if (u.spoken_words.empty()) {
      n = static_cast<std::size_t>(std::lround(spoken_heard));
    } else {
      double cum = 0;
      for (std::size_t i = 0; i < u.spoken_words.size(); ++i) {
        const double len = static_cast<double>(u.spoken_words[i]);
        if (spoken_heard - cum < len / 2 || (len == 0 && spoken_heard <= cum)) break;
        n = i + 1;
        cum += len;
      }
    }
    if (n == 0) return {};
    if (n >= text_words.size()) return u.text;
    return detail::trim(std::string_view(u.text).substr(0, text_words[n]));
  }

  // Stops the agent's current speech: records what was said and heard, puts the
  // heard part in the history. `interrupted` = cut off (barge-in, hangup).
  struct Heard {
    std::string said, heard;
  };
  Heard stop_agent_speech(bool interrupted, bool clear) {
    const std::int64_t pos = interrupted ? played_samples() : agent_samples_emitted;
    Heard h;
    std::string history_text;
    for (const auto& u : utts) {
      const std::string heard = interrupted ? heard_of(u, pos) : u.text;
      h.said = join_text(h.said, u.text);
      h.heard = join_text(h.heard, heard);
      if (!u.committed && u.kind != UttKind::filler) history_text = join_text(history_text, heard);
    }
    if (clear) {
      if (tts_) tts_->clear();
      if (opt.audio_sink) opt.audio_sink->on_clear();
      publish(ClearPlayback{now()});
      timeline_end = std::min(timeline_end, now());
    }
    if (!history_text.empty()) history.push_back({.role = Role::assistant, .content = history_text});
    if (!h.said.empty()) {
      const TimePoint start = segment_start.value_or(now());
      const TimePoint end = interrupted ? std::max(start, std::min(now(), timeline_end)) : std::max(start, timeline_end);
      rec.transcript.push_back({Speaker::agent, start, end, h.said, interrupted, h.heard});
    }
    utts.clear();
    finish_timer.cancel();
    tts_timer.cancel();
    if (segment_start) publish(AgentAudioStopped{now(), interrupted});
    segment_start.reset();
    if (metrics_open) {
      metrics.interrupted = interrupted;
      metrics.agent_audio_end = std::min(now(), timeline_end);
    }
    close_user_turn_metrics();
    return h;
  }

  void close_user_turn_metrics() {
    if (!metrics_open) return;
    metrics_open = false;
    rec.turns.push_back(metrics);
    publish(TurnCompleted{now(), metrics});
  }

  void check_finished() {
    if (ended || responding) return;
    for (const auto& u : utts)
      if (!u.done) return;
    if (now() < timeline_end) {
      (void)finish_timer.arm_at(timeline_end, [this] { check_finished(); });
      return;
    }
    stop_agent_speech(false, false);
    if (!end_after_speaking.empty()) {
      end_call(end_after_speaking);
      return;
    }
    if (barge) {
      // The caller started speaking near the end: that is simply their turn.
      barge = false;
      const TimePoint s = barge_start;
      turn_open = false;
      open_user_turn(s);
      if (!user_speaking) evaluate_eot();
      return;
    }
    set_state(user_speaking ? TurnState::user_speaking : TurnState::listening);
    if (!turn_open) arm_idle();
  }

  // ------------------------------------------------------------ barge-in
  void check_barge(bool final_arrived) {
    if (!barge || ended) return;
    const std::string text = join_text(user_text.substr(std::min(barge_mark, user_text.size())), interim);
    // Speech so far, to the last voiced frame (the VAD's hangover is not speech).
    const Duration dur = last_voiced - barge_start;
    const int words = detail::content_words(text, cfg.turn.backchannels);
    const bool long_enough = dur >= cfg.turn.interruption_min_duration;
    const bool wordy = cfg.turn.interruption_min_words == 0 || words >= cfg.turn.interruption_min_words;
    if (long_enough && wordy) {
      interrupt();
      return;
    }
    if (final_arrived && !user_speaking && pending_finals == 0) {
      // Speech ended without qualifying: a backchannel or noise; the agent goes on.
      barge = false;
      user_text.resize(std::min(barge_mark, user_text.size()));
      interim.clear();
      if (!detail::trim(text).empty()) ++rec.backchannels_ignored;
      if (!agent_active()) check_finished();
    }
  }

  void interrupt() {
    if (!segment_start && metrics_open && !history.empty() && history.back().role == Role::user) {
      continue_turn();
      return;
    }
    barge = false;
    ++rec.interruptions;
    set_state(TurnState::interrupted);
    if (llm_ && responding) llm_->cancel();
    responding = false;
    ++tool_generation;
    tools_pending.clear();
    filler_timer.cancel();
    const Heard h = stop_agent_speech(true, true);
    std::string unheard;
    if (h.heard.size() < h.said.size()) unheard = detail::trim(std::string_view(h.said).substr(h.heard.size()));
    publish(Interrupted{now(), h.heard, unheard, false});
    resume_text = unheard;
    if (!end_after_speaking.empty()) {
      end_call(end_after_speaking);
      return;
    }
    // The interrupting speech is the caller's new turn.
    turn_open = false;
    open_user_turn(barge_start);
    user_text = user_text.substr(std::min(barge_mark, user_text.size()));
    if (!user_speaking) evaluate_eot();
  }

  // The caller went on before the agent said anything (the end-of-turn decision was
  // early): drop the answer in the making and make it all one turn again.
  void continue_turn() {
    barge = false;
    if (llm_ && responding) llm_->cancel();
    responding = false;
    llm_timer.cancel();
    ++tool_generation;
    tools_pending.clear();
    filler_timer.cancel();
    if (tts_ && !utts.empty()) tts_->clear();
    utts.clear();
    tts_timer.cancel();
    finish_timer.cancel();
    const std::string previous = std::move(history.back().content);
    history.pop_back();
    TimePoint start = barge_start;
    if (!rec.transcript.empty() && rec.transcript.back().speaker == Speaker::caller) {
      start = rec.transcript.back().start;
      rec.transcript.pop_back();
    }
    metrics_open = false;
    --turn_index;
    user_text = join_text(previous, user_text.substr(std::min(barge_mark, user_text.size())));
    turn_open = false;
    open_user_turn(start);
    if (!user_speaking) evaluate_eot();
  }

  // ------------------------------------------------------------ timers
  void arm_idle() {
    if (ended || cfg.turn.idle_reprompt <= Duration::zero()) return;
    (void)idle_timer.arm(cfg.turn.idle_reprompt, [this] { on_idle(); });
  }

  void on_idle() {
    if (ended || user_speaking || turn_open || agent_active()) return;
    begin_agent_segment();
    if (reprompts < cfg.turn.idle_reprompts) {
      ++reprompts;
      speak(cfg.phrases.reprompt, UttKind::canned);
    } else {
      speak(cfg.phrases.goodbye, UttKind::canned);
      end_after_speaking = "idle";
    }
    check_finished();
  }

  void on_max_duration() {
    if (ended) return;
    if (!utts.empty() || responding) {
      if (llm_ && responding) llm_->cancel();
      responding = false;
      ++tool_generation;
      tools_pending.clear();
      stop_agent_speech(true, true);
    }
    begin_agent_segment();
    end_after_speaking = "max_duration";
    speak(cfg.phrases.max_duration, UttKind::canned);
    check_finished();
  }

  void on_dtmf(char d) {
    if (ended) return;
    publish(Dtmf{now(), d});
    if (ended || !cfg.turn.dtmf_to_llm) return;
    if (d == cfg.turn.dtmf_terminator) {
      submit_dtmf();
      return;
    }
    dtmf_digits += d;
    (void)dtmf_timer.arm(cfg.turn.dtmf_timeout, [this] { submit_dtmf(); });
  }

  // Keypad input as a caller turn ("DTMF: 1234"): it interrupts the agent like speech.
  void submit_dtmf() {
    dtmf_timer.cancel();
    if (ended || dtmf_digits.empty()) return;
    const std::string text = "DTMF: " + dtmf_digits;
    dtmf_digits.clear();
    if (agent_active()) {
      if (llm_ && responding) llm_->cancel();
      responding = false;
      llm_timer.cancel();
      ++tool_generation;
      tools_pending.clear();
      filler_timer.cancel();
      if (preempt) cancel_preempt();
      if (!utts.empty()) {
        ++rec.interruptions;
        const Heard h = stop_agent_speech(true, true);
        publish(Interrupted{now(), h.heard, detail::trim(std::string_view(h.said).substr(h.heard.size())), false});
      }
      close_user_turn_metrics();  // an answer still in the making ends here
    }
    barge = false;
    eot_timer.cancel();
    idle_timer.cancel();
    user_text = join_text(user_text, text);
    turn_open = true;
    turn_speech_start = speech_end = eot_deadline = now();
    pending_finals = 0;
    end_of_turn();
  }

  void report_error(const Error& e, std::string_view component, bool recovered) {
    publish(ErrorEvent{now(), e, std::string(component), recovered});
  }

  // ------------------------------------------------------------ state
  Runtime& runtime;
  std::shared_ptr<Strand> strand;
  AgentConfig cfg;
  AgentProviders prov;
  SessionOptions opt;
  EventBus bus;
  ToolRegistry sim_tools;

  std::unique_ptr<VoiceDetector> vad;
  VadSegmenter segmenter;
  std::optional<Resampler> in_rs, vad_rs, stt_rs;
  bool stt_direct = false;                 // STT takes the caller's frames as they come
  std::int64_t caller_direct_samples = 0;  // at the caller's rate
  std::vector<std::int16_t> work, stt_buf, vad_buf2, vad_acc;
  std::int64_t caller_samples = 0;  // at kWorkRate
  std::int64_t vad_samples = 0;     // at the detector's rate

  TextChunker chunker;
  std::unique_ptr<TextNormalizer> owned_normalizer;
  const TextNormalizer* normalizer = nullptr;  // null: text goes to TTS as written
  FramePool pool;
  // Caller audio pushed from other threads (push_audio off the strand).
  std::mutex in_mu;
  FramePool in_pool{FramePool::Options{.buffer_bytes = 1920, .preallocate = 2}};
  std::vector<AudioFrame> in_queue, in_work;
  bool drain_posted = false;
  SttObs stt_obs;
  LlmObs llm_obs;
  TtsObs tts_obs;
  std::unique_ptr<SttStream> stt_;
  std::unique_ptr<LlmSession> llm_;
  std::unique_ptr<TtsStream> tts_;
  bool stt_failed = false, tts_failed = false;
  AudioFormat stt_format = AudioFormat::pcm16(16000);
  AudioFormat agent_format = AudioFormat::pcm16(16000);

  Timer eot_timer, finish_timer, idle_timer, max_timer, filler_timer;
  Timer llm_timer, tts_timer;  // watchdogs: a provider that stops producing fails the turn
  Timer dtmf_timer;
  std::string dtmf_digits;

  TurnState state = TurnState::idle;
  bool started = false;
  std::atomic<bool> ended{false};  // read by push_audio() on any thread

  // The caller's turn.
  bool user_speaking = false, turn_open = false, vendor_final = false;
  TimePoint turn_speech_start{}, speech_end{}, eot_deadline{}, last_stt_final{};
  std::string user_text, interim;
  int pending_finals = 0;
  int turn_index = 0;

  // Barge-in.
  bool barge = false;
  TimePoint barge_start{};
  TimePoint last_voiced{};
  std::size_t barge_mark = 0;
  std::string resume_text;  // what an interruption cut off, until the caller's turn ends

  // The agent's response.
  bool responding = false;
  std::vector<ToolCall> round_calls;
  std::string round_text;
  TokenUsage round_usage;
  std::string llm_label;  ///< who answers this generation: on_provider()'s name, else the LLM's
  std::vector<PendingTool> tools_pending;
  std::uint64_t tool_generation = 0;
  int tool_rounds = 0, filler_index = 0, failed_turns = 0, reprompts = 0;
  std::deque<Utt> utts;
  int spoken_in_segment = 0;
  std::optional<TimePoint> segment_start;
  bool segment_interrupted = false;
  TimePoint timeline_end{};
  std::int64_t agent_samples_emitted = 0;
  std::int64_t reported_playback = -1;
  std::string end_after_speaking;
  bool handoff_done = false;
  Json entities = Json::object();

  TurnMetrics metrics;
  bool metrics_open = false;
  // Preemptive generation.
  bool preempt = false, preempt_done = false, miss_pending = false;
  std::string preempt_text, preempt_buffer;
  FinishReason preempt_finish = FinishReason::stop;
  TimePoint preempt_request{};
  std::optional<TimePoint> preempt_first_token;
  LlmRequest req;                                  // the conversation, sent as is
  std::vector<ChatMessage>& history = req.messages;  // (an alias for readability)
  CallRecord rec;
};

// ---------------------------------------------------------------- Session

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Session::~Session() {
  if (!impl_) return;
  // The Impl's timers and provider streams belong to the strand: on a threaded
  // runtime, let the strand destroy them (after any task of it that is running).
  Runtime& rt = impl_->runtime;
  if (impl_->strand->running_in_this_thread() || rt.is_virtual() || rt.stopped()) return;
  auto strand = impl_->strand;
  (void)strand->post([impl = std::move(impl_)]() mutable { impl.reset(); });
}

Result<std::shared_ptr<Session>> Session::create(Runtime& runtime, AgentConfig config, AgentProviders providers,
                                                 SessionOptions options) {
  auto impl = std::make_unique<Impl>(runtime, std::move(config), std::move(providers), std::move(options));
  LOQUI_TRY(impl->open());
  return std::shared_ptr<Session>(new Session(std::move(impl)));
}

Status Session::start() {
  if (impl_->ended) return Error(errc::closed, "session: the call has ended");
  impl_->on_strand([i = impl_.get()] { i->start(); });
  return ok_status();
}

void Session::stop(std::string reason) {
  impl_->on_strand([i = impl_.get(), reason = std::move(reason)]() mutable { i->end_call(std::move(reason)); });
}

Status Session::push_audio(const AudioFrame& frame) {
  if (impl_->ended) return Error(errc::closed, "session: the call has ended");
  const AudioFormat want = AudioFormat::pcm16(impl_->opt.caller_sample_rate_hz);
  if (frame.format() != want)
    return Error(errc::format_mismatch,
                 "session: caller audio is " + frame.format().to_string() + ", expected " + want.to_string());
  if (impl_->strand->running_in_this_thread()) {
    impl_->process_audio(frame);
    return ok_status();
  }
  // Off the strand: queue a pooled copy; one small drain task per batch (no
  // allocation per frame once the pool and queues are warm).
  {
    std::lock_guard lock(impl_->in_mu);
    impl_->in_queue.push_back(impl_->in_pool.copy(frame));
    if (impl_->drain_posted) return ok_status();
    impl_->drain_posted = true;
  }
  return impl_->strand->post([w = impl_->weak_from_this()] {
    if (auto s = w.lock()) s->drain_input();
  });
}

Status Session::push_dtmf(char digit) {
  const bool valid = (digit >= '0' && digit <= '9') || digit == '*' || digit == '#' || (digit >= 'A' && digit <= 'D');
  if (!valid) return Error(errc::invalid_argument, std::string("session: '") + digit + "' is not a DTMF digit");
  impl_->on_strand([i = impl_.get(), digit] { i->on_dtmf(digit); });
  return ok_status();
}

void Session::report_playback(std::int64_t samples_played) {
  impl_->on_strand([i = impl_.get(), samples_played] {
    i->reported_playback = std::max(i->reported_playback, samples_played);
  });
}

Subscription Session::subscribe(EventBus::Handler handler) { return impl_->bus.subscribe(std::move(handler)); }

CallRecord Session::call_record() const {
  CallRecord r = impl_->rec;
  if (!impl_->ended) {
    r.ended = impl_->now();
    r.usage.call_seconds = to_ms(r.ended - r.started) / 1000.0;
  }
  return r;
}

TurnState Session::state() const noexcept { return impl_->state; }
bool Session::ended() const noexcept { return impl_->ended; }
AudioFormat Session::agent_audio_format() const noexcept { return impl_->agent_format; }
const std::shared_ptr<Strand>& Session::strand() const noexcept { return impl_->strand; }
std::vector<ChatMessage> Session::history() const { return impl_->history; }

}  // namespace loqui
