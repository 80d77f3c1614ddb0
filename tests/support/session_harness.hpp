// SPDX-License-Identifier: Apache-2.0
// File: a virtual-time call for Session scenario tests: mock providers, a level
// detector, a recording audio sink and a synthetic caller that speaks tones.
#pragma once

#include <chrono>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "loqui/agent/session.hpp"
#include "loqui/provider/fallback.hpp"
#include "loqui/provider/mock.hpp"
#include "support/level_vad.hpp"

namespace loqui::testing {

using namespace std::chrono_literals;

/// Records the agent's audio as the transport would play it.
struct RecordingSink final : AgentAudioSink {
  struct Chunk {
    std::int64_t timestamp;
    std::int64_t samples;
    TimePoint play_at;
    TimePoint delivered;
  };
  std::vector<Chunk> chunks;
  std::vector<TimePoint> clears;
  Strand* strand = nullptr;
  void on_agent_audio(const AudioFrame& audio, TimePoint play_at) override {
    chunks.push_back({audio.timestamp(), audio.sample_count(), play_at, strand ? strand->now() : TimePoint{}});
  }
  void on_clear() override { clears.push_back(strand ? strand->now() : TimePoint{}); }
  std::int64_t total_samples() const {
    std::int64_t n = 0;
    for (const auto& c : chunks) n += c.samples;
    return n;
  }
};

struct CallHarness {
  std::unique_ptr<Runtime> rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  AgentConfig cfg;
  MockSttOptions stt;
  MockLlmOptions llm;
  MockTtsOptions tts;
  ToolRegistry tools;
  RecordingSink sink;
  SessionOptions options;
  std::shared_ptr<MockSpeechToText> stt_p;
  std::shared_ptr<MockLanguageModel> llm_p;
  std::shared_ptr<MockTextToSpeech> tts_p;
  /// Replaces the mock LLM (e.g. a Fallback over mocks) when set.
  std::shared_ptr<LanguageModel> llm_override;
  std::shared_ptr<Session> session;
  std::vector<SessionEvent> events;
  Subscription sub;
  std::int64_t caller_samples = 0;
  int phase = 0;

  CallHarness() {
    cfg.turn.idle_reprompt = Duration::zero();
    cfg.turn.max_call = Duration::zero();
  }

  Status start() {
    LOQUI_ASSIGN_OR_RETURN(stt_p, MockSpeechToText::create(stt));
    LOQUI_ASSIGN_OR_RETURN(llm_p, MockLanguageModel::create(llm));
    LOQUI_ASSIGN_OR_RETURN(tts_p, MockTextToSpeech::create(tts));
    options.audio_sink = &sink;
    options.vad_factory = [] { return make_level_detector(); };
    options.tools = &tools;
    options.session_id = "test-call";
    std::shared_ptr<LanguageModel> llm_used = llm_override ? llm_override : llm_p;
    LOQUI_ASSIGN_OR_RETURN(session, Session::create(*rt, cfg, {stt_p, llm_used, tts_p}, options));
    sink.strand = session->strand().get();
    sub = session->subscribe([this](const SessionEvent& e) { events.push_back(e); });
    LOQUI_TRY(session->start());
    (void)rt->run_until_idle();
    return ok_status();
  }

  TimePoint now() const { return rt->now(); }

  /// The caller's line: 20 ms frames, a tone for `speech` or zeros, in real time.
  void push(Duration d, bool speech) {
    const AudioFormat fmt = AudioFormat::pcm16(16000);
    std::vector<std::int16_t> buf(320);
    for (Duration t{}; t < d; t += 20ms) {
      for (std::size_t i = 0; i < buf.size(); ++i) {
        buf[i] = speech ? static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * 220 *
                                                                    static_cast<double>(phase++) / 16000))
                        : std::int16_t{0};
      }
      // The frame covering [t, t + 20 ms) arrives at t + 20 ms.
      (void)rt->advance_by(20ms);
      auto f = AudioFrame::view(fmt, buf, caller_samples);
      caller_samples += 320;
      (void)session->push_audio(f);
      (void)rt->run_until_idle();
    }
  }
  void say(Duration d) { push(d, true); }
  void quiet(Duration d) { push(d, false); }

  template <class E>
  std::vector<E> all() const {
    std::vector<E> out;
    for (const auto& e : events)
      if (const E* p = std::get_if<E>(&e)) out.push_back(*p);
    return out;
  }
  template <class E>
  int count() const {
    return static_cast<int>(all<E>().size());
  }
  /// Milliseconds since the call started.
  double ms(TimePoint t) const { return to_ms(t - session->call_record().started); }
};

}  // namespace loqui::testing
