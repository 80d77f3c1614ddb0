// SPDX-License-Identifier: Apache-2.0
// File: what the in-process HTTP/1.1 and HTTP/2 mock servers share: an io_context
// on its own thread, a loopback acceptor on an ephemeral port, the optional server
// TLS context (MockTls), and a connection's byte stream that is either the plain
// socket or TLS over it. Internal to tests/support (header-only).
//
// Thread safety: everything but start()/stop() runs on the server thread.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#if LOQUI_MOCK_HTTP_TLS
#include <boost/asio/ssl.hpp>
#endif

#include "support/mock_http_server.hpp"  // MockTls

namespace loqui::testing::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// A connection's byte stream: the socket, or TLS over it for https://.
struct ServerStream {
  explicit ServerStream(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
#if LOQUI_MOCK_HTTP_TLS
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;
#endif
  bool is_tls() const {
#if LOQUI_MOCK_HTTP_TLS
    return tls != nullptr;
#else
    return false;
#endif
  }
  /// Calls f with the stream to read and write: the TLS stream, else the socket.
  template <class F>
  void with(F&& f) {
#if LOQUI_MOCK_HTTP_TLS
    if (tls) return f(*tls);
#endif
    f(socket);
  }
  /// The server side of the TLS handshake (call only when is_tls()).
  template <class Done>
  void handshake(Done&& done) {
#if LOQUI_MOCK_HTTP_TLS
    tls->async_handshake(asio::ssl::stream_base::server, std::forward<Done>(done));
#else
    (void)done;
#endif
  }
  /// Shuts the TCP connection down (FIN, or RST when `reset`) and closes it.
  void close(bool reset = false) {
    boost::system::error_code ec;
    if (reset) socket.set_option(asio::socket_base::linger(true, 0), ec);
    else socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }
};

/// The server's event loop, acceptor and TLS context.
class LoopbackServer {
 public:
  /// `what` names the server in the error when TLS is asked for without OpenSSL.
  LoopbackServer(const MockTls& tls, [[maybe_unused]] const char* what) {
    if (tls.cert_pem.empty()) return;
#if LOQUI_MOCK_HTTP_TLS
    ssl_.emplace(asio::ssl::context::tls_server);
    ssl_->use_certificate_chain(asio::buffer(tls.cert_pem));
    ssl_->use_private_key(asio::buffer(tls.key_pem), asio::ssl::context::pem);
#else
    throw std::logic_error(std::string(what) + ": TLS needs the tests built with OpenSSL (LOQUI_WITH_TLS)");
#endif
  }

  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};

#if LOQUI_MOCK_HTTP_TLS
  /// The TLS context (present with MockTls), e.g. to add an ALPN callback.
  std::optional<asio::ssl::context>& ssl() { return ssl_; }
#endif

  /// Listens on 127.0.0.1 (ephemeral port).
  void listen(int backlog) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(backlog);
    port_ = acceptor.local_endpoint().port();
  }
  int port() const { return port_; }
  std::string base_url() const {
    return std::string(tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }
  bool tls() const {
#if LOQUI_MOCK_HTTP_TLS
    return ssl_.has_value();
#else
    return false;
#endif
  }

  /// A stream for an accepted socket (TLS when configured), TCP_NODELAY set: heads
  /// and pieces are separate writes, so no Nagle stalls.
  std::unique_ptr<ServerStream> stream_for(tcp::socket sock) {
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    auto s = std::make_unique<ServerStream>(std::move(sock));
#if LOQUI_MOCK_HTTP_TLS
    if (ssl_) s->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(s->socket, *ssl_);
#endif
    return s;
  }

  /// Runs the loop on its own thread; `keep_alive` (the owner) is held by it.
  void start(std::shared_ptr<void> keep_alive) {
    thread_ = std::thread([this, keep_alive = std::move(keep_alive)] { ioc.run(); });
  }
  /// Closes the acceptor, runs `close_all` on the server thread, stops and joins,
  /// then runs the handlers that were cancelled (they may hold the owner).
  template <class F>
  void stop(F close_all) {
    asio::post(ioc, [this, close_all = std::move(close_all)]() mutable {
      boost::system::error_code ec;
      acceptor.close(ec);
      close_all();
      ioc.stop();
    });
    thread_.join();
    ioc.restart();
    ioc.run();
  }

 private:
#if LOQUI_MOCK_HTTP_TLS
  std::optional<asio::ssl::context> ssl_;
#endif
  int port_ = 0;
  std::thread thread_;
};

}  // namespace loqui::testing::detail
