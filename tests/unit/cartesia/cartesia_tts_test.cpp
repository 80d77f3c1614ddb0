// SPDX-License-Identifier: Apache-2.0
// File: TTS `cartesia` against the /tts/websocket mock: one context per utterance
// with identical fields and continue:true/false, Cartesia-Version and X-API-Key,
// base64 chunks, word timestamps, done; barge-in with cancel and chunks of the
// cancelled context dropped; vendor error messages, bad base64, garbage, a missing
// voice, 5xx on the upgrade. Plus the TtsContract suite.
#include <gtest/gtest.h>

#include "json/rapidjson.hpp"
#include "providers/cartesia/cartesia.hpp"
#include "support/provider_contract.hpp"
#include "support/ws_tts_harness.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::TtsEvent;
using testing::VendorFaults;
using testing::VendorMock;
namespace rj = loqui_rapidjson;

constexpr const char* kKeyEnv = "LOQUI_TEST_CARTESIA_KEY";

struct CartesiaTts : testing::WsTtsFixture {
  void SetUp() override { ::setenv(kKeyEnv, "cartesia-secret-77", 1); }
  void go(VendorFaults f = {}, const std::string& extra = R"(,"voice":"voice-123")") {
    f.expected_auth = "cartesia-secret-77";
    start(VendorMock::Vendor::cartesia, &cartesia::make_tts, std::string(R"(,"api_key_env":")") + kKeyEnv + "\"" + extra,
          std::move(f));
  }
  // The requests the mock got on connection 1, parsed.
  std::vector<rj::Document> requests() {
    std::vector<rj::Document> out;
    for (const auto& t : mock->record().texts_of(1)) {
      out.emplace_back();
      out.back().Parse(t.c_str());
    }
    return out;
  }
};

std::string str(const rj::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

TEST_F(CartesiaTts, OneContextPerUtteranceWithIdenticalFields) {
  go();
  say("Hello ", false);
  say("there.");
  say("Bye.");
  ASSERT_TRUE(wait_dones(2));
  ASSERT_EQ(obs.errors(), 0) << error()->to_string();
  EXPECT_EQ(obs.violations(), 0);
  const auto req = mock->server().requests().at(0);
  EXPECT_EQ(req.path(), "/tts/websocket");
  EXPECT_EQ(req.header("Cartesia-Version"), "2025-04-16");
  EXPECT_EQ(req.header("X-API-Key"), "cartesia-secret-77");
  auto r = requests();
  ASSERT_EQ(r.size(), 5u);  // "Hello ", "there.", end; "Bye.", end
  EXPECT_EQ(str(r[0], "context_id"), "call-1-1");
  EXPECT_EQ(str(r[0], "transcript"), "Hello ");
  EXPECT_TRUE(r[0]["continue"].GetBool());
  EXPECT_EQ(str(r[1], "transcript"), "there.");
  EXPECT_EQ(str(r[2], "transcript"), "");
  EXPECT_FALSE(r[2]["continue"].GetBool());
  EXPECT_EQ(str(r[3], "context_id"), "call-1-2");
  EXPECT_EQ(str(r[0], "model_id"), "sonic-2");
  EXPECT_EQ(str(r[0]["voice"], "id"), "voice-123");
  EXPECT_EQ(str(r[0]["output_format"], "encoding"), "pcm_s16le");
  EXPECT_EQ(r[0]["output_format"]["sample_rate"].GetInt(), 16000);
  ASSERT_EQ(obs.utterances.size(), 2u);
  EXPECT_EQ(static_cast<std::int64_t>(obs.utterances[0].size()), expected_samples("Hello there.", 16000));
  EXPECT_EQ(static_cast<std::int64_t>(obs.utterances[1].size()), expected_samples("Bye.", 16000));
  const auto words = obs.words();
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0].word, "Hello");
  EXPECT_EQ(words[1].word, "there.");
  EXPECT_EQ(words[1].start, 48ms);  // 6 characters x 8 ms
}

TEST_F(CartesiaTts, CancelDropsTheContextAndTheNextUtteranceIsClean) {
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
  bool cancelled = false;
  for (const auto& d : requests())
    if (d.HasMember("cancel")) cancelled = str(d, "context_id") == "call-1-1" && d["cancel"].GetBool();
  EXPECT_TRUE(cancelled);
}

TEST_F(CartesiaTts, VendorErrorIsReportedWithStatusAndMessage) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 2;
  f.kind = VendorFaults::Kind::garbage;
  f.garbage = R"({"type":"error","context_id":"call-1-1","done":true,"status_code":500,"title":"Internal error","message":"model overloaded","error_code":"internal"})";
  go(f);
  say(std::string(100, 'x'));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::provider_unavailable);
  EXPECT_EQ(error()->provider(), "cartesia");
  EXPECT_NE(error()->message().find("cartesia reported an error 500 internal: Internal error: model overloaded"),
            std::string::npos)
      << error()->message();
}

TEST_F(CartesiaTts, BadBase64IsAProtocolError) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 1;
  f.kind = VendorFaults::Kind::garbage;
  f.garbage = R"({"type":"chunk","context_id":"call-1-1","data":"@@not base64@@","done":false})";
  go(f);
  say(std::string(100, 'y'));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_EQ(error()->code(), errc::provider_protocol);
  EXPECT_NE(error()->message().find("not valid base64"), std::string::npos) << error()->message();
}

TEST_F(CartesiaTts, GarbageIsAProtocolErrorNamingCartesia) {
  VendorFaults f;
  f.on_connection = 1;
  f.after_frames = 1;
  f.kind = VendorFaults::Kind::garbage;
  go(f);
  say(std::string(100, 'z'));
  ASSERT_TRUE(loop.run_until([&] { return obs.errors() > 0; }));
  EXPECT_NE(error()->message().find("cartesia sent a message that is not JSON"), std::string::npos) << error()->message();
}

TEST_F(CartesiaTts, Refused5xxIsRetried) {
  VendorFaults f;
  f.refusals = {testing::MockWsUpgrade::refuse(502, "bad gateway")};
  go(f);
  say("Hello.");
  ASSERT_TRUE(wait_dones(1));
  EXPECT_EQ(obs.errors(), 0);
  EXPECT_EQ(mock->record().connections(), 2);
}

TEST_F(CartesiaTts, MissingVoiceIsRefusedAtOpen) {
  mock = std::make_unique<VendorMock>(VendorMock::Vendor::cartesia);
  auto made = cartesia::make_tts({}, testing::config(R"({"base_url":")" + mock->base_url() + R"("})"), "tts");
  ASSERT_TRUE(made.ok());
  loop.on_strand([&] {
    auto r = (*made)->open({.strand = loop.strand}, options, obs);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), errc::invalid_argument);
    EXPECT_NE(r.error().message().find("no voice id"), std::string::npos);
  });
}

std::unique_ptr<VendorMock> g_mock;
using loqui::testing::TtsContract;
using loqui::testing::TtsContractParam;
INSTANTIATE_TEST_SUITE_P(
    Cartesia, TtsContract,
    ::testing::Values(TtsContractParam{
        .name = "cartesia",
        .make =
            [](const ProviderContext& ctx) {
              if (!g_mock) g_mock = std::make_unique<VendorMock>(VendorMock::Vendor::cartesia);
              return cartesia::make_tts(
                  ctx, testing::config(R"({"base_url":")" + g_mock->base_url() + R"(","voice":"v1"})"), "tts");
            },
        .options = {.format = AudioFormat::pcm16(24000)},
        .timing = {.time = TimeMode::real_time, .timeout = 10s, .settle = 200ms}}),
    loqui::testing::ContractName());

}  // namespace
}  // namespace loqui
