// SPDX-License-Identifier: Apache-2.0
// File: HttpClient, loqui's HTTP/1.1 and HTTP/2 client on the Runtime's event loop,
// for provider adapters (built-in and third-party). Standard-library types only.
//
// How it works (docs/networking.md has the full story):
//  * one libcurl multi handle per HttpClient, driven by Asio socket readiness on
//    the Runtime's io_context; every curl call runs on one Asio strand of that
//    client (the "I/O strand"). No thread per request.
//  * responses stream: body chunks are handed to the requesting session's Strand as
//    they arrive (coalesced when the session is busy; curl is paused when more than
//    HttpClientOptions::max_buffered_bytes wait), so a slow session never blocks
//    other sessions' I/O.
//  * connections are reused per host from curl's pool (HTTP/1.1 keep-alive, HTTP/2
//    multiplexing); prewarm() opens one ahead of the first request.
//  * TLS certificates and host names are verified unless a request opts out.
//  * retries with exponential backoff and jitter, honouring Retry-After, but only
//    while nothing has been handed to the handler (see HttpRequest::retry).
//
// Timeouts (HttpTimeouts), each 0 = none:
//  * connect:    TCP + TLS handshake of a new connection (curl CONNECTTIMEOUT);
//  * first_byte: from the start of an attempt to the first byte of the response;
//  * idle:       longest gap between two received pieces of the response after the
//                first one (SSE keepalive comments count: they are bytes);
//  * total:      from the start of an attempt to its completion.
// first_byte, idle and total are checked by a timer on the I/O strand against the
// time of the last received byte; the error says which one fired.
//
// Errors (delivered through HttpHandler::on_error) carry the HTTP status, the
// vendor's error code and message parsed from a JSON error body, the server's
// Retry-After, and HttpRequest::provider as Error::provider(). They name method,
// scheme, host and path but never the query string, request headers or body, so
// credentials never reach an Error or a log line.
//
// Thread safety: HttpClient is thread-safe (start() and prewarm() from any
// thread). An HttpTransfer handle is confined to the strand it was started for.
//
// @code
//   auto client = loqui::HttpClient::for_runtime(runtime).value();
//   loqui::HttpRequest req;
//   req.method = "POST";
//   req.url = "https://api.openai.com/v1/chat/completions";
//   req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key}};
//   req.body = json_body;
//   req.provider = "openai";
//   auto transfer = client->start(session_strand, std::move(req), my_handler);  // on the strand
//   ...
//   transfer->cancel();   // no handler call after this returns (on the strand)
// @endcode
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/net/retry.hpp"
#include "loqui/runtime/runtime.hpp"

namespace loqui {

struct HttpHeader {
  std::string name;
  std::string value;
};

/// Case-insensitive lookup of the first header named `name`; nullptr if absent.
const std::string* find_header(const std::vector<HttpHeader>& headers, std::string_view name) noexcept;

enum class HttpVersion : std::uint8_t {
  automatic,              ///< HTTP/2 over TLS when the server offers it (ALPN), else HTTP/1.1
  http1_1,                ///< HTTP/1.1 only
  http2_prior_knowledge,  ///< HTTP/2 without negotiation (h2c on http://, e.g. a local gRPC-style server)
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds first_byte{30000};
  std::chrono::milliseconds idle{30000};
  std::chrono::milliseconds total{600000};
};

struct HttpRequest {
  std::string method = "GET";
  /// http:// or https:// URL. A query string is sent but never logged.
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
  HttpTimeouts timeouts{};
  /// Retries for failures before anything was handed to the handler: connection
  /// errors, timeouts before the first byte, HTTP 408/409/429/5xx (and any status
  /// with `x-should-retry: true`; never with `x-should-retry: false`, never a 429
  /// whose error code is insufficient_quota, never when the server's Retry-After is
  /// longer than retry.max_retry_after). Default: no retry (max_attempts = 1).
  RetryPolicy retry{.max_attempts = 1};
  std::uint64_t retry_seed = 0x9e3779b97f4a7c15ull;  ///< jitter seed (tests use fixed seeds)
  /// Names the vendor in errors and logs ("openai", "groq").
  std::string provider;
  HttpVersion version = HttpVersion::automatic;
  /// Verify the server certificate and host name (never turn off in production).
  bool verify_tls = true;
  /// Extra CA bundle (PEM file); empty = the system store.
  std::string ca_file;
  /// Non-2xx responses become on_error (with vendor details) instead of being
  /// delivered; their body is read up to max_error_body_bytes.
  bool fail_on_error_status = true;
  std::size_t max_error_body_bytes = 64 * 1024;
};

/// The response head: status and headers of the final response.
struct HttpResponse {
  int status = 0;
  int http_version = 0;  ///< 11 or 20
  std::vector<HttpHeader> headers;
  int attempt = 1;       ///< which attempt succeeded (1 = first)
  const std::string* header(std::string_view name) const noexcept { return find_header(headers, name); }
};

/// Figures of a finished transfer.
struct HttpTransferInfo {
  int status = 0;
  int http_version = 0;
  int attempts = 1;
  std::uint64_t body_bytes = 0;
  bool connection_reused = false;   ///< the final attempt used a pooled connection
  std::chrono::microseconds connect_time{0};     ///< 0 when reused
  std::chrono::microseconds first_byte_time{0};  ///< from the final attempt's start
  std::chrono::microseconds total_time{0};
};

/// Receives a transfer's events on the strand given to HttpClient::start().
/// Never called from inside start(), never after HttpTransfer::cancel() returned on
/// that strand. After on_complete() or on_error() nothing more arrives.
/// cancel() may be called from inside any callback; the handler must not be
/// destroyed from inside one.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  /// Status and headers; called once, before the first on_body().
  virtual void on_response(const HttpResponse& response) { (void)response; }
  /// A piece of the body (any size; pieces may be coalesced). Valid only during the call.
  virtual void on_body(std::string_view chunk) = 0;
  /// The response ended normally.
  virtual void on_complete(const HttpTransferInfo& info) = 0;
  /// The transfer failed (after retries, if any).
  virtual void on_error(const Error& error) = 0;
  /// An attempt failed and another starts after `delay` (informational).
  virtual void on_retry(const Error& error, std::chrono::milliseconds delay, int next_attempt) {
    (void)error; (void)delay; (void)next_attempt;
  }
};

class HttpClient;

/// A running request. Move-only; destroying it cancels the transfer.
/// Thread safety: use on the strand the transfer was started for.
class HttpTransfer {
 public:
  HttpTransfer() = default;
  HttpTransfer(HttpTransfer&&) noexcept;
  HttpTransfer& operator=(HttpTransfer&&) noexcept;
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;
  ~HttpTransfer();

  /// Stops the transfer at once: no handler call after this returns (when called on
  /// the transfer's strand); the easy handle and, for a partly read HTTP/1.1
  /// response, the connection are released on the I/O strand right after.
  /// Idempotent.
  void cancel() noexcept;
  /// True until the transfer finished, failed or was cancelled.
  bool active() const noexcept;

  struct State;  ///< implementation detail

 private:
  friend class HttpClient;
  explicit HttpTransfer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

struct HttpClientOptions {
  /// Idle connections kept in the pool (CURLMOPT_MAXCONNECTS); 0 = curl's default.
  int max_idle_connections = 64;
  /// Connections per host (CURLMOPT_MAX_HOST_CONNECTIONS); 0 = unlimited.
  int max_connections_per_host = 0;
  /// A pooled connection idle longer than this is not reused (CURLOPT_MAXAGE_CONN).
  std::chrono::seconds max_idle_age{118};
  /// Body bytes buffered for a session that has not consumed them yet before the
  /// transfer is paused (back-pressure towards the server).
  std::size_t max_buffered_bytes = 4u << 20;
  std::string user_agent = "loqui";
};

/// Counters for tests, metrics and leak checks. Read from any thread.
struct HttpClientStats {
  std::int64_t transfers_active = 0;   ///< started and not yet released on the I/O strand
  std::int64_t easy_handles = 0;       ///< curl easy handles in use (idle ones kept for reuse not counted)
  std::int64_t sockets_open = 0;       ///< sockets curl opened and has not closed (incl. pooled)
  std::int64_t sockets_watched = 0;    ///< sockets registered with the event loop
  std::uint64_t requests_started = 0;  ///< attempts, including retries and pre-warms
  std::uint64_t connections_opened = 0;
  std::uint64_t retries = 0;
  std::uint64_t prewarms = 0;
};

/// See the file comment.
class HttpClient {
 public:
  /// A new client with its own connection pool. Errors: errc::not_supported under
  /// a virtual-time Runtime (there is no event loop for sockets), errc::internal if
  /// curl cannot be initialised. `runtime` is not owned and must outlive the client.
  static Result<std::shared_ptr<HttpClient>> create(Runtime& runtime, HttpClientOptions options = {});
  /// The runtime's shared client (created on first use), so every adapter of a
  /// runtime shares one connection pool. Same errors as create().
  static Result<std::shared_ptr<HttpClient>> for_runtime(Runtime& runtime);

  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Starts `request`; `handler` (not owned) is called on `strand` and must outlive
  /// the transfer (until on_complete/on_error, or cancel()). Errors (returned, no
  /// handler call): errc::invalid_argument for a missing strand or a URL that is not
  /// http(s); errc::closed after the client shut down.
  Result<HttpTransfer> start(std::shared_ptr<Strand> strand, HttpRequest request, HttpHandler& handler);

  /// Opens a connection to the origin of `request.url` ahead of time (a HEAD
  /// request without headers or body, result ignored) so the first real request
  /// skips DNS, TCP and TLS setup. Uses the request's version, TLS options and
  /// connect timeout. Fire and forget; thread-safe.
  void prewarm(const HttpRequest& request);

  HttpClientStats stats() const noexcept;
  Runtime& runtime() const noexcept;

  struct Impl;  ///< implementation detail

 private:
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace loqui
