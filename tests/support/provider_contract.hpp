// SPDX-License-Identifier: Apache-2.0
// File: the provider contract tests, reusable by any provider (built-in or
// third-party): value-parameterised GoogleTest suites (SttContract, LlmContract,
// TtsContract) that check the observer contract of loqui/provider/common.hpp:
// callbacks only on the session strand, never inside the consumer's call, never
// after cancel() or destruction, exactly one terminal event per operation,
// formats honoured, cancel() idempotent, closed streams refuse calls.
//
// Use: link the `loqui_provider_contract` object library into a test and
// instantiate the suite with a factory for your provider:
//
// @code
//   // tests/unit/myvendor/CMakeLists.txt:
//   //   loqui_add_test(myvendor_contract_test SOURCES contract_test.cpp
//   //                  LIBS loqui_provider_contract LABELS myvendor)
//   #include "support/provider_contract.hpp"
//   namespace {
//   using loqui::testing::TtsContract;        // the suite name must be unqualified
//   using loqui::testing::TtsContractParam;
//   INSTANTIATE_TEST_SUITE_P(MyVendor, TtsContract,
//       ::testing::Values(TtsContractParam{
//           .name = "myvendor",
//           .make = [](const loqui::ProviderContext& ctx) { return make_my_tts(ctx); },
//           .options = {.format = loqui::AudioFormat::pcm16(24000)}}),
//       loqui::testing::ContractName());
//   }  // namespace
// @endcode
//
// Every call into the provider runs inside a task on the session strand (as in
// production) and the runtime is driven by the suite: under virtual time it
// advances the clock, under real time (network or threaded providers) it polls.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"
#include "loqui/provider/tts.hpp"

namespace loqui::testing {

/// Common knobs of a contract instantiation.
struct ContractTiming {
  /// Virtual time suits providers timed by strand timers; real time those with
  /// threads or sockets (the suite polls the loop on the test thread).
  TimeMode time = TimeMode::virtual_time;
  /// The longest the suite waits for an outcome (virtual or real time).
  Duration timeout = std::chrono::seconds(20);
  /// How long the suite keeps running after cancel() to see that nothing arrives.
  Duration settle = std::chrono::seconds(2);
};

struct SttContractParam {
  std::string name;  ///< test-name suffix: letters, digits, underscores
  std::function<Result<std::shared_ptr<SpeechToText>>(const ProviderContext&)> make;
  SttStreamOptions options;
  /// A short utterance in options.format (pcm16), followed by silence. Default:
  /// 800 ms of a 300 Hz tone then 400 ms of silence (enough for mock providers;
  /// real recognisers want real speech, e.g. espeak-ng output).
  std::function<std::vector<std::int16_t>(const AudioFormat&)> speech;
  bool expect_text = true;  ///< the final for `speech` must have non-empty text
  ContractTiming timing;
};

struct LlmContractParam {
  std::string name;
  std::function<Result<std::shared_ptr<LanguageModel>>(const ProviderContext&)> make;
  /// Default: a system prompt and "Hello, who are you?".
  std::optional<LlmRequest> request;
  ContractTiming timing;
};

struct TtsContractParam {
  std::string name;
  std::function<Result<std::shared_ptr<TextToSpeech>>(const ProviderContext&)> make;
  TtsStreamOptions options;
  std::string text = "Hello there. This is a contract test of the speech synthesiser.";
  /// false: open() refuses a format the capabilities do not list (format_mismatch).
  /// true: open() takes any format and the stream reports one it does list through
  /// output_format() (TtsStreamOptions::format is a wish; the session converts),
  /// as the `openai` TTS does with its fixed 24 kHz output.
  bool substitutes_unlisted_formats = false;
  ContractTiming timing;
};

/// Names instantiations by their `name` field.
struct ContractName {
  template <class P>
  std::string operator()(const ::testing::TestParamInfo<P>& info) const {
    return info.param.name.empty() ? std::to_string(info.index) : info.param.name;
  }
};

/// A runtime (virtual or real time, driven by the test thread) with one strand.
class ContractRuntime {
 public:
  explicit ContractRuntime(const ContractTiming& timing);
  ~ContractRuntime();
  const std::shared_ptr<Strand>& strand() const noexcept { return strand_; }
  Runtime& runtime() noexcept { return *rt_; }
  SessionContext session() const { return {.strand = strand_, .session_id = "contract"}; }
  ProviderContext provider_context() { return {.runtime = rt_.get()}; }

  /// Runs `fn` inside a task on the strand and waits until it ran.
  void on_strand(const std::function<void()>& fn);
  /// Drives the loop until `done()` or the timeout; returns done().
  bool run_until(const std::function<bool()>& done);
  /// Drives the loop for the settle time.
  void settle();

 private:
  void drive_step();
  ContractTiming timing_;
  std::unique_ptr<Runtime> rt_;
  std::shared_ptr<Strand> strand_;
};

class SttContract : public ::testing::TestWithParam<SttContractParam> {};
class LlmContract : public ::testing::TestWithParam<LlmContractParam> {};
class TtsContract : public ::testing::TestWithParam<TtsContractParam> {};

}  // namespace loqui::testing
