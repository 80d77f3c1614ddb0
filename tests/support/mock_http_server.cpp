// SPDX-License-Identifier: Apache-2.0
// File: MockHttpServer (see mock_http_server.hpp): Beast parses requests; the
// scripted response is written raw so chunk boundaries and faults are exact.
#include "support/mock_http_server.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <optional>
#include <set>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "support/loopback_server.hpp"

namespace loqui::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}
}  // namespace

std::string MockRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

MockResponse MockResponse::json(int status, std::string body) {
  MockResponse r(status);
  r.header("Content-Type", "application/json");
  r.fixed_length();
  r.body(std::move(body));
  return r;
}
MockResponse& MockResponse::header(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}
MockResponse& MockResponse::delay_head_ms(int ms) {
  head_delay_ms_ = ms;
  return *this;
}
MockResponse& MockResponse::body(std::string piece) {
  steps_.push_back({Step::Kind::bytes, 0, std::move(piece)});
  return *this;
}
MockResponse& MockResponse::pause_ms(int ms) {
  steps_.push_back({Step::Kind::pause, ms, {}});
  return *this;
}
MockResponse& MockResponse::stall() {
  steps_.push_back({Step::Kind::stall, 0, {}});
  return *this;
}
MockResponse& MockResponse::drop() {
  steps_.push_back({Step::Kind::drop, 0, {}});
  return *this;
}
MockResponse& MockResponse::reset() {
  steps_.push_back({Step::Kind::reset, 0, {}});
  return *this;
}
MockResponse& MockResponse::fixed_length() {
  chunked_ = false;
  return *this;
}
MockResponse& MockResponse::announce_length(std::size_t bytes) {
  chunked_ = false;
  announced_length_ = static_cast<long>(bytes);
  return *this;
}
MockResponse& MockResponse::close_after() {
  close_after_ = true;
  return *this;
}
std::size_t MockResponse::content_length() const {
  if (announced_length_ >= 0) return static_cast<std::size_t>(announced_length_);
  std::size_t n = 0;
  for (const Step& s : steps_)
    if (s.kind == Step::Kind::bytes) n += s.data.size();
  return n;
}

struct MockHttpServer::Impl : std::enable_shared_from_this<MockHttpServer::Impl> {
  explicit Impl(const MockTls& tls) : net(tls, "MockHttpServer") {}
  detail::LoopbackServer net;
  std::mutex mu;
  std::condition_variable cv;
  MockHandler handler;
  std::vector<MockRequest> log;
  std::atomic<int> accepted{0}, open{0}, requests{0}, tls_failed{0};

  struct Conn;
  std::set<std::shared_ptr<Conn>> conns;  // server thread only

  void notify() {
    std::lock_guard lock(mu);
    cv.notify_all();
  }

  struct Conn : std::enable_shared_from_this<Conn> {
    Conn(Impl& s, tcp::socket sock, int conn_id)
        : server(s), stream(s.net.stream_for(std::move(sock))), timer(s.net.ioc), id(conn_id) {}
    Impl& server;
    std::unique_ptr<detail::ServerStream> stream;
    asio::steady_timer timer;
    boost::beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    MockResponse response;
    bool head_only = false;
    bool client_wants_close = false;
    bool closed = false;
    int id;
    char sink[512];

    void start() {
      if (!stream->is_tls()) return read();
      stream->handshake([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) return self->read();
        self->server.tls_failed.fetch_add(1);
        self->close(false);
      });
    }

    void read() {
      parser.emplace();
      parser->body_limit(256u << 20);
      stream->with([&](auto& s) {
        http::async_read(s, buffer, *parser, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          self->on_read(ec);
        });
      });
    }

    void on_read(boost::system::error_code ec) {
      if (ec) return close(false);
      auto req = parser->release();
      MockRequest r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      r.body = std::move(req.body());
      for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      r.connection = id;
      head_only = r.method == "HEAD";
      client_wants_close = !req.keep_alive();
      MockHandler h;
      {
        std::lock_guard lock(server.mu);
        server.log.push_back(r);
        h = server.handler;
      }
      server.requests.fetch_add(1);
      server.notify();
      try {
        response = h ? h(r) : MockResponse::json(404, R"({"error":{"message":"no handler"}})");
      } catch (const std::exception& e) {
        response = MockResponse::json(500, std::string(R"({"error":{"message":"mock handler threw: )") + e.what() + "\"}}");
      }
      if (response.head_delay_ms() > 0) {
        timer.expires_after(std::chrono::milliseconds(response.head_delay_ms()));
        timer.async_wait([self = shared_from_this()](boost::system::error_code e) {
          if (!e && !self->closed) self->write_head();
        });
      } else {
        write_head();
      }
    }

    void write(std::string bytes, std::function<void()> next) {
      auto buf = std::make_shared<std::string>(std::move(bytes));
      stream->with([&](auto& s) {
        asio::async_write(s, asio::buffer(*buf),
                          [self = shared_from_this(), buf, next = std::move(next)](boost::system::error_code ec, std::size_t) {
                            if (ec || self->closed) return self->close(false);
                            next();
                          });
      });
    }

    void write_head() {
      std::string head = "HTTP/1.1 " + std::to_string(response.status()) + " " + reason(response.status()) + "\r\n";
      for (const auto& [k, v] : response.headers()) head += k + ": " + v + "\r\n";
      if (response.chunked() && !head_only) head += "Transfer-Encoding: chunked\r\n";
      else head += "Content-Length: " + std::to_string(head_only ? 0 : response.content_length()) + "\r\n";
      if (response.closes()) head += "Connection: close\r\n";
      head += "\r\n";
      write(std::move(head), [self = shared_from_this()] { self->step(0); });
    }

    void step(std::size_t i) {
      if (closed) return;
      const auto& steps = response.steps();
      if (i >= steps.size()) {
        if (response.chunked() && !head_only) write("0\r\n\r\n", [self = shared_from_this()] { self->after(); });
        else after();
        return;
      }
      const MockResponse::Step& s = steps[i];
      using K = MockResponse::Step::Kind;
      switch (s.kind) {
        case K::pause:
          timer.expires_after(std::chrono::milliseconds(s.ms));
          timer.async_wait([self = shared_from_this(), i](boost::system::error_code ec) {
            if (!ec) self->step(i + 1);
          });
          return;
        case K::bytes: {
          if (head_only || s.data.empty()) return step(i + 1);
          std::string framed;
          if (response.chunked()) {
            char len[32];
            std::snprintf(len, sizeof len, "%zx\r\n", s.data.size());
            framed = len + s.data + "\r\n";
          } else {
            framed = s.data;
          }
          write(std::move(framed), [self = shared_from_this(), i] { self->step(i + 1); });
          return;
        }
        case K::stall:
          watch_for_close();
          return;
        case K::drop:
          return close(false);
        case K::reset:
          return close(true);
      }
    }

    void watch_for_close() {
      stream->with([&](auto& s) {
        s.async_read_some(asio::buffer(sink), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec) return self->close(false);
          self->watch_for_close();  // ignore anything the client sends while stalled
        });
      });
    }

    void after() {
      if (response.closes() || client_wants_close) return close(false);
      read();
    }

    void close(bool rst) {
      if (closed) return;
      closed = true;
      timer.cancel();
      stream->close(rst);
      server.open.fetch_sub(1);
      server.notify();
      server.conns.erase(shared_from_this());
    }
  };

  void accept() {
    net.acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket sock) {
      if (ec) return;
      const int id = self->accepted.fetch_add(1) + 1;
      self->open.fetch_add(1);
      self->notify();
      auto c = std::make_shared<Conn>(*self, std::move(sock), id);
      self->conns.insert(c);
      c->start();
      self->accept();
    });
  }
};

MockHttpServer::MockHttpServer(MockHandler handler) : MockHttpServer(std::move(handler), MockTls{}) {}

MockHttpServer::MockHttpServer(MockHandler handler, MockTls tls) : impl_(std::make_shared<Impl>(tls)) {
  impl_->handler = std::move(handler);
  impl_->net.listen(1024);
  impl_->accept();
  impl_->net.start(impl_);
}

MockHttpServer::~MockHttpServer() {
  impl_->net.stop([impl = impl_.get()] {
    auto conns = impl->conns;
    for (auto& c : conns) c->close(false);
  });
}

int MockHttpServer::port() const { return impl_->net.port(); }
std::string MockHttpServer::base_url() const { return impl_->net.base_url(); }
void MockHttpServer::set_handler(MockHandler handler) {
  std::lock_guard lock(impl_->mu);
  impl_->handler = std::move(handler);
}
int MockHttpServer::connections_accepted() const { return impl_->accepted.load(); }
int MockHttpServer::tls_handshakes_failed() const { return impl_->tls_failed.load(); }
int MockHttpServer::connections_open() const { return impl_->open.load(); }
int MockHttpServer::requests() const { return impl_->requests.load(); }
std::vector<MockRequest> MockHttpServer::received() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}
bool MockHttpServer::wait_connections_open(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->open.load() == n; });
}
bool MockHttpServer::wait_requests(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->requests.load() >= n; });
}

}  // namespace loqui::testing
