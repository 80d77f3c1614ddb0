// SPDX-License-Identifier: Apache-2.0
// File: the mock LanguageModel: scripted replies (by turn or by the last message),
// streamed a word per token on the strand's clock, with failures on cue.
#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

#include "provider/scheduled_calls.hpp"
#include "providers/mock/mock_internal.hpp"

namespace loqui {

struct MockLanguageModel::Shared {
  MockLlmOptions options;
  mutable std::mutex mu;
  std::vector<LlmRequest> requests;
  int sessions_opened = 0;
};

namespace {

bool contains_nocase(std::string_view hay, std::string_view needle) {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != hay.end();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Tokens whose concatenation is `text`: each is leading whitespace plus a word.
std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && is_space(text[j])) ++j;
    while (j < text.size() && !is_space(text[j])) ++j;
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::int64_t count_words(std::string_view text) {
  std::int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++n;
    }
  }
  return n;
}

class MockLlmSession final : public LlmSession {
 public:
  MockLlmSession(std::shared_ptr<MockLanguageModel::Shared> shared, const SessionContext& session)
      : shared_(std::move(shared)), opt_(shared_->options), calls_(session.strand) {}
  ~MockLlmSession() override { cancel(); }

  Status generate(const LlmRequest& request, LlmObserver& observer) override {
    if (busy_) {
      return Error(errc::invalid_argument, "mock llm '" + opt_.name + "': a generation is already running");
    }
    {
      std::lock_guard lock(shared_->mu);
      shared_->requests.push_back(request);
    }
    ++turn_;
    failure_ = detail::find_mock_failure(opt_.failures, turn_);
    failure_fired_ = false;
    if (failure_ && failure_->mode == MockFailure::Mode::throw_exception) {
      throw std::runtime_error("mock llm '" + opt_.name + "': " + failure_->message);
    }
    const MockReply& reply = choose(request);
    tokens_ = tokenize(reply.text);
    tool_calls_ = reply.tool_calls;
    for (std::size_t i = 0; i < tool_calls_.size(); ++i) {
      if (tool_calls_[i].id.empty())
        tool_calls_[i].id = "call_" + std::to_string(turn_) + "_" + std::to_string(i + 1);
    }
    hints_ = reply.hints;
    finish_ = reply.finish.value_or(tool_calls_.empty() ? FinishReason::stop : FinishReason::tool_calls);
    usage_ = {};
    for (const auto& m : request.messages) {
      usage_.input_tokens += count_words(m.content) + 1;
      for (const auto& c : m.tool_calls) usage_.input_tokens += count_words(c.arguments) + 1;
    }
    step_ = 0;
    observer_ = &observer;
    busy_ = true;
    calls_.after(reply.first_token_latency.value_or(opt_.first_token_latency), [this] { next(); });
    return ok_status();
  }

  void cancel() noexcept override {
    busy_ = false;
    observer_ = nullptr;
    calls_.clear();
  }

  bool busy() const noexcept override { return busy_; }

 private:
  const MockReply& choose(const LlmRequest& request) {
    if (!request.messages.empty()) {
      const ChatMessage& last = request.messages.back();
      for (const auto& rule : opt_.rules) {
        if (!rule.user_contains.empty() && last.role == Role::user && contains_nocase(last.content, rule.user_contains))
          return rule.reply;
        if (!rule.tool_result.empty() && last.role == Role::tool && last.name == rule.tool_result) return rule.reply;
      }
    }
    if (next_reply_ < opt_.replies.size()) return opt_.replies[next_reply_++];
    return opt_.default_reply;
  }

  // Outputs in order: the text tokens, then each tool call; then hints, usage, done.
  void next() {
    if (!busy_) return;
    const std::size_t outputs = tokens_.size() + tool_calls_.size();
    // A failure strikes after `after` outputs, or at the end if there are fewer.
    if (failure_ && !failure_fired_ && (static_cast<std::size_t>(failure_->after) <= step_ || step_ == outputs)) {
      failure_fired_ = true;
      switch (failure_->mode) {
        case MockFailure::Mode::error: {
          LlmObserver* o = observer_;
          cancel();
          o->on_error(detail::mock_failure_error(*failure_, opt_.name));
          return;
        }
        case MockFailure::Mode::hang:
          calls_.clear();  // stays busy until cancel()
          return;
        case MockFailure::Mode::garbage:
          observer_->on_text(detail::kMockGarbageText);
          if (!busy_) return;
          observer_->on_tool_call(ToolCall{"call_garbage", "", "{\"unterminated"});
          if (!busy_) return;
          break;
        case MockFailure::Mode::throw_exception: break;
      }
    }
    if (step_ < outputs) {
      const std::size_t i = step_++;
      if (i < tokens_.size()) {
        ++usage_.output_tokens;
        observer_->on_text(tokens_[i]);
      } else {
        const ToolCall& call = tool_calls_[i - tokens_.size()];
        usage_.output_tokens += count_words(call.arguments) + 1;
        observer_->on_tool_call(call);
      }
      if (!busy_) return;  // cancelled from inside the callback
      const Duration interval(static_cast<std::int64_t>(1e9 / opt_.tokens_per_second));
      calls_.after(step_ < outputs ? interval : Duration::zero(), [this] { next(); });
      return;
    }
    LlmObserver* o = observer_;
    if (hints_) {
      o->on_recognition_hints(*hints_);
      if (!busy_) return;
    }
    o->on_usage(usage_);
    if (!busy_) return;
    busy_ = false;
    observer_ = nullptr;
    o->on_done(finish_);  // last: the observer may start the next generation
  }

  std::shared_ptr<MockLanguageModel::Shared> shared_;
  const MockLlmOptions& opt_;
  detail::ScheduledCalls calls_;
  LlmObserver* observer_ = nullptr;
  bool busy_ = false;
  int turn_ = 0;
  std::size_t next_reply_ = 0;
  const MockFailure* failure_ = nullptr;
  bool failure_fired_ = false;
  std::vector<std::string> tokens_;
  std::vector<ToolCall> tool_calls_;
  std::optional<RecognitionHints> hints_;
  FinishReason finish_ = FinishReason::stop;
  TokenUsage usage_;
  std::size_t step_ = 0;
};

}  // namespace

MockLanguageModel::MockLanguageModel(MockLlmOptions options) : shared_(std::make_shared<Shared>()) {
  info_.kind = ProviderKind::llm;
  info_.name = options.name;
  info_.description = "mock language model";
  capabilities_ = options.capabilities;
  shared_->options = std::move(options);
}

Result<std::shared_ptr<MockLanguageModel>> MockLanguageModel::create(MockLlmOptions options) {
  LOQUI_TRY(detail::validate_mock_common("llm", options.name, {16000}, options.failures));
  if (!(options.tokens_per_second > 0)) {
    return Error(errc::invalid_argument, "mock llm '" + options.name + "': tokens_per_second must be > 0");
  }
  if (options.first_token_latency < Duration::zero()) {
    return Error(errc::invalid_argument, "mock llm '" + options.name + "': first_token_latency must not be negative");
  }
  for (std::size_t i = 0; i < options.rules.size(); ++i) {
    const auto& r = options.rules[i];
    if (r.user_contains.empty() == r.tool_result.empty()) {
      return Error(errc::invalid_argument, "mock llm '" + options.name + "': rule " + std::to_string(i) +
                                               " needs exactly one of user_contains and tool_result");
    }
  }
  return std::shared_ptr<MockLanguageModel>(new MockLanguageModel(std::move(options)));
}

Result<std::unique_ptr<LlmSession>> MockLanguageModel::open(const SessionContext& session) {
  if (!session.strand) return Error(errc::invalid_argument, "mock llm '" + info_.name + "': session has no strand");
  if (shared_->options.open_error) return Error(*shared_->options.open_error);
  {
    std::lock_guard lock(shared_->mu);
    ++shared_->sessions_opened;
  }
  return std::unique_ptr<LlmSession>(new MockLlmSession(shared_, session));
}

std::vector<LlmRequest> MockLanguageModel::requests() const {
  std::lock_guard lock(shared_->mu);
  return shared_->requests;
}

int MockLanguageModel::sessions_opened() const {
  std::lock_guard lock(shared_->mu);
  return shared_->sessions_opened;
}

namespace {

std::optional<FinishReason> parse_finish(std::string_view s) {
  for (auto r : {FinishReason::stop, FinishReason::tool_calls, FinishReason::length, FinishReason::content_filter,
                 FinishReason::cancelled, FinishReason::other}) {
    if (to_string(r) == s) return r;
  }
  return std::nullopt;
}

// A reply is a string (its text) or an object.
MockReply read_reply(const Json& node, const std::string& path, ConfigErrors& errors) {
  MockReply reply;
  if (node.is_string()) {
    reply.text = node.as_string();
    return reply;
  }
  ConfigReader r(node, path, errors);
  reply.text = r.get_string("text", "");
  if (const Json* calls = r.get_raw("tool_calls")) {
    if (!calls->is_array()) {
      r.error_at("tool_calls", "expected an array of {\"name\", \"arguments\"} objects, found " + calls->describe());
    } else {
      for (std::size_t i = 0; i < calls->size(); ++i) {
        ConfigReader cr(calls->as_array()[i], r.path_of("tool_calls") + "[" + std::to_string(i) + "]", errors);
        ToolCall call;
        call.name = cr.require_string("name");
        call.id = cr.get_string("id", "");
        if (const Json* args = cr.get_raw("arguments")) {
          call.arguments = args->is_string() ? args->as_string() : args->dump();
        } else {
          call.arguments = "{}";
        }
        (void)cr.finish();
        reply.tool_calls.push_back(std::move(call));
      }
    }
  }
  if (auto finish = r.get_optional_string("finish")) {
    if (auto f = parse_finish(*finish)) {
      reply.finish = *f;
    } else {
      r.error_at("finish", "expected one of stop, tool_calls, length, content_filter, cancelled, other, found \"" +
                               *finish + "\"");
    }
  }
  if (r.has("hints")) {
    ConfigReader hr = r.child("hints");
    RecognitionHints h;
    h.state = hr.get_string("state", "");
    h.phrases = hr.get_string_list("phrases");
    h.jsgf = hr.get_string("jsgf", "");
    (void)hr.finish();
    reply.hints = std::move(h);
  }
  if (r.has("first_token_ms")) reply.first_token_latency = detail::read_ms(r, "first_token_ms", Duration::zero());
  (void)r.finish();
  return reply;
}

}  // namespace

Result<MockLlmOptions> MockLanguageModel::parse_options(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  MockLlmOptions o;
  o.name = r.get_string("name", o.name);
  if (const Json* list = r.get_raw("replies")) {
    if (!list->is_array()) {
      r.error_at("replies", "expected an array of replies (strings or objects), found " + list->describe());
    } else {
      for (std::size_t i = 0; i < list->size(); ++i)
        o.replies.push_back(read_reply(list->as_array()[i], r.path_of("replies") + "[" + std::to_string(i) + "]",
                                       errors));
    }
  }
  if (const Json* list = r.get_raw("rules")) {
    if (!list->is_array()) {
      r.error_at("rules", "expected an array of rule objects, found " + list->describe());
    } else {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string rp = r.path_of("rules") + "[" + std::to_string(i) + "]";
        ConfigReader rr(list->as_array()[i], rp, errors);
        MockRule rule;
        rule.user_contains = rr.get_string("user_contains", "");
        rule.tool_result = rr.get_string("tool_result", "");
        if (rule.user_contains.empty() == rule.tool_result.empty())
          rr.error("expected exactly one of \"user_contains\" and \"tool_result\"");
        if (const Json* reply = rr.get_raw("reply")) {
          rule.reply = read_reply(*reply, rp + ".reply", errors);
        } else {
          rr.error_at("reply", "missing required key");
        }
        (void)rr.finish();
        o.rules.push_back(std::move(rule));
      }
    }
  }
  if (const Json* d = r.get_raw("default_reply")) o.default_reply = read_reply(*d, r.path_of("default_reply"), errors);
  o.first_token_latency = detail::read_ms(r, "first_token_ms", o.first_token_latency);
  o.tokens_per_second = r.get_number("tokens_per_s", o.tokens_per_second, {.min = 0.001, .max = 1e6});
  o.failures = detail::read_mock_failures(r, "failures", "turn");
  o.capabilities.tool_calling = r.get_bool("tool_calling", o.capabilities.tool_calling);
  o.capabilities.parallel_tool_calls = o.capabilities.tool_calling;
  o.open_error = detail::read_mock_open_error(r, "open_error", o.name);
  LOQUI_TRY(r.finish());
  return o;
}

}  // namespace loqui
