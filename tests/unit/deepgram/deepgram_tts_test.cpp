// SPDX-License-Identifier: Apache-2.0
// File: TTS `deepgram` (Aura, WebSocket /v1/speak) against the mock: Speak/Flush,
// binary audio split mid-sample, Flushed = done, mulaw output without resampling,
// Clear with stale frames dropped until Cleared, Warning never fatal, Close on
// cancel, and the faults: a drop mid-utterance (clear error), 429 + Retry-After,
// garbage. Plus the TtsContract suite.
#include <gtest/gtest.h>

#include "providers/deepgram/deepgram.hpp"
#include "support/provider_contract.hpp"
#include "support/ws_tts_harness.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::TtsEvent;
using testing::VendorFaults;
using testing::VendorMock;

constexpr const char* kKeyEnv = "LOQUI_TEST_DEEPGRAM_TTS_KEY";

struct DeepgramTts : testing::WsTtsFixture {
  void SetUp() override { ::setenv(kKeyEnv, "dg-tts-secret-99", 1); }
  void go(VendorFaults f = {}, testing::TtsMockOptions o = {}, const std::string& extra = "") {
    start(VendorMock::Vendor::deepgram_speak, &deepgram::make_tts,
          std::string(R"(,"api_key_env":")") + kKeyEnv + "\"" + extra, std::move(f), o);
  }
};

TEST_F(DeepgramTts, SpeaksAnUtteranceAndEndsOnFlushed) {
  go();
  say("Hello ", false);
  say("there.");
  ASSERT_TRUE(wait_dones(1));
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  EXPECT_EQ(obs.violations(), 0);
  EXPECT_EQ(samples_since(0), expected_samples("Hello there.", 16000)) << "every sample, none split or lost";
  const auto req = mock->server().requests().at(0);
  EXPECT_EQ(req.path(), "/v1/speak");
  EXPECT_EQ(req.query("model"), "aura-2-thalia-en");
  EXPECT_EQ(req.query("encoding"), "linear16");
  EXPECT_EQ(req.query("sample_rate"), "16000");
  EXPECT_EQ(req.header("Authorization"), "Token dg-tts-secret-99");
  EXPECT_EQ(mock->record().texts_of(1),
            (std::vector<std::string>{R"({"type":"Speak","text":"Hello "})", R"({"type":"Speak","text":"there."})",
                                      R"({"type":"Flush"})"}));
  EXPECT_EQ(obs.events.back().kind, TtsEvent::Kind::done);
}

TEST_F(DeepgramTts, PrewarmConnectsAtOpenAndTheUtteranceUsesThatConnection) {
  go();
  ASSERT_TRUE(loop.run_until([&] { return mock->server().upgrades_accepted() == 1; }));
  say("Hi.");
  ASSERT_TRUE(wait_dones(1));
  EXPECT_EQ(mock->record().connections(), 1);
}

TEST_F(DeepgramTts, MulawForTelephonyComesStraightFromTheVendor) {
  options.format = AudioFormat::mulaw8k();
  go();
  say("Press one.");
  ASSERT_TRUE(wait_dones(1));
  ASSERT_EQ(obs.errors(), 0);
  EXPECT_EQ(mock->server().requests().at(0).query("encoding"), "mulaw");
  EXPECT_EQ(mock->server().requests().at(0).query("sample_rate"), "8000");
  for (const auto& e : obs.of(TtsEvent::Kind::audio)) EXPECT_EQ(e.format, AudioFormat::mulaw8k());
  EXPECT_EQ(samples_since(0), expected_samples("Press one.", 8000));
}

TEST_F(DeepgramTts, ClearDropsTheRestAndTheNextUtteranceIsClean) {
  go();
  say(std::string(300, 'a'));
  ASSERT_TRUE(wait_audio());
  clear();
  const std::size_t at_clear = obs.events.size();
  loop.run_for(150ms);
  EXPECT_EQ(obs.events.size(), at_clear) << "audio of the cleared utterance arrived";
  say("Next.");
  ASSERT_TRUE(wait_dones(1));
  ASSERT_EQ(obs.errors(), 0);
  EXPECT_EQ(samples_since(at_clear), expected_samples("Next.", 16000)) << "stale frames leaked into the next utterance";
  const auto texts = mock->record().texts_of(1);
  EXPECT_NE(std::find(texts.begin(), texts.end(), R"({"type":"Clear"})"), texts.end());
}

TEST_F(DeepgramTts, WarningIsNeverFatal) {
  testing::TtsMockOptions o;
  o.flush_budget = 1;
  go({}, o);
  say("One.");
  say("Two.");
  say("Three.");
  ASSERT_TRUE(wait_dones(3));
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(obs.dones(), 3);
}

TEST_F(DeepgramTts, CancelSendsCloseAndStopsCallbacks) {
  go();
  say(std::string(200, 'b'));
  ASSERT_TRUE(wait_audio());
  loop.on_strand([&] {
    stream->cancel();
    obs.cancelled = true;
  });
  loop.run_for(100ms);
  EXPECT_EQ(obs.after_cancel, 0);
  const auto texts = mock->record().texts_of(1);
  EXPECT_EQ(texts.back(), R"({"type":"Close"})");
}

TEST_F(DeepgramTts, DropMidUtteranceIsAClearError) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 3;
  f.kind = VendorFaults::Kind::drop;
  go(f);
  say(std::string(200, 'c'));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_TRUE(error()->retryable());
  EXPECT_EQ(error()->provider(), "deepgram");
  EXPECT_NE(error()->message().find("ms of the utterance's audio"), std::string::npos) << error()->message();
  loop.on_strand([&] { EXPECT_EQ(stream->send_text("x").error().code(), errc::closed); });
}

TEST_F(DeepgramTts, DropBeforeAnyAudioResendsTheUtteranceOnANewConnection) {
  VendorFaults f;
  f.drop_on_first_text = 1;
  go(f);
  say("Hello ", false);
  say("again.");
  ASSERT_TRUE(wait_dones(1));
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  EXPECT_EQ(mock->record().connections(), 2);
  EXPECT_EQ(samples_since(0), expected_samples("Hello again.", 16000));
  // The whole utterance is resent on the new connection, then flushed. Whether
  // the resend is one Speak message or the original pieces depends on whether
  // the second piece was queued before the drop was noticed: both are right.
  const auto texts = mock->record().texts_of(2);
  ASSERT_FALSE(texts.empty());
  EXPECT_EQ(texts.back(), R"({"type":"Flush"})");
  std::string spoken;
  for (std::size_t i = 0; i + 1 < texts.size(); ++i) {
    auto j = Json::parse(texts[i]);
    ASSERT_TRUE(j.ok()) << texts[i];
    EXPECT_EQ(j->find("type")->as_string(), "Speak") << texts[i];
    spoken += j->find("text")->as_string();
  }
  EXPECT_EQ(spoken, "Hello again.");
}

TEST_F(DeepgramTts, Refused429IsRetriedAfterRetryAfter) {
  VendorFaults f;
  f.refusals = {testing::MockWsUpgrade::refuse(429, "", {{"Retry-After", "1"}})};
  const auto t0 = std::chrono::steady_clock::now();
  go(f);
  say("Hello.");
  ASSERT_TRUE(wait_dones(1));
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 950ms);
}

TEST_F(DeepgramTts, GarbageIsAProtocolErrorNamingDeepgram) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 2;
  f.kind = VendorFaults::Kind::garbage;
  go(f);
  say(std::string(100, 'd'));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::provider_protocol);
  EXPECT_NE(error()->message().find("deepgram sent a message that is not JSON"), std::string::npos) << error()->message();
}

std::unique_ptr<VendorMock> g_mock;
using loqui::testing::TtsContract;
using loqui::testing::TtsContractParam;
INSTANTIATE_TEST_SUITE_P(
    Deepgram, TtsContract,
    ::testing::Values(TtsContractParam{
        .name = "deepgram",
        .make =
            [](const ProviderContext& ctx) {
              if (!g_mock) g_mock = std::make_unique<VendorMock>(VendorMock::Vendor::deepgram_speak);
              return deepgram::make_tts(ctx, testing::config(R"({"base_url":")" + g_mock->base_url() + R"("})"), "tts");
            },
        .options = {.format = AudioFormat::pcm16(24000)},
        .timing = {.time = TimeMode::real_time, .timeout = 10s, .settle = 200ms}}),
    loqui::testing::ContractName());

}  // namespace
}  // namespace loqui
