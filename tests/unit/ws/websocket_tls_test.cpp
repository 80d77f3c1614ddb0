// SPDX-License-Identifier: Apache-2.0
// File: wss:// end to end: a loopback TLS WebSocket echo server with a certificate
// made at test time (self-signed, SAN IP:127.0.0.1). The client verifies it through
// `ca_file`, refuses it with the system store (certificate verify failed), and
// accepts it with verify_tls = false.
#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "loqui/net/websocket.hpp"
#include "support/test_certificate.hpp"
#include "support/ws_harness.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Accepts connections one after another on a thread; echoes text frames.
class TlsEchoServer {
 public:
  explicit TlsEchoServer(const testing::TestCertificate& pem) : ssl_(asio::ssl::context::tls_server) {
    ssl_.use_certificate_chain(asio::buffer(pem.cert_pem));
    ssl_.use_private_key(asio::buffer(pem.key_pem), asio::ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  ~TlsEchoServer() {
    stop_ = true;
    beast::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)}, ec);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void run() {
    while (!stop_) {
      beast::error_code ec;
      tcp::socket sock(ioc_);
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      websocket::stream<beast::ssl_stream<tcp::socket>> ws(std::move(sock), ssl_);
      ws.next_layer().handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;  // the client refused our certificate
      ws.accept(ec);
      if (ec) continue;
      for (;;) {
        beast::flat_buffer buf;
        ws.read(buf, ec);
        if (ec) break;
        ws.text(ws.got_text());
        ws.write(buf.data(), ec);
        if (ec) break;
      }
    }
  }
  asio::io_context ioc_;
  asio::ssl::context ssl_;
  tcp::acceptor acceptor_{ioc_};
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Recorder : WebSocketHandler {
  bool opened = false;
  std::vector<std::string> messages;
  std::optional<int> closed;
  std::optional<Error> error;
  void on_open(const WebSocketOpenInfo&) override { opened = true; }
  void on_message(std::string_view d, bool) override { messages.emplace_back(d); }
  void on_close(int code, std::string_view) override { closed = code; }
  void on_error(const Error& e) override { error = e; }
};

struct Tls : ::testing::Test {
  testing::TestCertificate pem = testing::make_test_certificate();
  TlsEchoServer server{pem};
  testing::PemFile ca{pem.cert_pem};
  testing::TestLoop loop;
  Recorder rec;
  WebSocket ws;

  void TearDown() override {
    loop.on_strand([&] { ws.cancel(); });
  }
  void connect(bool verify, const std::string& ca_file) {
    WebSocketOptions o;
    o.url = "wss://127.0.0.1:" + std::to_string(server.port()) + "/v1/speak";
    o.provider = "tlsvendor";
    o.verify_tls = verify;
    o.ca_file = ca_file;
    loop.on_strand([&] { ws = WebSocket::connect(loop.strand, o, rec).value(); });
  }
};

TEST_F(Tls, VerifiedThroughCaFileEchoesAndCloses) {
  connect(true, ca.string());
  loop.on_strand([&] { ASSERT_TRUE(ws.send_text("over tls").ok()); });
  ASSERT_TRUE(loop.run_until([&] { return !rec.messages.empty() || rec.error; }));
  ASSERT_FALSE(rec.error) << rec.error->to_string();
  EXPECT_EQ(rec.messages[0], "over tls");
  loop.on_strand([&] { ws.close(); });
  ASSERT_TRUE(loop.run_until([&] { return rec.closed || rec.error; }));
  ASSERT_TRUE(rec.closed) << rec.error->to_string();
  EXPECT_EQ(*rec.closed, 1000);
}

TEST_F(Tls, UnknownCertificateIsRefused) {
  connect(true, "");
  ASSERT_TRUE(loop.run_until([&] { return rec.error.has_value(); }));
  EXPECT_FALSE(rec.opened);
  EXPECT_NE(rec.error->message().find("TLS handshake with 127.0.0.1 failed"), std::string::npos)
      << rec.error->message();
  EXPECT_NE(rec.error->message().find("certificate verify failed"), std::string::npos) << rec.error->message();
}

TEST_F(Tls, VerificationOffAcceptsIt) {
  connect(false, "");
  loop.on_strand([&] { ASSERT_TRUE(ws.send_text("unverified").ok()); });
  ASSERT_TRUE(loop.run_until([&] { return !rec.messages.empty() || rec.error; }));
  ASSERT_FALSE(rec.error) << rec.error->to_string();
  EXPECT_EQ(rec.messages[0], "unverified");
}

TEST_F(Tls, MissingCaFileIsAClearError) {
  loop.on_strand([&] {
    WebSocketOptions o;
    o.url = "wss://127.0.0.1:1/x";
    o.ca_file = "/nonexistent/ca.pem";
    auto r = WebSocket::connect(loop.strand, o, rec);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("cannot load the CA file '/nonexistent/ca.pem'"), std::string::npos)
        << r.error().message();
  });
}

}  // namespace
}  // namespace loqui
