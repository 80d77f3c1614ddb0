// SPDX-License-Identifier: Apache-2.0
// File: the WebSocket client against the in-process mock server: open, text and
// binary both ways, headers, close handshake both ways, a dropped connection,
// refused upgrades (429 + Retry-After retried and honoured, 5xx retried then
// reported, 401 reported at once with the vendor's reason and never the key),
// timeouts (slow accept, unanswered pings), cancellation without leaked sockets,
// the bounded send queue, TLS errors.
#include <gtest/gtest.h>

#include <thread>

#include "loqui/features.hpp"
#include "loqui/net/websocket.hpp"
#include "support/mock_ws_server.hpp"
#include "support/ws_harness.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::MockWsConn;
using testing::MockWsRequest;
using testing::MockWsServer;
using testing::MockWsSession;
using testing::MockWsUpgrade;

using Loop = testing::TestLoop;

struct Recorder : WebSocketHandler {
  explicit Recorder(std::shared_ptr<Strand> s) : strand(std::move(s)) {}
  std::shared_ptr<Strand> strand;
  bool opened = false;
  WebSocketOpenInfo info;
  std::vector<std::pair<std::string, bool>> messages;
  std::optional<std::pair<int, std::string>> closed;
  std::optional<Error> error;
  std::vector<std::pair<Error, std::chrono::milliseconds>> retries;
  int off_strand = 0;
  bool inside_call = false;
  int reentrant = 0;

  void check() {
    if (!strand->running_in_this_thread()) ++off_strand;
    if (inside_call) ++reentrant;
  }
  void on_open(const WebSocketOpenInfo& i) override { check(); opened = true; info = i; }
  void on_message(std::string_view d, bool binary) override { check(); messages.emplace_back(std::string(d), binary); }
  void on_close(int code, std::string_view reason) override { check(); closed.emplace(code, std::string(reason)); }
  void on_error(const Error& e) override { check(); error = e; }
  void on_retry(const Error& e, std::chrono::milliseconds d, int) override { check(); retries.emplace_back(e, d); }
  bool terminal() const { return closed.has_value() || error.has_value(); }
};

// Echoes frames; "close:<code>" closes, "drop" drops, "stall" stops reading.
struct Echo : MockWsSession {
  void on_text(MockWsConn& c, std::string_view t) override {
    if (t.rfind("close:", 0) == 0) return c.close(std::stoi(std::string(t.substr(6))), "bye now");
    if (t == "drop") return c.drop();
    if (t == "stall") return c.stop_reading();
    c.send_text("echo:" + std::string(t));
  }
  void on_binary(MockWsConn& c, std::string_view b) override { c.send_binary(std::string(b)); }
};

struct Fixture : ::testing::Test {
  Loop loop;
  Recorder rec{loop.strand};
  WebSocket ws;
  std::int64_t sockets_before = websocket_stats().sockets_open;

  WebSocketOptions options(const MockWsServer& server, std::string path = "/v1/listen?model=nova-3") {
    WebSocketOptions o;
    o.url = server.base_url() + path;
    o.headers = {{"Authorization", "Token sk-secret-123"}};
    o.provider = "testvendor";
    o.connect_timeout = 2000ms;
    return o;
  }
  void connect(WebSocketOptions o) {
    loop.on_strand([&] {
      rec.inside_call = true;
      auto r = WebSocket::connect(loop.strand, std::move(o), rec);
      rec.inside_call = false;
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      ws = std::move(r).value();
    });
  }
  void send_text(std::string_view t) {
    loop.on_strand([&] {
      rec.inside_call = true;
      ASSERT_TRUE(ws.send_text(t).ok());
      rec.inside_call = false;
    });
  }
  void expect_no_leak() {
    loop.on_strand([&] { ws.cancel(); });
    EXPECT_TRUE(loop.run_until([&] { return websocket_stats().sockets_open == sockets_before; }))
        << "sockets still open: " << websocket_stats().sockets_open - sockets_before;
  }
};

TEST_F(Fixture, TextAndBinaryBothWaysThenCloseHandshake) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  connect(options(server));
  send_text("hello");  // queued before open, sent after
  loop.on_strand([&] { ASSERT_TRUE(ws.send_binary(std::string("\x01\x02\x00\x03", 4)).ok()); });
  ASSERT_TRUE(loop.run_until([&] { return rec.messages.size() == 2; }));
  EXPECT_TRUE(rec.opened);
  EXPECT_EQ(rec.info.status, 101);
  EXPECT_EQ(rec.messages[0], (std::pair<std::string, bool>{"echo:hello", false}));
  EXPECT_EQ(rec.messages[1], (std::pair<std::string, bool>{std::string("\x01\x02\x00\x03", 4), true}));
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].header("Authorization"), "Token sk-secret-123");
  EXPECT_EQ(reqs[0].path(), "/v1/listen");
  EXPECT_EQ(reqs[0].query("model"), "nova-3");
  loop.on_strand([&] { ws.close(1000, "done"); });
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.closed) << rec.error->to_string();
  EXPECT_EQ(rec.closed->first, 1000);
  EXPECT_EQ(rec.off_strand, 0);
  EXPECT_EQ(rec.reentrant, 0);
  loop.on_strand([&] { EXPECT_EQ(ws.send_text("late").error().code(), errc::closed); });
  expect_no_leak();
}

TEST_F(Fixture, ServerCloseCarriesCodeAndReason) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  connect(options(server));
  send_text("close:1011");
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.closed);
  EXPECT_EQ(rec.closed->first, 1011);
  EXPECT_EQ(rec.closed->second, "bye now");
  expect_no_leak();
}

TEST_F(Fixture, DropWithoutCloseFrameIsARetryable1006) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  connect(options(server));
  send_text("a");
  send_text("drop");
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.error);
  EXPECT_TRUE(rec.error->retryable()) << rec.error->to_string();
  EXPECT_NE(rec.error->message().find("1006"), std::string::npos) << rec.error->message();
  EXPECT_EQ(rec.error->provider(), "testvendor");
  EXPECT_EQ(rec.error->message().find("nova-3"), std::string::npos) << "the query string leaked";
  expect_no_leak();
}

struct RefuseFirst : MockWsSession {
  explicit RefuseFirst(int conn, MockWsUpgrade refusal, int refusals) : conn_(conn), refusal_(std::move(refusal)), n_(refusals) {}
  MockWsUpgrade on_upgrade(const MockWsRequest&) override {
    return conn_ <= n_ ? refusal_ : MockWsUpgrade::accept();
  }
  void on_open(MockWsConn& c) override { c.send_text("welcome"); }
  int conn_;
  MockWsUpgrade refusal_;
  int n_;
};

TEST_F(Fixture, Refused429WithRetryAfterIsRetriedAfterTheAdvisedDelay) {
  MockWsServer server([](int n) {
    return std::make_unique<RefuseFirst>(
        n, MockWsUpgrade::refuse(429, R"({"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests."})",
                                 {{"Retry-After", "1"}, {"Content-Type", "application/json"}}),
        1);
  });
  auto o = options(server);
  o.retry = {.max_attempts = 3, .initial_delay = 10ms, .max_delay = 50ms};
  const auto t0 = std::chrono::steady_clock::now();
  connect(o);
  ASSERT_TRUE(loop.run_until([&] { return !rec.messages.empty() || rec.terminal(); }));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(rec.error) << rec.error->to_string();
  ASSERT_EQ(rec.retries.size(), 1u);
  EXPECT_EQ(rec.retries[0].second, 1000ms) << "Retry-After: 1 must be honoured";
  EXPECT_EQ(rec.retries[0].first.http_status(), 429);
  EXPECT_EQ(rec.retries[0].first.code(), errc::provider_quota);
  EXPECT_GE(elapsed, 950ms);
  EXPECT_EQ(rec.info.attempt, 2);
  EXPECT_EQ(server.connections_accepted(), 2);
  expect_no_leak();
}

TEST_F(Fixture, Refused503IsRetriedThenReported) {
  MockWsServer server([](int n) {
    return std::make_unique<RefuseFirst>(n, MockWsUpgrade::refuse(503, "upstream overloaded"), 100);
  });
  auto o = options(server);
  o.retry = {.max_attempts = 3, .initial_delay = 10ms, .max_delay = 20ms};
  connect(o);
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.error);
  EXPECT_EQ(rec.retries.size(), 2u);
  EXPECT_EQ(server.connections_accepted(), 3);
  EXPECT_EQ(rec.error->code(), errc::provider_unavailable);
  EXPECT_EQ(rec.error->http_status(), 503);
  EXPECT_NE(rec.error->message().find("upstream overloaded"), std::string::npos) << rec.error->message();
  expect_no_leak();
}

TEST_F(Fixture, Refused401IsReportedAtOnceWithTheVendorReasonAndNoSecret) {
  MockWsServer server([](int n) {
    return std::make_unique<RefuseFirst>(n, MockWsUpgrade::refuse(401, "", {{"dg-error", "Invalid credentials."}}), 100);
  });
  auto o = options(server);
  o.error_headers = {"dg-error"};
  o.retry = {.max_attempts = 3, .initial_delay = 10ms};
  connect(o);
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.error);
  EXPECT_TRUE(rec.retries.empty());
  EXPECT_EQ(rec.error->code(), errc::provider_auth);
  EXPECT_NE(rec.error->message().find("Invalid credentials."), std::string::npos) << rec.error->message();
  EXPECT_NE(rec.error->message().find("401"), std::string::npos);
  EXPECT_EQ(rec.error->to_string().find("sk-secret-123"), std::string::npos);
  expect_no_leak();
}

TEST_F(Fixture, SlowAcceptTimesOutNamingThePhase) {
  MockWsServer server([](int) {
    struct Slow : MockWsSession {
      MockWsUpgrade on_upgrade(const MockWsRequest&) override { return MockWsUpgrade::accept(3000); }
    };
    return std::make_unique<Slow>();
  });
  auto o = options(server);
  o.connect_timeout = 200ms;
  connect(o);
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.error);
  EXPECT_EQ(rec.error->code(), errc::timeout);
  EXPECT_NE(rec.error->message().find("WebSocket upgrade timed out after 200 ms"), std::string::npos)
      << rec.error->message();
  expect_no_leak();
}

TEST_F(Fixture, SlowAcceptWithinTheTimeoutOpens) {
  MockWsServer server([](int) {
    struct Slow : Echo {
      MockWsUpgrade on_upgrade(const MockWsRequest&) override { return MockWsUpgrade::accept(150); }
    };
    return std::make_unique<Slow>();
  });
  connect(options(server));
  send_text("x");
  ASSERT_TRUE(loop.run_until([&] { return !rec.messages.empty() || rec.terminal(); }));
  EXPECT_EQ(rec.messages.at(0).first, "echo:x");
  expect_no_leak();
}

TEST_F(Fixture, ConnectionRefusedIsAClearError) {
  int port = 0;
  { MockWsServer gone([](int) { return std::make_unique<Echo>(); }); port = gone.port(); }
  WebSocketOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port) + "/x";
  o.provider = "testvendor";
  connect(o);
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.error);
  EXPECT_EQ(rec.error->code(), errc::provider_unavailable);
  EXPECT_NE(rec.error->message().find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << rec.error->message();
}

TEST_F(Fixture, UnansweredPingsTimeOut) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  auto o = options(server);
  o.ping_interval = 100ms;
  connect(o);
  send_text("ping-me");
  ASSERT_TRUE(loop.run_until([&] { return !rec.messages.empty(); }));
  loop.run_for(400ms);  // pings answered: still open
  EXPECT_FALSE(rec.terminal());
  send_text("stall");
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }, 3s));
  ASSERT_TRUE(rec.error);
  EXPECT_EQ(rec.error->code(), errc::timeout);
  EXPECT_NE(rec.error->message().find("keepalive ping unanswered"), std::string::npos) << rec.error->message();
  expect_no_leak();
}

TEST_F(Fixture, CancelStopsCallbacksAndClosesTheSocket) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  connect(options(server));
  ASSERT_TRUE(loop.run_until([&] { return rec.opened; }));
  EXPECT_EQ(websocket_stats().sockets_open, sockets_before + 1);
  loop.on_strand([&] {
    ASSERT_TRUE(ws.send_text("more").ok());
    ws.cancel();
    ws.cancel();
  });
  loop.run_for(200ms);
  EXPECT_TRUE(rec.messages.empty());
  EXPECT_FALSE(rec.terminal());
  EXPECT_EQ(websocket_stats().sockets_open, sockets_before);
  EXPECT_TRUE(MockWsServer::wait_until([&] { return server.connections_open() == 0; }, 2s));
}

TEST_F(Fixture, BoundedSendQueueAndNoEmptyBinary) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  auto o = options(server);
  o.max_queued_bytes = 1000;
  connect(o);
  loop.on_strand([&] {
    EXPECT_EQ(ws.send_binary("").error().code(), errc::invalid_argument);
    EXPECT_TRUE(ws.send_binary(std::string(600, 'a')).ok());
    EXPECT_EQ(ws.send_binary(std::string(600, 'b')).error().code(), errc::overflow);
    EXPECT_EQ(ws.queued_bytes(), 600u);
  });
  ASSERT_TRUE(loop.run_until([&] { return !rec.messages.empty(); }));
  expect_no_leak();
}

TEST_F(Fixture, CloseBeforeOpenIsReportedAsAClose) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  connect(options(server));
  loop.on_strand([&] { ws.close(); });
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.closed);
  EXPECT_EQ(rec.closed->first, 1000);
  expect_no_leak();
}

TEST_F(Fixture, CloseBeforeOpenWithQueuedMessagesSendsThemFirst) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  connect(options(server));
  loop.on_strand([&] {
    ASSERT_TRUE(ws.send_text("last words").ok());
    ws.close(1000, "bye");
  });
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.closed) << rec.error->to_string();
  EXPECT_EQ(rec.closed->first, 1000);
  EXPECT_TRUE(MockWsServer::wait_until([&] { return server.frames_received() >= 1; }, 2s));
  expect_no_leak();
}

TEST_F(Fixture, BadUrlsAreRefusedUpFront) {
  loop.on_strand([&] {
    WebSocketOptions o;
    o.url = "http://example.com/x";
    auto r = WebSocket::connect(loop.strand, o, rec);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), errc::invalid_argument);
  });
}

#if LOQUI_HAS_TLS
TEST_F(Fixture, WssToAPlainServerFailsInTheTlsHandshake) {
  MockWsServer server([](int) { return std::make_unique<Echo>(); });
  WebSocketOptions o;
  o.url = "wss://127.0.0.1:" + std::to_string(server.port()) + "/v1/speak";
  o.provider = "testvendor";
  connect(o);
  ASSERT_TRUE(loop.run_until([&] { return rec.terminal(); }));
  ASSERT_TRUE(rec.error);
  EXPECT_NE(rec.error->message().find("TLS handshake with 127.0.0.1 failed"), std::string::npos)
      << rec.error->message();
  expect_no_leak();
}
#endif

TEST(WebSocketVirtualTime, IsRefused) {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  auto strand = rt->make_strand("s");
  Recorder rec(strand);
  WebSocketOptions o;
  o.url = "ws://127.0.0.1:1/x";
  auto r = WebSocket::connect(strand, o, rec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::not_supported);
}

}  // namespace
}  // namespace loqui
