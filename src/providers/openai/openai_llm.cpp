// SPDX-License-Identifier: Apache-2.0
// File: the `openai` LanguageModel: Chat Completions streaming with tools over
// HttpClient, for OpenAI and OpenAI-compatible servers (base_url). Request shaping
// per server is limited to what PROTOCOLS.md 3.1/3.5 requires (max_tokens vs
// max_completion_tokens); responses from every server go through one robust
// decoder (chat_stream.hpp).
#include <algorithm>

#include "common/log.hpp"
#include "loqui/net/sse.hpp"
#include "net/http_errors.hpp"
#include "providers/openai/chat_stream.hpp"
#include "providers/openai/openai.hpp"

namespace loqui::openai {

namespace {

constexpr const char* kLog = "llm.openai";

struct LlmConfig {
  Connection conn;
  std::string model;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  std::string max_tokens_field;  // "max_tokens" | "max_completion_tokens"
  bool include_usage = true;
  std::optional<bool> parallel_tool_calls;
  std::string tool_choice;  // empty = not sent
  Json extra_body = Json::object();
};

std::string default_max_tokens_field(const std::string& host) {
  // OpenAI (reasoning models reject max_tokens), Cerebras and Groq take
  // max_completion_tokens; Ollama ignores it and most self-hosted servers only know
  // max_tokens (PROTOCOLS.md 3.1).
  for (const char* h : {"api.openai.com", "api.cerebras.ai", "api.groq.com"})
    if (host == h) return "max_completion_tokens";
  return "max_tokens";
}

Result<LlmConfig> read_config(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider", "fallback"});  // the Registry handles these
  LlmConfig c;
  c.conn = read_connection(r, HttpTimeouts{});
  c.model = r.require_string("model");
  if (r.has("temperature")) c.temperature = r.get_number("temperature", 1.0, {0.0, 2.0});
  if (r.has("max_tokens")) c.max_tokens = static_cast<int>(r.get_int("max_tokens", 256, {1, 1 << 24}));
  const std::string field =
      r.get_enum("max_tokens_field", "auto", {"auto", "max_tokens", "max_completion_tokens"});
  c.max_tokens_field = field == "auto" ? default_max_tokens_field(c.conn.host) : field;
  c.include_usage = r.get_bool("include_usage", true);
  if (r.has("parallel_tool_calls")) c.parallel_tool_calls = r.get_bool("parallel_tool_calls", true);
  if (r.has("tool_choice")) c.tool_choice = r.get_enum("tool_choice", "auto", {"auto", "none", "required"});
  if (const Json* extra = r.get_raw("extra_body")) {
    if (!extra->is_object()) r.error_at("extra_body", "expected an object, found " + extra->describe());
    else c.extra_body = *extra;
  }
  LOQUI_TRY(r.finish());
  return c;
}

Json message_json(const ChatMessage& m) {
  Json j = Json::object({{"role", Json(to_string(m.role))}});
  if (m.role == Role::assistant && !m.tool_calls.empty()) {
    j["content"] = m.content.empty() ? Json(nullptr) : Json(m.content);
    Json calls = Json::array();
    for (const ToolCall& t : m.tool_calls)
      calls.push_back(Json::object({{"id", Json(t.id)},
                                    {"type", Json("function")},
                                    {"function", Json::object({{"name", Json(t.name)}, {"arguments", Json(t.arguments)}})}}));
    j["tool_calls"] = std::move(calls);
  } else {
    j["content"] = Json(m.content);
  }
  if (m.role == Role::tool) j["tool_call_id"] = Json(m.tool_call_id);
  return j;
}

Result<std::string> build_body(const LlmConfig& c, const LlmRequest& req) {
  if (req.messages.empty()) return Error(errc::invalid_argument, "openai llm: the request has no messages");
  Json body = Json::object({{"model", Json(c.model)}});
  Json messages = Json::array();
  for (std::size_t i = 0; i < req.messages.size(); ++i) {
    const ChatMessage& m = req.messages[i];
    if (m.role == Role::tool && m.tool_call_id.empty())
      return Error(errc::invalid_argument, "openai llm: messages[" + std::to_string(i) + "] is a tool result without tool_call_id");
    messages.push_back(message_json(m));
  }
  body["messages"] = std::move(messages);
  if (!req.tools.empty()) {
    Json tools = Json::array();
    for (std::size_t i = 0; i < req.tools.size(); ++i) {
      const ToolSpec& t = req.tools[i];
      if (t.name.empty()) return Error(errc::invalid_argument, "openai llm: tools[" + std::to_string(i) + "] has no name");
      Json fn = Json::object({{"name", Json(t.name)}});
      if (!t.description.empty()) fn["description"] = Json(t.description);
      fn["parameters"] = t.parameters.is_object() ? t.parameters : Json::object({{"type", Json("object")}});
      tools.push_back(Json::object({{"type", Json("function")}, {"function", std::move(fn)}}));
    }
    body["tools"] = std::move(tools);
    if (!c.tool_choice.empty()) body["tool_choice"] = Json(c.tool_choice);
    if (c.parallel_tool_calls) body["parallel_tool_calls"] = Json(*c.parallel_tool_calls);
  }
  body["stream"] = Json(true);
  if (c.include_usage) body["stream_options"] = Json::object({{"include_usage", Json(true)}});
  if (auto t = req.params.temperature ? req.params.temperature : c.temperature) body["temperature"] = Json(*t);
  if (auto n = req.params.max_tokens ? req.params.max_tokens : c.max_tokens) body[c.max_tokens_field] = Json(*n);
  for (const Json* extra : {&c.extra_body, &req.params.extra})
    if (extra->is_object())
      for (const JsonMember& m : extra->as_object()) body[m.key] = m.value;
  return body.dump();
}

class OpenAiLlmSession final : public LlmSession, private HttpHandler, private ChatStreamSink {
 public:
  OpenAiLlmSession(std::shared_ptr<const LlmConfig> cfg, std::shared_ptr<HttpClient> http, SessionContext session)
      : cfg_(std::move(cfg)), http_(std::move(http)), session_(std::move(session)) {}
  ~OpenAiLlmSession() override { cancel(); }

  Status generate(const LlmRequest& request, LlmObserver& observer) override {
    if (busy_) return Error(errc::invalid_argument, "openai llm: a generation is already running on this session");
    LOQUI_ASSIGN_OR_RETURN(std::string body, build_body(*cfg_, request));
    HttpRequest req = cfg_->conn.request("POST", "/chat/completions");
    req.headers.push_back({"Content-Type", "application/json"});
    req.headers.push_back({"Accept", "text/event-stream"});
    req.body = std::move(body);
    req.retry_seed = seed_++;
    sse_.reset();
    decoder_.reset();
    json_mode_ = false;
    json_body_.clear();
    announced_ = false;
    observer_ = &observer;
    busy_ = true;
    auto t = http_->start(session_.strand, std::move(req), *this);
    if (!t) {
      busy_ = false;
      observer_ = nullptr;
      return with_vendor(std::move(t).error(), cfg_->conn);
    }
    transfer_ = std::move(*t);
    return ok_status();
  }

  void cancel() noexcept override {
    transfer_.cancel();
    observer_ = nullptr;
    busy_ = false;
  }

  bool busy() const noexcept override { return busy_; }

 private:
  // Runs `f(observer)` unless the generation was cancelled; returns false if the
  // session went away or the generation ended meanwhile (stop touching state).
  template <class F>
  bool deliver(F&& f) {
    if (!observer_) return false;
    std::weak_ptr<int> alive = alive_;
    LlmObserver* obs = observer_;
    f(*obs);
    return !alive.expired() && observer_ == obs && busy_;
  }

  bool announce() {
    if (announced_) return observer_ != nullptr;
    announced_ = true;
    return deliver([](LlmObserver& o) { o.on_provider(kProviderName, false); });
  }

  void on_response(const HttpResponse& response) override {
    const std::string* ct = response.header("content-type");
    // A server that ignores "stream": true answers with one JSON document.
    json_mode_ = ct && ct->find("application/json") != std::string::npos;
  }

  void on_body(std::string_view chunk) override {
    if (!busy_) return;
    if (json_mode_) {
      if (json_body_.size() + chunk.size() > (16u << 20))
        return fail(Error(errc::provider_protocol, "non-streaming response larger than 16 MiB"));
      json_body_.append(chunk);
      return;
    }
    if (auto s = sse_.feed(chunk); !s) return fail(std::move(s).error());
    for (const SseEvent& e : sse_.events()) {
      if (auto s = decoder_.on_event(e.event, e.data, *this); !s) return fail(std::move(s).error());
      if (!busy_) return;  // cancelled from inside on_text
    }
  }

  void on_text(std::string_view delta) override {
    if (!announce()) return;
    (void)deliver([delta](LlmObserver& o) { o.on_text(delta); });
  }

  void on_complete(const HttpTransferInfo& info) override {
    if (!busy_) return;
    if (json_mode_) {
      if (auto s = decoder_.on_complete_body(json_body_, *this); !s) return fail(std::move(s).error());
      if (!busy_) return;
    }
    if (!decoder_.done()) {
      const bool partial = sse_.finish();
      if (partial || !decoder_.finished())
        return fail(Error(errc::provider_unavailable,
                          "incomplete response: the stream ended without [DONE] after " +
                              std::to_string(decoder_.chunks()) + " chunks (" + std::to_string(info.body_bytes) +
                              " bytes)" + (partial ? ", in the middle of an event" : "")));
      // Some llama.cpp forks never send [DONE]; a finish_reason followed by a clean
      // end of the HTTP response is a complete answer.
      LOQUI_LOG_DEBUG(kLog, "{}: stream ended after finish_reason without [DONE]", cfg_->conn.label());
    }
    auto result = decoder_.finish();
    if (!result) return fail(std::move(result).error());
    if (!announce()) return;
    for (const ToolCall& call : result->tool_calls)
      if (!deliver([&call](LlmObserver& o) { o.on_tool_call(call); })) return;
    if (result->usage && !deliver([&](LlmObserver& o) { o.on_usage(*result->usage); })) return;
    LlmObserver* obs = observer_;
    observer_ = nullptr;
    busy_ = false;
    transfer_ = HttpTransfer();
    if (obs) obs->on_done(result->reason);
  }

  void on_error(const Error& error) override { fail(error); }

  void on_retry(const Error& error, std::chrono::milliseconds delay, int next_attempt) override {
    LOQUI_LOG_INFO(kLog, "{}: {}; attempt {} in {} ms", cfg_->conn.label(), error.message(), next_attempt,
                   delay.count());
  }

  void fail(Error error) {
    if (!busy_) return;
    LlmObserver* obs = observer_;
    observer_ = nullptr;
    busy_ = false;
    transfer_.cancel();
    Error e = with_vendor(std::move(error), cfg_->conn);
    if (e.message().find("HTTP 401") != std::string::npos && !cfg_->conn.api_key)
      e.add_context("no api_key_env configured");
    LOQUI_LOG_WARN(kLog, "{}", e.to_string());
    if (obs) obs->on_error(e);
  }

  std::shared_ptr<const LlmConfig> cfg_;
  std::shared_ptr<HttpClient> http_;
  SessionContext session_;
  HttpTransfer transfer_;
  LlmObserver* observer_ = nullptr;
  bool busy_ = false;
  bool announced_ = false;
  bool json_mode_ = false;
  std::string json_body_;
  SseParser sse_;
  ChatStreamDecoder decoder_;
  std::uint64_t seed_ = 0x243f6a8885a308d3ull;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

class OpenAiLlm final : public LanguageModel {
 public:
  explicit OpenAiLlm(LlmConfig cfg) : cfg_(std::make_shared<const LlmConfig>(std::move(cfg))) {
    info_.kind = ProviderKind::llm;
    info_.name = kProviderName;
    info_.description = "OpenAI-compatible Chat Completions streaming (" + cfg_->conn.host + ", " + cfg_->model + ")";
    info_.needs_real_time = true;
    caps_.tool_calling = true;
    caps_.parallel_tool_calls = true;
    caps_.reports_usage = true;
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const LlmCapabilities& capabilities() const noexcept override { return caps_; }

  Result<std::unique_ptr<LlmSession>> open(const SessionContext& session) override {
    auto http = client_for(session, "openai llm");
    if (!http) return with_vendor(std::move(http).error(), cfg_->conn);
    if (cfg_->conn.prewarm) (*http)->prewarm(cfg_->conn.request("HEAD", "/models"));
    return std::unique_ptr<LlmSession>(std::make_unique<OpenAiLlmSession>(cfg_, std::move(*http), session));
  }

 private:
  std::shared_ptr<const LlmConfig> cfg_;
  ProviderInfo info_;
  LlmCapabilities caps_;
};

}  // namespace

Result<std::shared_ptr<LanguageModel>> make_llm(const ProviderContext&, const Json& config, std::string_view path) {
  LOQUI_ASSIGN_OR_RETURN(LlmConfig cfg, read_config(config, path));
  return std::shared_ptr<LanguageModel>(std::make_shared<OpenAiLlm>(std::move(cfg)));
}

}  // namespace loqui::openai
