// SPDX-License-Identifier: Apache-2.0
// File: LlmFallback: one LanguageModel over an ordered list of them, switching to
// the next provider for the same generation on failure or timeout.
#include <algorithm>

#include "provider/fallback_internal.hpp"

namespace loqui {

struct LlmFallback::Impl : detail::RouteSet<LanguageModel> {};

namespace {

class FallbackLlmSession;

// Forwards one provider's callbacks to the session, tagged with the attempt they
// belong to, so output of an abandoned attempt is never passed on.
class LlmRelay final : public LlmObserver {
 public:
  FallbackLlmSession* session = nullptr;
  std::uint64_t attempt = 0;
  void on_text(std::string_view delta) override;
  void on_tool_call(const ToolCall& call) override;
  void on_usage(const TokenUsage& usage) override;
  void on_recognition_hints(const RecognitionHints& hints) override;
  void on_done(FinishReason reason) override;
  void on_error(const Error& error) override;
};

class FallbackLlmSession final : public LlmSession {
 public:
  FallbackLlmSession(std::shared_ptr<LlmFallback::Impl> impl, const SessionContext& session)
      : impl_(std::move(impl)),
        ctx_(session),
        cursor_(impl_->table),
        sessions_(impl_->providers.size()),
        relays_(impl_->providers.size()),
        watchdog_(session.strand) {
    for (auto& r : relays_) r.session = this;
  }

  ~FallbackLlmSession() override {
    cancel();
    for (auto& s : sessions_) detail::guarded_void("llm session destructor", [&] { s.reset(); });
  }

  Status generate(const LlmRequest& request, LlmObserver& observer) override {
    if (busy_) return Error(errc::invalid_argument, "llm fallback: a generation is already running");
    request_ = request;
    observer_ = &observer;
    delivered_ = false;
    busy_ = true;
    cursor_.reset();
    if (!start_next()) {
      busy_ = false;
      observer_ = nullptr;
      return cursor_.exhausted();
    }
    return ok_status();
  }

  void cancel() noexcept override {
    if (!busy_) return;
    watchdog_.cancel();
    cancel_current();
    cursor_.abandon();
    busy_ = false;
    observer_ = nullptr;
  }

  bool busy() const noexcept override { return busy_; }

  // ---- from the relays
  void text(std::uint64_t attempt, std::string_view delta) {
    if (prepare_output(attempt)) observer_->on_text(delta);
  }
  void tool_call(std::uint64_t attempt, const ToolCall& call) {
    if (!active(attempt)) return;
    if (call.name.empty()) {
      fail(Error(errc::provider_protocol, "llm '" + cursor_.route().label + "': tool call without a name")
               .set_provider(cursor_.route().label));
      return;
    }
    if (prepare_output(attempt)) observer_->on_tool_call(call);
  }
  void usage(std::uint64_t attempt, const TokenUsage& usage) {
    if (prepare_output(attempt)) observer_->on_usage(usage);
  }
  void hints(std::uint64_t attempt, const RecognitionHints& hints) {
    if (prepare_output(attempt)) observer_->on_recognition_hints(hints);
  }
  void done(std::uint64_t attempt, FinishReason reason) {
    if (!active(attempt)) return;
    watchdog_.cancel();
    if (!announce(attempt)) return;
    cursor_.succeed(ctx_.strand->now());
    ++attempt_;
    busy_ = false;
    LlmObserver* o = std::exchange(observer_, nullptr);
    o->on_done(reason);  // last: the observer may start the next generation
  }
  void error(std::uint64_t attempt, const Error& e) {
    if (!active(attempt)) return;
    Error tagged = e;
    if (tagged.provider().empty()) tagged.set_provider(cursor_.route().label);
    fail(tagged);
  }

 private:
  bool active(std::uint64_t attempt) const noexcept { return busy_ && attempt == attempt_; }

  // Reports the provider before its first output of this attempt.
  bool announce(std::uint64_t attempt) {
    if (announced_) return true;
    announced_ = true;
    observer_->on_provider(cursor_.route().label, delivered_);
    return active(attempt);
  }

  bool prepare_output(std::uint64_t attempt) {
    if (!active(attempt) || !announce(attempt)) return false;
    delivered_ = true;
    arm_watchdog(cursor_.route().options.idle_timeout, "no output for");
    return true;
  }

  void arm_watchdog(Duration limit, const char* what) {
    if (limit <= Duration::zero()) {
      watchdog_.cancel();
      return;
    }
    const std::uint64_t attempt = attempt_;
    (void)watchdog_.arm(limit, [this, attempt, limit, what] {
      if (!active(attempt)) return;
      const std::string& label = cursor_.route().label;
      fail(Error(errc::timeout, "llm '" + label + "': " + what + " " + std::to_string(limit.count() / 1'000'000) +
                                    " ms")
               .set_provider(label));
    });
  }

  // Starts the generation on the next admissible provider; false if none is left.
  bool start_next() {
    for (;;) {
      const int i = cursor_.next(ctx_.strand->now());
      if (i < 0) return false;
      const auto idx = static_cast<std::size_t>(i);
      const std::string& label = cursor_.route().label;
      ++attempt_;
      announced_ = false;
      if (!sessions_[idx]) {
        auto opened = detail::guarded("llm '" + label + "' open",
                                      [&] { return impl_->providers[idx]->open(ctx_); });
        if (!opened) {
          cursor_.fail(ctx_.strand->now(), std::move(opened).error().set_provider(label));
          continue;
        }
        sessions_[idx] = std::move(opened).value();
      }
      relays_[idx].attempt = attempt_;
      Status st = detail::guarded("llm '" + label + "' generate",
                                  [&] { return sessions_[idx]->generate(request_, relays_[idx]); });
      if (!st) {
        Error e = std::move(st).error();
        if (e.provider().empty()) e.set_provider(label);
        cursor_.fail(ctx_.strand->now(), e);
        continue;
      }
      arm_watchdog(cursor_.route().options.first_output_timeout, "no first token within");
      return true;
    }
  }

  void cancel_current() noexcept {
    const int i = cursor_.current();
    if (i >= 0 && sessions_[static_cast<std::size_t>(i)]) {
      detail::guarded_void("llm cancel", [&] { sessions_[static_cast<std::size_t>(i)]->cancel(); });
    }
  }

  // The current provider failed: try the next one for the same request, or report.
  void fail(const Error& e) {
    watchdog_.cancel();
    cancel_current();
    ++attempt_;
    cursor_.fail(ctx_.strand->now(), e);
    if (start_next()) return;
    busy_ = false;
    LlmObserver* o = std::exchange(observer_, nullptr);
    o->on_error(cursor_.exhausted());
  }

  std::shared_ptr<LlmFallback::Impl> impl_;
  SessionContext ctx_;
  detail::RouteCursor cursor_;
  std::vector<std::unique_ptr<LlmSession>> sessions_;
  std::vector<LlmRelay> relays_;
  Timer watchdog_;
  LlmRequest request_;
  LlmObserver* observer_ = nullptr;
  bool busy_ = false;
  bool announced_ = false;
  bool delivered_ = false;  // output of this generation reached the observer
  std::uint64_t attempt_ = 0;
};

void LlmRelay::on_text(std::string_view delta) { session->text(attempt, delta); }
void LlmRelay::on_tool_call(const ToolCall& call) { session->tool_call(attempt, call); }
void LlmRelay::on_usage(const TokenUsage& usage) { session->usage(attempt, usage); }
void LlmRelay::on_recognition_hints(const RecognitionHints& hints) { session->hints(attempt, hints); }
void LlmRelay::on_done(FinishReason reason) { session->done(attempt, reason); }
void LlmRelay::on_error(const Error& error) { session->error(attempt, error); }

}  // namespace

LlmFallback::~LlmFallback() = default;

Result<std::shared_ptr<LlmFallback>> LlmFallback::create(std::vector<Route<LanguageModel>> routes) {
  auto impl = std::make_shared<Impl>();
  LOQUI_ASSIGN_OR_RETURN(static_cast<detail::RouteSet<LanguageModel>&>(*impl),
                         detail::build_routes(ProviderKind::llm, std::move(routes)));
  std::shared_ptr<LlmFallback> fb(new LlmFallback());
  fb->info_ = impl->info;
  LlmCapabilities caps = impl->providers[0]->capabilities();
  for (const auto& p : impl->providers) {
    const LlmCapabilities& c = p->capabilities();
    caps.tool_calling = caps.tool_calling && c.tool_calling;
    caps.parallel_tool_calls = caps.parallel_tool_calls && c.parallel_tool_calls;
    caps.reports_usage = caps.reports_usage && c.reports_usage;
    if (c.context_tokens > 0 && (caps.context_tokens == 0 || c.context_tokens < caps.context_tokens))
      caps.context_tokens = c.context_tokens;
  }
  fb->capabilities_ = caps;
  fb->impl_ = std::move(impl);
  return fb;
}

Result<std::unique_ptr<LlmSession>> LlmFallback::open(const SessionContext& session) {
  if (!session.strand) return Error(errc::invalid_argument, "llm fallback: session has no strand");
  return std::unique_ptr<LlmSession>(new FallbackLlmSession(impl_, session));
}

std::vector<RouteHealth> LlmFallback::health(TimePoint now) const { return impl_->table.health(now); }

}  // namespace loqui
