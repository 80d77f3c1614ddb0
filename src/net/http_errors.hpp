// SPDX-License-Identifier: Apache-2.0
// File: private helpers turning HTTP failures into loqui Errors: status -> errc,
// vendor error bodies ({"error":{"message","type","code"}} and the other common
// shapes), Retry-After (retry-after-ms, seconds, HTTP date), x-should-retry, and
// URLs safe to print. Pure functions, unit-tested without a network.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/net/http.hpp"

namespace loqui::detail {

/// "https://api.openai.com/v1/chat/completions" from a URL, without user info,
/// query string or fragment (those may carry credentials).
std::string printable_url(std::string_view url);
/// The host part of a URL ("api.groq.com"); empty if none.
std::string url_host(std::string_view url);

/// What a vendor's error body said.
struct VendorError {
  std::string message;
  std::string code;  ///< error.code, else error.type (e.g. "rate_limit_exceeded")
  std::string type;
  int status_code = 0;  ///< a status embedded in the body (Groq/vLLM mid-stream errors)
};
/// Parses the common JSON error shapes: {"error":{"message","type","code",...}},
/// {"error":"text"}, {"message":...}, {"detail":...}, {"object":"error",...}.
/// Returns nullopt when `body` is not JSON or has none of them.
std::optional<VendorError> parse_vendor_error(std::string_view body);

/// The server's advised delay: retry-after-ms (float ms), else retry-after (seconds,
/// or an HTTP date relative to `now_wall`). Non-positive values are ignored.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::vector<HttpHeader>& headers,
                                                           std::time_t now_wall);

/// The loqui code for an HTTP status (and vendor error code).
errc errc_for_status(int status, std::string_view vendor_code) noexcept;

/// Retry decision for a failed HTTP status (PROTOCOLS.md 0.3), before Backoff and
/// the attempt budget: x-should-retry wins; then 408/409/429/5xx; never
/// insufficient_quota.
bool status_is_retryable(int status, const std::vector<HttpHeader>& headers, std::string_view vendor_code);

/// Builds the Error for a non-2xx response:
///   "POST http://host/v1/chat/completions: HTTP 429 rate_limit_exceeded: Rate limit
///    reached (request id req_1)"
Error http_status_error(std::string_view method, std::string_view url, int status,
                        const std::vector<HttpHeader>& headers, std::string_view body,
                        std::string_view provider, std::time_t now_wall);

/// A short, printable excerpt of untrusted text (control bytes replaced, cut at
/// `max` bytes with "...").
std::string printable_excerpt(std::string_view text, std::size_t max = 200);

}  // namespace loqui::detail
