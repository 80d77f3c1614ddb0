// SPDX-License-Identifier: Apache-2.0
// File: ChatStreamDecoder test vectors: every compatible server's dialect (each
// split at random chunk boundaries), and the parser breakages of PROTOCOLS.md 3.7.
#include <gtest/gtest.h>

#include <random>

#include "loqui/net/sse.hpp"
#include "providers/openai/chat_stream.hpp"
#include "support/openai_sse.hpp"

namespace loqui::openai {
namespace {
namespace sse = loqui::testing::openai_sse;
using sse::Dialect;

struct Decoded {
  std::string text;
  std::string reasoning;
  std::optional<ChatCompletion> result;
  std::optional<Error> error;
  bool done = false;
  bool finished = false;
};

class Collect : public ChatStreamSink {
 public:
  void on_text(std::string_view d) override { text += d; }
  void on_reasoning(std::string_view d) override { reasoning += d; }
  std::string text, reasoning;
};

// Feeds `bytes` through SseParser + decoder in random pieces (seed 0 = whole).
Decoded decode(const std::string& bytes, unsigned seed = 0) {
  SseParser parser;
  ChatStreamDecoder dec;
  Collect sink;
  Decoded out;
  std::mt19937 rng(seed);
  std::size_t pos = 0;
  while (pos < bytes.size() && !out.error) {
    std::size_t n = seed == 0 ? bytes.size() : 1 + rng() % 40;
    n = std::min(n, bytes.size() - pos);
    auto s = parser.feed(std::string_view(bytes).substr(pos, n));
    pos += n;
    if (!s) {
      out.error = s.error();
      break;
    }
    for (const auto& e : parser.events()) {
      if (auto st = dec.on_event(e.event, e.data, sink); !st) {
        out.error = st.error();
        break;
      }
    }
  }
  out.text = sink.text;
  out.reasoning = sink.reasoning;
  out.done = dec.done();
  out.finished = dec.finished();
  if (!out.error) {
    auto r = dec.finish();
    if (r) out.result = std::move(*r);
    else out.error = r.error();
  }
  return out;
}

const std::vector<Dialect> kAll = {Dialect::openai, Dialect::groq,   Dialect::cerebras,
                                   Dialect::together, Dialect::fireworks, Dialect::vllm,
                                   Dialect::ollama, Dialect::llamacpp, Dialect::openrouter};

class DialectTest : public ::testing::TestWithParam<Dialect> {};

TEST_P(DialectTest, TextUsageAndFinish) {
  sse::Script s;
  s.text = {"Hel", "lo", " there", "! ünïcode ✓"};
  s.prompt_tokens = 21;
  s.completion_tokens = 7;
  s.cached_tokens = 3;
  const std::string bytes = sse::stream(GetParam(), s);
  for (unsigned seed = 0; seed < 25; ++seed) {
    const Decoded d = decode(bytes, seed);
    ASSERT_FALSE(d.error) << sse::name(GetParam()) << " seed " << seed << ": " << d.error->to_string();
    EXPECT_EQ(d.text, "Hello there! ünïcode ✓");
    ASSERT_TRUE(d.result);
    EXPECT_EQ(d.result->reason, FinishReason::stop);
    EXPECT_TRUE(d.result->tool_calls.empty());
    EXPECT_TRUE(d.done);
    ASSERT_TRUE(d.result->usage) << sse::name(GetParam());
    EXPECT_EQ(d.result->usage->input_tokens, 21);
    EXPECT_EQ(d.result->usage->output_tokens, 7);  // vLLM: the last (cumulative) usage wins
  }
}

TEST_P(DialectTest, ParallelToolCallsFragmentedAndInterleaved) {
  sse::Script s;
  s.text = {"Let me check."};
  s.calls = {{"call_abc", "get_weather", R"({"city":"San Francisco","unit":"celsius"})"},
             {"call_def", "book_appointment", R"({"date":"2025-03-14","time":"10:30","name":"Ann \"Annie\" Lee"})"}};
  s.fragments = 24;
  s.interleave = true;
  const std::string bytes = sse::stream(GetParam(), s);
  for (unsigned seed = 0; seed < 25; ++seed) {
    const Decoded d = decode(bytes, seed);
    ASSERT_FALSE(d.error) << sse::name(GetParam()) << ": " << d.error->to_string();
    EXPECT_EQ(d.text, "Let me check.");
    ASSERT_TRUE(d.result);
    EXPECT_EQ(d.result->reason, FinishReason::tool_calls);
    ASSERT_EQ(d.result->tool_calls.size(), 2u) << sse::name(GetParam());
    EXPECT_EQ(d.result->tool_calls[0].id, "call_abc");
    EXPECT_EQ(d.result->tool_calls[0].name, "get_weather");
    EXPECT_EQ(d.result->tool_calls[0].arguments, s.calls[0].arguments);
    EXPECT_EQ(d.result->tool_calls[1].id, "call_def");
    EXPECT_EQ(d.result->tool_calls[1].name, "book_appointment");
    EXPECT_EQ(d.result->tool_calls[1].arguments, s.calls[1].arguments);
    auto args = d.result->tool_calls[1].parse_arguments();
    ASSERT_TRUE(args.ok());
    EXPECT_EQ(args->find("name")->as_string(), "Ann \"Annie\" Lee");
  }
}

INSTANTIATE_TEST_SUITE_P(AllServers, DialectTest, ::testing::ValuesIn(kAll),
                         [](const auto& p) { return std::string(sse::name(p.param)); });

TEST(ChatStream, VllmReasoningGoesToTheReasoningSink) {
  const Decoded d = decode(sse::stream(Dialect::vllm, sse::Script{.text = {"Hi"}}));
  EXPECT_EQ(d.reasoning, "The user greets me.");
  EXPECT_EQ(d.text, "Hi");
}

TEST(ChatStream, GroqUsageWithoutIncludeUsageComesFromXGroq) {
  sse::Script s;
  s.text = {"ok"};
  s.include_usage = false;
  s.prompt_tokens = 5;
  s.completion_tokens = 2;
  const Decoded d = decode(sse::stream(Dialect::groq, s));
  ASSERT_TRUE(d.result && d.result->usage);
  EXPECT_EQ(d.result->usage->input_tokens, 5);
  EXPECT_EQ(d.result->usage->output_tokens, 2);
}

TEST(ChatStream, ToolCallSplitAcrossFortyDeltas) {
  sse::Script s;
  s.calls = {{"call_1", "lookup", R"({"query":"opening hours of the Riverside clinic on public holidays"})"}};
  s.fragments = 40;
  const Decoded d = decode(sse::stream(Dialect::openai, s), 3);
  ASSERT_TRUE(d.result);
  ASSERT_EQ(d.result->tool_calls.size(), 1u);
  EXPECT_EQ(d.result->tool_calls[0].arguments, s.calls[0].arguments);
}

TEST(ChatStream, OldOllamaFinishesAToolTurnWithStop) {
  sse::Script s;
  s.calls = {{"call_x1y2z3w4", "end_call", R"({"reason":"done"})"}};
  s.finish_reason = "stop";
  const Decoded d = decode(sse::stream(Dialect::ollama, s));
  ASSERT_TRUE(d.result);
  EXPECT_EQ(d.result->reason, FinishReason::tool_calls);  // decided by the calls, not finish_reason
  EXPECT_EQ(d.result->raw_finish_reason, "stop");
}

// ---- PROTOCOLS.md 3.7, hand-written vectors ----

std::string chunk(const std::string& choices_or_fields) {
  return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\"," + choices_or_fields + "}\n\n";
}

TEST(ChatStream, CommentsEmptyDataNoChoicesAndNullUsageAreSkipped) {
  const std::string bytes = ": OPENROUTER PROCESSING\n\n" "id: 1\n: ping\n\n" "data:\n\n" +
                            chunk(R"("model":"m")") +                                        // no choices key
                            chunk(R"("choices":[],"usage":null)") +                          // empty choices, null usage
                            chunk(R"("choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null)") +
                            chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"length"}])") + "data: [DONE]\n\n";
  const Decoded d = decode(bytes);
  ASSERT_FALSE(d.error) << d.error->to_string();
  EXPECT_EQ(d.text, "a");
  EXPECT_EQ(d.result->reason, FinishReason::length);
  EXPECT_FALSE(d.result->usage);
}

TEST(ChatStream, GroqEventErrorIsAnError) {
  const std::string bytes = chunk(R"("choices":[{"index":0,"delta":{"content":"x"}}])") +
                            "event: error\ndata: {\"error\":{\"message\":\"Failed to call a function. Please adjust your prompt.\","
                            "\"type\":\"invalid_request_error\",\"code\":\"tool_use_failed\",\"failed_generation\":\"<f>\",\"status_code\":400}}\n\n";
  const Decoded d = decode(bytes);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->code(), errc::provider_failed);
  EXPECT_EQ(d.error->vendor_code(), "tool_use_failed");
  EXPECT_EQ(d.error->http_status(), 400);
  EXPECT_NE(d.error->message().find("Failed to call a function"), std::string::npos);
}

TEST(ChatStream, MidStreamErrorObjects) {
  const Decoded openai = decode(chunk(R"("choices":[{"index":0,"delta":{"content":"x"}}])") +
                                "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"code\":null}}\n\n");
  ASSERT_TRUE(openai.error);
  EXPECT_EQ(openai.error->code(), errc::provider_unavailable);
  EXPECT_TRUE(openai.error->retryable());
  const Decoded vllm = decode("data: {\"object\":\"error\",\"message\":\"max_tokens too large\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}\n\n");
  ASSERT_TRUE(vllm.error);
  EXPECT_EQ(vllm.error->http_status(), 400);
  EXPECT_EQ(vllm.error->code(), errc::provider_failed);
  const Decoded vllm_new = decode("data: {\"error\":{\"message\":\"oops\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}\n\n");
  ASSERT_TRUE(vllm_new.error);
  EXPECT_EQ(vllm_new.error->http_status(), 400);
}

TEST(ChatStream, MalformedJsonNamesTheChunk) {
  const Decoded d = decode(chunk(R"("choices":[])") + chunk(R"("choices":[])") + "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}\n\n");
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->code(), errc::provider_protocol);
  EXPECT_NE(d.error->message().find("malformed JSON in chunk 3"), std::string::npos) << d.error->message();
  const Decoded keepalive_as_data = decode("data: : ping\n\n");  // a comment wrongly framed as data
  ASSERT_TRUE(keepalive_as_data.error);
  EXPECT_EQ(keepalive_as_data.error->code(), errc::provider_protocol);
}

TEST(ChatStream, WrongFieldTypesAreProtocolErrors) {
  for (const char* bad : {R"("choices":{"index":0})", R"("choices":[{"index":0,"delta":{"content":5}}])",
                          R"("choices":[{"index":0,"delta":{"tool_calls":{}}}])",
                          R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":-1}]}}])",
                          R"("choices":[{"index":0,"finish_reason":7}])", R"("usage":"lots")"}) {
    const Decoded d = decode(chunk(bad));
    ASSERT_TRUE(d.error) << bad;
    EXPECT_EQ(d.error->code(), errc::provider_protocol) << bad;
  }
}

TEST(ChatStream, OutOfOrderToolFragmentsStillAssemble) {
  // index 1 starts before index 0; a fragment of 0 arrives before the chunk with its id.
  const std::string bytes =
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_B","type":"function","function":{"name":"b","arguments":"{\"y\":"}}]}}])") +
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\""}}]}}])") +
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"a","arguments":":1}"}}]}}])") +
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]}}])") +
      chunk(R"("choices":[{"index":0,"delta":{"content":"late text"},"finish_reason":null}])") +
      chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}])") + "data: [DONE]\n\n" +
      chunk(R"("choices":[{"index":0,"delta":{"content":"after done"}}])");
  const Decoded d = decode(bytes);
  ASSERT_FALSE(d.error) << d.error->to_string();
  ASSERT_EQ(d.result->tool_calls.size(), 2u);
  EXPECT_EQ(d.result->tool_calls[0].id, "call_A");
  EXPECT_EQ(d.result->tool_calls[0].name, "a");
  EXPECT_EQ(d.result->tool_calls[0].arguments, R"({"x":1})");
  EXPECT_EQ(d.result->tool_calls[1].id, "call_B");
  EXPECT_EQ(d.result->tool_calls[1].arguments, R"({"y":2})");
  EXPECT_EQ(d.text, "late text");  // nothing after [DONE] counts
}

TEST(ChatStream, SameIndexWithADifferentIdIsANewCall) {
  const std::string bytes =
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{}"}}]}}])") +
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_2","function":{"name":"g","arguments":"{\"a\":1}"}}]}}])") +
      "data: [DONE]\n\n";
  const Decoded d = decode(bytes);
  ASSERT_TRUE(d.result);
  ASSERT_EQ(d.result->tool_calls.size(), 2u);
  EXPECT_EQ(d.result->tool_calls[0].name, "f");
  EXPECT_EQ(d.result->tool_calls[1].name, "g");
}

TEST(ChatStream, CallsWithoutIndexMatchById_AndMissingIdsAreGenerated) {
  const std::string by_id =
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_9","function":{"name":"f","arguments":"{\"a\""}}]}}])") +
      chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_9","function":{"arguments":":2}"}}]}}])") +
      "data: [DONE]\n\n";
  const Decoded d = decode(by_id);
  ASSERT_TRUE(d.result);
  ASSERT_EQ(d.result->tool_calls.size(), 1u);
  EXPECT_EQ(d.result->tool_calls[0].arguments, R"({"a":2})");

  const Decoded no_id = decode(chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":{"k":"v"}}}]}}])") +
                               "data: [DONE]\n\n");
  ASSERT_TRUE(no_id.result);
  EXPECT_EQ(no_id.result->tool_calls[0].id, "call_loqui_0");
  EXPECT_EQ(no_id.result->tool_calls[0].arguments, R"({"k":"v"})");  // object arguments serialised

  const Decoded empty_args = decode(chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"now","arguments":""}}]}}])") +
                                    "data: [DONE]\n\n");
  EXPECT_EQ(empty_args.result->tool_calls[0].arguments, "{}");
}

TEST(ChatStream, ToolCallWithoutNameIsAnError) {
  const Decoded d = decode(chunk(R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"arguments":"{}"}}]}}])") +
                           "data: [DONE]\n\n");
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->code(), errc::provider_protocol);
  EXPECT_NE(d.error->message().find("no function name"), std::string::npos);
}

TEST(ChatStream, LimitsBoundMemory) {
  ChatStreamDecoder dec({.max_tool_calls = 2, .max_tool_arguments_bytes = 8});
  Collect sink;
  EXPECT_FALSE(dec.on_event("", R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"0123456789"}}]}}]})", sink).ok());
  ChatStreamDecoder many({.max_tool_calls = 2});
  Status s = ok_status();
  for (int i = 0; i < 3 && s.ok(); ++i)
    s = many.on_event("", R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":)" + std::to_string(i) +
                              R"(,"id":"x","function":{"name":"f"}}]}}]})", sink);
  EXPECT_FALSE(s.ok());
}

TEST(ChatStream, NonStreamingResponseBody) {
  ChatStreamDecoder dec;
  Collect sink;
  ASSERT_TRUE(dec.on_complete_body(R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":2}})",
                                   sink).ok());
  EXPECT_EQ(sink.text, "Hi!");
  auto r = dec.finish();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->tool_calls.size(), 1u);
  EXPECT_EQ(r->usage->output_tokens, 2);
  EXPECT_TRUE(dec.done());
}

TEST(ChatStream, StreamWithoutDoneIsReportedAsNotDone) {
  sse::Script s;
  s.text = {"x"};
  s.done = false;
  const Decoded d = decode(sse::stream(Dialect::llamacpp, s));
  EXPECT_FALSE(d.done);
  EXPECT_TRUE(d.finished);  // the session accepts this after a clean HTTP end
  sse::Script cut;
  cut.text = {"x"};
  const std::string bytes = sse::stream(Dialect::openai, cut);
  const Decoded truncated = decode(bytes.substr(0, bytes.find("\"finish_reason\":\"stop\"") - 60));
  EXPECT_FALSE(truncated.done);
  EXPECT_FALSE(truncated.finished);
}

}  // namespace
}  // namespace loqui::openai
