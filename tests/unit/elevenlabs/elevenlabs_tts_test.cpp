// SPDX-License-Identifier: Apache-2.0
// File: TTS `elevenlabs` against the stream-input mock: BOS (" " with
// voice_settings) first, text, end of input, base64 audio with character alignment
// turned into word timings, isFinal; one connection per utterance; barge-in drops
// the connection; the vendor's {"error":...} (input_timeout_exceeded) and garbage
// become clear errors; 429 on the upgrade is retried. Plus the TtsContract suite.
#include <gtest/gtest.h>

#include "providers/elevenlabs/elevenlabs.hpp"
#include "support/provider_contract.hpp"
#include "support/ws_tts_harness.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::TtsEvent;
using testing::VendorFaults;
using testing::VendorMock;

constexpr const char* kKeyEnv = "LOQUI_TEST_ELEVENLABS_KEY";

struct ElevenLabsTts : testing::WsTtsFixture {
  void SetUp() override { ::setenv(kKeyEnv, "xi-secret-31337", 1); }
  void go(VendorFaults f = {}) {
    f.expected_auth = "xi-secret-31337";
    start(VendorMock::Vendor::elevenlabs, &elevenlabs::make_tts,
          std::string(R"(,"voice":"voice-abc","api_key_env":")") + kKeyEnv + "\"", std::move(f));
  }
};

TEST_F(ElevenLabsTts, BosTextEndOfInputThenAudioWithAlignment) {
  go();
  say("Hello ", false);
  say("there.");
  ASSERT_TRUE(wait_dones(1));
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  EXPECT_EQ(obs.violations(), 0);
  const auto req = mock->server().requests().at(0);
  EXPECT_EQ(req.path(), "/v1/text-to-speech/voice-abc/stream-input");
  EXPECT_EQ(req.query("model_id"), "eleven_flash_v2_5");
  EXPECT_EQ(req.query("output_format"), "pcm_16000");
  EXPECT_EQ(req.header("xi-api-key"), "xi-secret-31337");
  const auto texts = mock->record().texts_of(1);
  ASSERT_EQ(texts.size(), 4u);
  EXPECT_EQ(texts[0].rfind(R"({"text":" ","voice_settings":{"stability":)", 0), 0u) << texts[0];
  EXPECT_EQ(texts[1], R"({"text":"Hello "})");
  EXPECT_EQ(texts[2], R"({"text":"there."})");
  EXPECT_EQ(texts[3], R"({"text":""})");
  EXPECT_EQ(samples_since(0), expected_samples("Hello there.", 16000));
  const auto words = obs.words();
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].word, "Hello");
  EXPECT_EQ(words[0].start, 0ms);
  EXPECT_EQ(words[1].word, "there.");
  EXPECT_EQ(words[1].start, 48ms);
}

TEST_F(ElevenLabsTts, EachUtteranceGetsItsOwnConnection) {
  go();
  say("One.");
  say("Two.");
  ASSERT_TRUE(wait_dones(2));
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(mock->record().connections(), 2);
  ASSERT_EQ(obs.utterances.size(), 2u);
  EXPECT_EQ(static_cast<std::int64_t>(obs.utterances[1].size()), expected_samples("Two.", 16000));
}

TEST_F(ElevenLabsTts, ClearDropsTheConnectionAndTheNextUtteranceIsClean) {
  go();
  say(std::string(300, 'a'));
  ASSERT_TRUE(wait_audio());
  clear();
  const std::size_t at_clear = obs.events.size();
  loop.run_for(150ms);
  EXPECT_EQ(obs.events.size(), at_clear);
  say("Next.");
  ASSERT_TRUE(wait_dones(1));
  EXPECT_EQ(samples_since(at_clear), expected_samples("Next.", 16000));
  EXPECT_EQ(mock->record().connections(), 2);
}

TEST_F(ElevenLabsTts, InputTimeoutErrorIsReportedInTheVendorsWords) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 1;
  f.kind = VendorFaults::Kind::garbage;
  f.garbage = R"({"message":"Have not received a new text input within the timeout of 20.0 seconds.","error":"input_timeout_exceeded","code":1008})";
  go(f);
  say(std::string(100, 'b'));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::timeout);
  EXPECT_NE(error()->message().find("elevenlabs reported input_timeout_exceeded: Have not received"), std::string::npos)
      << error()->message();
  EXPECT_EQ(error()->to_string().find("xi-secret-31337"), std::string::npos);
}

TEST_F(ElevenLabsTts, GarbageIsAProtocolErrorNamingElevenLabs) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 1;
  f.kind = VendorFaults::Kind::garbage;
  go(f);
  say(std::string(100, 'c'));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::provider_protocol);
  EXPECT_NE(error()->message().find("elevenlabs sent a message that is not JSON"), std::string::npos)
      << error()->message();
}

TEST_F(ElevenLabsTts, Refused429IsRetried) {
  VendorFaults f;
  f.refusals = {testing::MockWsUpgrade::refuse(429, R"({"detail":{"status":"too_many_concurrent_requests","message":"busy"}})",
                                              {{"Retry-After", "1"}})};
  const auto t0 = std::chrono::steady_clock::now();
  go(f);
  say("Hello.");
  ASSERT_TRUE(wait_dones(1));
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 950ms);
}

std::unique_ptr<VendorMock> g_mock;
using loqui::testing::TtsContract;
using loqui::testing::TtsContractParam;
INSTANTIATE_TEST_SUITE_P(
    ElevenLabs, TtsContract,
    ::testing::Values(TtsContractParam{
        .name = "elevenlabs",
        .make =
            [](const ProviderContext& ctx) {
              if (!g_mock) g_mock = std::make_unique<VendorMock>(VendorMock::Vendor::elevenlabs);
              return elevenlabs::make_tts(
                  ctx, testing::config(R"({"base_url":")" + g_mock->base_url() + R"(","voice":"v1"})"), "tts");
            },
        .options = {.format = AudioFormat::pcm16(24000)},
        .timing = {.time = TimeMode::real_time, .timeout = 10s, .settle = 200ms}}),
    loqui::testing::ContractName());

}  // namespace
}  // namespace loqui
