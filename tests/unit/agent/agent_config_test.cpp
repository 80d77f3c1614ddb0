// SPDX-License-Identifier: Apache-2.0
// The agent document parser.
#include <gtest/gtest.h>

#include "loqui/agent/agent_config.hpp"
#include "loqui/provider/registry.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;

Json parse(std::string_view text) { return Json::parse(text).value(); }

TEST(AgentConfigTest, ParsesTheArchitectureExample) {
  const Json doc = parse(R"({
    "agent": {"name": "Clinic front desk", "language": "en-US",
              "greeting": "Thanks for calling Riverside Clinic, how can I help?",
              "system_prompt": "You are the front desk of {clinic_name}.",
              "variables": {"clinic_name": "Riverside Clinic"},
              "tools": ["check_availability", "transfer_to_human",
                        {"name": "book_appointment", "description": "Books a slot",
                         "parameters": {"type": "object", "properties": {"day": {"type": "string"}}},
                         "results": [{"booked": true}, {"booked": false}], "latency_ms": 1200}]},
    "stt": {"provider": "mock", "final_ms": 100},
    "llm": {"provider": "flow"},
    "tts": {"provider": "mock"},
    "flow": "flows/clinic.json",
    "turn": {"endpointing_ms": {"min": 250, "max": 1200},
             "interruption": {"min_duration_ms": 400, "min_words": 2, "backchannels": ["Uh-huh", "yeah"]},
             "preemptive_generation": true, "idle_reprompt_s": 8, "max_call_s": 900},
    "handoff": {"phrases": ["talk to a person"], "after_failed_turns": 2, "keywords": ["complaint", "Emergency"]},
    "tenant": {"id": "clinic_123", "max_concurrent_calls": 5},
    "prices": "prices/default.json",
    "vad": {"detector": "loqui", "threshold": 0.6, "stop_ms": 180}
  })");
  auto cfg = AgentConfig::parse(doc, "/agents");
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->name, "Clinic front desk");
  EXPECT_EQ(cfg->rendered_system_prompt(), "You are the front desk of Riverside Clinic.");
  EXPECT_EQ(cfg->tools, (std::vector<std::string>{"check_availability", "transfer_to_human", "book_appointment"}));
  ASSERT_EQ(cfg->simulated_tools.size(), 1u);
  EXPECT_EQ(cfg->simulated_tools[0].results.size(), 2u);
  EXPECT_EQ(cfg->simulated_tools[0].latency, 1200ms);
  EXPECT_EQ(cfg->flow, "/agents/flows/clinic.json");
  EXPECT_EQ(cfg->llm.find("flow")->as_string(), "/agents/flows/clinic.json");
  EXPECT_EQ(cfg->stt.find("final_ms")->as_int(), 100);
  EXPECT_EQ(cfg->turn.endpointing_min, 250ms);
  EXPECT_EQ(cfg->turn.endpointing_max, 1200ms);
  EXPECT_EQ(cfg->turn.interruption_min_words, 2);
  EXPECT_EQ(cfg->turn.backchannels, (std::vector<std::string>{"uh-huh", "yeah"}));
  EXPECT_TRUE(cfg->turn.preemptive_generation);
  EXPECT_EQ(cfg->turn.max_call, 900s);
  EXPECT_EQ(cfg->handoff.after_failed_turns, 2);
  EXPECT_EQ(cfg->handoff.keywords, (std::vector<std::string>{"complaint", "emergency"}));
  EXPECT_EQ(cfg->tenant.id, "clinic_123");
  EXPECT_EQ(cfg->prices_file, "/agents/prices/default.json");
  EXPECT_FLOAT_EQ(cfg->vad.segmenter.threshold, 0.6f);
  EXPECT_EQ(cfg->vad.segmenter.stop_ms, 180);
}

TEST(AgentConfigTest, UnknownKeysAndBadValuesNameTheirPath) {
  auto cfg = AgentConfig::parse(parse(R"({
    "agent": {"nmae": "x", "tools": [{"description": "no name"}, 5]},
    "stt": {"model": "nova"},
    "turn": {"endpointing_ms": {"min": 900, "max": 300, "mx": 1}, "interruption": {"min_words": -1}},
    "prices": 3,
    "extra": true
  })"), ".");
  ASSERT_FALSE(cfg);
  const std::string m = cfg.error().message();
  EXPECT_EQ(cfg.error().code(), make_error_code(errc::invalid_config));
  for (const char* want : {"agent.nmae: unknown key", "agent.tools[0].name", "agent.tools[1]", "stt.provider",
                           "turn.endpointing_ms.max: must be >= min", "turn.endpointing_ms.mx: unknown key",
                           "turn.interruption.min_words", "prices:", "extra: unknown key"}) {
    EXPECT_NE(m.find(want), std::string::npos) << "missing '" << want << "' in: " << m;
  }
}

TEST(AgentConfigTest, DefaultsAreMockProvidersAndMakeProvidersBuildsThem) {
  auto cfg = AgentConfig::parse(Json::object(), "");
  ASSERT_TRUE(cfg);
  Registry registry;
  register_builtin_providers(registry);
  auto p = make_agent_providers(registry, *cfg);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->stt->info().name, "mock");
  EXPECT_EQ(p->llm->info().name, "mock");
  EXPECT_EQ(p->tts->info().name, "mock");

  cfg->llm = Json::object({{"provider", "nosuch"}});
  auto bad = make_agent_providers(registry, *cfg);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("llm"), std::string::npos);
}

}  // namespace
}  // namespace loqui
