// SPDX-License-Identifier: Apache-2.0
// File: a small in-process HTTP/2 server for HttpClient tests, built on libnghttp2's
// server session (loopback only, its own io_context and thread). It serves h2c with
// prior knowledge (http://) or, given a MockTls certificate, HTTP/2 over TLS chosen
// by ALPN ("h2"; HTTP/1.1-only clients are refused). It counts accepted TCP
// connections and the peak number of streams open at once on one connection, so a
// test can prove two requests were multiplexed on one connection.
//
// Only built when libnghttp2-dev is installed (LOQUI_TEST_HAS_NGHTTP2); tests that
// use it skip cleanly otherwise.
//
// Thread safety: the handler runs on the server thread; counters and received()
// are safe from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/mock_http_server.hpp"  // MockTls

namespace loqui::testing {

struct H2Request {
  std::string method, path, scheme, authority;
  std::vector<std::pair<std::string, std::string>> headers;  ///< regular (non-pseudo) headers
  std::string body;
  int stream_id = 0;
  int connection = 0;  ///< 1-based id of the TCP connection it came on
};

struct H2Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  ///< before the response HEADERS (keeps the stream open)
};

using H2Handler = std::function<H2Response(const H2Request&)>;

class MockH2Server {
 public:
  /// h2c with prior knowledge.
  explicit MockH2Server(H2Handler handler);
  /// HTTP/2 over TLS (ALPN h2) with this certificate.
  MockH2Server(H2Handler handler, MockTls tls);
  ~MockH2Server();
  MockH2Server(const MockH2Server&) = delete;
  MockH2Server& operator=(const MockH2Server&) = delete;

  int port() const;
  /// "http://127.0.0.1:<port>" or "https://..." with TLS.
  std::string base_url() const;

  int connections_accepted() const;
  int requests() const;
  /// Most streams ever open at the same time on one connection.
  int peak_concurrent_streams() const;
  std::vector<H2Request> received() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace loqui::testing
