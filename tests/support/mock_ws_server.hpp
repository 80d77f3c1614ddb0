// SPDX-License-Identifier: Apache-2.0
// File: an in-process WebSocket mock server (Boost.Beast) for adapter tests and
// benchmarks: loopback only, its own io_context and thread. Each accepted
// connection gets a MockWsSession from the test's factory; the session decides how
// to answer the upgrade (accept, accept late, or refuse with any status, headers
// and body: 429 + Retry-After, 5xx, 401 ...) and scripts the conversation: send
// text/binary frames, garbage, close with a code and reason, drop the TCP
// connection without a close frame, stop reading (a stalled peer), run timers.
// Vendor mocks (mock_vendors.hpp) are sessions speaking a vendor's protocol.
//
// Thread safety: sessions and MockWsConn run on the server thread only. Counters,
// requests() and the wait helpers are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loqui::testing {

struct MockWsRequest {
  std::string target;  ///< path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;
  int connection = 0;  ///< 1-based id of the TCP connection
  /// Case-insensitive header lookup; empty if absent.
  std::string header(std::string_view name) const;
  /// The path without the query.
  std::string path() const;
  /// Every value of a query parameter (percent-decoded), in order.
  std::vector<std::string> query_all(std::string_view name) const;
  /// The first value of a query parameter; empty if absent.
  std::string query(std::string_view name) const;
  bool has_query(std::string_view name) const { return !query_all(name).empty(); }
};

/// How to answer the upgrade request.
struct MockWsUpgrade {
  int status = 101;  ///< 101 accepts; anything else refuses with this HTTP status
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int delay_ms = 0;  ///< wait before answering (slow accept)
  static MockWsUpgrade accept(int delay_ms = 0) { return {.status = 101, .headers = {}, .body = {}, .delay_ms = delay_ms}; }
  static MockWsUpgrade refuse(int status, std::string body = {},
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    return {.status = status, .headers = std::move(headers), .body = std::move(body), .delay_ms = 0};
  }
};

/// The server side of one connection (server thread only).
class MockWsConn {
 public:
  virtual ~MockWsConn() = default;
  virtual void send_text(std::string text) = 0;
  virtual void send_binary(std::string bytes) = 0;
  /// Close handshake with `code` and `reason` (after the queued frames).
  virtual void close(int code, std::string reason = {}) = 0;
  /// Closes the TCP connection now, without a close frame (the client sees 1006).
  virtual void drop() = 0;
  /// Stops reading: pings go unanswered and the client's frames pile up (a stall).
  virtual void stop_reading() = 0;
  /// Runs `fn` after `ms` on the server thread unless the connection ended.
  virtual void after(int ms, std::function<void()> fn) = 0;
  virtual const MockWsRequest& request() const = 0;
  virtual bool ended() const = 0;
};

/// A scripted peer. One per connection.
class MockWsSession {
 public:
  virtual ~MockWsSession() = default;
  virtual MockWsUpgrade on_upgrade(const MockWsRequest& request) { (void)request; return MockWsUpgrade::accept(); }
  virtual void on_open(MockWsConn& conn) { (void)conn; }
  virtual void on_text(MockWsConn& conn, std::string_view text) { (void)conn; (void)text; }
  virtual void on_binary(MockWsConn& conn, std::string_view bytes) { (void)conn; (void)bytes; }
  /// The client closed (code) or the connection ended otherwise (code 1006).
  virtual void on_end(MockWsConn& conn, int code) { (void)conn; (void)code; }
};

using MockWsFactory = std::function<std::unique_ptr<MockWsSession>(int connection)>;

class MockWsServer {
 public:
  explicit MockWsServer(MockWsFactory factory);
  ~MockWsServer();
  MockWsServer(const MockWsServer&) = delete;
  MockWsServer& operator=(const MockWsServer&) = delete;

  int port() const;
  /// "ws://127.0.0.1:<port>"
  std::string base_url() const;
  void set_factory(MockWsFactory factory);

  int connections_accepted() const;
  int connections_open() const;
  int upgrades_accepted() const;
  std::uint64_t frames_received() const;
  std::uint64_t bytes_received() const;
  std::vector<MockWsRequest> requests() const;
  /// Waits (real time) until `pred()` holds; false on timeout.
  static bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace loqui::testing
