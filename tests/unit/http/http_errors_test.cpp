// SPDX-License-Identifier: Apache-2.0
// File: HTTP failure -> Error mapping: vendor bodies, Retry-After, retry decisions, URLs.
#include <gtest/gtest.h>

#include "net/http_errors.hpp"

namespace loqui::detail {
namespace {
using namespace std::chrono_literals;

TEST(HttpErrors, PrintableUrlDropsQueryFragmentAndUserInfo) {
  EXPECT_EQ(printable_url("https://user:pw@api.x.com:8443/v1/listen?token=sk-123#f"), "https://api.x.com:8443/v1/listen");
  EXPECT_EQ(printable_url("http://127.0.0.1:9/v1"), "http://127.0.0.1:9/v1");
  EXPECT_EQ(url_host("https://api.groq.com/openai/v1"), "api.groq.com");
  EXPECT_EQ(url_host("http://u:p@[::1]:8080/x"), "[::1]");
  EXPECT_EQ(url_host("http://localhost:11434/v1"), "localhost");
}

TEST(HttpErrors, VendorErrorShapes) {
  auto openai = parse_vendor_error(R"({"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}})");
  ASSERT_TRUE(openai);
  EXPECT_EQ(openai->message, "Rate limit reached");
  EXPECT_EQ(openai->code, "rate_limit_exceeded");
  auto ollama = parse_vendor_error(R"({"error":{"message":"model not found","type":"not_found_error","param":null,"code":null}})");
  ASSERT_TRUE(ollama);
  EXPECT_EQ(ollama->code, "not_found_error");  // falls back to type
  auto vllm = parse_vendor_error(R"({"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400})");
  ASSERT_TRUE(vllm);
  EXPECT_EQ(vllm->message, "bad");
  EXPECT_EQ(vllm->status_code, 400);
  auto groq = parse_vendor_error(R"({"error":{"message":"Failed to call a function.","type":"invalid_request_error","code":"tool_use_failed","failed_generation":"x","status_code":400}})");
  ASSERT_TRUE(groq);
  EXPECT_EQ(groq->code, "tool_use_failed");
  EXPECT_EQ(groq->status_code, 400);
  auto plain = parse_vendor_error(R"({"error":"unauthorized"})");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->message, "unauthorized");
  auto fastapi = parse_vendor_error(R"({"detail":"Not Found"})");
  ASSERT_TRUE(fastapi);
  EXPECT_EQ(fastapi->message, "Not Found");
  EXPECT_FALSE(parse_vendor_error("<html>502 Bad Gateway</html>"));
  EXPECT_FALSE(parse_vendor_error(R"({"ok":true})"));
  EXPECT_FALSE(parse_vendor_error(""));
}

TEST(HttpErrors, RetryAfterForms) {
  const std::time_t now = 1700000000;
  EXPECT_EQ(parse_retry_after({{"retry-after-ms", "1234.5"}, {"Retry-After", "9"}}, now), 1235ms);
  EXPECT_EQ(parse_retry_after({{"Retry-After", "2"}}, now), 2000ms);
  EXPECT_EQ(parse_retry_after({{"retry-after", "0.5"}}, now), 500ms);
  EXPECT_EQ(parse_retry_after({{"Retry-After", "Tue, 14 Nov 2023 22:13:30 GMT"}}, now), 10000ms);
  EXPECT_EQ(parse_retry_after({{"Retry-After", "0"}}, now), std::nullopt);
  EXPECT_EQ(parse_retry_after({{"Retry-After", "-3"}}, now), std::nullopt);
  EXPECT_EQ(parse_retry_after({{"Retry-After", "soon"}}, now), std::nullopt);
  EXPECT_EQ(parse_retry_after({}, now), std::nullopt);
}

TEST(HttpErrors, StatusCodesAndRetryDecision) {
  EXPECT_EQ(errc_for_status(401, ""), errc::provider_auth);
  EXPECT_EQ(errc_for_status(403, ""), errc::provider_auth);
  EXPECT_EQ(errc_for_status(408, ""), errc::timeout);
  EXPECT_EQ(errc_for_status(429, "rate_limit_exceeded"), errc::provider_quota);
  EXPECT_EQ(errc_for_status(429, "insufficient_quota"), errc::provider_failed);
  EXPECT_EQ(errc_for_status(500, ""), errc::provider_unavailable);
  EXPECT_EQ(errc_for_status(503, ""), errc::provider_unavailable);
  EXPECT_EQ(errc_for_status(400, ""), errc::provider_failed);
  EXPECT_EQ(errc_for_status(302, ""), errc::provider_protocol);
  EXPECT_TRUE(status_is_retryable(429, {}, "rate_limit_exceeded"));
  EXPECT_TRUE(status_is_retryable(500, {}, ""));
  EXPECT_TRUE(status_is_retryable(408, {}, ""));
  EXPECT_TRUE(status_is_retryable(409, {}, ""));
  EXPECT_FALSE(status_is_retryable(429, {}, "insufficient_quota"));
  EXPECT_FALSE(status_is_retryable(400, {}, ""));
  EXPECT_FALSE(status_is_retryable(500, {{"X-Should-Retry", "false"}}, ""));
  EXPECT_TRUE(status_is_retryable(400, {{"x-should-retry", "true"}}, ""));
}

TEST(HttpErrors, StatusErrorCarriesEverythingButSecrets) {
  const Error e = http_status_error(
      "POST", "https://api.openai.com/v1/chat/completions?api_key=sk-live-123", 429,
      {{"retry-after", "3"}, {"x-request-id", "req_abc"}},
      R"({"error":{"message":"Rate limit reached for gpt-4o","type":"tokens","param":null,"code":"rate_limit_exceeded"}})",
      "openai", 0);
  EXPECT_EQ(e.code(), errc::provider_quota);
  EXPECT_TRUE(e.retryable());
  EXPECT_EQ(e.http_status(), 429);
  EXPECT_EQ(e.vendor_code(), "rate_limit_exceeded");
  EXPECT_EQ(e.provider(), "openai");
  EXPECT_EQ(e.retry_after(), 3000ms);
  EXPECT_NE(e.message().find("POST https://api.openai.com/v1/chat/completions: HTTP 429 rate_limit_exceeded: Rate limit reached for gpt-4o"),
            std::string::npos) << e.message();
  EXPECT_NE(e.message().find("req_abc"), std::string::npos);
  EXPECT_EQ(e.message().find("sk-live-123"), std::string::npos);

  const Error quota = http_status_error("POST", "https://x/v1", 429, {},
                                        R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})",
                                        "openai", 0);
  EXPECT_EQ(quota.code(), errc::provider_failed);
  EXPECT_FALSE(quota.retryable());
  EXPECT_NE(quota.message().find("billing"), std::string::npos);

  const Error html = http_status_error("GET", "http://h/x", 502, {}, "<html>\n<b>Bad\x01gateway</b></html>", "", 0);
  EXPECT_NE(html.message().find("HTTP 502: <html> <b>Bad?gateway</b></html>"), std::string::npos) << html.message();
}

}  // namespace
}  // namespace loqui::detail
