// SPDX-License-Identifier: Apache-2.0
// File: a host that registers the "faq" example adapter in code, builds it from a
// JSON config through the Registry, and holds a two-turn conversation with it
// under virtual time, printing what arrives and when.
#include <cstdio>

#include <loqui/loqui.hpp>

#include "faq_llm.hpp"

namespace {

class Printer final : public loqui::LlmObserver {
 public:
  explicit Printer(loqui::Strand& strand) : strand_(strand) {}
  void on_text(std::string_view delta) override {
    if (text_.empty()) std::printf("  first word at %.0f ms\n", loqui::to_ms(strand_.now()));
    text_ += delta;
  }
  void on_tool_call(const loqui::ToolCall&) override {}
  void on_done(loqui::FinishReason) override {
    std::printf("  agent: %s (done at %.0f ms)\n", text_.c_str(), loqui::to_ms(strand_.now()));
    text_.clear();
    done = true;
  }
  void on_error(const loqui::Error& e) override {
    std::printf("  error: %s\n", e.to_string().c_str());
    done = true;
  }
  bool done = false;

 private:
  loqui::Strand& strand_;
  std::string text_;
};

}  // namespace

int main() {
  loqui::Registry registry;
  loqui::register_builtin_providers(registry);
  if (auto s = faq::register_faq(registry); !s) {
    std::fprintf(stderr, "%s\n", s.error().to_string().c_str());
    return 1;
  }
  auto config = loqui::Json::parse(R"({"provider": "faq",
      "answers": {"hours": "We are open nine to five, Monday to Friday.",
                  "park": "There is free parking behind the building."}})");
  auto rt = loqui::Runtime::create({.threads = 0, .time = loqui::TimeMode::virtual_time});
  if (!config || !rt) return 1;
  auto llm = registry.make_llm({.runtime = rt->get()}, *config);
  if (!llm) {
    std::fprintf(stderr, "%s\n", llm.error().to_string().c_str());
    return 1;
  }
  auto strand = (*rt)->make_strand("call-1");
  auto session = (*llm)->open({.strand = strand, .session_id = "call-1"});
  if (!session) return 1;

  for (const char* said : {"What are your opening hours?", "Can I park there?"}) {
    std::printf("caller: %s\n", said);
    loqui::LlmRequest request;
    request.messages.push_back({.role = loqui::Role::user, .content = said});
    Printer printer(*strand);
    if (auto s = (*session)->generate(request, printer); !s) return 1;
    (void)(*rt)->run_until_quiet((*rt)->now() + std::chrono::seconds(10));
    if (!printer.done) return 1;
  }
  return 0;
}
