// SPDX-License-Identifier: Apache-2.0
// File: a provider plugin for the registry tests, built as a shared library
// (MODULE) in several variants: the right ABI, an older and a newer ABI, and one
// without the entry point. It registers an LLM "echo" that answers with the last
// user message, so the test can run code that lives in the plugin.
#include <memory>
#include <string>

#include "loqui/config.hpp"
#include "loqui/provider/plugin.hpp"

namespace {

class EchoSession final : public loqui::LlmSession {
 public:
  explicit EchoSession(std::shared_ptr<loqui::Strand> strand) : strand_(std::move(strand)) {}
  ~EchoSession() override { cancel(); }

  loqui::Status generate(const loqui::LlmRequest& request, loqui::LlmObserver& observer) override {
    if (busy_) return loqui::Error(loqui::errc::invalid_argument, "echo: busy");
    std::string text = request.messages.empty() ? std::string() : request.messages.back().content;
    busy_ = true;
    // Results go through the strand, never inside generate().
    auto r = strand_->call_after(loqui::Duration::zero(), [this, &observer, t = std::make_shared<std::string>(text)] {
      pending_ = {};
      busy_ = false;
      observer.on_text(*t);
      observer.on_done(loqui::FinishReason::stop);
    });
    if (!r) {
      busy_ = false;
      return std::move(r).error();
    }
    pending_ = *r;
    return loqui::ok_status();
  }
  void cancel() noexcept override {
    if (pending_) strand_->cancel(pending_);
    pending_ = {};
    busy_ = false;
  }
  bool busy() const noexcept override { return busy_; }

 private:
  std::shared_ptr<loqui::Strand> strand_;
  loqui::TimerId pending_{};
  bool busy_ = false;
};

class Echo final : public loqui::LanguageModel {
 public:
  explicit Echo(std::string greeting) { info_.description = std::move(greeting); }
  const loqui::ProviderInfo& info() const noexcept override { return info_; }
  const loqui::LlmCapabilities& capabilities() const noexcept override { return caps_; }
  loqui::Result<std::unique_ptr<loqui::LlmSession>> open(const loqui::SessionContext& session) override {
    return std::unique_ptr<loqui::LlmSession>(new EchoSession(session.strand));
  }

 private:
  loqui::ProviderInfo info_{loqui::ProviderKind::llm, "echo", "", false};
  loqui::LlmCapabilities caps_{.context_tokens = 64};
};

[[maybe_unused]] loqui::Status register_into(loqui::Registry& registry) {
  return registry.add_llm(
      "echo", "answers with the last message (test plugin)",
      [](const loqui::ProviderContext&, const loqui::Json& config,
         std::string_view path) -> loqui::Result<std::shared_ptr<loqui::LanguageModel>> {
        loqui::ConfigErrors errors;
        loqui::ConfigReader r(config, std::string(path), errors);
        r.allow({"provider"});
        std::string greeting = r.get_string("greeting", "");
        LOQUI_TRY(r.finish());
        return std::shared_ptr<loqui::LanguageModel>(std::make_shared<Echo>(std::move(greeting)));
      },
      loqui::LlmCapabilities{.context_tokens = 64});
}

}  // namespace

#ifndef TEST_PLUGIN_NO_ENTRY
#ifndef TEST_PLUGIN_ABI_OFFSET
#define TEST_PLUGIN_ABI_OFFSET 0
#endif
extern "C" LOQUI_PLUGIN_EXPORT const loqui::PluginDescriptor* loqui_plugin_descriptor() {
  static const loqui::PluginDescriptor d{loqui::kPluginAbiVersion + (TEST_PLUGIN_ABI_OFFSET), "test-echo", "0.1.0",
                                         &register_into};
  return &d;
}
#else
extern "C" LOQUI_PLUGIN_EXPORT int loqui_not_a_plugin() { return 42; }
#endif
