// SPDX-License-Identifier: Apache-2.0
// The call record: usage, pricing and the report JSON (`loqui run --report`).
#include <gtest/gtest.h>

#include "support/session_harness.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;
using testing::CallHarness;

struct ReportCall {
  CallHarness c;
  Json report;
  CallRecord rec;
  ReportCall() {
    c.cfg.greeting = "Hello.";
    c.cfg.llm = Json::object({{"provider", "mock"}, {"model", "m1"}});
    c.stt.transcripts = {{"Can I book for Tuesday?"}};
    EXPECT_TRUE(c.tools.add({.name = "check_availability", .description = "slots"},
                            [](const Json&) -> Result<Json> { return Json::object({{"slots", 2}}); }));
    c.llm.rules = {{.user_contains = "book",
                    .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tue"})"}}}},
                   {.tool_result = "check_availability", .reply = {.text = "Two slots are free on Tuesday."}}};
    EXPECT_TRUE(c.start());
    c.quiet(2s);
    c.say(1s);
    c.quiet(5s);
    c.session->stop("caller_hangup");
    (void)c.rt->run_until_idle();
    rec = c.session->call_record();
    PriceTable prices = PriceTable::from_json(Json::parse(R"({"stt": {"mock": {"per_minute": 0.01}},
        "llm": {"mock": {"per_million_input_tokens": 1000, "per_million_output_tokens": 2000}},
        "tts": {"mock": {"per_thousand_characters": 0.5}}})").value()).value();
    report = to_json(rec, &prices);
  }
};

TEST(CallRecordTest, UsageCountsAudioTokensAndCharacters) {
  ReportCall r;
  const Usage& u = r.rec.usage;
  EXPECT_NEAR(u.call_seconds, 8.0, 0.05);
  EXPECT_NEAR(u.stt_audio_seconds, 8.0, 0.05);  // every caller frame went to STT
  EXPECT_EQ(u.tts_characters, static_cast<std::int64_t>(std::string("Hello.Two slots are free on Tuesday.").size()));
  EXPECT_GT(u.llm_input_tokens, 0);
  EXPECT_GT(u.llm_output_tokens, 0);
  EXPECT_EQ(r.rec.providers.llm_model, "m1");
  const CallCost cost = price_call(r.rec, PriceTable::defaults());
  EXPECT_TRUE(cost.complete);  // mock providers are priced at zero by default
  EXPECT_EQ(cost.total, 0.0);
}

TEST(CallRecordTest, ReportHasTheDocumentedShape) {
  ReportCall r;
  const Json& j = r.report;
  const Json& call = *j.find("call");
  EXPECT_NEAR(call.find("duration_ms")->as_number(), 8000.0, 50.0);
  EXPECT_EQ(call.find("end_reason")->as_string(), "caller_hangup");
  EXPECT_EQ(call.find("providers")->find("llm")->as_string(), "mock");
  const auto& transcript = j.find("transcript")->as_array();
  ASSERT_EQ(transcript.size(), 3u);
  for (const char* k : {"speaker", "start_ms", "end_ms", "text"}) EXPECT_TRUE(transcript[0].contains(k)) << k;
  EXPECT_EQ(transcript[0].find("speaker")->as_string(), "agent");
  EXPECT_EQ(transcript[0].find("heard_text")->as_string(), "Hello.");
  EXPECT_EQ(transcript[1].find("speaker")->as_string(), "caller");
  EXPECT_FALSE(transcript[1].contains("heard_text"));
  const auto& turns = j.find("turns")->as_array();
  ASSERT_EQ(turns.size(), 1u);
  const Json& t = turns[0];
  for (const char* k : {"user_speech_end_ms", "stt_final_ms", "end_of_turn_ms", "llm_first_token_ms",
                        "tts_first_audio_ms", "agent_audio_start_ms", "voice_to_voice_ms", "loqui_overhead_ms",
                        "interrupted", "stt_provider", "llm_provider", "tts_provider"}) {
    EXPECT_TRUE(t.contains(k)) << k;
  }
  // The numbers agree with each other.
  EXPECT_DOUBLE_EQ(t.find("voice_to_voice_ms")->as_number(),
                   t.find("agent_audio_start_ms")->as_number() - t.find("user_speech_end_ms")->as_number());
  EXPECT_DOUBLE_EQ(t.find("loqui_overhead_ms")->as_number(), 0.0);
  EXPECT_EQ(t.find("tool_calls")->as_int(), 1);
  const auto& tools = j.find("tool_calls")->as_array();
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0].find("name")->as_string(), "check_availability");
  EXPECT_EQ(*tools[0].find("result"), Json::object({{"slots", 2}}));
  EXPECT_TRUE(j.find("handoff")->is_null());
  const Json& usage = *j.find("usage");
  EXPECT_GT(usage.find("llm_output_tokens")->as_int(), 0);
  const Json& cost = *j.find("cost");
  EXPECT_TRUE(cost.find("complete")->as_bool());
  EXPECT_GT(cost.find("total")->as_number(), 0.0);
  EXPECT_EQ(cost.find("lines")->size(), 3u);
  // Round trip through text.
  EXPECT_EQ(Json::parse(j.dump(2)).value(), j);
}

}  // namespace
}  // namespace loqui
