// SPDX-License-Identifier: Apache-2.0
// File: HttpClient over https:// against the mock server serving TLS with a
// certificate made at test time (self-signed for 127.0.0.1): verified through the
// request's ca_file, refused with the system store (an error naming TLS
// verification and never the API key), accepted with verify_tls = false, and a
// ca_file that cannot be loaded is a clear error.
#include "http_fixture.hpp"
#include "support/test_certificate.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::HttpClientTest;
using testing::MockHttpServer;
using testing::MockRequest;
using testing::MockResponse;
using testing::Recorder;

constexpr const char* kKey = "sk-test-7f3a9c-secret";

class HttpsTest : public HttpClientTest {
 protected:
  testing::TestCertificate cert = testing::make_test_certificate();
  testing::PemFile ca{cert.cert_pem};
  MockHttpServer server{[](const MockRequest& r) {
                          return MockResponse(200).header("Content-Type", "text/plain").body("secure ").body(r.target);
                        },
                        testing::MockTls{cert.cert_pem, cert.key_pem}};

  HttpRequest request() {
    HttpRequest r = get(server, "/v1/models?api_key=" + std::string(kKey));
    r.headers = {{"Authorization", std::string("Bearer ") + kKey}};
    r.provider = "tlsvendor";
    r.timeouts.connect = 5s;
    return r;
  }
};

TEST_F(HttpsTest, VerifiedThroughCaFile) {
  ASSERT_EQ(server.base_url().rfind("https://127.0.0.1:", 0), 0u) << server.base_url();
  Recorder rec(strand_);
  HttpRequest req = request();
  req.ca_file = ca.string();
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_FALSE(rec.error_) << rec.error_->to_string();
  EXPECT_EQ(rec.status_, 200);
  EXPECT_EQ(rec.body_, "secure /v1/models?api_key=" + std::string(kKey));
  EXPECT_EQ(rec.http_version_, 11);  // the mock offers no ALPN: HTTP/1.1 over TLS
  ASSERT_EQ(server.received().size(), 1u);
  EXPECT_EQ(server.received()[0].header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(server.tls_handshakes_failed(), 0);
  EXPECT_EQ(rec.off_strand_.load(), 0);

  // The TLS connection is pooled and reused.
  Recorder again(strand_);
  HttpRequest req2 = request();
  req2.ca_file = ca.string();
  auto t2 = start(std::move(req2), again);
  ASSERT_TRUE(again.wait());
  ASSERT_FALSE(again.error_) << again.error_->to_string();
  ASSERT_TRUE(again.info_);
  EXPECT_TRUE(again.info_->connection_reused);
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST_F(HttpsTest, SystemStoreRefusesTheTestCertificateWithoutLeakingTheKey) {
  Recorder rec(strand_);
  HttpRequest req = request();
  req.retry = RetryPolicy{.max_attempts = 3, .initial_delay = std::chrono::milliseconds(1)};
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  const std::string all = rec.error_->to_string();
  EXPECT_EQ(rec.error_->code(), errc::provider_protocol) << all;
  EXPECT_EQ(rec.error_->provider(), "tlsvendor");
  EXPECT_NE(rec.error_->message().find("TLS certificate verification failed"), std::string::npos) << all;
  EXPECT_NE(rec.error_->message().find("https://127.0.0.1:"), std::string::npos) << all;
  EXPECT_EQ(all.find(kKey), std::string::npos) << all;
  EXPECT_TRUE(rec.retries_.empty()) << "a certificate failure is not retried";
  EXPECT_EQ(server.requests(), 0);  // nothing was sent over the refused connection
  EXPECT_GE(server.tls_handshakes_failed() + server.connections_accepted(), 1);
}

TEST_F(HttpsTest, VerificationOffAcceptsIt) {
  Recorder rec(strand_);
  HttpRequest req = request();
  req.verify_tls = false;
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_FALSE(rec.error_) << rec.error_->to_string();
  EXPECT_EQ(rec.status_, 200);
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(HttpsTest, CaFileThatCannotBeLoadedIsAClearError) {
  Recorder rec(strand_);
  HttpRequest req = request();
  req.ca_file = "/nonexistent/loqui-ca.pem";
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.error_->code(), errc::invalid_argument) << rec.error_->to_string();
  EXPECT_NE(rec.error_->message().find("cannot load the CA file '/nonexistent/loqui-ca.pem'"), std::string::npos)
      << rec.error_->message();
  EXPECT_EQ(rec.error_->to_string().find(kKey), std::string::npos);
}

}  // namespace
}  // namespace loqui
