// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/error.hpp"
#include "loqui/secret.hpp"

namespace loqui {
namespace {

TEST(Error, CodesCompareToConditions) {
  EXPECT_TRUE(make_error_code(errc::timeout) == condition::retryable);
  EXPECT_TRUE(make_error_code(errc::provider_quota) == condition::retryable);
  EXPECT_FALSE(make_error_code(errc::provider_auth) == condition::retryable);
  EXPECT_TRUE(make_error_code(errc::provider_auth) == condition::fatal);
  EXPECT_TRUE(make_error_code(errc::cancelled) == condition::cancelled);
  EXPECT_TRUE(make_error_code(errc::invalid_config) == condition::bad_input);
  EXPECT_EQ(std::string(make_error_code(errc::parse_error).category().name()), "loqui");
}

TEST(Error, ToStringCarriesProviderContext) {
  Error e = Error(errc::provider_quota, "too many requests")
                .set_provider("deepgram")
                .set_http_status(429)
                .set_retry_after(std::chrono::milliseconds(2000));
  EXPECT_TRUE(e.retryable());
  EXPECT_EQ(e.to_string(), "provider 'deepgram': too many requests (HTTP 429, retry after 2000 ms)");
  e.add_context("stt");
  EXPECT_EQ(e.message(), "stt: too many requests");
}

TEST(Result, HoldsValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad = Error(errc::not_found, "nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), make_error_code(errc::not_found));
  EXPECT_EQ(bad.value_or(7), 7);
}

Result<int> twice(Result<int> in) {
  LOQUI_ASSIGN_OR_RETURN(int v, std::move(in));
  return v * 2;
}
Status check_positive(int v) {
  if (v <= 0) return Error(errc::invalid_argument, "not positive");
  return ok_status();
}
Status chained(int v) {
  LOQUI_TRY(check_positive(v));
  return ok_status();
}

TEST(Result, PropagationMacros) {
  EXPECT_EQ(*twice(21), 42);
  auto r = twice(Error(errc::timeout, "slow"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "slow");
  EXPECT_TRUE(chained(1).ok());
  EXPECT_FALSE(chained(-1).ok());
}

TEST(Secret, MissingVariableIsAClearError) {
  ::unsetenv("LOQUI_TEST_UNSET_KEY");
  auto s = Secret::from_env("LOQUI_TEST_UNSET_KEY", "stt.api_key_env");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "stt.api_key_env: environment variable LOQUI_TEST_UNSET_KEY is not set");
}

TEST(Secret, ValuesAreRedactedFromErrors) {
  ::setenv("LOQUI_TEST_KEY", "sk-test-abcdef123456", 1);
  auto s = Secret::from_env("LOQUI_TEST_KEY");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->reveal(), "sk-test-abcdef123456");
  EXPECT_EQ(s->to_string(), "[redacted]");
  Error e(errc::provider_auth, "Incorrect API key provided: sk-test-abcdef123456.");
  EXPECT_EQ(e.message(), "Incorrect API key provided: [redacted].");
  EXPECT_EQ(redact("a sk-test-abcdef123456 b"), "a [redacted] b");
}

}  // namespace
}  // namespace loqui
