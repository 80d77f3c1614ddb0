// SPDX-License-Identifier: Apache-2.0
// File: the bodies of the provider contract tests (see provider_contract.hpp).
#include "support/provider_contract.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <thread>

#include "loqui/audio/convert.hpp"
#include "support/recording_observers.hpp"

// A test binary may instantiate only some of the suites.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SttContract);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LlmContract);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TtsContract);

namespace loqui::testing {

// ---------------------------------------------------------------- runtime

ContractRuntime::ContractRuntime(const ContractTiming& timing) : timing_(timing) {
  auto rt = Runtime::create({.threads = 0, .time = timing.time, .name = "contract"});
  EXPECT_TRUE(rt.ok());
  rt_ = std::move(rt).value();
  strand_ = rt_->make_strand("contract-session");
}

ContractRuntime::~ContractRuntime() { rt_->stop(); }

void ContractRuntime::drive_step() {
  if (rt_->is_virtual()) {
    (void)rt_->advance_by(std::chrono::milliseconds(10));
  } else {
    (void)rt_->poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void ContractRuntime::on_strand(const std::function<void()>& fn) {
  bool ran = false;
  ASSERT_TRUE(strand_->post([&] {
                       fn();
                       ran = true;
                     })
                  .ok());
  if (rt_->is_virtual()) {
    (void)rt_->run_until_idle();
  } else {
    while (!ran) {
      (void)rt_->poll();
      if (!ran) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  ASSERT_TRUE(ran);
}

bool ContractRuntime::run_until(const std::function<bool()>& done) {
  if (rt_->is_virtual()) {
    const TimePoint limit = rt_->now() + timing_.timeout;
    while (!done() && rt_->now() < limit) drive_step();
    return done();
  }
  const auto limit = std::chrono::steady_clock::now() + timing_.timeout;
  while (!done() && std::chrono::steady_clock::now() < limit) drive_step();
  return done();
}

void ContractRuntime::settle() {
  if (rt_->is_virtual()) {
    (void)rt_->advance_by(timing_.settle);
    return;
  }
  const auto until = std::chrono::steady_clock::now() + timing_.settle;
  while (std::chrono::steady_clock::now() < until) drive_step();
}

namespace {

// A format the provider does not list, to check that it is refused.
std::optional<AudioFormat> unlisted_format(const std::vector<AudioFormat>& listed) {
  for (AudioFormat f : {AudioFormat::pcm16(11025), AudioFormat{7000, 1, Encoding::pcm16},
                        AudioFormat::pcm16(16000, 2), AudioFormat::alaw8k()}) {
    if (std::find(listed.begin(), listed.end(), f) == listed.end()) return f;
  }
  return std::nullopt;
}

// A provider built from the param's factory, an observer recording on the
// session strand, and the stream under test (opened with the param's options).
template <class Provider, class Stream, class Param, class Observer>
struct StreamFixture {
  const Param& p;
  ContractRuntime rt;
  std::shared_ptr<Provider> provider;
  Observer obs;
  std::unique_ptr<Stream> stream;

  explicit StreamFixture(const Param& param) : p(param), rt(param.timing), obs(rt.strand()) {
    auto made = p.make(rt.provider_context());
    if (!made) {
      ADD_FAILURE() << "cannot make the provider: " << made.error().to_string();
      return;
    }
    provider = std::move(made).value();
  }
  ~StreamFixture() {
    rt.on_strand([&] { stream.reset(); });
  }
  bool open() {
    if (!provider) return false;
    bool ok = false;
    rt.on_strand([&] {
      CallGuard g(obs.calls());
      auto r = provider->open(rt.session(), p.options, obs);
      if (!r) {
        ADD_FAILURE() << "open failed: " << r.error().to_string();
        return;
      }
      stream = std::move(r).value();
      ok = true;
    });
    return ok;
  }
  /// Destroys the stream on the strand: nothing may arrive afterwards.
  void destroy_and_check() {
    rt.on_strand([&] {
      stream.reset();
      obs.cancelled = true;
    });
    rt.settle();
    EXPECT_EQ(obs.after_cancel, 0) << "callbacks after the stream was destroyed";
  }
  /// `formats` (the provider's list) holds the param's format, and opening with
  /// a format it does not list fails with format_mismatch.
  void check_formats(const std::vector<AudioFormat>& formats) {
    EXPECT_FALSE(formats.empty()) << "the capabilities list no format";
    EXPECT_NE(std::find(formats.begin(), formats.end(), p.options.format), formats.end())
        << "the contract's format is not among the provider's formats";
    auto other = unlisted_format(formats);
    ASSERT_TRUE(other);
    rt.on_strand([&] {
      auto o = p.options;
      o.format = *other;
      auto r = provider->open(rt.session(), o, obs);
      ASSERT_FALSE(r.ok()) << "opened with unlisted format " << other->to_string();
      EXPECT_EQ(r.error().code(), errc::format_mismatch) << r.error().to_string();
    });
  }
};

// ---------------------------------------------------------------- STT

std::vector<std::int16_t> default_speech(const AudioFormat& format) {
  const std::int64_t speech = format.samples_in(std::chrono::milliseconds(800));
  const std::int64_t total = format.samples_in(std::chrono::milliseconds(1200));
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(total), 0);
  for (std::int64_t i = 0; i < speech; ++i) {
    pcm[static_cast<std::size_t>(i)] =
        static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * 300 * static_cast<double>(i) /
                                                  format.sample_rate_hz));
  }
  return pcm;
}

struct SttFixture : StreamFixture<SpeechToText, SttStream, SttContractParam, RecordingSttObserver> {
  using StreamFixture::StreamFixture;
  // Sends `pcm` in 20 ms frames, one strand task each, then finalize().
  void speak(const std::vector<std::int16_t>& pcm, bool finalize = true) {
    const std::size_t frame = static_cast<std::size_t>(p.options.format.samples_in(std::chrono::milliseconds(20)) *
                                                       p.options.format.channels);
    for (std::size_t i = 0; i < pcm.size(); i += frame) {
      const std::size_t n = std::min(frame, pcm.size() - i);
      rt.on_strand([&] {
        CallGuard g(obs.calls());
        Status st = stream->send_audio(
            AudioFrame::view(p.options.format, std::span<const std::int16_t>(pcm.data() + i, n)));
        EXPECT_TRUE(st.ok()) << st.error().to_string();
      });
    }
    if (finalize) {
      rt.on_strand([&] {
        CallGuard g(obs.calls());
        stream->finalize();
      });
    }
  }
  std::vector<std::int16_t> speech() const {
    return p.speech ? p.speech(p.options.format) : default_speech(p.options.format);
  }
};

}  // namespace

TEST_P(SttContract, FinalizeIsAnsweredOnceOnTheStrandNeverInsideACall) {
  SttFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.speak(f.speech());
  ASSERT_TRUE(f.rt.run_until([&] { return f.obs.finalize_answers() > 0 || f.obs.errors() > 0; }))
      << "no final transcript after finalize()";
  f.rt.settle();
  EXPECT_EQ(f.obs.errors(), 0);
  EXPECT_EQ(f.obs.finalize_answers(), 1);
  EXPECT_EQ(f.obs.violations(), 0) << "callbacks off the strand or inside a call";
  const auto finals = f.obs.finals();
  ASSERT_FALSE(finals.empty());
  if (GetParam().expect_text) {
    std::string all;
    for (const auto& t : finals) all += t.text;
    EXPECT_FALSE(all.empty()) << "the final transcript is empty";
  }
  for (const auto& e : f.obs.events) {
    if (e.kind != SttEvent::Kind::transcript) continue;
    EXPECT_GE(e.transcript.audio_end, e.transcript.audio_start);
    if (e.transcript.from_finalize) {
      EXPECT_TRUE(e.transcript.is_final);
    }
    for (const auto& w : e.transcript.words) EXPECT_LE(w.start, w.end);
  }
}

TEST_P(SttContract, FinalizeAfterSilenceIsAnsweredToo) {
  SttFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.speak(std::vector<std::int16_t>(static_cast<std::size_t>(f.p.options.format.samples_in(std::chrono::milliseconds(600)) *
                                                             f.p.options.format.channels)));
  ASSERT_TRUE(f.rt.run_until([&] { return f.obs.finalize_answers() > 0 || f.obs.errors() > 0; }));
  f.rt.settle();
  EXPECT_EQ(f.obs.errors(), 0);
  EXPECT_EQ(f.obs.finalize_answers(), 1);
  EXPECT_EQ(f.obs.violations(), 0);
}

TEST_P(SttContract, CancelIsFinalAndIdempotent) {
  SttFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.speak(f.speech(), /*finalize=*/true);
  f.rt.on_strand([&] {
    f.stream->cancel();
    f.stream->cancel();
    f.obs.cancelled = true;
  });
  f.rt.settle();
  EXPECT_EQ(f.obs.after_cancel, 0) << "callbacks after cancel()";
  f.rt.on_strand([&] {
    Status st = f.stream->send_audio(AudioFrame::view(f.p.options.format, std::vector<std::int16_t>(
        static_cast<std::size_t>(f.p.options.format.samples_in(std::chrono::milliseconds(20))))));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), errc::closed);
    f.stream->finalize();  // no effect, no crash
  });
  f.rt.settle();
  EXPECT_EQ(f.obs.after_cancel, 0);
}

TEST_P(SttContract, DestroyingTheStreamStopsCallbacks) {
  SttFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.speak(f.speech(), /*finalize=*/true);
  f.destroy_and_check();
}

TEST_P(SttContract, RefusesFormatsItDoesNotList) {
  SttFixture f(GetParam());
  ASSERT_TRUE(f.provider);
  f.check_formats(f.provider->capabilities().input_formats);
  ASSERT_TRUE(f.open());
  f.rt.on_strand([&] {
    const AudioFormat wrong = AudioFormat::pcm16(f.p.options.format.sample_rate_hz == 16000 ? 8000 : 16000);
    Status st = f.stream->send_audio(AudioFrame::view(wrong, std::vector<std::int16_t>(160)));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), errc::format_mismatch);
  });
}

// ---------------------------------------------------------------- LLM

namespace {

LlmRequest default_request() {
  LlmRequest r;
  r.messages.push_back({.role = Role::system, .content = "You are a helpful assistant. Answer briefly."});
  r.messages.push_back({.role = Role::user, .content = "Hello, who are you?"});
  return r;
}

struct LlmFixture {
  const LlmContractParam& p;
  ContractRuntime rt;
  std::shared_ptr<LanguageModel> llm;
  std::unique_ptr<LlmSession> session;
  LlmRequest request;

  explicit LlmFixture(const LlmContractParam& param)
      : p(param), rt(param.timing), request(param.request.value_or(default_request())) {
    auto made = p.make(rt.provider_context());
    if (!made) {
      ADD_FAILURE() << "cannot make the provider: " << made.error().to_string();
      return;
    }
    llm = std::move(made).value();
    rt.on_strand([&] {
      auto s = llm->open(rt.session());
      if (!s) {
        ADD_FAILURE() << "open failed: " << s.error().to_string();
        return;
      }
      session = std::move(s).value();
    });
  }
  ~LlmFixture() {
    rt.on_strand([&] { session.reset(); });
  }
  void generate(RecordingLlmObserver& obs) {
    rt.on_strand([&] {
      CallGuard g(obs.calls());
      Status st = session->generate(request, obs);
      EXPECT_TRUE(st.ok()) << st.error().to_string();
      EXPECT_TRUE(session->busy());
    });
  }
};

}  // namespace

TEST_P(LlmContract, OneGenerationEndsExactlyOnceOnTheStrand) {
  LlmFixture f(GetParam());
  ASSERT_TRUE(f.session);
  RecordingLlmObserver obs(f.rt.strand());
  f.generate(obs);
  ASSERT_TRUE(f.rt.run_until([&] { return obs.terminals() > 0; })) << "no on_done/on_error";
  f.rt.settle();
  EXPECT_EQ(obs.terminals(), 1);
  EXPECT_EQ(obs.of(LlmEvent::Kind::error).size(), 0u) << obs.of(LlmEvent::Kind::error)[0].error.to_string();
  EXPECT_EQ(obs.violations(), 0);
  EXPECT_TRUE(!obs.text().empty() || !obs.tool_calls().empty()) << "no output at all";
  EXPECT_EQ(obs.events.back().kind, LlmEvent::Kind::done) << "output after on_done";
  f.rt.on_strand([&] { EXPECT_FALSE(f.session->busy()); });
}

TEST_P(LlmContract, ASecondGenerateWhileBusyIsRefused) {
  LlmFixture f(GetParam());
  ASSERT_TRUE(f.session);
  RecordingLlmObserver obs(f.rt.strand());
  RecordingLlmObserver other(f.rt.strand());
  f.generate(obs);
  f.rt.on_strand([&] {
    CallGuard g(other.calls());
    Status st = f.session->generate(f.request, other);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), errc::invalid_argument);
  });
  ASSERT_TRUE(f.rt.run_until([&] { return obs.terminals() > 0; }));
  f.rt.settle();
  EXPECT_TRUE(other.events.empty());
  EXPECT_EQ(obs.terminals(), 1);
}

TEST_P(LlmContract, CancelIsFinalIdempotentAndTheSessionStaysUsable) {
  LlmFixture f(GetParam());
  ASSERT_TRUE(f.session);
  f.rt.on_strand([&] { f.session->cancel(); });  // idle: a no-op
  RecordingLlmObserver obs(f.rt.strand());
  f.generate(obs);
  f.rt.on_strand([&] {
    f.session->cancel();
    f.session->cancel();
    obs.cancelled = true;
    EXPECT_FALSE(f.session->busy());
  });
  f.rt.settle();
  EXPECT_EQ(obs.after_cancel, 0) << "callbacks after cancel()";
  RecordingLlmObserver again(f.rt.strand());
  f.generate(again);
  ASSERT_TRUE(f.rt.run_until([&] { return again.terminals() > 0; }));
  f.rt.settle();
  EXPECT_EQ(again.terminals(), 1);
  EXPECT_EQ(again.violations(), 0);
}

TEST_P(LlmContract, TheNextGenerationMayStartInsideOnDone) {
  LlmFixture f(GetParam());
  ASSERT_TRUE(f.session);
  struct Chain final : LlmObserver {
    LlmFixture* f = nullptr;
    int done = 0, errors = 0;
    void on_text(std::string_view) override {}
    void on_tool_call(const ToolCall&) override {}
    void on_done(FinishReason) override {
      if (++done == 1) {
        Status st = f->session->generate(f->request, *this);
        EXPECT_TRUE(st.ok()) << st.error().to_string();
      }
    }
    void on_error(const Error& e) override {
      ++errors;
      ADD_FAILURE() << e.to_string();
    }
  } chain;
  chain.f = &f;
  f.rt.on_strand([&] { ASSERT_TRUE(f.session->generate(f.request, chain).ok()); });
  ASSERT_TRUE(f.rt.run_until([&] { return chain.done >= 2 || chain.errors > 0; }));
  f.rt.settle();
  EXPECT_EQ(chain.done, 2);
}

TEST_P(LlmContract, DestroyingTheSessionStopsCallbacks) {
  LlmFixture f(GetParam());
  ASSERT_TRUE(f.session);
  RecordingLlmObserver obs(f.rt.strand());
  f.generate(obs);
  f.rt.on_strand([&] {
    f.session.reset();
    obs.cancelled = true;
  });
  f.rt.settle();
  EXPECT_EQ(obs.after_cancel, 0);
}

// ---------------------------------------------------------------- TTS

namespace {

struct TtsFixture : StreamFixture<TextToSpeech, TtsStream, TtsContractParam, RecordingTtsObserver> {
  using StreamFixture::StreamFixture;
  void say(std::string_view text, bool flush = true) {
    rt.on_strand([&] {
      CallGuard g(obs.calls());
      if (!text.empty()) {
        EXPECT_TRUE(stream->send_text(text).ok());
      }
      if (flush) {
        EXPECT_TRUE(stream->flush().ok());
      }
    });
  }
};

}  // namespace

TEST_P(TtsContract, SpeaksInTheRequestedFormatWithOneDone) {
  TtsFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.rt.on_strand([&] { EXPECT_EQ(f.stream->output_format(), f.p.options.format); });
  f.say(f.p.text);
  ASSERT_TRUE(f.rt.run_until([&] { return f.obs.dones() > 0 || f.obs.errors() > 0; })) << "no on_done";
  f.rt.settle();
  EXPECT_EQ(f.obs.errors(), 0) << (f.obs.errors() ? f.obs.of(TtsEvent::Kind::error)[0].error.to_string() : "");
  EXPECT_EQ(f.obs.dones(), 1);
  EXPECT_EQ(f.obs.violations(), 0) << "callbacks off the strand or inside a call";
  EXPECT_EQ(f.obs.events.back().kind, TtsEvent::Kind::done) << "output after on_done";
  // Audio: in the stream's format, timestamps counting from the utterance start
  // (again from 0 after a Fallback's restart).
  std::int64_t expected_ts = 0;
  for (const auto& e : f.obs.events) {
    if (e.kind == TtsEvent::Kind::provider && e.restarted) expected_ts = 0;
    if (e.kind != TtsEvent::Kind::audio) continue;
    EXPECT_EQ(e.format, f.p.options.format);
    EXPECT_EQ(e.timestamp, expected_ts);
    expected_ts += e.samples;
  }
  ASSERT_GT(expected_ts, 0) << "no audio";
  const Duration audio = f.p.options.format.duration_of(expected_ts);
  ASSERT_EQ(f.obs.utterances.size(), 1u);
  EXPECT_GT(rms_dbfs(f.obs.utterances[0]), -60.0) << "the audio is silent";
  // Word timings, when declared: in order, inside the audio.
  if (f.provider->capabilities().word_timings) {
    const auto words = f.obs.words();
    EXPECT_FALSE(words.empty()) << "word timings are declared but none arrived";
    Duration last{};
    for (const auto& w : words) {
      EXPECT_FALSE(w.word.empty());
      EXPECT_GE(w.start, last) << w.word;
      EXPECT_LE(w.start, w.end) << w.word;
      EXPECT_LE(w.end, audio + std::chrono::milliseconds(1)) << w.word;
      last = w.start;
    }
  }
}

TEST_P(TtsContract, UtterancesAreDoneInOrderAndAnEmptyFlushIsDoneToo) {
  TtsFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.say("One.");
  f.say("");  // an utterance without text
  f.say("Two words.");
  ASSERT_TRUE(f.rt.run_until([&] { return f.obs.dones() >= 3 || f.obs.errors() > 0; }));
  f.rt.settle();
  EXPECT_EQ(f.obs.errors(), 0);
  EXPECT_EQ(f.obs.dones(), 3);
  ASSERT_EQ(f.obs.utterances.size(), 3u);
  EXPECT_FALSE(f.obs.utterances[0].empty());
  EXPECT_TRUE(f.obs.utterances[1].empty());
  EXPECT_FALSE(f.obs.utterances[2].empty());
  // Each utterance's audio starts again at timestamp 0.
  bool after_done = true;
  for (const auto& e : f.obs.events) {
    if (e.kind == TtsEvent::Kind::done || (e.kind == TtsEvent::Kind::provider && e.restarted)) after_done = true;
    if (e.kind != TtsEvent::Kind::audio) continue;
    if (after_done) {
      EXPECT_EQ(e.timestamp, 0);
    }
    after_done = false;
  }
  EXPECT_EQ(f.obs.violations(), 0);
}

TEST_P(TtsContract, ClearDropsPendingAudioAndTheStreamStaysUsable) {
  TtsFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.say(f.p.text + " " + f.p.text + " " + f.p.text);
  ASSERT_TRUE(f.rt.run_until([&] { return f.obs.first(TtsEvent::Kind::audio) || f.obs.errors() > 0; }));
  std::size_t events_at_clear = 0;
  int dones_at_clear = 0;
  f.rt.on_strand([&] {
    CallGuard g(f.obs.calls());
    f.stream->clear();
    events_at_clear = f.obs.events.size();
    dones_at_clear = f.obs.dones();
  });
  f.rt.settle();
  EXPECT_EQ(f.obs.events.size(), events_at_clear) << "output of a cleared utterance";
  f.say("Next.");
  ASSERT_TRUE(f.rt.run_until([&] { return f.obs.dones() > dones_at_clear || f.obs.errors() > 0; }));
  f.rt.settle();
  EXPECT_EQ(f.obs.errors(), 0);
  EXPECT_EQ(f.obs.dones(), dones_at_clear + 1);
  ASSERT_GT(f.obs.events.size(), events_at_clear);
  for (std::size_t i = events_at_clear; i < f.obs.events.size(); ++i) {
    if (f.obs.events[i].kind == TtsEvent::Kind::audio) {
      EXPECT_EQ(f.obs.events[i].timestamp, 0) << "the new utterance must start at 0";
      break;
    }
  }
  EXPECT_EQ(f.obs.violations(), 0);
}

TEST_P(TtsContract, CancelIsFinalAndIdempotent) {
  TtsFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.say(f.p.text);
  f.rt.on_strand([&] {
    f.stream->cancel();
    f.stream->cancel();
    f.obs.cancelled = true;
  });
  f.rt.settle();
  EXPECT_EQ(f.obs.after_cancel, 0) << "callbacks after cancel()";
  f.rt.on_strand([&] {
    Status st = f.stream->send_text("more");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), errc::closed);
    EXPECT_EQ(f.stream->flush().error().code(), errc::closed);
    f.stream->clear();
  });
  f.rt.settle();
  EXPECT_EQ(f.obs.after_cancel, 0);
}

TEST_P(TtsContract, DestroyingTheStreamMidUtteranceStopsCallbacks) {
  TtsFixture f(GetParam());
  ASSERT_TRUE(f.open());
  f.say(f.p.text + " " + f.p.text);
  ASSERT_TRUE(f.rt.run_until([&] { return f.obs.first(TtsEvent::Kind::audio) || f.obs.errors() > 0; }));
  f.destroy_and_check();
}

TEST_P(TtsContract, RefusesFormatsItDoesNotList) {
  TtsFixture f(GetParam());
  ASSERT_TRUE(f.provider);
  if (!f.p.substitutes_unlisted_formats) return f.check_formats(f.provider->capabilities().output_formats);
  // It opens anyway and says which listed format it produces instead.
  const auto& listed = f.provider->capabilities().output_formats;
  auto other = unlisted_format(listed);
  ASSERT_TRUE(other);
  f.rt.on_strand([&] {
    auto o = f.p.options;
    o.format = *other;
    auto r = f.provider->open(f.rt.session(), o, f.obs);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_NE(std::find(listed.begin(), listed.end(), (*r)->output_format()), listed.end())
        << "output_format() " << (*r)->output_format().to_string() << " is not among the provider's formats";
    (*r)->cancel();
  });
}

}  // namespace loqui::testing
