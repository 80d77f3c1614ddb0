// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/metrics/cost.hpp"

namespace loqui {
namespace {

TEST(PriceTable, PricesACloudCallPerComponentAndPerMinute) {
  PriceTable t = PriceTable::defaults();
  Usage u;
  u.stt_audio_seconds = 120;  // 2 min at 0.0077
  u.llm_input_tokens = 1'000'000;
  u.llm_output_tokens = 100'000;
  u.tts_characters = 2000;    // 2k chars at 0.030
  u.call_seconds = 180;
  CallCost c = t.price(u, {"deepgram", "nova-3", "openai", "gpt-4o-mini", "cartesia", "sonic-2"});
  ASSERT_EQ(c.lines.size(), 3u);
  EXPECT_EQ(c.lines[0].priced_as, "deepgram/nova-3");
  EXPECT_NEAR(c.lines[0].cost, 0.0154, 1e-9);
  EXPECT_EQ(c.lines[1].priced_as, "openai/gpt-4o-mini");
  EXPECT_NEAR(c.lines[1].cost, 0.15 + 0.06, 1e-9);
  EXPECT_EQ(c.lines[1].quantity, "1000000 in / 100000 out tokens");
  EXPECT_NEAR(c.lines[2].cost, 0.06, 1e-9);
  EXPECT_NEAR(c.total, 0.2854, 1e-9);
  EXPECT_NEAR(c.per_minute, 0.2854 / 3.0, 1e-9);
  EXPECT_TRUE(c.complete);
}

TEST(PriceTable, FallsBackFromModelToProviderAndFlagsUnknownPrices) {
  PriceTable t = PriceTable::defaults();
  Usage u;
  u.stt_audio_seconds = 60;
  u.call_seconds = 60;
  CallCost c = t.price(u, {"deepgram", "some-future-model", "openai", "mystery-model", "", ""});
  EXPECT_EQ(c.lines[0].priced_as, "deepgram");
  EXPECT_FALSE(c.lines[1].price_known);
  EXPECT_EQ(c.lines[1].priced_as, "openai/mystery-model");
  EXPECT_FALSE(c.complete);
}

TEST(PriceTable, EmbeddedProvidersCostNothing) {
  Usage u;
  u.stt_audio_seconds = 600;
  u.tts_characters = 5000;
  u.call_seconds = 600;
  CallCost c = PriceTable::defaults().price(u, {"pocketsphinx", "", "flow", "", "espeak", ""});
  EXPECT_TRUE(c.complete);
  EXPECT_EQ(c.total, 0.0);
}

TEST(PriceTable, JsonOverridesAndValidates) {
  auto j = Json::parse(R"({"currency": "EUR", "telephony": {"per_minute": 0.01},
                           "llm": {"openai/gpt-4o-mini": {"per_million_input_tokens": 1, "per_million_output_tokens": 2}}})");
  ASSERT_TRUE(j.ok());
  auto t = PriceTable::from_json(*j);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->currency(), "EUR");
  EXPECT_EQ(t->llm("openai", "gpt-4o-mini")->per_million_output_tokens, 2.0);
  EXPECT_TRUE(t->tts("cartesia", "").has_value());  // defaults kept
  Usage u;
  u.call_seconds = 120;
  EXPECT_NEAR(t->price(u, {}).total, 0.02, 1e-12);

  auto bad = PriceTable::from_json(*Json::parse(R"({"stt": {"deepgram": {"per_minute": -1, "per_hour": 2}}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "prices.stt.deepgram.per_minute: expected a non-negative number, found -1; "
            "prices.stt.deepgram.per_hour: unknown key (known keys: per_minute)");
}

}  // namespace
}  // namespace loqui
