// SPDX-License-Identifier: Apache-2.0
// File: the `router` in a whole call (Session, virtual time, mock STT/TTS and a
// mock LLM behind the router): small talk is answered at once by the router, the
// rest by the LLM; the call record attributes every turn to the one that answered,
// counts only the LLM's tokens and prices them as the LLM's; a farewell route ends
// the call.
#include <gtest/gtest.h>

#include "loqui/agent/call_record.hpp"
#include "loqui/metrics/cost.hpp"
#include "providers/router/router_llm.hpp"
#include "support/session_harness.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;
using testing::CallHarness;

std::shared_ptr<const detail::RouteTable> front_desk() {
  auto doc = Json::parse(R"({
    "routes": [
      {"name": "goodbye", "phrases": ["bye", "goodbye"], "say": "Goodbye!", "end": true},
      {"name": "greeting", "phrases": ["hi", "hello"], "say": "Hello! How can I help?"}
    ]})");
  auto t = detail::load_routes(doc.value_or(Json()), "test");
  EXPECT_TRUE(t.ok()) << t.error().to_string();
  return t.ok() ? *t : nullptr;
}

TEST(RouterSession, TheCallRecordSaysWhichAnsweredEachTurn) {
  CallHarness c;
  c.cfg.tools = {"end_call"};
  // What the agent config says: priced as the LLM behind the router.
  c.cfg.llm = Json::parse(R"({"provider": "router", "routes": "x.json",
                              "llm": {"provider": "openai", "model": "gpt-4o-mini"}})")
                  .value();
  MockLlmOptions o;
  o.name = "model";
  o.first_token_latency = 400ms;
  o.default_reply = {.text = "Let me check the calendar for Friday."};
  auto model = MockLanguageModel::create(o).value();
  c.llm_override = detail::make_router_llm({.routes = front_desk()}, model);
  c.stt.transcripts = {{"Hello!"}, {"I need to move my appointment to Friday."}, {"Well, goodbye then."}};
  ASSERT_TRUE(c.start());
  for (int i = 0; i < 3; ++i) {
    c.say(800ms);
    c.quiet(5s);
  }
  EXPECT_EQ(c.tts_p->utterances(),
            (std::vector<std::string>{"Hello! How can I help?", "Let me check the calendar for Friday.", "Goodbye!"}));
  EXPECT_EQ(model->requests().size(), 1u);

  const CallRecord r = c.session->call_record();
  EXPECT_EQ(r.end_reason, "end_call");
  ASSERT_EQ(r.turns.size(), 3u);
  EXPECT_EQ(r.turns[0].llm_provider, "router");
  EXPECT_EQ(r.turns[1].llm_provider, "model");
  EXPECT_EQ(r.turns[2].llm_provider, "router");
  // The router answers with no model latency; the model takes its 400 ms.
  EXPECT_EQ(*r.turns[0].llm_first_token - *r.turns[0].llm_request, Duration::zero());
  EXPECT_EQ(*r.turns[1].llm_first_token - *r.turns[1].llm_request, 400ms);
  for (const char* p : {"router", "model"}) {
    EXPECT_NE(std::find(r.providers_answered.begin(), r.providers_answered.end(), p), r.providers_answered.end()) << p;
  }

  // Only the model's tokens count, and they are priced as the model's.
  EXPECT_GT(r.usage.llm_input_tokens, 0);
  EXPECT_EQ(r.usage.llm_output_tokens, 7);  // the seven words of its one answer
  EXPECT_EQ(r.providers.llm, "openai");
  EXPECT_EQ(r.providers.llm_model, "gpt-4o-mini");
  const CallCost cost = price_call(r, PriceTable::defaults());
  const auto line = std::find_if(cost.lines.begin(), cost.lines.end(), [](const CostLine& l) { return l.component == "llm"; });
  ASSERT_NE(line, cost.lines.end());
  EXPECT_TRUE(line->price_known);
  EXPECT_GT(line->cost, 0.0);

  // The report carries the attribution.
  const Json report = to_json(r, nullptr);
  const Json* turns = report.find("turns");
  ASSERT_TRUE(turns && turns->is_array() && turns->size() == 3);
  EXPECT_EQ(turns->as_array()[0].find("llm_provider")->as_string(), "router");
  EXPECT_EQ(turns->as_array()[1].find("llm_provider")->as_string(), "model");
}

TEST(RouterSession, TheRouterIsNotListedWhenTheModelAnsweredEverything) {
  CallHarness c;
  MockLlmOptions o;
  o.name = "model";
  o.default_reply = {.text = "Sure, Friday works."};
  auto model = MockLanguageModel::create(o).value();
  c.llm_override = detail::make_router_llm({.routes = front_desk()}, model);
  c.stt.transcripts = {{"Can I come in on Friday?"}};
  ASSERT_TRUE(c.start());
  c.say(800ms);
  c.quiet(5s);
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.turns.size(), 1u);
  EXPECT_EQ(r.turns[0].llm_provider, "model");
  const auto& answered = r.providers_answered;
  EXPECT_NE(std::find(answered.begin(), answered.end(), "model"), answered.end());
  EXPECT_EQ(std::find(answered.begin(), answered.end(), "router"), answered.end());
}

}  // namespace
}  // namespace loqui
