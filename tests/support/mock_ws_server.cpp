// SPDX-License-Identifier: Apache-2.0
// File: the in-process WebSocket mock server (see mock_ws_server.hpp).
#include "support/mock_ws_server.hpp"

#include <cctype>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace loqui::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}
}  // namespace

std::string MockWsRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}
std::string MockWsRequest::path() const { return target.substr(0, target.find('?')); }
std::vector<std::string> MockWsRequest::query_all(std::string_view name) const {
  std::vector<std::string> out;
  const auto q = target.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view kv = rest.substr(0, amp);
    const auto eq = kv.find('=');
    if (percent_decode(kv.substr(0, eq)) == name)
      out.push_back(eq == std::string_view::npos ? std::string() : percent_decode(kv.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}
std::string MockWsRequest::query(std::string_view name) const {
  auto all = query_all(name);
  return all.empty() ? std::string() : all.front();
}

struct MockWsServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  mutable std::mutex mu;
  MockWsFactory factory;
  std::vector<MockWsRequest> requests;
  std::vector<std::shared_ptr<void>> stalled;  // connections kept open without I/O
  std::atomic<int> accepted{0}, open{0}, upgrades{0};
  std::atomic<std::uint64_t> frames{0}, bytes{0};
  int port = 0;
};

namespace {

class Conn final : public MockWsConn, public std::enable_shared_from_this<Conn> {
 public:
  Conn(MockWsServer::Impl& server, tcp::socket socket, int id)
      : server_(server), socket_(std::move(socket)), timer_(server.ioc) {
    request_.connection = id;
  }
  ~Conn() override { server_.open.fetch_sub(1); }

  void start() {
    http::async_read(socket_, buf_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_request(ec);
    });
  }

  void send_text(std::string text) override { enqueue(std::move(text), false); }
  void send_binary(std::string bytes) override { enqueue(std::move(bytes), true); }
  void close(int code, std::string reason) override {
    if (ended_ || !ws_) return;
    close_pending_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    pump();
  }
  void drop() override {
    if (ended_) return;
    beast::error_code ignored;
    auto& sock = ws_ ? beast::get_lowest_layer(*ws_).socket() : socket_;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
    end(1006);
  }
  void stop_reading() override {
    reading_stopped_ = true;
    // Nothing pending may hold the connection any more: the server keeps it open.
    std::lock_guard lock(server_.mu);
    server_.stalled.push_back(shared_from_this());
  }
  void after(int ms, std::function<void()> fn) override {
    auto t = std::make_shared<asio::steady_timer>(server_.ioc, std::chrono::milliseconds(ms));
    t->async_wait([self = shared_from_this(), t, fn = std::move(fn)](beast::error_code ec) {
      if (!ec && !self->ended_) fn();
    });
  }
  const MockWsRequest& request() const override { return request_; }
  bool ended() const override { return ended_; }

 private:
  void on_request(beast::error_code ec) {
    if (ec) return end(1006);
    request_.target = std::string(req_.target());
    for (const auto& f : req_) request_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    {
      std::lock_guard lock(server_.mu);
      server_.requests.push_back(request_);
      if (server_.factory) session_ = server_.factory(request_.connection);
    }
    if (!session_) return drop();
    MockWsUpgrade up = session_->on_upgrade(request_);
    if (up.delay_ms > 0) {
      after_unchecked(up.delay_ms, [self = shared_from_this(), up] { self->answer(up); });
    } else {
      answer(up);
    }
  }

  void after_unchecked(int ms, std::function<void()> fn) {
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([fn = std::move(fn)](beast::error_code ec) {
      if (!ec) fn();
    });
  }

  void answer(const MockWsUpgrade& up) {
    if (ended_) return;
    if (up.status != 101) {
      auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(up.status), 11);
      for (const auto& [k, v] : up.headers) res->set(k, v);
      res->set(http::field::connection, "close");
      res->body() = up.body;
      res->prepare_payload();
      http::async_write(socket_, *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
        beast::error_code ignored;
        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
        self->socket_.close(ignored);
        self->end(1006);
      });
      return;
    }
    ws_.emplace(std::move(socket_));
    ws_->set_option(websocket::stream_base::decorator([up](websocket::response_type& res) {
      for (const auto& [k, v] : up.headers) res.set(k, v);
    }));
    ws_->read_message_max(64u << 20);
    ws_->async_accept(req_, [self = shared_from_this()](beast::error_code ec) { self->on_accepted(ec); });
  }

  void on_accepted(beast::error_code ec) {
    if (ec) return end(1006);
    server_.upgrades.fetch_add(1);
    open_ = true;
    session_->on_open(*this);
    if (ended_) return;
    read();
    pump();
  }

  void read() {
    if (ended_ || reading_stopped_) return;
    ws_->async_read(rbuf_, [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(beast::error_code ec, std::size_t n) {
    if (ended_) return;
    if (ec) {
      end(ec == websocket::error::closed ? ws_->reason().code : 1006);
      return;
    }
    server_.frames.fetch_add(1);
    server_.bytes.fetch_add(n);
    const auto d = rbuf_.cdata();
    const std::string_view v(static_cast<const char*>(d.data()), d.size());
    if (ws_->got_text()) session_->on_text(*this, v);
    else session_->on_binary(*this, v);
    rbuf_.consume(rbuf_.size());
    if (reading_stopped_) {
      // Keep the socket but stop consuming: the client's frames pile up in TCP buffers.
      return;
    }
    read();
  }

  void enqueue(std::string data, bool binary) {
    if (ended_ || close_pending_) return;
    out_.push_back({std::move(data), binary});
    pump();
  }

  void pump() {
    if (ended_ || !open_ || writing_) return;
    if (out_.empty()) {
      if (close_pending_ && !close_started_) {
        close_started_ = true;
        ws_->async_close(close_reason_, [self = shared_from_this()](beast::error_code) {
          // The read loop sees the client's answer; if it is not reading, end here.
          if (self->reading_stopped_) self->end(self->close_reason_.code);
        });
      }
      return;
    }
    writing_ = true;
    ws_->binary(out_.front().second);
    ws_->async_write(asio::buffer(out_.front().first), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (self->ended_) return;
      if (ec) return self->end(1006);
      self->out_.pop_front();
      self->pump();
    });
  }

  void end(int code) {
    if (ended_) return;
    ended_ = true;
    timer_.cancel();
    if (session_) session_->on_end(*this, code);
  }

  MockWsServer::Impl& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  MockWsRequest request_;
  std::unique_ptr<MockWsSession> session_;
  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer rbuf_;
  std::deque<std::pair<std::string, bool>> out_;
  websocket::close_reason close_reason_;
  bool open_ = false, writing_ = false, ended_ = false, reading_stopped_ = false;
  bool close_pending_ = false, close_started_ = false;
};

void do_accept(MockWsServer::Impl& s) {
  s.acceptor.async_accept([&s](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // acceptor closed
    const int id = s.accepted.fetch_add(1) + 1;
    s.open.fetch_add(1);
    std::make_shared<Conn>(s, std::move(socket), id)->start();
    do_accept(s);
  });
}

}  // namespace

MockWsServer::MockWsServer(MockWsFactory factory) : impl_(std::make_shared<Impl>()) {
  impl_->factory = std::move(factory);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(1024);
  impl_->port = impl_->acceptor.local_endpoint().port();
  do_accept(*impl_);
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

MockWsServer::~MockWsServer() {
  asio::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->ioc.stop();
  });
  impl_->thread.join();
  impl_->stalled.clear();
  // Connections still referenced by pending handlers are destroyed with ioc.
}

int MockWsServer::port() const { return impl_->port; }
std::string MockWsServer::base_url() const { return "ws://127.0.0.1:" + std::to_string(impl_->port); }
void MockWsServer::set_factory(MockWsFactory factory) {
  std::lock_guard lock(impl_->mu);
  impl_->factory = std::move(factory);
}
int MockWsServer::connections_accepted() const { return impl_->accepted.load(); }
int MockWsServer::connections_open() const { return impl_->open.load(); }
int MockWsServer::upgrades_accepted() const { return impl_->upgrades.load(); }
std::uint64_t MockWsServer::frames_received() const { return impl_->frames.load(); }
std::uint64_t MockWsServer::bytes_received() const { return impl_->bytes.load(); }
std::vector<MockWsRequest> MockWsServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}
bool MockWsServer::wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto limit = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace loqui::testing
