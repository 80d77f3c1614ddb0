// SPDX-License-Identifier: Apache-2.0
// File: HttpClient against the in-process mock server: streaming delivery on the
// session strand, connection reuse and pre-warm, status errors, retries with
// Retry-After, every timeout, dropped connections, cancellation without leaks,
// large bodies both ways (the edge-triggered reactor case), back-pressure.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "http_fixture.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::MockHttpServer;
using testing::MockRequest;
using testing::MockResponse;
using testing::HttpClientTest;
using testing::Recorder;

int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(HttpClientTest, StreamsTheBodyInPiecesOnTheSessionStrand) {
  MockHttpServer server([](const MockRequest&) {
    MockResponse r(200);
    r.header("Content-Type", "text/event-stream");
    for (int i = 0; i < 5; ++i) r.body("piece" + std::to_string(i) + ";").pause_ms(20);
    return r;
  });
  Recorder rec(strand_);
  auto t = start(get(server), rec);
  ASSERT_TRUE(rec.wait());
  EXPECT_EQ(rec.off_strand_.load(), 0);
  EXPECT_EQ(rec.events_, (std::vector<std::string>{"response", "body", "complete"}));
  EXPECT_EQ(rec.status_, 200);
  EXPECT_EQ(rec.content_type_, "text/event-stream");
  EXPECT_EQ(rec.body_, "piece0;piece1;piece2;piece3;piece4;");
  EXPECT_GE(rec.body_calls_, 3);  // delivered as it arrived, not at the end
  EXPECT_EQ(rec.http_version_, 11);
  ASSERT_TRUE(rec.info_);
  EXPECT_EQ(rec.info_->body_bytes, rec.body_.size());
  EXPECT_FALSE(t.active());
}

TEST_F(HttpClientTest, PostSendsBodyAndHeadersWithoutExpectContinue) {
  MockHttpServer server([](const MockRequest& r) { return MockResponse::json(200, "{\"echo\":" + std::to_string(r.body.size()) + "}"); });
  Recorder rec(strand_);
  HttpRequest req = get(server, "/v1/chat/completions");
  req.method = "POST";
  req.body = std::string(4000, 'x');  // > 1 KiB: curl would add Expect: 100-continue
  req.headers = {{"Content-Type", "application/json"}, {"X-Test", "1"}};
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  EXPECT_EQ(rec.body_, "{\"echo\":4000}");
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/v1/chat/completions");
  EXPECT_EQ(got[0].header("x-test"), "1");
  EXPECT_EQ(got[0].header("expect"), "");
}

TEST_F(HttpClientTest, ReusesOneConnectionPerHost) {
  MockHttpServer server([](const MockRequest&) { return MockResponse::json(200, "{}"); });
  for (int i = 0; i < 3; ++i) {
    Recorder rec(strand_);
    auto t = start(get(server), rec);
    ASSERT_TRUE(rec.wait());
    ASSERT_TRUE(rec.info_);
    EXPECT_EQ(rec.info_->connection_reused, i > 0) << i;
  }
  EXPECT_EQ(server.connections_accepted(), 1);
  EXPECT_EQ(client_->stats().sockets_open, 1);  // pooled, idle
}

TEST_F(HttpClientTest, PrewarmOpensTheConnectionBeforeTheFirstRequest) {
  MockHttpServer server([](const MockRequest& r) { return MockResponse::json(r.method == "HEAD" ? 404 : 200, "{}"); });
  client_->prewarm(get(server, "/v1/models"));
  ASSERT_TRUE(server.wait_requests(1, 5s));
  ASSERT_TRUE(wait_idle());
  EXPECT_EQ(server.received()[0].method, "HEAD");
  Recorder rec(strand_);
  auto t = start(get(server), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.info_);
  EXPECT_TRUE(rec.info_->connection_reused);
  EXPECT_EQ(server.connections_accepted(), 1);
  EXPECT_EQ(client_->stats().prewarms, 1u);
}

TEST_F(HttpClientTest, ErrorStatusBecomesAnErrorWithVendorDetails) {
  MockHttpServer server([](const MockRequest&) {
    return MockResponse::json(401, R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})")
        .header("x-request-id", "req_401");
  });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.retry = {.max_attempts = 3, .initial_delay = 1ms};
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.events_, (std::vector<std::string>{"error"}));  // nothing delivered, no retry
  EXPECT_EQ(rec.error_->code(), errc::provider_auth);
  EXPECT_EQ(rec.error_->http_status(), 401);
  EXPECT_EQ(rec.error_->vendor_code(), "invalid_api_key");
  EXPECT_EQ(rec.error_->provider(), "mock");
  EXPECT_NE(rec.error_->message().find("Incorrect API key provided"), std::string::npos);
  EXPECT_NE(rec.error_->message().find("req_401"), std::string::npos);
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(HttpClientTest, RateLimitIsRetriedAfterRetryAfter) {
  std::atomic<int> n{0};
  MockHttpServer server([&](const MockRequest&) {
    if (n.fetch_add(1) == 0)
      return MockResponse::json(429, R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})")
          .header("retry-after-ms", "120");
    return MockResponse::json(200, "ok");
  });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.retry = {.max_attempts = 3, .initial_delay = 1ms};
  const auto t0 = std::chrono::steady_clock::now();
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(rec.events_, (std::vector<std::string>{"retry", "response", "body", "complete"}));
  ASSERT_EQ(rec.retries_.size(), 1u);
  EXPECT_EQ(rec.retries_[0].delay, 120ms);
  EXPECT_EQ(rec.retries_[0].next, 2);
  EXPECT_EQ(rec.retries_[0].error.code(), errc::provider_quota);
  EXPECT_GE(elapsed, 120ms);
  EXPECT_EQ(rec.attempt_, 2);
  EXPECT_EQ(rec.body_, "ok");
  EXPECT_EQ(client_->stats().retries, 1u);
}

TEST_F(HttpClientTest, InsufficientQuotaIsNotRetried) {
  MockHttpServer server([](const MockRequest&) {
    return MockResponse::json(429, R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})");
  });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.retry = {.max_attempts = 3, .initial_delay = 1ms};
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.error_->code(), errc::provider_failed);
  EXPECT_FALSE(rec.error_->retryable());
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(HttpClientTest, ServerErrorsAreRetriedUntilAttemptsRunOut) {
  MockHttpServer server([](const MockRequest&) { return MockResponse::json(500, R"({"error":{"message":"boom","type":"server_error"}})"); });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.retry = {.max_attempts = 3, .initial_delay = 5ms, .max_delay = 10ms};
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.error_->code(), errc::provider_unavailable);
  EXPECT_NE(rec.error_->message().find("after 3 attempts"), std::string::npos) << rec.error_->message();
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(rec.retries_.size(), 2u);
}

TEST_F(HttpClientTest, RetryAfterLongerThanTheCapOrShouldRetryFalseStopsRetries) {
  MockHttpServer server([](const MockRequest& r) {
    if (r.target == "/long") return MockResponse::json(429, "{}").header("Retry-After", "600");
    return MockResponse::json(503, "{}").header("x-should-retry", "false");
  });
  for (const char* path : {"/long", "/noretry"}) {
    Recorder rec(strand_);
    HttpRequest req = get(server, path);
    req.retry = {.max_attempts = 3, .initial_delay = 1ms, .max_retry_after = 30000ms};
    auto t = start(std::move(req), rec);
    ASSERT_TRUE(rec.wait());
    ASSERT_TRUE(rec.error_) << path;
    EXPECT_TRUE(rec.retries_.empty()) << path;
  }
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(HttpClientTest, FirstByteTimeout) {
  MockHttpServer server([](const MockRequest&) { return MockResponse::json(200, "late").delay_head_ms(3000); });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.timeouts.first_byte = 150ms;
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.error_->code(), errc::timeout);
  EXPECT_NE(rec.error_->message().find("first-byte timeout of 150 ms"), std::string::npos) << rec.error_->message();
  ASSERT_TRUE(wait_idle());
}

TEST_F(HttpClientTest, IdleTimeoutWhenTheStreamStalls) {
  MockHttpServer server([](const MockRequest&) { return MockResponse(200).body("data: 1\n\n").stall(); });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.timeouts.idle = 200ms;
  req.retry = {.max_attempts = 3, .initial_delay = 1ms};
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  EXPECT_EQ(rec.events_, (std::vector<std::string>{"response", "body", "error"}));  // no retry once streaming
  EXPECT_EQ(rec.body_, "data: 1\n\n");
  EXPECT_EQ(rec.error_->code(), errc::timeout);
  EXPECT_NE(rec.error_->message().find("stream stalled"), std::string::npos) << rec.error_->message();
  ASSERT_TRUE(server.wait_connections_open(0, 5s));  // the stalled connection was closed
}

TEST_F(HttpClientTest, TotalTimeout) {
  MockHttpServer server([](const MockRequest&) {
    MockResponse r(200);
    for (int i = 0; i < 50; ++i) r.body("x").pause_ms(20);
    return r;
  });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.timeouts.total = 250ms;
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.error_->code(), errc::timeout);
  EXPECT_NE(rec.error_->message().find("total timeout of 250 ms"), std::string::npos) << rec.error_->message();
}

TEST_F(HttpClientTest, DroppedConnectionMidStreamIsARetryableError) {
  MockHttpServer server([](const MockRequest&) { return MockResponse(200).body("data: 1\n\n").pause_ms(20).drop(); });
  Recorder rec(strand_);
  auto t = start(get(server), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.body_, "data: 1\n\n");
  EXPECT_EQ(rec.error_->code(), errc::provider_unavailable);
  EXPECT_TRUE(rec.error_->retryable());
  EXPECT_NE(rec.error_->message().find("connection dropped mid-response"), std::string::npos) << rec.error_->message();
}

TEST_F(HttpClientTest, ResetBeforeAnyResponseIsRetried) {
  // The first answer is a head and then a reset, before any body byte.
  std::atomic<int> n{0};
  MockHttpServer server([&](const MockRequest&) {
    if (n.fetch_add(1) == 0) return MockResponse(200).reset();
    return MockResponse::json(200, "second");
  });
  Recorder rec(strand_);
  HttpRequest req = get(server);
  req.retry = {.max_attempts = 2, .initial_delay = 1ms};
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  // Nothing reached the handler before the failure, so it was retried.
  EXPECT_EQ(rec.body_, "second");
  EXPECT_EQ(rec.retries_.size(), 1u);
  EXPECT_EQ(server.connections_accepted(), 2);
}

TEST_F(HttpClientTest, CancelMidStreamStopsCallbacksAndFreesHandlesAndSockets) {
  const int fds_before = open_fds();
  MockHttpServer server([](const MockRequest&) {
    MockResponse r(200);
    for (int i = 0; i < 200; ++i) r.body("data: " + std::to_string(i) + "\n\n").pause_ms(10);
    return r;
  });
  const int fds_server = open_fds() - fds_before;
  Recorder rec(strand_);
  HttpTransfer t;
  rec.transfer_ = &t;
  rec.cancel_after_first_body_ = true;
  // Assigned on the strand, so it is set before any callback can run there.
  on_strand([&] { t = std::move(client_->start(strand_, get(server), rec).value()); });
  ASSERT_TRUE(rec.wait_cancelled());
  EXPECT_FALSE(t.active());
  std::this_thread::sleep_for(100ms);  // the server keeps sending for a while
  int calls = 0;
  on_strand([&] { calls = rec.body_calls_; });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(rec.done_);  // neither complete nor error after cancel
  ASSERT_TRUE(wait_idle());
  const auto s = client_->stats();
  EXPECT_EQ(s.transfers_active, 0);
  EXPECT_EQ(s.easy_handles, 0);
  EXPECT_EQ(s.sockets_open, 0);  // a half-read HTTP/1.1 response cannot go back to the pool
  EXPECT_EQ(s.sockets_watched, 0);
  ASSERT_TRUE(server.wait_connections_open(0, 5s));
  // The process holds no more descriptors than before (plus the server's own).
  EXPECT_LE(open_fds(), fds_before + fds_server);
}

TEST_F(HttpClientTest, CancelBeforeAnythingArrivesMeansNoCallbackAtAll) {
  MockHttpServer server([](const MockRequest&) { return MockResponse::json(200, "x").delay_head_ms(100); });
  Recorder rec(strand_);
  HttpTransfer t;
  on_strand([&] {
    auto r = client_->start(strand_, get(server), rec);
    ASSERT_TRUE(r.ok());
    t = std::move(*r);
    t.cancel();
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(rec.events_.empty());
  ASSERT_TRUE(wait_idle());
  EXPECT_EQ(client_->stats().sockets_watched, 0);
}

TEST_F(HttpClientTest, DestroyingTheTransferHandleCancels) {
  MockHttpServer server([](const MockRequest&) { return MockResponse(200).body("a").stall(); });
  Recorder rec(strand_);
  {
    auto t = start(get(server), rec);
    ASSERT_TRUE(server.wait_requests(1, 5s));
    on_strand([&] { t = HttpTransfer(); });
  }
  ASSERT_TRUE(wait_idle());
  ASSERT_TRUE(server.wait_connections_open(0, 5s));
}

TEST_F(HttpClientTest, LargeBodiesBothWays) {
  // Bodies much larger than curl's 16 KiB read buffer and the socket buffers: with
  // an edge-triggered reactor a missed readiness would hang here.
  std::string big(6u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919) % 26);
  MockHttpServer server([&](const MockRequest& r) {
    MockResponse resp(200);
    resp.fixed_length();
    if (r.method == "POST") resp.body(std::to_string(r.body.size()) + ":" + std::to_string(r.body == big));
    else resp.body(big);
    return resp;
  });
  Recorder down(strand_);
  auto t1 = start(get(server), down);
  ASSERT_TRUE(down.wait(20s));
  EXPECT_TRUE(down.body_ == big);
  Recorder up(strand_);
  HttpRequest req = get(server);
  req.method = "POST";
  req.body = big;
  auto t2 = start(std::move(req), up);
  ASSERT_TRUE(up.wait(20s));
  EXPECT_EQ(up.body_, std::to_string(big.size()) + ":1");
}

TEST_F(HttpClientTest, BackPressurePausesAndResumesWithoutLosingBytes) {
  client_ = HttpClient::create(*runtime_, {.max_buffered_bytes = 2048}).value();
  std::string big(1u << 20, 'z');
  big[12345] = '!';
  MockHttpServer server([&](const MockRequest&) { return MockResponse(200).body(big); });
  Recorder rec(strand_);
  auto t = start(get(server), rec);
  ASSERT_TRUE(rec.wait(20s));
  EXPECT_TRUE(rec.body_ == big);
}

TEST_F(HttpClientTest, ManyConcurrentTransfersOnOneLoop) {
  MockHttpServer server([](const MockRequest& r) {
    MockResponse resp(200);
    for (int i = 0; i < 5; ++i) resp.body(r.target + ";").pause_ms(5);
    return resp;
  });
  constexpr int kN = 64;
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<HttpTransfer> ts;
  for (int i = 0; i < kN; ++i) {
    recs.push_back(std::make_unique<Recorder>(strand_));
    ts.push_back(start(get(server, "/s" + std::to_string(i)), *recs.back()));
  }
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(recs[i]->wait()) << i;
    std::string want;
    for (int k = 0; k < 5; ++k) want += "/s" + std::to_string(i) + ";";
    EXPECT_EQ(recs[i]->body_, want);
  }
  ASSERT_TRUE(wait_idle());
}

TEST_F(HttpClientTest, ConnectionRefusedAndBadUrl) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);  // nothing listens on this port now
  Recorder rec(strand_);
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/x?key=secret-value";
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.error_->code(), errc::provider_unavailable);
  EXPECT_NE(rec.error_->message().find("could not connect"), std::string::npos) << rec.error_->message();
  EXPECT_EQ(rec.error_->message().find("secret-value"), std::string::npos);

  auto bad = client_->start(strand_, HttpRequest{.url = "ftp://example.com/x"}, rec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), errc::invalid_argument);
}

TEST_F(HttpClientTest, ConnectTimeout) {
  // A listener whose accept queue is full drops further SYNs: the connect hangs.
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l, 0), 0);
  socklen_t len = sizeof a;
  ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    (void)::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(c);
  }
  std::this_thread::sleep_for(50ms);
  Recorder rec(strand_);
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  req.timeouts.connect = 200ms;
  auto t = start(std::move(req), rec);
  ASSERT_TRUE(rec.wait());
  ASSERT_TRUE(rec.error_);
  EXPECT_EQ(rec.error_->code(), errc::timeout) << rec.error_->to_string();
  for (int c : fillers) ::close(c);
  ::close(l);
}

TEST(HttpClientVirtualTime, IsRefusedWithAClearMessage) {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  auto c = HttpClient::create(*rt);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), errc::not_supported);
  EXPECT_NE(c.error().message().find("real-time Runtime"), std::string::npos);
  EXPECT_FALSE(HttpClient::for_runtime(*rt).ok());
}

TEST(HttpClientShared, OnePerRuntime) {
  auto rt = Runtime::create({.threads = 1}).value();
  auto a = HttpClient::for_runtime(*rt).value();
  auto b = HttpClient::for_runtime(*rt).value();
  EXPECT_EQ(a.get(), b.get());
  auto other = Runtime::create({.threads = 1}).value();
  auto c = HttpClient::for_runtime(*other).value();
  EXPECT_NE(a.get(), c.get());
}

}  // namespace
}  // namespace loqui
