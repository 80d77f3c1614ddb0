// SPDX-License-Identifier: Apache-2.0
// File: the turn manager's own cost (issue 5 budgets, ARCHITECTURE.md section 7).
//
// Part 1 (table): loqui's own overhead per turn, in microseconds of real time, over
// many turns of one call driven under virtual time with mock providers on the
// issue's latency profile (STT final 150 ms, LLM first token 200 ms then 50 tok/s,
// TTS first audio 40 ms). Thin wrappers around the mock providers take a
// steady_clock stamp where a provider event enters loqui and where loqui's next
// request leaves it; a turn's overhead is the sum over its critical path:
//   VAD      the caller frame whose analysis ends the speech -> STT finalize()
//   EoT      STT final delivered -> LLM generate() (end-of-turn decision, history)
//   chunk    the LLM token completing the first chunk -> TTS send_text()
//   audio    the first TTS audio delivered -> AgentAudioSink::on_agent_audio()
// The voice-to-voice distribution comes from the call record (virtual time), with
// v2v - (endpointing + provider waits) - measured overhead as the residual.
// Part 2 (table): heap bytes per idle session (started, nobody speaking).
// Part 3 (Google Benchmark): per caller frame (VAD + STT hand-off) and per LLM
// token (chunker), with heap allocations per operation.
//
// Run: ./build/bench/turn/turn_bench [--turns N] [--sessions N] [benchmark flags]
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "loqui/agent/session.hpp"
#include "loqui/agent/text_chunker.hpp"
#include "loqui/provider/mock.hpp"
#include "support/level_vad.hpp"

namespace loqui::bench_turn {
namespace {

using namespace std::chrono_literals;
// A stamp on two clocks: wall time (what latency is made of) and this thread's CPU
// time (what loqui itself spent; immune to preemption by other processes on a
// shared machine).
struct Stamp {
  double wall_us = 0, cpu_us = 0;
};
struct Steady {
  using time_point = Stamp;
  static Stamp now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return {std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count(),
            static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3};
  }
};
struct Span {
  double wall_us = 0, cpu_us = 0;
};
Span operator-(const Stamp& a, const Stamp& b) { return {a.wall_us - b.wall_us, a.cpu_us - b.cpu_us}; }
bool later(const Stamp& a, const Stamp& b) { return a.wall_us > b.wall_us; }

// Stamps of the current turn's critical path.
struct Stamps {
  Steady::time_point frame_push{};     // start of the push_audio() being processed
  Steady::time_point finalize{};       // STT finalize() called (first in turn)
  Steady::time_point final_in{};       // STT final delivered
  Steady::time_point generate{};       // LLM generate() (first in turn)
  Steady::time_point token_in{};       // latest LLM token delivered
  Steady::time_point first_send{};     // first TTS send_text() of the turn
  Steady::time_point token_at_send{};  // the token during which first_send happened
  Steady::time_point audio_in{};       // latest TTS audio delivered
  Steady::time_point first_sink{};     // first on_agent_audio() of the turn
  Steady::time_point audio_at_sink{};
  Steady::time_point frame_at_finalize{};
  Steady::time_point tick{};              // before the runtime advanced (timers fire inside)
  Steady::time_point tick_at_generate{};
  bool finalized = false, generated = false, sent = false, sunk = false;
  void reset() { *this = Stamps{}; }
};
Stamps g;

// ---------------------------------------------------------------- wrappers
struct SttObsWrap final : SttObserver {
  SttObserver* inner = nullptr;
  void on_transcript(const Transcript& t) override {
    if (t.is_final) g.final_in = Steady::now();
    inner->on_transcript(t);
  }
  void on_speech_started(Duration d) override { inner->on_speech_started(d); }
  void on_utterance_end(Duration d) override { inner->on_utterance_end(d); }
  void on_error(const Error& e) override { inner->on_error(e); }
};
struct SttStreamWrap final : SttStream {
  std::unique_ptr<SttObsWrap> obs;
  std::unique_ptr<SttStream> inner;
  Status send_audio(const AudioFrame& f) override { return inner->send_audio(f); }
  void finalize() override {
    if (!g.finalized) {
      g.finalized = true;
      g.finalize = Steady::now();
      g.frame_at_finalize = g.frame_push;
    }
    inner->finalize();
  }
  void cancel() noexcept override { inner->cancel(); }
};
struct SttWrap final : SpeechToText {
  std::shared_ptr<SpeechToText> inner;
  const ProviderInfo& info() const noexcept override { return inner->info(); }
  const SttCapabilities& capabilities() const noexcept override { return inner->capabilities(); }
  Result<std::unique_ptr<SttStream>> open(const SessionContext& s, const SttStreamOptions& o, SttObserver& ob) override {
    auto w = std::make_unique<SttStreamWrap>();
    w->obs = std::make_unique<SttObsWrap>();
    w->obs->inner = &ob;
    LOQUI_ASSIGN_OR_RETURN(w->inner, inner->open(s, o, *w->obs));
    return std::unique_ptr<SttStream>(std::move(w));
  }
};

struct LlmObsWrap final : LlmObserver {
  LlmObserver* inner = nullptr;
  void on_text(std::string_view d) override {
    g.token_in = Steady::now();
    inner->on_text(d);
  }
  void on_tool_call(const ToolCall& c) override { inner->on_tool_call(c); }
  void on_usage(const TokenUsage& u) override { inner->on_usage(u); }
  void on_done(FinishReason r) override { inner->on_done(r); }
  void on_error(const Error& e) override { inner->on_error(e); }
};
struct LlmSessionWrap final : LlmSession {
  LlmObsWrap obs;
  std::unique_ptr<LlmSession> inner;
  Status generate(const LlmRequest& r, LlmObserver& o) override {
    if (!g.generated) {
      g.generated = true;
      g.generate = Steady::now();
      g.tick_at_generate = g.tick;
    }
    obs.inner = &o;
    return inner->generate(r, obs);
  }
  void cancel() noexcept override { inner->cancel(); }
  bool busy() const noexcept override { return inner->busy(); }
};
struct LlmWrap final : LanguageModel {
  std::shared_ptr<LanguageModel> inner;
  const ProviderInfo& info() const noexcept override { return inner->info(); }
  const LlmCapabilities& capabilities() const noexcept override { return inner->capabilities(); }
  Result<std::unique_ptr<LlmSession>> open(const SessionContext& s) override {
    auto w = std::make_unique<LlmSessionWrap>();
    LOQUI_ASSIGN_OR_RETURN(w->inner, inner->open(s));
    return std::unique_ptr<LlmSession>(std::move(w));
  }
};

struct TtsObsWrap final : TtsObserver {
  TtsObserver* inner = nullptr;
  void on_audio(const AudioFrame& a) override {
    g.audio_in = Steady::now();
    inner->on_audio(a);
  }
  void on_word_timings(std::span<const WordTiming> w) override { inner->on_word_timings(w); }
  void on_done() override { inner->on_done(); }
  void on_error(const Error& e) override { inner->on_error(e); }
};
struct TtsStreamWrap final : TtsStream {
  std::unique_ptr<TtsObsWrap> obs;
  std::unique_ptr<TtsStream> inner;
  Status send_text(std::string_view t) override {
    if (!g.sent && g.generated) {
      g.sent = true;
      g.first_send = Steady::now();
      g.token_at_send = g.token_in;
    }
    return inner->send_text(t);
  }
  Status flush() override { return inner->flush(); }
  void clear() override { inner->clear(); }
  void cancel() noexcept override { inner->cancel(); }
  AudioFormat output_format() const override { return inner->output_format(); }
};
struct TtsWrap final : TextToSpeech {
  std::shared_ptr<TextToSpeech> inner;
  const ProviderInfo& info() const noexcept override { return inner->info(); }
  const TtsCapabilities& capabilities() const noexcept override { return inner->capabilities(); }
  Result<std::unique_ptr<TtsStream>> open(const SessionContext& s, const TtsStreamOptions& o, TtsObserver& ob) override {
    auto w = std::make_unique<TtsStreamWrap>();
    w->obs = std::make_unique<TtsObsWrap>();
    w->obs->inner = &ob;
    LOQUI_ASSIGN_OR_RETURN(w->inner, inner->open(s, o, *w->obs));
    return std::unique_ptr<TtsStream>(std::move(w));
  }
};

struct Sink final : AgentAudioSink {
  void on_agent_audio(const AudioFrame&, TimePoint) override {
    if (!g.sunk && g.sent) {
      g.sunk = true;
      g.first_sink = Steady::now();
      g.audio_at_sink = g.audio_in;
    }
  }
  void on_clear() override {}
};

// ---------------------------------------------------------------- a call
struct Call {
  std::unique_ptr<Runtime> rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  Sink sink;
  std::shared_ptr<Session> session;
  std::vector<std::int16_t> tone, zeros;
  std::int64_t phase = 0;

  explicit Call(std::vector<MockUtterance> transcripts) : tone(320), zeros(320, 0) {
    MockSttOptions so;
    so.transcripts = std::move(transcripts);
    so.default_text = "Yes please.";
    MockLlmOptions lo;
    lo.default_reply = {.text = "Sure, I can help you with that right away. What day would suit you best?"};
    MockTtsOptions to;
    auto stt = std::make_shared<SttWrap>();
    stt->inner = MockSpeechToText::create(so).value();
    auto llm = std::make_shared<LlmWrap>();
    llm->inner = MockLanguageModel::create(lo).value();
    auto tts = std::make_shared<TtsWrap>();
    tts->inner = MockTextToSpeech::create(to).value();
    AgentConfig cfg;
    cfg.turn.idle_reprompt = Duration::zero();
    cfg.turn.max_call = Duration::zero();
    cfg.system_prompt = "You are a helpful front desk.";
    SessionOptions opt;
    opt.audio_sink = &sink;
    opt.vad_factory = [] { return testing::make_level_detector(); };
    session = Session::create(*rt, cfg, {stt, llm, tts}, opt).value();
    (void)session->start();
    (void)rt->run_until_idle();
  }

  void push(Duration d, bool speech) {
    for (Duration t{}; t < d; t += 20ms) {
      if (speech) {
        for (auto& s : tone)
          s = static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * 220 * static_cast<double>(phase++) / 16000));
      }
      g.tick = Steady::now();
      (void)rt->advance_by(20ms);
      g.frame_push = Steady::now();
      (void)session->strand()->post([this, speech] {
        (void)session->push_audio(AudioFrame::view(AudioFormat::pcm16(16000), speech ? tone : zeros));
      });
      (void)rt->run_until_idle();
    }
  }
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

void overhead_table(int turns) {
  // Caller lines cycle through finished / open-ended / trailing ones, so the
  // endpointing delay varies like in a real call.
  const std::vector<std::string> lines = {"I'd like to book an appointment.", "Tuesday works for me",
                                          "at three and", "My name is Alex Smith.", "um"};
  std::vector<MockUtterance> script;
  for (int i = 0; i < turns; ++i) script.push_back({lines[static_cast<std::size_t>(i) % lines.size()]});
  Call call(script);
  std::vector<double> vad, eot, chunk, audio, total, wall;
  for (int i = 0; i < turns; ++i) {
    g.reset();
    call.push(800ms, true);
    call.push(4500ms, false);
    if (!(g.finalized && g.generated && g.sent && g.sunk)) continue;
    // The end of turn is triggered by the STT final or by the endpointing timer
    // (which fires inside the runtime's advance), whichever came last.
    const Stamp eot_trigger = later(g.final_in, g.tick_at_generate) ? g.final_in : g.tick_at_generate;
    const Span s_vad = g.finalize - g.frame_at_finalize, s_eot = g.generate - eot_trigger,
               s_chunk = g.first_send - g.token_at_send, s_audio = g.first_sink - g.audio_at_sink;
    vad.push_back(s_vad.cpu_us);
    eot.push_back(s_eot.cpu_us);
    chunk.push_back(s_chunk.cpu_us);
    audio.push_back(s_audio.cpu_us);
    total.push_back(vad.back() + eot.back() + chunk.back() + audio.back());
    wall.push_back(s_vad.wall_us + s_eot.wall_us + s_chunk.wall_us + s_audio.wall_us);
  }
  const CallRecord rec = call.session->call_record();
  std::vector<double> v2v, residual, endpointing, provider;
  for (const auto& m : rec.turns) {
    if (!m.voice_to_voice) continue;
    v2v.push_back(to_ms(*m.voice_to_voice));
    endpointing.push_back(to_ms(m.endpointing_wait));
    provider.push_back(to_ms(m.provider_wait));
    residual.push_back(to_ms(*m.voice_to_voice - m.endpointing_wait - m.provider_wait));
  }
  std::printf("loqui overhead per turn (thread CPU time, us), %zu turns, mock profile STT 150 / LLM 200 / TTS 40 ms\n",
              total.size());
  std::printf("  %-10s %10s %10s %10s\n", "stage", "p50", "p99", "max");
  auto row = [](const char* name, const std::vector<double>& v) {
    std::printf("  %-10s %10.1f %10.1f %10.1f\n", name, pct(v, 50), pct(v, 99), pct(v, 100));
  };
  row("VAD", vad);
  row("EoT", eot);
  row("chunk", chunk);
  row("audio", audio);
  row("total", total);
  row("total wall", wall);
  std::printf("voice-to-voice (virtual time, ms), %zu turns\n", v2v.size());
  std::printf("  %-12s %10s %10s %10s\n", "", "p50", "p99", "max");
  auto rowms = [](const char* name, const std::vector<double>& v) {
    std::printf("  %-12s %10.1f %10.1f %10.1f\n", name, pct(v, 50), pct(v, 99), pct(v, 100));
  };
  rowms("v2v", v2v);
  rowms("endpointing", endpointing);
  rowms("providers", provider);
  rowms("residual", residual);
  std::printf("  v2v - (endpointing + provider waits) + measured overhead, p99: %.3f ms (budget 1 ms)\n\n",
              pct(residual, 99) + pct(total, 99) / 1000.0);
}

void memory_table(int sessions) {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  auto stt = MockSpeechToText::create({}).value();
  auto llm = MockLanguageModel::create({}).value();
  auto tts = MockTextToSpeech::create({}).value();
  AgentConfig cfg;
  cfg.system_prompt = "You are the front desk of a clinic. Be brief and friendly.";
  cfg.turn.max_call = Duration::zero();
  cfg.turn.idle_reprompt = Duration::zero();
  std::vector<std::shared_ptr<Session>> all;
  all.reserve(static_cast<std::size_t>(sessions));
  const auto before = mallinfo2().uordblks;
  for (int i = 0; i < sessions; ++i) {
    SessionOptions opt;
    opt.vad_factory = [] { return testing::make_level_detector(); };
    opt.session_id = "s" + std::to_string(i);
    all.push_back(Session::create(*rt, cfg, {stt, llm, tts}, opt).value());
    (void)all.back()->start();
  }
  (void)rt->advance_by(1s);
  const auto after = mallinfo2().uordblks;
  std::printf("memory per idle session: %.1f KiB (%d sessions, heap in use %.1f MiB)\n\n",
              static_cast<double>(after - before) / sessions / 1024.0, sessions,
              static_cast<double>(after - before) / (1024.0 * 1024.0));
}

// ---------------------------------------------------------------- microbenchmarks
void BM_CallerFrameListening(benchmark::State& state) {
  Call call({});
  call.push(1s, false);  // warm up
  std::uint64_t frames = 0;
  const auto allocs = bench::allocations();
  for (auto _ : state) {
    call.push(20ms, false);
    ++frames;
  }
  state.counters["allocs_per_frame"] =
      static_cast<double>(bench::allocations() - allocs) / static_cast<double>(std::max<std::uint64_t>(1, frames));
}
BENCHMARK(BM_CallerFrameListening);

void BM_ChunkerToken(benchmark::State& state) {
  const std::string reply =
      "Sure, I can help you with that. Dr. Smith has openings on Tuesday at 2:30 p.m. and Thursday at 10 a.m., and "
      "the visit costs $125.50 in total. Would either of those work for you? ";
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < reply.size();) {
    std::size_t j = reply.find(' ', i + 1);
    if (j == std::string::npos) j = reply.size();
    tokens.push_back(reply.substr(i, j - i));
    i = j;
  }
  TextChunker chunker;
  std::size_t n = 0;
  for (auto _ : state) {
    for (const auto& t : tokens) benchmark::DoNotOptimize(chunker.push(t));
    benchmark::DoNotOptimize(chunker.flush());
    chunker.reset();
    n += tokens.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_ChunkerToken);

}  // namespace
}  // namespace loqui::bench_turn

int main(int argc, char** argv) {
  int turns = 400, sessions = 500;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--turns") == 0 && i + 1 < argc) turns = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--sessions") == 0 && i + 1 < argc) sessions = std::atoi(argv[++i]);
    else rest.push_back(argv[i]);
  }
  loqui::bench_turn::overhead_table(turns);
  loqui::bench_turn::memory_table(sessions);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
