// SPDX-License-Identifier: Apache-2.0
// File: the example adapter of docs/writing-a-provider.md: "faq", a LanguageModel
// that answers from a keyword table and streams its answer word by word on the
// session strand's timer. Small, but it keeps the whole provider contract.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <loqui/config.hpp>
#include <loqui/provider/registry.hpp>

namespace faq {

/// The provider's options, read from its JSON config.
struct Options {
  /// (keyword, answer): the first keyword found in the caller's last message wins.
  std::vector<std::pair<std::string, std::string>> answers;
  std::string fallback = "Sorry, I can only help with a few questions.";
  loqui::Duration first_word_delay = std::chrono::milliseconds(120);
  loqui::Duration word_interval = std::chrono::milliseconds(40);
};

/// Reads `{"provider": "faq", "answers": {"hours": "..."}, ...}`; unknown keys
/// are errors naming their path.
loqui::Result<Options> parse_options(const loqui::Json& config, std::string_view path);

/// The provider object: immutable after creation, shared by all sessions.
/// Thread safety: thread-safe; sessions are strand-confined.
class FaqModel final : public loqui::LanguageModel {
 public:
  explicit FaqModel(Options options);
  const loqui::ProviderInfo& info() const noexcept override { return info_; }
  const loqui::LlmCapabilities& capabilities() const noexcept override { return capabilities_; }
  loqui::Result<std::unique_ptr<loqui::LlmSession>> open(const loqui::SessionContext& session) override;

 private:
  std::shared_ptr<const Options> options_;
  loqui::ProviderInfo info_;
  loqui::LlmCapabilities capabilities_;
};

/// Adds "faq" to `registry` (in code, or from the plugin entry point).
loqui::Status register_faq(loqui::Registry& registry);

}  // namespace faq
