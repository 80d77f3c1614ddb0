// SPDX-License-Identifier: Apache-2.0
// File: the `openai` LLM adapter end to end against the mock server: happy path,
// every compatible server's dialect, tool calls, and every fault (401, 429 with
// Retry-After, 500, malformed JSON, slow first byte, stall, drop, missing [DONE],
// event: error, out-of-order chunks), cancellation without leaks, configuration
// errors, and the API key never reaching an Error or a log line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "loqui/log.hpp"
#include "loqui/net/http.hpp"
#include "loqui/provider/registry.hpp"
#include "support/mock_http_server.hpp"
#include "support/openai_sse.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
namespace sse = testing::openai_sse;
using testing::MockHttpServer;
using testing::MockRequest;
using testing::MockResponse;

constexpr const char* kKeyEnv = "LOQUI_TEST_OPENAI_KEY";
constexpr const char* kKey = "sk-test-9f8e7d6c5b4a39281706abcdef";

class Observer : public LlmObserver {
 public:
  explicit Observer(std::shared_ptr<Strand> s) : strand_(std::move(s)) {}
  void on_provider(std::string_view p, bool restarted) override {
    rec("provider:" + std::string(p) + (restarted ? ":restarted" : ""));
  }
  void on_text(std::string_view d) override {
    rec("text");
    std::lock_guard l(mu);
    text += d;
    if (cancel_on_text && session) {
      session->cancel();
      cancelled = true;
      cv.notify_all();
    }
  }
  void on_tool_call(const ToolCall& c) override {
    rec("tool");
    std::lock_guard l(mu);
    calls.push_back(c);
  }
  void on_usage(const TokenUsage& u) override {
    rec("usage");
    std::lock_guard l(mu);
    usage = u;
  }
  void on_done(FinishReason r) override {
    rec("done");
    std::lock_guard l(mu);
    reason = r;
    finished = true;
    cv.notify_all();
  }
  void on_error(const Error& e) override {
    rec("error");
    std::lock_guard l(mu);
    error = e;
    finished = true;
    cv.notify_all();
  }
  bool wait(std::chrono::milliseconds t = 10s) {
    std::unique_lock l(mu);
    return cv.wait_for(l, t, [&] { return finished; });
  }
  bool wait_cancelled(std::chrono::milliseconds t = 10s) {
    std::unique_lock l(mu);
    return cv.wait_for(l, t, [&] { return cancelled; });
  }
  // Distinct event kinds in order (consecutive text deltas collapsed).
  std::vector<std::string> kinds() {
    std::lock_guard l(mu);
    return events;
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;
  std::string text;
  std::vector<ToolCall> calls;
  std::optional<TokenUsage> usage;
  std::optional<FinishReason> reason;
  std::optional<Error> error;
  bool finished = false;
  bool cancel_on_text = false;
  bool cancelled = false;
  LlmSession* session = nullptr;
  std::atomic<int> off_strand{0};

 private:
  void rec(std::string e) {
    if (!strand_->running_in_this_thread()) off_strand.fetch_add(1);
    std::lock_guard l(mu);
    if (e == "text" && !events.empty() && events.back() == "text") return;
    events.push_back(std::move(e));
  }
  std::shared_ptr<Strand> strand_;
};

// Captures every log record (all levels) for secret checks.
struct LogCapture {
  LogCapture() {
    set_log_sink(
        [this](const LogRecord& r) {
          std::lock_guard l(mu);
          std::string line = std::string(r.component) + ": " + std::string(r.message);
          for (const auto& f : r.fields) line += " " + std::string(f.key) + "=" + std::string(f.value);
          lines.push_back(std::move(line));
        },
        LogLevel::trace);
  }
  ~LogCapture() { set_log_sink(nullptr, LogLevel::error); }
  std::string all() {
    std::lock_guard l(mu);
    std::string s;
    for (auto& x : lines) s += x + "\n";
    return s;
  }
  std::mutex mu;
  std::vector<std::string> lines;
};

class OpenAiLlmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv(kKeyEnv, kKey, 1);
    runtime_ = Runtime::create({.threads = 1}).value();
    strand_ = runtime_->make_strand("call-1");
    register_builtin_providers(registry_);
  }
  void TearDown() override {
    session_.reset();
    llm_.reset();
    runtime_->stop();
  }

  Json config(const MockHttpServer& server, Json extra = Json::object()) {
    Json c = Json::object({{"provider", Json("openai")},
                           {"base_url", Json(server.base_url() + "/v1")},
                           {"model", Json("gpt-4o-mini")},
                           {"api_key_env", Json(kKeyEnv)},
                           {"prewarm", Json(false)}});
    for (auto& m : extra.as_object()) c[m.key] = m.value;
    return c;
  }

  void open(const Json& cfg) {
    ProviderContext ctx;
    ctx.runtime = runtime_.get();
    auto llm = registry_.make_llm(ctx, cfg);
    ASSERT_TRUE(llm.ok()) << llm.error().to_string();
    llm_ = *llm;
    SessionContext sc;
    sc.strand = strand_;
    sc.session_id = "s1";
    std::promise<void> done;
    (void)strand_->post([&] {
      auto s = llm_->open(sc);
      EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().to_string());
      if (s.ok()) session_ = std::move(*s);
      done.set_value();
    });
    done.get_future().wait();
  }

  LlmRequest request(bool tools = true) {
    LlmRequest r;
    r.messages = {{Role::system, "You are a phone agent.", {}, "", ""}, {Role::user, "Weather in SF?", {}, "", ""}};
    if (tools) {
      ToolSpec t;
      t.name = "get_weather";
      t.description = "Get weather";
      t.parameters = Json::parse(R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})").value();
      r.tools.push_back(t);
    }
    return r;
  }

  Status generate(Observer& obs, LlmRequest req) {
    std::promise<Status> p;
    (void)strand_->post([&] { p.set_value(session_->generate(req, obs)); });
    return p.get_future().get();
  }

  template <class F>
  void on_strand(F&& f) {
    std::promise<void> p;
    (void)strand_->post([&] {
      f();
      p.set_value();
    });
    p.get_future().wait();
  }

  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<Strand> strand_;
  Registry registry_;
  std::shared_ptr<LanguageModel> llm_;
  std::unique_ptr<LlmSession> session_;
};

TEST_F(OpenAiLlmTest, HappyPathSession) {
  sse::Script s;
  s.text = {"It's", " 18", "°C in", " SF."};
  s.prompt_tokens = 40;
  s.completion_tokens = 8;
  s.cached_tokens = 16;
  MockHttpServer server([&](const MockRequest&) { return sse::response(sse::Dialect::openai, s, 5); });
  open(config(server, Json::object({{"temperature", Json(0.5)}, {"max_tokens", Json(128)}})));
  ASSERT_TRUE(session_);
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  on_strand([&] { EXPECT_TRUE(session_->busy()); });
  ASSERT_TRUE(obs.wait());
  EXPECT_EQ(obs.off_strand.load(), 0);
  EXPECT_EQ(obs.kinds(), (std::vector<std::string>{"provider:openai", "text", "usage", "done"}));
  EXPECT_EQ(obs.text, "It's 18°C in SF.");
  EXPECT_EQ(obs.reason, FinishReason::stop);
  ASSERT_TRUE(obs.usage);
  EXPECT_EQ(obs.usage->input_tokens, 40);
  EXPECT_EQ(obs.usage->output_tokens, 8);
  EXPECT_EQ(obs.usage->cached_input_tokens, 16);
  on_strand([&] { EXPECT_FALSE(session_->busy()); });

  // What went over the wire.
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/v1/chat/completions");
  EXPECT_EQ(got[0].header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(got[0].header("content-type"), "application/json");
  auto body = Json::parse(got[0].body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->find("model")->as_string(), "gpt-4o-mini");
  EXPECT_TRUE(body->find("stream")->as_bool());
  EXPECT_TRUE(body->find("stream_options")->find("include_usage")->as_bool());
  EXPECT_EQ(body->find("temperature")->as_number(), 0.5);
  EXPECT_EQ(body->find("max_tokens")->as_int(), 128);  // a local server: max_tokens
  EXPECT_FALSE(body->contains("max_completion_tokens"));
  EXPECT_EQ(body->find("messages")->size(), 2u);
  EXPECT_EQ(body->find("tools")->as_array()[0].find("function")->find("name")->as_string(), "get_weather");
}

TEST_F(OpenAiLlmTest, ToolTurnThenToolResultRoundTrip) {
  std::atomic<int> n{0};
  sse::Script tool;
  tool.calls = {{"call_abc", "get_weather", R"({"city":"SF"})"}, {"call_def", "get_time", R"({"tz":"PST"})"}};
  tool.fragments = 20;
  tool.interleave = true;
  sse::Script answer;
  answer.text = {"Sunny."};
  MockHttpServer server([&](const MockRequest&) {
    return sse::response(sse::Dialect::openai, n.fetch_add(1) == 0 ? tool : answer);
  });
  open(config(server));
  Observer first(strand_);
  ASSERT_TRUE(generate(first, request()).ok());
  ASSERT_TRUE(first.wait());
  ASSERT_FALSE(first.error) << first.error->to_string();
  EXPECT_EQ(first.reason, FinishReason::tool_calls);
  ASSERT_EQ(first.calls.size(), 2u);
  EXPECT_EQ(first.calls[0].arguments, R"({"city":"SF"})");
  EXPECT_EQ(first.calls[1].name, "get_time");

  LlmRequest next = request();
  next.messages.push_back({Role::assistant, "", first.calls, "", ""});
  next.messages.push_back({Role::tool, R"({"temp_c":18})", {}, "call_abc", "get_weather"});
  next.messages.push_back({Role::tool, R"({"time":"10:00"})", {}, "call_def", "get_time"});
  Observer second(strand_);
  ASSERT_TRUE(generate(second, next).ok());
  ASSERT_TRUE(second.wait());
  EXPECT_EQ(second.text, "Sunny.");
  auto body = Json::parse(server.received()[1].body).value();
  const auto& msgs = body.find("messages")->as_array();
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_TRUE(msgs[2].find("content")->is_null());
  EXPECT_EQ(msgs[2].find("tool_calls")->as_array()[1].find("id")->as_string(), "call_def");
  EXPECT_EQ(msgs[3].find("tool_call_id")->as_string(), "call_abc");
  EXPECT_EQ(msgs[3].find("role")->as_string(), "tool");
}

class OpenAiDialectTest : public OpenAiLlmTest, public ::testing::WithParamInterface<sse::Dialect> {};

TEST_P(OpenAiDialectTest, TextAndToolCallsThroughTheWholeStack) {
  sse::Script s;
  s.text = {"One", " moment."};
  s.calls = {{"call_1", "check_availability", R"({"date":"2025-03-14"})"}, {"call_2", "transfer_to_human", R"({"reason":"asked","urgency":"low"})"}};
  s.fragments = 12;
  s.interleave = true;
  MockHttpServer server([&](const MockRequest&) { return sse::response(GetParam(), s, 1); });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_FALSE(obs.error) << obs.error->to_string();
  EXPECT_EQ(obs.text, "One moment.");
  EXPECT_EQ(obs.reason, FinishReason::tool_calls);
  ASSERT_EQ(obs.calls.size(), 2u);
  EXPECT_EQ(obs.calls[0].name, "check_availability");
  EXPECT_EQ(obs.calls[1].arguments, s.calls[1].arguments);
  EXPECT_TRUE(obs.usage.has_value());
}

INSTANTIATE_TEST_SUITE_P(AllServers, OpenAiDialectTest,
                         ::testing::Values(sse::Dialect::openai, sse::Dialect::groq, sse::Dialect::cerebras,
                                           sse::Dialect::together, sse::Dialect::fireworks, sse::Dialect::vllm,
                                           sse::Dialect::ollama, sse::Dialect::llamacpp, sse::Dialect::openrouter),
                         [](const auto& p) { return std::string(sse::name(p.param)); });

TEST_F(OpenAiLlmTest, UnauthorizedNamesVendorAndCauseButNeverTheKey) {
  LogCapture logs;
  // The mock echoes the key back, as some vendors do ("Incorrect API key provided: sk-...").
  MockHttpServer server([&](const MockRequest& r) {
    return MockResponse::json(401, R"({"error":{"message":"Incorrect API key provided: )" + r.header("authorization").substr(7) +
                                       R"(.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})");
  });
  open(config(server, Json::object({{"base_url", Json(server.base_url() + "/v1?api_key=" + std::string(kKey))}})));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.kinds(), (std::vector<std::string>{"error"}));
  const Error& e = *obs.error;
  EXPECT_EQ(e.code(), errc::provider_auth);
  EXPECT_EQ(e.provider(), "openai");
  EXPECT_EQ(e.http_status(), 401);
  EXPECT_EQ(e.vendor_code(), "invalid_api_key");
  EXPECT_NE(e.message().find("openai (127.0.0.1)"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("Incorrect API key provided"), std::string::npos);
  EXPECT_EQ(e.to_string().find(kKey), std::string::npos);
  EXPECT_EQ(logs.all().find(kKey), std::string::npos);
  EXPECT_EQ(server.requests(), 1);  // 401 is never retried
}

TEST_F(OpenAiLlmTest, NoSecretIsEverPrintedOnAnyFault) {
  LogCapture logs;
  std::atomic<int> n{0};
  MockHttpServer server([&](const MockRequest& r) {
    switch (n.fetch_add(1) % 4) {
      case 0: return MockResponse::json(429, R"({"error":{"message":"slow down","code":"rate_limit_exceeded"}})").header("retry-after-ms", "5");
      case 1: return MockResponse(200).body("data: {not json}\n\n");
      case 2: return MockResponse(200).body(sse::events(sse::Dialect::openai, {.text = {"a"}})[0]).drop();
      default: return MockResponse::json(500, "{}");
    }
    (void)r;
  });
  open(config(server, Json::object({{"retry", Json::object({{"max_attempts", Json(1)}})}})));
  for (int i = 0; i < 4; ++i) {
    Observer obs(strand_);
    ASSERT_TRUE(generate(obs, request()).ok());
    ASSERT_TRUE(obs.wait());
    ASSERT_TRUE(obs.error) << i;
    EXPECT_EQ(obs.error->to_string().find(kKey), std::string::npos);
    EXPECT_EQ(obs.error->to_string().find("[redacted]"), std::string::npos);  // never even tried to print it
  }
  const std::string all = logs.all();
  EXPECT_EQ(all.find(kKey), std::string::npos);
  EXPECT_EQ(all.find("[redacted]"), std::string::npos);
  EXPECT_EQ(all.find("Bearer"), std::string::npos);
}

TEST_F(OpenAiLlmTest, RateLimitWithRetryAfterIsRetriedThenStreams) {
  std::atomic<int> n{0};
  MockHttpServer server([&](const MockRequest&) {
    if (n.fetch_add(1) == 0)
      return MockResponse::json(429, R"({"error":{"message":"Rate limit reached for gpt-4o-mini. Please try again in 0.1s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}})")
          .header("retry-after", "0.1")
          .header("x-ratelimit-reset-tokens", "100ms");
    return sse::response(sse::Dialect::openai, {.text = {"ok"}});
  });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_FALSE(obs.error) << obs.error->to_string();
  EXPECT_EQ(obs.text, "ok");
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(OpenAiLlmTest, ServerErrorAfterRetriesIsRetryableForAFallback) {
  MockHttpServer server([](const MockRequest&) { return MockResponse::json(503, R"({"error":{"message":"overloaded","type":"server_error"}})"); });
  open(config(server, Json::object({{"retry", Json::object({{"max_attempts", Json(2)}, {"initial_delay_ms", Json(5)}})}})));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.error->code(), errc::provider_unavailable);
  EXPECT_TRUE(obs.error->retryable());
  EXPECT_NE(obs.error->message().find("after 2 attempts"), std::string::npos) << obs.error->message();
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(OpenAiLlmTest, MalformedJsonMidStream) {
  MockHttpServer server([](const MockRequest&) {
    auto ev = sse::events(sse::Dialect::openai, {.text = {"Hel", "lo"}});
    MockResponse r(200);
    r.header("Content-Type", "text/event-stream");
    r.body(ev[0]).body(ev[1]).body("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}\n\n").body(ev[2]);
    return r;
  });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.error->code(), errc::provider_protocol);
  EXPECT_NE(obs.error->message().find("malformed JSON in chunk 3"), std::string::npos) << obs.error->message();
  EXPECT_EQ(obs.text, "Hel");  // what came before the garbage was delivered, nothing after
}

TEST_F(OpenAiLlmTest, SlowFirstByteTimesOut) {
  MockHttpServer server([](const MockRequest&) { return sse::response(sse::Dialect::openai, {.text = {"late"}}).delay_head_ms(3000); });
  open(config(server, Json::object({{"timeouts", Json::object({{"first_byte_ms", Json(200)}})},
                                    {"retry", Json::object({{"max_attempts", Json(1)}})}})));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.error->code(), errc::timeout);
  EXPECT_NE(obs.error->message().find("first-byte timeout of 200 ms"), std::string::npos) << obs.error->message();
}

TEST_F(OpenAiLlmTest, StallMidStreamTimesOutAfterTheIdleGap) {
  MockHttpServer server([](const MockRequest&) {
    auto ev = sse::events(sse::Dialect::openai, {.text = {"Hel", "lo"}});
    return MockResponse(200).body(ev[0]).body(ev[1]).body(": ping\n\n").pause_ms(100).body(": ping\n\n").stall();
  });
  open(config(server, Json::object({{"timeouts", Json::object({{"idle_ms", Json(250)}})}})));
  Observer obs(strand_);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.error->code(), errc::timeout);
  EXPECT_NE(obs.error->message().find("stream stalled"), std::string::npos);
  EXPECT_EQ(obs.text, "Hel");
  // The keepalive comments reset the idle timer: 100 ms pause + 250 ms idle.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 340ms);
  EXPECT_TRUE(server.wait_connections_open(0, 5s));
}

TEST_F(OpenAiLlmTest, DroppedConnectionMidStream) {
  MockHttpServer server([](const MockRequest&) {
    auto ev = sse::events(sse::Dialect::openai, {.text = {"Hel", "lo"}});
    return MockResponse(200).body(ev[0]).body(ev[1]).pause_ms(10).drop();
  });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.error->code(), errc::provider_unavailable);
  EXPECT_NE(obs.error->message().find("connection dropped mid-response"), std::string::npos) << obs.error->message();
  EXPECT_EQ(obs.text, "Hel");
}

TEST_F(OpenAiLlmTest, StreamEndingWithoutDoneOrFinishIsIncomplete) {
  MockHttpServer server([](const MockRequest&) {
    auto ev = sse::events(sse::Dialect::openai, {.text = {"Hel", "lo"}});
    return MockResponse(200).body(ev[0]).body(ev[1]).body(ev[2]);  // ends cleanly, no finish, no [DONE]
  });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.error->code(), errc::provider_unavailable);
  EXPECT_NE(obs.error->message().find("without [DONE]"), std::string::npos);
}

TEST_F(OpenAiLlmTest, LlamaCppForkWithoutDoneButWithFinishIsComplete) {
  sse::Script s;
  s.text = {"fine"};
  s.done = false;
  MockHttpServer server([&](const MockRequest&) { return sse::response(sse::Dialect::llamacpp, s); });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_FALSE(obs.error) << obs.error->to_string();
  EXPECT_EQ(obs.text, "fine");
  EXPECT_EQ(obs.reason, FinishReason::stop);
}

TEST_F(OpenAiLlmTest, GroqEventErrorMidStream) {
  MockHttpServer server([](const MockRequest&) {
    auto ev = sse::events(sse::Dialect::groq, {.text = {"a"}});
    return MockResponse(200).body(ev[0]).body(
        "event: error\ndata: {\"error\":{\"message\":\"Failed to call a function. Please adjust your prompt.\",\"type\":\"invalid_request_error\",\"code\":\"tool_use_failed\",\"failed_generation\":\"x\",\"status_code\":400}}\n\n");
  });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_TRUE(obs.error);
  EXPECT_EQ(obs.error->vendor_code(), "tool_use_failed");
  EXPECT_FALSE(obs.error->retryable());
  EXPECT_NE(obs.error->message().find("openai (127.0.0.1)"), std::string::npos);
}

TEST_F(OpenAiLlmTest, ServerIgnoringStreamTrueAnswersWithJson) {
  MockHttpServer server([](const MockRequest&) {
    return MockResponse::json(200, R"({"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Whole answer."},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})");
  });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  ASSERT_FALSE(obs.error) << obs.error->to_string();
  EXPECT_EQ(obs.text, "Whole answer.");
  EXPECT_EQ(obs.usage->output_tokens, 2);
}

TEST_F(OpenAiLlmTest, CancelMidStreamStopsEverythingAndLeaksNothing) {
  MockHttpServer server([](const MockRequest&) {
    sse::Script s;
    for (int i = 0; i < 100; ++i) s.text.push_back("w" + std::to_string(i) + " ");
    return sse::response(sse::Dialect::openai, s, 10);
  });
  open(config(server));
  Observer obs(strand_);
  obs.session = session_.get();
  obs.cancel_on_text = true;  // barge-in: cancel from inside the first on_text
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait_cancelled());
  std::this_thread::sleep_for(150ms);
  EXPECT_FALSE(obs.finished);
  EXPECT_EQ(obs.kinds(), (std::vector<std::string>{"provider:openai", "text"}));
  on_strand([&] { EXPECT_FALSE(session_->busy()); });
  auto http = HttpClient::for_runtime(*runtime_).value();
  for (int i = 0; i < 500 && http->stats().transfers_active != 0; ++i) std::this_thread::sleep_for(2ms);
  const auto st = http->stats();
  EXPECT_EQ(st.transfers_active, 0);
  EXPECT_EQ(st.easy_handles, 0);
  EXPECT_EQ(st.sockets_open, 0);
  EXPECT_EQ(st.sockets_watched, 0);
  EXPECT_TRUE(server.wait_connections_open(0, 5s));

  // The session is reusable after a cancel.
  Observer again(strand_);
  server.set_handler([](const MockRequest&) { return sse::response(sse::Dialect::openai, {.text = {"again"}}); });
  ASSERT_TRUE(generate(again, request()).ok());
  ASSERT_TRUE(again.wait());
  EXPECT_EQ(again.text, "again");
}

TEST_F(OpenAiLlmTest, DestroyingTheSessionMidStreamIsSafe) {
  MockHttpServer server([](const MockRequest&) { return MockResponse(200).body(sse::events(sse::Dialect::openai, {.text = {"a"}})[0]).stall(); });
  open(config(server));
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(server.wait_requests(1, 5s));
  on_strand([&] { session_.reset(); });
  EXPECT_TRUE(server.wait_connections_open(0, 5s));
  EXPECT_FALSE(obs.finished);
}

TEST_F(OpenAiLlmTest, SecondGenerateWhileBusyIsRejected) {
  MockHttpServer server([](const MockRequest&) { return MockResponse(200).stall(); });
  open(config(server));
  Observer a(strand_), b(strand_);
  ASSERT_TRUE(generate(a, request()).ok());
  auto s = generate(b, request());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), errc::invalid_argument);
  on_strand([&] { session_->cancel(); });
}

TEST_F(OpenAiLlmTest, RequestShapingOptions) {
  MockHttpServer server([](const MockRequest&) { return sse::response(sse::Dialect::openai, {.text = {"x"}}); });
  open(config(server, Json::object({{"max_tokens", Json(64)},
                                    {"max_tokens_field", Json("max_completion_tokens")},
                                    {"include_usage", Json(false)},
                                    {"parallel_tool_calls", Json(false)},
                                    {"tool_choice", Json("required")},
                                    {"organization", Json("org-1")},
                                    {"headers", Json::object({{"X-Gateway", Json("g1")}})},
                                    {"extra_body", Json::object({{"seed", Json(7)}, {"temperature", Json(0.1)}})}})));
  Observer obs(strand_);
  LlmRequest req = request();
  req.params.extra = Json::object({{"seed", Json(9)}});
  ASSERT_TRUE(generate(obs, req).ok());
  ASSERT_TRUE(obs.wait());
  const auto got = server.received();
  auto body = Json::parse(got[0].body).value();
  EXPECT_EQ(body.find("max_completion_tokens")->as_int(), 64);
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_FALSE(body.contains("stream_options"));
  EXPECT_FALSE(body.find("parallel_tool_calls")->as_bool());
  EXPECT_EQ(body.find("tool_choice")->as_string(), "required");
  EXPECT_EQ(body.find("seed")->as_int(), 9);            // params.extra wins over extra_body
  EXPECT_EQ(body.find("temperature")->as_number(), 0.1);  // extra_body merged
  EXPECT_EQ(got[0].header("openai-organization"), "org-1");
  EXPECT_EQ(got[0].header("x-gateway"), "g1");
}

TEST_F(OpenAiLlmTest, PrewarmAtSessionStartMakesTheFirstRequestReuseTheConnection) {
  MockHttpServer server([](const MockRequest& r) {
    if (r.method == "HEAD") return MockResponse::json(401, "");
    return sse::response(sse::Dialect::openai, {.text = {"x"}});
  });
  open(config(server, Json::object({{"prewarm", Json(true)}})));
  ASSERT_TRUE(server.wait_requests(1, 5s));
  auto http = HttpClient::for_runtime(*runtime_).value();
  for (int i = 0; i < 500 && http->stats().transfers_active != 0; ++i) std::this_thread::sleep_for(2ms);
  Observer obs(strand_);
  ASSERT_TRUE(generate(obs, request()).ok());
  ASSERT_TRUE(obs.wait());
  EXPECT_EQ(server.received()[0].method, "HEAD");
  EXPECT_EQ(server.received()[0].target, "/v1/models");
  EXPECT_EQ(server.received()[0].header("authorization"), "");  // pre-warm sends no credentials
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST_F(OpenAiLlmTest, ConfigErrorsNameThePath) {
  ProviderContext ctx;
  ctx.runtime = runtime_.get();
  auto typo = registry_.make_llm(ctx, Json::parse(R"({"provider":"openai","model":"m","modle":"x"})").value());
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code(), errc::invalid_config);
  EXPECT_NE(typo.error().message().find("llm.modle"), std::string::npos) << typo.error().message();
  auto no_model = registry_.make_llm(ctx, Json::parse(R"({"provider":"openai"})").value());
  ASSERT_FALSE(no_model.ok());
  EXPECT_NE(no_model.error().message().find("llm.model"), std::string::npos);
  auto unset = registry_.make_llm(ctx, Json::parse(R"({"provider":"openai","model":"m","api_key_env":"LOQUI_NOT_SET_ANYWHERE"})").value());
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.error().message().find("LOQUI_NOT_SET_ANYWHERE"), std::string::npos);
  auto bad = registry_.make_llm(ctx, Json::parse(R"({"provider":"openai","model":"m","base_url":"ftp://x","temperature":5,"timeouts":{"idle":3},"retry":{"max_attempts":0}})").value());
  ASSERT_FALSE(bad.ok());
  const std::string& m = bad.error().message();
  EXPECT_NE(m.find("llm.base_url"), std::string::npos) << m;
  EXPECT_NE(m.find("llm.temperature"), std::string::npos) << m;
  EXPECT_NE(m.find("llm.timeouts.idle"), std::string::npos) << m;
  EXPECT_NE(m.find("llm.retry.max_attempts"), std::string::npos) << m;
}

TEST(OpenAiLlmVirtualTime, OpenIsRefused) {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  Registry reg;
  register_builtin_providers(reg);
  ProviderContext ctx;
  ctx.runtime = rt.get();
  auto llm = reg.make_llm(ctx, Json::parse(R"({"provider":"openai","model":"m"})").value());
  ASSERT_TRUE(llm.ok());
  EXPECT_TRUE((*llm)->info().needs_real_time);
  SessionContext sc;
  sc.strand = rt->make_strand("s");
  auto s = (*llm)->open(sc);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), errc::not_supported);
  EXPECT_NE(s.error().message().find("real-time runtime"), std::string::npos);
}

}  // namespace
}  // namespace loqui
