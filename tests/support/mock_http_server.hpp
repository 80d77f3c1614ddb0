// SPDX-License-Identifier: Apache-2.0
// File: an in-process HTTP/1.1 mock server for adapter tests and benchmarks
// (loopback only, its own io_context and thread). Requests are parsed with
// Boost.Beast; responses are written byte by byte from a script, so a test
// controls framing, chunk boundaries and timing exactly and can inject faults:
// slow first byte, pauses, a stall mid-stream, a dropped (FIN) or reset (RST)
// connection, Connection: close, fixed Content-Length that is never reached.
// Given a MockTls certificate it serves https:// instead (same scripts; a client
// that refuses the certificate shows up as a connection that never sends a request).
//
// Thread safety: the handler runs on the server thread. Counters and received()
// are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loqui::testing {

struct MockRequest {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int connection = 0;  ///< 1-based id of the TCP connection it came on
  /// Case-insensitive header lookup; empty if absent.
  std::string header(std::string_view name) const;
};

/// A scripted response.
class MockResponse {
 public:
  struct Step {
    enum class Kind { pause, bytes, stall, drop, reset } kind;
    int ms = 0;
    std::string data;
  };

  explicit MockResponse(int status = 200) : status_(status) {}
  static MockResponse json(int status, std::string body);

  MockResponse& header(std::string name, std::string value);
  /// Delay before the status line (slow first byte).
  MockResponse& delay_head_ms(int ms);
  /// One body piece (its own write; its own HTTP chunk when chunked).
  MockResponse& body(std::string piece);
  MockResponse& pause_ms(int ms);
  /// Stop sending; keep the connection open until the client closes it.
  MockResponse& stall();
  /// Close the TCP connection now (FIN), leaving the body unfinished.
  MockResponse& drop();
  /// Abort the connection now (RST).
  MockResponse& reset();
  /// Send Content-Length (sum of all pieces) instead of chunked encoding.
  MockResponse& fixed_length();
  /// Content-Length to announce regardless of the pieces (for truncation faults).
  MockResponse& announce_length(std::size_t bytes);
  /// Close the connection after this response.
  MockResponse& close_after();

  int status() const { return status_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  const std::vector<Step>& steps() const { return steps_; }
  int head_delay_ms() const { return head_delay_ms_; }
  bool chunked() const { return chunked_; }
  bool closes() const { return close_after_; }
  std::size_t content_length() const;

 private:
  int status_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<Step> steps_;
  int head_delay_ms_ = 0;
  bool chunked_ = true;
  bool close_after_ = false;
  long announced_length_ = -1;
};

using MockHandler = std::function<MockResponse(const MockRequest&)>;

/// Serve https:// with this certificate chain and private key (PEM text, e.g. from
/// make_test_certificate()). Needs the test built with OpenSSL (LOQUI_WITH_TLS).
struct MockTls {
  std::string cert_pem;
  std::string key_pem;
};

class MockHttpServer {
 public:
  explicit MockHttpServer(MockHandler handler);
  MockHttpServer(MockHandler handler, MockTls tls);
  ~MockHttpServer();
  MockHttpServer(const MockHttpServer&) = delete;
  MockHttpServer& operator=(const MockHttpServer&) = delete;

  int port() const;
  /// "http://127.0.0.1:<port>" ("https://..." with MockTls)
  std::string base_url() const;
  void set_handler(MockHandler handler);

  int connections_accepted() const;
  /// TLS handshakes that failed (e.g. the client refused the certificate).
  int tls_handshakes_failed() const;
  int connections_open() const;
  int requests() const;
  std::vector<MockRequest> received() const;
  /// Waits (real time) until connections_open() == n; false on timeout.
  bool wait_connections_open(int n, std::chrono::milliseconds timeout) const;
  /// Waits until requests() >= n; false on timeout.
  bool wait_requests(int n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace loqui::testing
