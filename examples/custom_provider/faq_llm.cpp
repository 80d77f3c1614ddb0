// SPDX-License-Identifier: Apache-2.0
// File: the "faq" example adapter (see faq_llm.hpp and docs/writing-a-provider.md).
#include "faq_llm.hpp"

#include <algorithm>
#include <cctype>

namespace faq {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One call's session. Strand-confined: every method runs on the session strand,
// and so does every callback, because they all come from `timer_`, a Timer on
// that strand. Nothing is ever called back inside generate() or cancel().
class FaqSession final : public loqui::LlmSession {
 public:
  FaqSession(std::shared_ptr<const Options> options, std::shared_ptr<loqui::Strand> strand)
      : options_(std::move(options)), timer_(std::move(strand)) {}
  // Destroying the session cancels it: the Timer's destructor cancels its task.
  ~FaqSession() override = default;

  loqui::Status generate(const loqui::LlmRequest& request, loqui::LlmObserver& observer) override {
    if (observer_) return loqui::Error(loqui::errc::invalid_argument, "faq: a generation is already running");
    words_ = split(answer_for(request));
    next_ = 0;
    usage_ = {};
    for (const auto& m : request.messages) usage_.input_tokens += static_cast<std::int64_t>(split(m.content).size());
    observer_ = &observer;
    // The first word after a delay, on the strand: never inside this call.
    return timer_.arm(options_->first_word_delay, [this] { step(); });
  }

  void cancel() noexcept override {
    timer_.cancel();  // on the strand, a cancelled task is guaranteed not to run
    observer_ = nullptr;
  }

  bool busy() const noexcept override { return observer_ != nullptr; }

 private:
  std::string answer_for(const loqui::LlmRequest& request) const {
    // The caller's last message decides; earlier turns are context we ignore.
    auto it = std::find_if(request.messages.rbegin(), request.messages.rend(),
                           [](const loqui::ChatMessage& m) { return m.role == loqui::Role::user; });
    if (it == request.messages.rend()) return options_->fallback;
    const std::string said = lower(it->content);
    for (const auto& [keyword, answer] : options_->answers)
      if (said.find(lower(keyword)) != std::string::npos) return answer;
    return options_->fallback;
  }

  static std::vector<std::string> split(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t j = text.find(' ', i);
      if (j == std::string_view::npos) j = text.size();
      if (j > i) out.emplace_back(text.substr(i, j - i));
      i = j + 1;
    }
    return out;
  }

  void step() {
    loqui::LlmObserver* o = observer_;
    if (!o) return;
    if (next_ < words_.size()) {
      const std::string delta = (next_ == 0 ? "" : " ") + words_[next_];
      ++next_;
      ++usage_.output_tokens;
      o->on_text(delta);
      // The observer may have called cancel() inside on_text: then stop here.
      if (observer_ && !timer_.arm(options_->word_interval, [this] { step(); })) observer_ = nullptr;
      return;
    }
    o->on_usage(usage_);
    if (!observer_) return;
    observer_ = nullptr;  // before on_done: the observer may start the next generation
    o->on_done(loqui::FinishReason::stop);
  }

  std::shared_ptr<const Options> options_;
  loqui::Timer timer_;
  loqui::LlmObserver* observer_ = nullptr;  // set while a generation runs
  std::vector<std::string> words_;
  std::size_t next_ = 0;
  loqui::TokenUsage usage_;
};

}  // namespace

loqui::Result<Options> parse_options(const loqui::Json& config, std::string_view path) {
  loqui::ConfigErrors errors;
  loqui::ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});  // the Registry's key
  Options o;
  if (const loqui::Json* answers = r.get_raw("answers")) {
    if (!answers->is_object()) {
      r.error_at("answers", "expected an object of keyword: answer, found " + answers->describe());
    } else {
      for (const auto& m : answers->as_object()) {
        if (!m.value.is_string()) {
          r.error_at("answers", m.key + ": expected a string, found " + m.value.describe());
          continue;
        }
        o.answers.emplace_back(m.key, m.value.as_string());
      }
    }
  }
  o.fallback = r.get_string("fallback", o.fallback);
  const auto ms = [&](std::string_view key, loqui::Duration fallback) {
    return loqui::Duration(std::chrono::milliseconds(r.get_int(
        key, std::chrono::duration_cast<std::chrono::milliseconds>(fallback).count(), {.min = 0, .max = 10'000})));
  };
  o.first_word_delay = ms("first_word_ms", o.first_word_delay);
  o.word_interval = ms("word_interval_ms", o.word_interval);
  LOQUI_TRY(r.finish());  // every error at once, unknown keys included
  return o;
}

FaqModel::FaqModel(Options options) : options_(std::make_shared<const Options>(std::move(options))) {
  info_.kind = loqui::ProviderKind::llm;
  info_.name = "faq";
  info_.description = "answers from a keyword table (example adapter)";
  info_.needs_real_time = false;  // only strand timers: runs under virtual time
  capabilities_.tool_calling = false;
  capabilities_.reports_usage = true;
}

loqui::Result<std::unique_ptr<loqui::LlmSession>> FaqModel::open(const loqui::SessionContext& session) {
  if (!session.strand) return loqui::Error(loqui::errc::invalid_argument, "faq: the session has no strand");
  return std::unique_ptr<loqui::LlmSession>(new FaqSession(options_, session.strand));
}

loqui::Status register_faq(loqui::Registry& registry) {
  return registry.add_llm(
      "faq", "answers from a keyword table (example adapter)",
      [](const loqui::ProviderContext&, const loqui::Json& config,
         std::string_view path) -> loqui::Result<std::shared_ptr<loqui::LanguageModel>> {
        LOQUI_ASSIGN_OR_RETURN(Options options, parse_options(config, path));
        return std::shared_ptr<loqui::LanguageModel>(std::make_shared<FaqModel>(std::move(options)));
      },
      loqui::LlmCapabilities{.tool_calling = false, .reports_usage = true});
}

}  // namespace faq
