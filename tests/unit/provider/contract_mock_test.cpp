// SPDX-License-Identifier: Apache-2.0
// File: the provider contract suites run against the mock providers, plain and
// behind a Fallback (which must keep the same contract).
#include "loqui/provider/fallback.hpp"
#include "loqui/provider/mock.hpp"
#include "support/provider_contract.hpp"

namespace loqui::testing {
namespace {

Result<std::shared_ptr<SpeechToText>> mock_stt(const ProviderContext&) {
  MockSttOptions o;
  o.default_text = "hello contract";
  LOQUI_ASSIGN_OR_RETURN(auto p, MockSpeechToText::create(o));
  return std::shared_ptr<SpeechToText>(std::move(p));
}

Result<std::shared_ptr<SpeechToText>> fallback_stt(const ProviderContext& ctx) {
  MockSttOptions broken;
  broken.name = "broken";
  broken.failures = {{.at = 1, .mode = MockFailure::Mode::error}};
  LOQUI_ASSIGN_OR_RETURN(auto first, MockSpeechToText::create(broken));
  LOQUI_ASSIGN_OR_RETURN(auto second, mock_stt(ctx));
  LOQUI_ASSIGN_OR_RETURN(auto fb, SttFallback::create({{first, {}}, {second, {}}}));
  return std::shared_ptr<SpeechToText>(std::move(fb));
}

Result<std::shared_ptr<LanguageModel>> mock_llm(const ProviderContext&) {
  MockLlmOptions o;
  o.default_reply = {.text = "I am the contract mock."};
  LOQUI_ASSIGN_OR_RETURN(auto p, MockLanguageModel::create(o));
  return std::shared_ptr<LanguageModel>(std::move(p));
}

Result<std::shared_ptr<LanguageModel>> fallback_llm(const ProviderContext& ctx) {
  MockLlmOptions broken;
  broken.name = "broken";
  broken.failures = {{.at = 1, .mode = MockFailure::Mode::error, .after = 1}};
  LOQUI_ASSIGN_OR_RETURN(auto first, MockLanguageModel::create(broken));
  LOQUI_ASSIGN_OR_RETURN(auto second, mock_llm(ctx));
  LOQUI_ASSIGN_OR_RETURN(auto fb, LlmFallback::create({{first, {}}, {second, {}}}));
  return std::shared_ptr<LanguageModel>(std::move(fb));
}

Result<std::shared_ptr<TextToSpeech>> mock_tts(const ProviderContext&) {
  LOQUI_ASSIGN_OR_RETURN(auto p, MockTextToSpeech::create({}));
  return std::shared_ptr<TextToSpeech>(std::move(p));
}

Result<std::shared_ptr<TextToSpeech>> fallback_tts(const ProviderContext& ctx) {
  MockTtsOptions broken;
  broken.name = "broken";
  broken.failures = {{.at = 1, .mode = MockFailure::Mode::error, .after = 2}};
  LOQUI_ASSIGN_OR_RETURN(auto first, MockTextToSpeech::create(broken));
  LOQUI_ASSIGN_OR_RETURN(auto second, mock_tts(ctx));
  LOQUI_ASSIGN_OR_RETURN(auto fb, TtsFallback::create({{first, {}}, {second, {}}}));
  return std::shared_ptr<TextToSpeech>(std::move(fb));
}

INSTANTIATE_TEST_SUITE_P(Providers, SttContract,
                         ::testing::Values(SttContractParam{.name = "mock", .make = mock_stt},
                                           SttContractParam{.name = "mock_fallback", .make = fallback_stt},
                                           SttContractParam{.name = "mock_8k",
                                                            .make = mock_stt,
                                                            .options = {.format = AudioFormat::pcm16(8000)}},
                                           SttContractParam{.name = "mock_real_time",
                                                            .make = mock_stt,
                                                            .timing = {.time = TimeMode::real_time,
                                                                       .settle = std::chrono::milliseconds(300)}}),
                         ContractName());

INSTANTIATE_TEST_SUITE_P(Providers, LlmContract,
                         ::testing::Values(LlmContractParam{.name = "mock", .make = mock_llm},
                                           LlmContractParam{.name = "mock_fallback", .make = fallback_llm},
                                           LlmContractParam{.name = "mock_real_time",
                                                            .make = mock_llm,
                                                            .timing = {.time = TimeMode::real_time,
                                                                       .settle = std::chrono::milliseconds(300)}}),
                         ContractName());

INSTANTIATE_TEST_SUITE_P(Providers, TtsContract,
                         ::testing::Values(TtsContractParam{.name = "mock", .make = mock_tts},
                                           TtsContractParam{.name = "mock_fallback", .make = fallback_tts},
                                           TtsContractParam{.name = "mock_48k",
                                                            .make = mock_tts,
                                                            .options = {.format = AudioFormat::pcm16(48000)}}),
                         ContractName());

}  // namespace
}  // namespace loqui::testing
