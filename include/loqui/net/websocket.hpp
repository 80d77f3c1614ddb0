// SPDX-License-Identifier: Apache-2.0
// File: WebSocket, loqui's WebSocket client (RFC 6455) on the Runtime's event loop,
// for streaming provider adapters (built-in and third-party). Standard-library
// types only; Boost.Beast underneath.
//
// How it works (docs/networking.md, "WebSocket"):
//  * every socket operation runs on the Asio strand behind the session's Strand, so
//    the handler is called on the session strand without a hop, and a socket costs
//    no thread;
//  * connect = DNS, TCP, TLS (wss://: SNI, certificate and host name verified
//    unless turned off), then the HTTP upgrade carrying the configured headers
//    (Authorization ...), all under one per-attempt deadline (connect_timeout);
//  * a failed attempt before the socket opened (DNS, refused, timeout, HTTP 408/
//    409/429/5xx on the upgrade) is retried per WebSocketOptions::retry with
//    backoff and jitter, honouring the server's Retry-After; other upgrade statuses
//    (400, 401, 403 ...) fail at once with the status, the vendor's error (JSON body
//    or an error header) and never a request header or the query string;
//  * sends are queued and written one frame at a time (one write outstanding);
//    the queue is bounded (send returns errc::overflow when it is full);
//  * one read is always outstanding; Beast answers pings; with ping_interval set,
//    a ping goes out after that much silence and the connection fails with
//    errc::timeout when nothing at all arrives for twice that long;
//  * close() flushes the send queue, then performs the close handshake.
//
// Events: on_open once (after the upgrade), on_message per frame, then exactly one
// terminal event: on_close (the peer sent a close frame, or answered ours) or
// on_error (handshake refused, timeout, connection dropped without a close frame =
// 1006, protocol violation). Errors name scheme, host and path only.
//
// Thread safety: a WebSocket handle is confined to the strand it was connected
// for: call every method there. The handler is called on that strand, never from
// inside a method of the handle, never after cancel() returned. Destroying the
// handle cancels. The Runtime must outlive every WebSocket it carries.
//
// @code
//   loqui::WebSocketOptions o;
//   o.url = "wss://api.deepgram.com/v1/listen?model=nova-3";
//   o.headers = {{"Authorization", "Token " + key}};
//   o.provider = "deepgram";
//   auto ws = loqui::WebSocket::connect(session_strand, std::move(o), my_handler);  // on the strand
//   ws->send_binary(pcm_bytes);    // queued until open
//   ws->close();                   // close handshake; on_close follows
// @endcode
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/net/http.hpp"
#include "loqui/net/retry.hpp"
#include "loqui/runtime/runtime.hpp"

namespace loqui {

struct WebSocketOptions {
  /// ws:// or wss:// URL. The query string is sent but never logged.
  std::string url;
  /// Extra upgrade request headers (Authorization, Cartesia-Version ...). Never
  /// logged, never part of an Error.
  std::vector<HttpHeader> headers;
  /// Names the vendor in errors and logs ("deepgram").
  std::string provider;
  /// Response headers whose value explains a refused upgrade ("dg-error"); added
  /// to the error message when the body says nothing.
  std::vector<std::string> error_headers;
  /// Per attempt: DNS + TCP + TLS + upgrade. 0 = none.
  std::chrono::milliseconds connect_timeout{5000};
  /// Send a ping after this much silence from the server; fail when nothing
  /// arrives for twice as long. 0 = no keepalive pings and no idle timeout.
  std::chrono::milliseconds ping_interval{0};
  /// Longest wait for the peer's close frame after ours.
  std::chrono::milliseconds close_timeout{2000};
  /// Connect attempts (retries only before the socket opened). Default: one try.
  RetryPolicy retry{.max_attempts = 1};
  std::uint64_t retry_seed = 0x9e3779b97f4a7c15ull;
  bool verify_tls = true;
  std::string ca_file;  ///< extra CA bundle (PEM); empty = the system store
  /// Largest message accepted from the server.
  std::size_t max_message_bytes = 16u << 20;
  /// Bytes waiting in the send queue before send_*() refuses with errc::overflow.
  std::size_t max_queued_bytes = 8u << 20;
  std::string user_agent = "loqui";
};

/// What on_open reports.
struct WebSocketOpenInfo {
  int status = 101;
  std::vector<HttpHeader> headers;  ///< the 101 response's headers (dg-request-id ...)
  int attempt = 1;                  ///< which connect attempt succeeded
  std::chrono::microseconds connect_time{0};  ///< from the attempt's start to open
};

/// Receives a connection's events on its strand (see the file comment).
/// cancel() and send_*() may be called from inside any callback; the handle must
/// not be destroyed inside one.
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  virtual void on_open(const WebSocketOpenInfo& info) { (void)info; }
  /// One whole message; `data` is valid only during the call.
  virtual void on_message(std::string_view data, bool binary) = 0;
  /// The close handshake happened (either side started it). Terminal.
  virtual void on_close(int code, std::string_view reason) = 0;
  /// The connection failed. Terminal. error.retryable() tells if reconnecting may help.
  virtual void on_error(const Error& error) = 0;
  /// A connect attempt failed and another starts after `delay` (informational).
  virtual void on_retry(const Error& error, std::chrono::milliseconds delay, int next_attempt) {
    (void)error; (void)delay; (void)next_attempt;
  }
};

/// Process-wide counters (for tests, leak checks and metrics). Any thread.
struct WebSocketStats {
  std::int64_t connections_active = 0;  ///< connect() called, not yet finished or cancelled
  std::int64_t sockets_open = 0;        ///< TCP sockets currently open
  std::uint64_t connects = 0;           ///< attempts started, including retries
  std::uint64_t opened = 0;             ///< upgrades that succeeded
  std::uint64_t retries = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t bytes_sent = 0;         ///< payload bytes
  std::uint64_t bytes_received = 0;
};
WebSocketStats websocket_stats() noexcept;

/// A client connection. Move-only; destroying it cancels (see the file comment).
class WebSocket {
 public:
  /// Starts connecting; `handler` (not owned) must outlive the connection (until its
  /// terminal event or cancel()). Call on `strand`. Errors (returned, no handler
  /// call): invalid_argument (no strand, not a ws:// or wss:// URL), not_supported
  /// (virtual time; wss:// in a build without TLS).
  static Result<WebSocket> connect(std::shared_ptr<Strand> strand, WebSocketOptions options,
                                   WebSocketHandler& handler);

  WebSocket() = default;
  WebSocket(WebSocket&&) noexcept;
  WebSocket& operator=(WebSocket&&) noexcept;
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;
  ~WebSocket();

  /// Queue a text / binary message (sent once open, in order). Errors: closed
  /// (after close(), cancel() or a terminal event), overflow (queue full),
  /// invalid_argument (an empty binary message: vendors read it as end of stream).
  Status send_text(std::string_view text);
  Status send_binary(std::string_view bytes);
  /// Sends what is queued, then the close frame (code, reason <= 123 bytes);
  /// on_close follows when the peer answers (or on_error after close_timeout).
  /// Before the connection opened: with nothing queued, connecting stops and
  /// on_close follows at once; with messages queued, they are sent once open.
  void close(int code = 1000, std::string_view reason = {});
  /// Like close() but hands the connection off: no handler call after this returns
  /// and the handle is released at once; the queued messages, the close frame and
  /// the wait for the peer's answer (up to close_timeout) go on in the background.
  /// For adapters that end a stream politely (Deepgram CloseStream) on cancel().
  void close_detached(int code = 1000, std::string_view reason = {}) noexcept;
  /// Stops at once (TCP close, no close frame): no handler call after this returns.
  /// Idempotent.
  void cancel() noexcept;

  bool valid() const noexcept { return impl_ != nullptr; }
  /// Connected and not closing.
  bool is_open() const noexcept;
  /// Bytes queued and not yet written.
  std::size_t queued_bytes() const noexcept;

  struct Impl;  ///< implementation detail

 private:
  explicit WebSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace loqui
