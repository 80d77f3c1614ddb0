// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/config.hpp"

namespace loqui {
namespace {

Json parse(const char* text) {
  auto j = Json::parse(text);
  EXPECT_TRUE(j.ok());
  return j.value_or(Json());
}

TEST(ConfigReader, ReadsValuesWithDefaults) {
  Json j = parse(R"({"model": "nova-3", "options": {"sample_rate": 8000, "interim": false}})");
  ConfigErrors errors;
  ConfigReader r(j, "stt", errors);
  EXPECT_EQ(r.get_string("model", "x"), "nova-3");
  EXPECT_EQ(r.get_string("language", "en-US"), "en-US");
  auto opts = r.child("options");
  EXPECT_EQ(opts.get_int("sample_rate", 16000, {.min = 1}), 8000);
  EXPECT_FALSE(opts.get_bool("interim", true));
  EXPECT_TRUE(r.finish().ok());
}

TEST(ConfigReader, ErrorNamesPathExpectedAndFound) {
  Json j = parse(R"({"options": {"sample_rate": "16k"}})");
  ConfigErrors errors;
  ConfigReader r(j, "stt", errors);
  auto opts = r.child("options");
  EXPECT_EQ(opts.get_int("sample_rate", 16000, {.min = 1}), 16000);
  Status s = r.finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "stt.options.sample_rate: expected a positive integer, found \"16k\"");
  EXPECT_EQ(s.error().code(), make_error_code(errc::invalid_config));
}

TEST(ConfigReader, UnknownKeysAreErrors) {
  Json j = parse(R"({"provider": "openai", "modle": "gpt"})");
  ConfigErrors errors;
  ConfigReader r(j, "llm", errors);
  r.allow({"provider"});
  (void)r.get_string("model", "gpt-4o-mini");
  Status s = r.finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "llm.modle: unknown key (known keys: provider, model)");
}

TEST(ConfigReader, RangesEnumsListsAndTypes) {
  Json j = parse(R"({"n": 500, "x": 1.5, "mode": "fast", "words": ["a", 3], "flag": "yes", "obj": 3})");
  ConfigErrors errors;
  ConfigReader r(j, "", errors);
  EXPECT_EQ(r.get_int("n", 1, {.min = 1, .max = 100}), 1);
  EXPECT_EQ(r.get_number("x", 0.0, {.min = 0.0, .max = 1.0}), 0.0);
  EXPECT_EQ(r.get_enum("mode", "slow", {"slow", "medium"}), "slow");
  EXPECT_EQ(r.get_string_list("words"), std::vector<std::string>{"a"});
  EXPECT_TRUE(r.get_bool("flag", true));
  auto child = r.child("obj");
  (void)child;
  ASSERT_FALSE(r.finish().ok());
  const auto& m = errors.messages();
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0], "n: expected an integer between 1 and 100, found 500");
  EXPECT_EQ(m[1], "x: expected a number between 0 and 1, found 1.5");
  EXPECT_EQ(m[2], "mode: expected one of slow, medium, found \"fast\"");
  EXPECT_EQ(m[3], "words[1]: expected a string, found 3");
  EXPECT_EQ(m[4], "flag: expected true or false, found \"yes\"");
  EXPECT_EQ(m[5], "obj: expected an object, found 3");
}

TEST(ConfigReader, SecretsByIndirection) {
  ::setenv("LOQUI_CFG_TEST_KEY", "abcd-secret-value", 1);
  ::unsetenv("LOQUI_CFG_MISSING");
  Json j = parse(R"({"api_key_env": "LOQUI_CFG_TEST_KEY", "other_env": "LOQUI_CFG_MISSING"})");
  ConfigErrors errors;
  ConfigReader r(j, "tts", errors);
  auto key = r.get_secret_env("api_key_env");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->reveal(), "abcd-secret-value");
  EXPECT_FALSE(r.get_secret_env("other_env").has_value());
  Status s = r.finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "tts.other_env: environment variable LOQUI_CFG_MISSING is not set");
  EXPECT_EQ(s.error().message().find("abcd-secret-value"), std::string::npos);
}

TEST(ConfigReader, RequiredKeys) {
  Json j = parse(R"({})");
  ConfigErrors errors;
  ConfigReader r(j, "tts", errors);
  EXPECT_EQ(r.require_string("voice"), "");
  EXPECT_EQ(r.finish().error().message(), "tts.voice: missing required key");
}

}  // namespace
}  // namespace loqui
