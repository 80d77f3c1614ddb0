// SPDX-License-Identifier: Apache-2.0
// File: STT `deepgram` against the /v1/listen mock (tests/support/mock_vendors.hpp):
// the query and auth sent, interim/final/speech_final/from_finalize, SpeechStarted,
// UtteranceEnd, KeepAlive, mulaw input, CloseStream on cancel, and every fault:
// a drop mid-stream (reconnect and replay: no audio lost, offsets keep counting),
// NET-0001 (reconnect), DATA-0000 (clear error), 429 + Retry-After (honoured), 5xx,
// 401 (no secret in the error), garbage frames, unknown message types, slow accept
// and slow first message, reconnects exhausted. Plus the SttContract suite.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <numbers>

#include "loqui/audio/g711.hpp"
#include "providers/deepgram/deepgram.hpp"
#include "support/mock_vendors.hpp"
#include "support/provider_contract.hpp"
#include "support/recording_observers.hpp"
#include "support/ws_harness.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::CallGuard;
using testing::RecordingSttObserver;
using testing::SttEvent;
using testing::TestLoop;
using testing::VendorFaults;
using testing::VendorMock;

constexpr const char* kKeyEnv = "LOQUI_TEST_DEEPGRAM_KEY";
constexpr const char* kKey = "dg-secret-key-4242";

std::vector<std::int16_t> tone(int ms, int rate = 16000, double amp = 8000) {
  std::vector<std::int16_t> v(static_cast<std::size_t>(rate / 1000 * ms));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<std::int16_t>(amp * std::sin(2 * std::numbers::pi * 300 * static_cast<double>(i) / rate));
  return v;
}
std::vector<std::int16_t> silence(int ms, int rate = 16000) {
  return std::vector<std::int16_t>(static_cast<std::size_t>(rate / 1000 * ms));
}

struct DeepgramStt : ::testing::Test {
  TestLoop loop;
  std::unique_ptr<VendorMock> mock;
  std::shared_ptr<SpeechToText> stt;
  RecordingSttObserver obs{loop.strand};
  std::unique_ptr<SttStream> stream;
  AudioFormat format = AudioFormat::pcm16(16000);
  std::string sent;  // every byte handed to send_audio

  void SetUp() override { ::setenv(kKeyEnv, kKey, 1); }
  void TearDown() override {
    loop.on_strand([&] { stream.reset(); });
  }

  void start(VendorFaults faults = {}, const std::string& extra = "") {
    faults.expected_auth = std::string("Token ") + kKey;
    mock = std::make_unique<VendorMock>(VendorMock::Vendor::deepgram_listen, std::move(faults));
    auto made = deepgram::make_stt({.runtime = loop.rt.get()},
                                   testing::config(R"({"provider":"deepgram","base_url":")" + mock->base_url() +
                                                   R"(","api_key_env":")" + kKeyEnv +
                                                   R"(","keyterms":["loqui","Deep gram"],"retry":{"initial_delay_ms":10,"max_delay_ms":20})" +
                                                   extra + "}"),
                                   "stt");
    ASSERT_TRUE(made.ok()) << made.error().to_string();
    stt = std::move(made).value();
    loop.on_strand([&] {
      CallGuard g(obs.calls());
      auto s = stt->open({.strand = loop.strand, .session_id = "t1"}, {.format = format}, obs);
      ASSERT_TRUE(s.ok()) << s.error().to_string();
      stream = std::move(s).value();
    });
  }

  void send(const std::vector<std::int16_t>& pcm) {
    const std::size_t frame = static_cast<std::size_t>(format.samples_in(20ms));
    for (std::size_t i = 0; i < pcm.size(); i += frame) {
      const std::size_t n = std::min(frame, pcm.size() - i);
      loop.on_strand([&] {
        CallGuard g(obs.calls());
        std::span<const std::int16_t> s(pcm.data() + i, n);
        if (format.encoding == Encoding::mulaw) {
          std::vector<std::byte> mu(n);
          mulaw_encode(s, mu);
          Status st = stream->send_audio(AudioFrame::view_bytes(format, mu));
          if (obs.errors() == 0) {
            EXPECT_TRUE(st.ok()) << st.error().to_string();
          }
          sent.append(reinterpret_cast<const char*>(mu.data()), mu.size());
        } else {
          Status st = stream->send_audio(AudioFrame::view(format, s));
          if (obs.errors() == 0) {
            EXPECT_TRUE(st.ok()) << st.error().to_string();
          }
          sent.append(reinterpret_cast<const char*>(s.data()), s.size_bytes());
        }
      });
    }
  }
  void finalize() {
    loop.on_strand([&] {
      CallGuard g(obs.calls());
      stream->finalize();
    });
  }
  bool wait_finalized(int n = 1) {
    return loop.run_until([&] { return obs.finalize_answers() >= n || obs.errors() > 0; });
  }
  std::string all_text() const {
    std::string t;
    for (const auto& f : obs.finals()) t += f.text;
    return t;
  }
  const Error* error() const {
    for (const auto& e : obs.events)
      if (e.kind == SttEvent::Kind::error) return &e.error;
    return nullptr;
  }
};

TEST_F(DeepgramStt, HappyPathSendsTheQueryAndAuthAndAssemblesResults) {
  start({}, R"(,"utterance_end_ms":1000)");
  send(tone(800));
  send(silence(600));
  finalize();
  ASSERT_TRUE(wait_finalized());
  loop.run_for(100ms);
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  EXPECT_EQ(obs.finalize_answers(), 1);
  EXPECT_EQ(obs.violations(), 0);
  const auto req = mock->server().requests().at(0);
  EXPECT_EQ(req.path(), "/v1/listen");
  EXPECT_EQ(req.query("model"), "nova-3");
  EXPECT_EQ(req.query("encoding"), "linear16");
  EXPECT_EQ(req.query("sample_rate"), "16000");
  EXPECT_EQ(req.query("interim_results"), "true");
  EXPECT_EQ(req.query("endpointing"), "300");
  EXPECT_EQ(req.query("utterance_end_ms"), "1000");
  EXPECT_EQ(req.query("vad_events"), "true");
  EXPECT_EQ(req.query("language"), "en-US");
  EXPECT_EQ(req.query_all("keyterm"), (std::vector<std::string>{"loqui", "Deep gram"}));
  EXPECT_EQ(req.header("Authorization"), std::string("Token ") + kKey);
  // 800 ms of tone = 4 loud segments -> "hello" x4; interims before finals.
  EXPECT_EQ(all_text(), "hellohellohellohello");
  EXPECT_FALSE(obs.interims().empty());
  EXPECT_EQ(obs.of(SttEvent::Kind::speech_started).size(), 1u);
  EXPECT_EQ(obs.of(SttEvent::Kind::speech_started)[0].offset, 0ms);
  ASSERT_EQ(obs.of(SttEvent::Kind::utterance_end).size(), 1u);
  EXPECT_EQ(obs.of(SttEvent::Kind::utterance_end)[0].offset, 800ms);
  int speech_finals = 0;
  Duration last_end{};
  for (const auto& t : obs.finals()) {
    speech_finals += t.speech_final;
    EXPECT_GE(t.audio_start, last_end);
    last_end = t.audio_end;
    for (const auto& w : t.words) EXPECT_EQ(w.text, "Hello");
  }
  EXPECT_EQ(speech_finals, 1);
  EXPECT_EQ(last_end, 1400ms);
  auto usage = deepgram::stt_usage(*stream);
  ASSERT_TRUE(usage);
  EXPECT_DOUBLE_EQ(usage->audio_seconds_sent, 1.4);
  EXPECT_EQ(usage->connections, 1);
}

TEST_F(DeepgramStt, MulawInputIsSentAsMulaw) {
  format = AudioFormat::mulaw8k();
  start();
  std::vector<std::int16_t> pcm = tone(400, 8000);
  send(pcm);
  finalize();
  ASSERT_TRUE(wait_finalized());
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  const auto req = mock->server().requests().at(0);
  EXPECT_EQ(req.query("encoding"), "mulaw");
  EXPECT_EQ(req.query("sample_rate"), "8000");
  EXPECT_EQ(mock->record().audio_of(1), sent);
  EXPECT_EQ(all_text(), "hellohello");
}

TEST_F(DeepgramStt, KeepAliveWhileNoAudioFlows) {
  start({}, R"(,"keepalive_ms":500)");
  send(tone(100));
  loop.run_for(1300ms);
  EXPECT_GE(mock->record().keepalives, 1);
  EXPECT_EQ(obs.errors(), 0);
  // KeepAlive is a text frame, never an empty binary frame.
  for (const auto& t : mock->record().texts_of(1)) EXPECT_EQ(t, R"({"type":"KeepAlive"})");
}

TEST_F(DeepgramStt, CancelEndsWithCloseStreamAndFreesTheSocket) {
  const auto before = websocket_stats().sockets_open;
  start();
  send(tone(200));
  loop.on_strand([&] {
    stream->cancel();
    obs.cancelled = true;
  });
  ASSERT_TRUE(loop.run_until([&] { return mock->record().close_streams == 1; }));
  ASSERT_TRUE(loop.run_until([&] { return websocket_stats().sockets_open == before; }));
  EXPECT_EQ(obs.after_cancel, 0);
}

TEST_F(DeepgramStt, DropMidStreamReconnectsAndReplaysWithoutLosingAudio) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 33;  // drops after 660 ms of audio: 3 segments were final
  f.kind = VendorFaults::Kind::drop;
  start(f);
  send(tone(1200));
  finalize();
  ASSERT_TRUE(wait_finalized());
  loop.run_for(100ms);
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  ASSERT_EQ(mock->record().connections(), 2);
  const std::string c1 = mock->record().audio_of(1), c2 = mock->record().audio_of(2);
  ASSERT_LE(c2.size(), sent.size());
  const std::size_t k = sent.size() - c2.size();  // where the replay began
  EXPECT_EQ(c2, sent.substr(k)) << "the second connection got exactly the tail of the audio";
  EXPECT_LE(k, c1.size()) << "gap between what the first connection got and the replay";
  EXPECT_EQ(c1, sent.substr(0, c1.size()));
  EXPECT_GT(k, 0u) << "audio already final is not sent again";
  EXPECT_EQ(k % 6400, 0u) << "the replay starts at the end of the last final (200 ms segments)";
  // The restart was announced, and offsets keep counting from the stream start.
  ASSERT_EQ(obs.of(SttEvent::Kind::provider).size(), 1u);
  EXPECT_TRUE(obs.of(SttEvent::Kind::provider)[0].restarted);
  Duration last_end{};
  for (const auto& t : obs.finals()) {
    EXPECT_GE(t.audio_start, last_end);
    last_end = t.audio_end;
  }
  EXPECT_EQ(last_end, 1200ms);
  EXPECT_EQ(all_text(), "hellohellohellohellohellohello");
  auto usage = deepgram::stt_usage(*stream);
  EXPECT_EQ(usage->reconnects, 1);
  EXPECT_GT(usage->replayed_seconds, 0.0);
}

TEST_F(DeepgramStt, DropBeyondTheReplayBufferSaysWhatWouldBeLost) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 33;
  f.kind = VendorFaults::Kind::drop;
  start(f, R"(,"replay_buffer_ms":20)");
  send(tone(1200));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::provider_unavailable);
  EXPECT_NE(error()->message().find("exceeded replay_buffer_ms and would be lost"), std::string::npos)
      << error()->message();
  EXPECT_EQ(mock->record().connections(), 1) << "no reconnect that would silently skip audio";
}

TEST_F(DeepgramStt, StalledServerIsDetectedByPingsAndTheStreamRecovers) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 12;
  f.kind = VendorFaults::Kind::stall;
  start(f, R"(,"ping_interval_ms":100)");
  send(tone(600));
  finalize();
  ASSERT_TRUE(wait_finalized());
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  EXPECT_EQ(mock->record().connections(), 2);
  EXPECT_EQ(all_text(), "hellohellohello");
}

TEST_F(DeepgramStt, Net0001CloseReconnects) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 12;
  f.kind = VendorFaults::Kind::close;
  f.close_code = 1011;
  f.close_reason = "NET-0001";
  start(f);
  send(tone(600));
  finalize();
  ASSERT_TRUE(wait_finalized());
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(mock->record().connections(), 2);
  EXPECT_EQ(all_text(), "hellohellohello");
}

TEST_F(DeepgramStt, Data0000IsAClearErrorNamingTheFormat) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 2;
  f.kind = VendorFaults::Kind::close;
  f.close_code = 1008;
  f.close_reason = "DATA-0000";
  start(f);
  send(tone(100));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  const Error* e = error();
  EXPECT_EQ(e->code(), errc::provider_failed);
  EXPECT_EQ(e->provider(), "deepgram");
  EXPECT_NE(e->message().find("DATA-0000"), std::string::npos) << e->message();
  EXPECT_NE(e->message().find("linear16"), std::string::npos) << e->message();
  loop.on_strand([&] { EXPECT_EQ(stream->send_audio(AudioFrame::view(format, tone(20))).error().code(), errc::closed); });
}

TEST_F(DeepgramStt, DropWithNoReconnectsLeftIsARetryableError) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 5;
  f.kind = VendorFaults::Kind::drop;
  start(f, R"(,"max_reconnects":0)");
  send(tone(200));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_TRUE(error()->retryable());
  EXPECT_NE(error()->message().find("1006"), std::string::npos) << error()->message();
  EXPECT_NE(error()->message().find("deepgram (127.0.0.1)"), std::string::npos) << error()->message();
}

TEST_F(DeepgramStt, Refused429WithRetryAfterIsHonoured) {
  VendorFaults f;
  f.refusals = {testing::MockWsUpgrade::refuse(429, R"({"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests"})",
                                              {{"Retry-After", "1"}})};
  const auto t0 = std::chrono::steady_clock::now();
  start(f);
  send(tone(200));
  finalize();
  ASSERT_TRUE(wait_finalized());
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 950ms);
  EXPECT_EQ(mock->record().connections(), 2);
  EXPECT_EQ(mock->record().audio_of(2), sent) << "audio sent while connecting is not lost";
}

TEST_F(DeepgramStt, Refused5xxEveryTimeIsReported) {
  VendorFaults f;
  for (int i = 0; i < 3; ++i) f.refusals.push_back(testing::MockWsUpgrade::refuse(503, "overloaded"));
  start(f);
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::provider_unavailable);
  EXPECT_EQ(error()->http_status(), 503);
  EXPECT_EQ(mock->record().connections(), 3);
}

TEST_F(DeepgramStt, Refused401NamesTheReasonAndNeverTheKey) {
  start({}, "");
  mock.reset();
  VendorFaults f;
  f.expected_auth = "Token something-else";
  mock = std::make_unique<VendorMock>(VendorMock::Vendor::deepgram_listen, f);
  auto made = deepgram::make_stt({.runtime = loop.rt.get()},
                                 testing::config(R"({"base_url":")" + mock->base_url() + R"(","api_key_env":")" +
                                                 kKeyEnv + R"("})"),
                                 "stt");
  ASSERT_TRUE(made.ok());
  RecordingSttObserver o2(loop.strand);
  std::unique_ptr<SttStream> s2;
  loop.on_strand([&] { s2 = std::move((*made)->open({.strand = loop.strand}, {.format = format}, o2)).value(); });
  ASSERT_TRUE(loop.run_until([&] { return o2.errors() > 0; }));
  const Error e = o2.of(SttEvent::Kind::error)[0].error;
  EXPECT_EQ(e.code(), errc::provider_auth);
  EXPECT_NE(e.message().find("Invalid credentials."), std::string::npos) << e.message();
  EXPECT_EQ(e.to_string().find(kKey), std::string::npos);
  EXPECT_EQ(mock->record().connections(), 1) << "401 is not retried";
  loop.on_strand([&] { s2.reset(); });
}

TEST_F(DeepgramStt, UtteranceEndBelow1000IsAConfigError) {
  auto made = deepgram::make_stt({}, testing::config(R"({"base_url":"ws://127.0.0.1:1","utterance_end_ms":900})"), "agent.stt");
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message().find("agent.stt.utterance_end_ms"), std::string::npos) << made.error().message();
}

TEST_F(DeepgramStt, NoKeyForTheVendorHostIsAConfigError) {
  ::unsetenv("DEEPGRAM_API_KEY");
  auto made = deepgram::make_stt({}, testing::config(R"({})"), "agent.stt");
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message().find("DEEPGRAM_API_KEY"), std::string::npos) << made.error().message();
}

TEST_F(DeepgramStt, GarbageFrameIsAClearProtocolError) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 3;
  f.kind = VendorFaults::Kind::garbage;
  start(f);
  send(tone(200));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::provider_protocol);
  EXPECT_NE(error()->message().find("deepgram sent a message that is not JSON"), std::string::npos)
      << error()->message();
  EXPECT_NE(error()->message().find("this is {not json"), std::string::npos);
}

TEST_F(DeepgramStt, ResultsWithoutAlternativesAreAProtocolError) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 1;
  f.kind = VendorFaults::Kind::garbage;
  f.garbage = R"({"type":"Results","is_final":true,"channel":{}})";
  start(f);
  send(tone(40));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_NE(error()->message().find("Results without channel.alternatives"), std::string::npos) << error()->message();
}

TEST_F(DeepgramStt, UnknownMessageTypesAndSlowStartsAreTolerated) {
  VendorFaults f;
  f.unknown_message = true;
  f.accept_delay_ms = 300;
  f.first_message_delay_ms = 300;
  start(f);
  send(tone(400));
  finalize();
  ASSERT_TRUE(wait_finalized());
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(all_text(), "hellohello");
}

TEST_F(DeepgramStt, SlowAcceptBeyondTheConnectTimeoutFails) {
  VendorFaults f;
  f.accept_delay_ms = 2000;
  start(f, R"(,"connect_timeout_ms":200)");
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::timeout);
  EXPECT_NE(error()->message().find("timed out after 200 ms"), std::string::npos) << error()->message();
}

TEST(DeepgramSttVirtualTime, IsRefused) {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  auto strand = rt->make_strand("s");
  auto stt = deepgram::make_stt({}, testing::config(R"({"base_url":"ws://127.0.0.1:1"})"), "stt").value();
  RecordingSttObserver obs(strand);
  auto r = stt->open({.strand = strand}, {}, obs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::not_supported);
}

// ------------------------------------------------------------------ contract
std::unique_ptr<VendorMock> g_contract_mock;

using loqui::testing::SttContract;
using loqui::testing::SttContractParam;
INSTANTIATE_TEST_SUITE_P(
    Deepgram, SttContract,
    ::testing::Values(SttContractParam{
        .name = "deepgram",
        .make =
            [](const ProviderContext& ctx) {
              if (!g_contract_mock) g_contract_mock = std::make_unique<VendorMock>(VendorMock::Vendor::deepgram_listen);
              return deepgram::make_stt(
                  ctx, testing::config(R"({"base_url":")" + g_contract_mock->base_url() + R"("})"), "stt");
            },
        .options = {.format = AudioFormat::pcm16(16000)},
        .speech = {},
        .expect_text = true,
        .timing = {.time = TimeMode::real_time, .timeout = 10s, .settle = 300ms}}),
    loqui::testing::ContractName());

}  // namespace
}  // namespace loqui
