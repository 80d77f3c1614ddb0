// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <vector>

#include "common/log.hpp"
#include "loqui/secret.hpp"

namespace loqui {
namespace {

struct Captured {
  LogLevel level;
  std::string component, message, fields;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_sink(
        [this](const LogRecord& r) {
          std::string f;
          for (const auto& x : r.fields) f += std::string(x.key) + "=" + std::string(x.value) + ";";
          records.push_back({r.level, std::string(r.component), std::string(r.message), f});
        },
        LogLevel::debug);
  }
  void TearDown() override { set_log_sink(nullptr, LogLevel::info); }
  std::vector<Captured> records;
};

TEST_F(LogTest, LevelsFilterAndSinkReceivesStructuredRecords) {
  LOQUI_LOG_TRACE("test", "hidden {}", 1);
  LOQUI_LOG_INFO("stt.mock", "connected in {} ms", 12);
  log(LogLevel::warn, "turn", "slow", {{"session", "s1"}, {"ms", "900"}});
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].component, "stt.mock");
  EXPECT_EQ(records[0].message, "connected in 12 ms");
  EXPECT_EQ(records[1].level, LogLevel::warn);
  EXPECT_EQ(records[1].fields, "session=s1;ms=900;");
}

TEST_F(LogTest, SecretsNeverReachTheSink) {
  register_secret("dg-secret-token-12345");
  LOQUI_LOG_INFO("stt.deepgram", "auth header Token {}", "dg-secret-token-12345");
  log(LogLevel::info, "x", "m", {{"key", "dg-secret-token-12345"}});
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].message, "auth header Token [redacted]");
  EXPECT_EQ(records[1].fields, "key=[redacted];");
}

TEST(LogFormat, DefaultLineFormat) {
  LogField f[] = {{"a", "1"}};
  LogRecord r{LogLevel::error, "rt", "boom", f};
  EXPECT_EQ(format_log_record(r), "E rt: boom a=1");
  LogLevel l;
  EXPECT_TRUE(parse_log_level("debug", l));
  EXPECT_EQ(l, LogLevel::debug);
  EXPECT_FALSE(parse_log_level("loud", l));
}

}  // namespace
}  // namespace loqui
