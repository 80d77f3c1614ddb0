// SPDX-License-Identifier: Apache-2.0
// File: HttpClient really speaks HTTP/2, against an in-process nghttp2 server:
// h2c with prior knowledge (http_version 20 in the head and the figures), two
// concurrent requests multiplexed as two streams on one TCP connection, a POST
// body and an error status over h2, and HTTP/2 over TLS chosen by ALPN with
// HttpVersion::automatic. Skips when libnghttp2-dev or curl's HTTP/2 is absent.
#include <curl/curl.h>

#include "http_fixture.hpp"
#if LOQUI_TEST_HAS_NGHTTP2
#include "support/mock_h2_server.hpp"
#include "support/test_certificate.hpp"
#endif

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::HttpClientTest;
using testing::Recorder;

bool curl_has_http2() { return (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2) != 0; }
// libcurl < 8.0.0 cannot reuse a prior-knowledge h2c connection (curl/curl#10634);
// HttpClient gives each h2c request its own connection there.
bool curl_reuses_h2c() { return curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000; }

#if LOQUI_TEST_HAS_NGHTTP2
using testing::H2Request;
using testing::H2Response;
using testing::MockH2Server;

class Http2Test : public HttpClientTest {
 protected:
  void SetUp() override {
    if (!curl_has_http2()) GTEST_SKIP() << "libcurl was built without HTTP/2";
    HttpClientTest::SetUp();
  }
  static HttpRequest h2c(const MockH2Server& server, std::string path) {
    HttpRequest r;
    r.url = server.base_url() + path;
    r.provider = "h2vendor";
    r.version = HttpVersion::http2_prior_knowledge;
    return r;
  }

  // Starts two requests at once against a server that holds each response for
  // 300 ms, and checks both were streams of one HTTP/2 connection.
  void expect_two_streams_on_one_connection(const MockH2Server& server, const HttpRequest& base) {
    Recorder a(strand_), b(strand_);
    HttpRequest ra = base, rb = base;
    ra.url += "/a";
    rb.url += "/b";
    auto ta = start(std::move(ra), a);
    auto tb = start(std::move(rb), b);
    ASSERT_TRUE(a.wait());
    ASSERT_TRUE(b.wait());
    ASSERT_FALSE(a.error_) << a.error_->to_string();
    ASSERT_FALSE(b.error_) << b.error_->to_string();
    EXPECT_EQ(a.body_, "GET /a ");
    EXPECT_EQ(b.body_, "GET /b ");
    EXPECT_EQ(a.http_version_, 20);
    EXPECT_EQ(b.http_version_, 20);
    EXPECT_EQ(server.connections_accepted(), 1);
    EXPECT_EQ(server.peak_concurrent_streams(), 2);
    const auto got = server.received();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].connection, got[1].connection);
    EXPECT_NE(got[0].stream_id, got[1].stream_id);
  }
};


H2Response echo(const H2Request& r) {
  return H2Response{200, {{"content-type", "text/plain"}}, r.method + " " + r.path + " " + r.body, {}};
}

TEST_F(Http2Test, PriorKnowledgeH2cIsHttp2) {
  MockH2Server server(echo);
  Recorder rec(strand_);
  auto t = start(h2c(server, "/v1/models"), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_FALSE(rec.error_) << rec.error_->to_string();
  EXPECT_EQ(rec.status_, 200);
  EXPECT_EQ(rec.http_version_, 20);
  ASSERT_TRUE(rec.info_);
  EXPECT_EQ(rec.info_->http_version, 20);
  EXPECT_EQ(rec.content_type_, "text/plain");
  EXPECT_EQ(rec.body_, "GET /v1/models ");
  ASSERT_EQ(server.received().size(), 1u);  // only an HTTP/2 server session could have parsed it
  EXPECT_EQ(server.received()[0].scheme, "http");
  EXPECT_EQ(rec.off_strand_.load(), 0);
}

H2Response delayed_echo(const H2Request& r) {
  H2Response resp = echo(r);
  resp.delay = 300ms;
  return resp;
}

TEST_F(Http2Test, SequentialH2cRequestsSucceed) {
  MockH2Server server(echo);
  for (const char* path : {"/one", "/two"}) {
    Recorder rec(strand_);
    auto t = start(h2c(server, path), rec);
    ASSERT_TRUE(rec.wait());
    ASSERT_FALSE(rec.error_) << path << ": " << rec.error_->to_string();
    EXPECT_EQ(rec.http_version_, 20);
    EXPECT_EQ(rec.body_, std::string("GET ") + path + " ");
  }
  EXPECT_EQ(server.connections_accepted(), curl_reuses_h2c() ? 1 : 2);
}

TEST_F(Http2Test, H2cMultiplexesTwoStreamsOnOneConnection) {
  if (!curl_reuses_h2c()) GTEST_SKIP() << "libcurl < 8.0.0 cannot reuse h2c connections (curl/curl#10634)";
  MockH2Server server(delayed_echo);
  expect_two_streams_on_one_connection(server, h2c(server, ""));
}

TEST_F(Http2Test, PostBodyAndErrorStatusOverH2) {
  MockH2Server server([](const H2Request& r) {
    if (r.path == "/limited")
      return H2Response{429,
                        {{"content-type", "application/json"}, {"retry-after", "7"}},
                        R"({"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}})",
                        {}};
    return echo(r);
  });
  Recorder post(strand_);
  HttpRequest req = h2c(server, "/v1/chat/completions");
  req.method = "POST";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = std::string(100000, 'x');  // several DATA frames and a window update
  auto t = start(std::move(req), post);
  ASSERT_TRUE(post.wait());
  ASSERT_FALSE(post.error_) << post.error_->to_string();
  EXPECT_EQ(post.body_, "POST /v1/chat/completions " + std::string(100000, 'x'));
  ASSERT_EQ(server.received().size(), 1u);
  EXPECT_EQ(server.received()[0].body.size(), 100000u);

  Recorder limited(strand_);
  auto t2 = start(h2c(server, "/limited"), limited);
  ASSERT_TRUE(limited.wait());
  ASSERT_TRUE(limited.error_);
  EXPECT_EQ(limited.error_->code(), errc::provider_quota) << limited.error_->to_string();
  EXPECT_NE(limited.error_->message().find("slow down"), std::string::npos) << limited.error_->message();
}

#if LOQUI_MOCK_HTTP_TLS
TEST_F(Http2Test, AlpnNegotiatesH2OverTls) {
  const testing::TestCertificate cert = testing::make_test_certificate();
  const testing::PemFile ca(cert.cert_pem);
  MockH2Server server(echo, testing::MockTls{cert.cert_pem, cert.key_pem});
  Recorder rec(strand_);
  HttpRequest req;
  req.url = server.base_url() + "/tls";
  req.provider = "h2vendor";
  req.ca_file = ca.string();  // HttpVersion::automatic: h2 when ALPN offers it
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_FALSE(rec.error_) << rec.error_->to_string();
  EXPECT_EQ(rec.http_version_, 20);
  EXPECT_EQ(rec.body_, "GET /tls ");
  ASSERT_EQ(server.received().size(), 1u);
  EXPECT_EQ(server.received()[0].scheme, "https");
}

TEST_F(Http2Test, TlsMultiplexesTwoStreamsOnOneConnection) {
  const testing::TestCertificate cert = testing::make_test_certificate();
  const testing::PemFile ca(cert.cert_pem);
  MockH2Server server(delayed_echo, testing::MockTls{cert.cert_pem, cert.key_pem});
  HttpRequest req;
  req.url = server.base_url();
  req.provider = "h2vendor";
  req.ca_file = ca.string();
  expect_two_streams_on_one_connection(server, req);
}
#endif

#else
TEST(Http2Test, SkippedWithoutNghttp2) {
  GTEST_SKIP() << "libnghttp2-dev is not installed: the in-process HTTP/2 server is not built";
}
#endif

}  // namespace
}  // namespace loqui
