// SPDX-License-Identifier: Apache-2.0
// File: the example adapter of docs/writing-a-provider.md (examples/custom_provider)
// passes the LLM contract suite, and its config validation names paths, exactly
// as the guide says.
#include "../../../examples/custom_provider/faq_llm.hpp"

#include "support/provider_contract.hpp"

namespace faq {
namespace {

using loqui::testing::LlmContract;
using loqui::testing::LlmContractParam;

loqui::Result<std::shared_ptr<loqui::LanguageModel>> make(const loqui::ProviderContext&) {
  Options o;
  o.answers = {{"who", "I am the FAQ example."}};
  return std::shared_ptr<loqui::LanguageModel>(std::make_shared<FaqModel>(o));
}

INSTANTIATE_TEST_SUITE_P(Example, LlmContract,
                         ::testing::Values(LlmContractParam{.name = "faq", .make = make},
                                           LlmContractParam{.name = "faq_real_time",
                                                            .make = make,
                                                            .timing = {.time = loqui::TimeMode::real_time,
                                                                       .settle = std::chrono::milliseconds(300)}}),
                         loqui::testing::ContractName());

TEST(FaqExample, ConfigErrorsNameThePath) {
  loqui::Registry registry;
  ASSERT_TRUE(register_faq(registry).ok());
  auto bad = registry.make_llm({}, loqui::Json::parse(R"({"provider": "faq", "answers": {"hours": 9}, "delay": 1})").value());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("llm.answers: hours: expected a string, found 9"), std::string::npos)
      << bad.error().message();
  EXPECT_NE(bad.error().message().find("llm.delay: unknown key"), std::string::npos) << bad.error().message();
}

}  // namespace
}  // namespace faq
