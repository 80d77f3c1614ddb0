// SPDX-License-Identifier: Apache-2.0
// File: wss:// end to end: a loopback TLS WebSocket echo server with a certificate
// made at test time (self-signed, SAN IP:127.0.0.1). The client verifies it through
// `ca_file`, refuses it with the system store (certificate verify failed), and
// accepts it with verify_tls = false.
#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "loqui/net/websocket.hpp"
#include "support/ws_harness.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wold-style-cast"  // OpenSSL's macros
#endif

namespace loqui {
namespace {
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct Pem {
  std::string cert, key;
};

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed certificate for 127.0.0.1 (it is its own CA).
Pem make_cert() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, pkey, EVP_sha256());
  BIO* cb = BIO_new(BIO_s_mem());
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  PEM_write_bio_PrivateKey(kb, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  Pem pem{bio_string(cb), bio_string(kb)};
  BIO_free(cb);
  BIO_free(kb);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return pem;
}

// Accepts connections one after another on a thread; echoes text frames.
class TlsEchoServer {
 public:
  explicit TlsEchoServer(const Pem& pem) : ssl_(asio::ssl::context::tls_server) {
    ssl_.use_certificate_chain(asio::buffer(pem.cert));
    ssl_.use_private_key(asio::buffer(pem.key), asio::ssl::context::pem);
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
  Pem pem = make_cert();
  TlsEchoServer server{pem};
  std::filesystem::path ca = std::filesystem::temp_directory_path() /
                             ("loqui-ws-tls-" + std::to_string(::getpid()) + "-" +
                              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pem");
  testing::TestLoop loop;
  Recorder rec;
  WebSocket ws;

  void SetUp() override { std::ofstream(ca) << pem.cert; }
  void TearDown() override {
    loop.on_strand([&] { ws.cancel(); });
    std::filesystem::remove(ca);
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
