// SPDX-License-Identifier: Apache-2.0
// File: the provider contract suites (support/provider_contract.hpp) for the
// `openai` LLM, STT and TTS adapters, against one in-process mock server that
// speaks the three endpoints: /chat/completions streams an OpenAI-dialect SSE
// reply in paced events, /audio/transcriptions answers JSON text, /audio/speech
// streams pcm in 20 ms pieces (so cancel, clear and destroy land mid-response).
#include <gtest/gtest.h>

#include <cstdlib>

#include "providers/openai/openai.hpp"
#include "support/mock_http_server.hpp"
#include "support/openai_sse.hpp"
#include "support/provider_contract.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::MockHttpServer;
using testing::MockRequest;
using testing::MockResponse;

constexpr const char* kKeyEnv = "LOQUI_TEST_OPENAI_CONTRACT_KEY";

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

MockResponse serve(const MockRequest& r) {
  if (r.header("authorization") != "Bearer sk-contract-0123456789")
    return MockResponse::json(401, R"({"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}})");
  if (ends_with(r.target, "/chat/completions")) {
    testing::openai_sse::Script script;
    script.text = {"Hello", ", I am", " the mock", " assistant."};
    return testing::openai_sse::response(testing::openai_sse::Dialect::openai, script, 10);
  }
  if (ends_with(r.target, "/audio/transcriptions"))
    return MockResponse::json(200, R"({"text":"hello from the mock","usage":{"type":"duration","seconds":1}})");
  if (ends_with(r.target, "/audio/speech")) {
    MockResponse resp(200);
    resp.header("Content-Type", "audio/pcm");
    for (int i = 0; i < 15; ++i) resp.body(std::string(960, '\x02')).pause_ms(5);  // 15 x 20 ms at 24 kHz
    return resp;
  }
  return MockResponse::json(404, R"({"error":{"message":"no such endpoint"}})");
}

MockHttpServer& server() {
  static MockHttpServer* s = [] {
    ::setenv(kKeyEnv, "sk-contract-0123456789", 1);
    return new MockHttpServer(serve);  // lives until exit: the suites share it
  }();
  return *s;
}

Json config(const char* model) {
  return Json::object({{"provider", Json("openai")},
                       {"base_url", Json(server().base_url() + "/v1")},
                       {"model", Json(model)},
                       {"api_key_env", Json(kKeyEnv)},
                       {"prewarm", Json(false)}});
}

constexpr testing::ContractTiming kRealTime{.time = TimeMode::real_time, .timeout = 10s, .settle = 200ms};

using loqui::testing::LlmContract;
using loqui::testing::LlmContractParam;
using loqui::testing::SttContract;
using loqui::testing::SttContractParam;
using loqui::testing::TtsContract;
using loqui::testing::TtsContractParam;

INSTANTIATE_TEST_SUITE_P(OpenAi, LlmContract,
                         ::testing::Values(LlmContractParam{
                             .name = "openai",
                             .make = [](const ProviderContext& ctx) { return openai::make_llm(ctx, config("gpt-4o-mini"), "llm"); },
                             .timing = kRealTime}),
                         loqui::testing::ContractName());

INSTANTIATE_TEST_SUITE_P(OpenAi, SttContract,
                         ::testing::Values(SttContractParam{
                             .name = "openai",
                             .make = [](const ProviderContext& ctx) {
                               return openai::make_stt(ctx, config("gpt-4o-mini-transcribe"), "stt");
                             },
                             .options = {.format = AudioFormat::pcm16(16000)},
                             .timing = kRealTime}),
                         loqui::testing::ContractName());

INSTANTIATE_TEST_SUITE_P(OpenAi, TtsContract,
                         ::testing::Values(TtsContractParam{
                             .name = "openai",
                             .make = [](const ProviderContext& ctx) { return openai::make_tts(ctx, config("gpt-4o-mini-tts"), "tts"); },
                             .options = {.format = AudioFormat::pcm16(24000)},
                             .substitutes_unlisted_formats = true,  // fixed 24 kHz; the session converts
                             .timing = kRealTime}),
                         loqui::testing::ContractName());

}  // namespace
}  // namespace loqui
