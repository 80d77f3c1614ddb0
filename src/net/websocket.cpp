// SPDX-License-Identifier: Apache-2.0
// File: WebSocket client on Boost.Beast, running on the session's Asio strand (see
// loqui/net/websocket.hpp and docs/networking.md).
//
// One Impl per connection, kept alive by the handlers it has outstanding. All its
// state is touched on the session strand only (the stream's executor is that
// strand), so it needs no lock. `done` is set by the terminal event and by
// cancel(); every completion handler checks it first, which is how "no handler
// call after cancel()" holds even for completions already queued.
//
// The stream is a std::variant of a plain and a TLS Beast stream; each connect
// attempt builds a fresh one (a Beast stream cannot be reused after a failure).
#include "loqui/net/websocket.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "common/log.hpp"
#include "loqui/features.hpp"
#include "net/http_errors.hpp"
#include "runtime/asio_access.hpp"

#if LOQUI_HAS_TLS
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#endif

namespace loqui {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* kLog = "net.ws";

struct Counters {
  std::atomic<std::int64_t> active{0}, sockets{0};
  std::atomic<std::uint64_t> connects{0}, opened{0}, retries{0}, sent{0}, received{0}, bytes_sent{0},
      bytes_received{0};
};
Counters& counters() {
  static Counters c;
  return c;
}

struct WsUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query
  std::string host_header;
};

std::optional<WsUrl> parse_ws_url(std::string_view url) {
  WsUrl u;
  std::string_view rest;
  if (url.rfind("ws://", 0) == 0) {
    rest = url.substr(5);
  } else if (url.rfind("wss://", 0) == 0) {
    u.tls = true;
    rest = url.substr(6);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target[0] == '?') u.target.insert(0, "/");
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return std::nullopt;
  u.host_header = std::string(authority);
  if (authority.front() == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') u.port = std::string(authority.substr(1));
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
  } else {
    u.host = std::string(authority);
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  for (char c : u.port)
    if (c < '0' || c > '9') return std::nullopt;
  if (u.host.empty()) return std::nullopt;
  return u;
}

#if LOQUI_HAS_TLS
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// One SSL context per (verify, CA file), shared by every connection of the process.
Result<std::shared_ptr<asio::ssl::context>> tls_context(bool verify, const std::string& ca_file) {
  static std::mutex mu;
  static std::map<std::pair<bool, std::string>, std::shared_ptr<asio::ssl::context>> cache;
  std::lock_guard lock(mu);
  auto& slot = cache[{verify, ca_file}];
  if (slot) return slot;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                   ec);
  ctx->set_default_verify_paths(ec);
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return Error(errc::invalid_config, "cannot load the CA file '" + ca_file + "': " + ec.message());
  }
  ctx->set_verify_mode(verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  slot = ctx;
  return slot;
}
#endif

using PlainStream = websocket::stream<beast::tcp_stream>;
#if LOQUI_HAS_TLS
using AnyStream = std::variant<std::monostate, std::unique_ptr<PlainStream>, std::unique_ptr<TlsStream>>;
#else
using AnyStream = std::variant<std::monostate, std::unique_ptr<PlainStream>>;
#endif

const char* phase_name(int phase) {
  static const char* names[] = {"DNS lookup", "TCP connect", "TLS handshake", "WebSocket upgrade"};
  return phase >= 0 && phase < 4 ? names[phase] : "connect";
}

}  // namespace

WebSocketStats websocket_stats() noexcept {
  const Counters& c = counters();
  return {c.active.load(), c.sockets.load(), c.connects.load(), c.opened.load(), c.retries.load(),
          c.sent.load(),   c.received.load(), c.bytes_sent.load(), c.bytes_received.load()};
}

struct WebSocket::Impl : std::enable_shared_from_this<Impl> {
  enum Phase { kResolve = 0, kConnect, kTls, kUpgrade, kOpen, kClosing };

  struct Outgoing {
    std::string data;
    bool binary;
  };

  Impl(std::shared_ptr<Strand> s, const detail::AsioStrand& executor, WebSocketOptions o, WebSocketHandler& h,
       WsUrl u)
      : strand(std::move(s)), ex(executor), opts(std::move(o)), url(std::move(u)), handler(&h), timer(ex),
        resolver(ex), backoff(opts.retry, opts.retry_seed) {
    counters().active.fetch_add(1);
  }
  ~Impl() {
    close_socket();
    if (!done) counters().active.fetch_sub(1);
  }

  std::shared_ptr<Strand> strand;
  detail::AsioStrand ex;
  WebSocketOptions opts;
  WsUrl url;
  WebSocketHandler* handler;
  asio::steady_timer timer;  // per-attempt deadline, then retry delay
  tcp::resolver resolver;
  Backoff backoff;
#if LOQUI_HAS_TLS
  std::shared_ptr<asio::ssl::context> tls;
#endif
  AnyStream stream;

  int phase = kResolve;
  int attempt = 1;
  std::uint64_t deadline_gen = 0;
  bool timed_out = false;
  bool done = false;
  bool socket_counted = false;
  std::chrono::steady_clock::time_point attempt_start{};

  http::response<http::string_body> upgrade_response;
  beast::flat_buffer rbuf;
  std::deque<Outgoing> queue;
  std::size_t queued = 0;
  bool writing = false;
  bool close_requested = false;
  bool close_started = false;
  websocket::close_reason close_frame;

  template <class F>
  void visit(F&& f) {
    std::visit(
        [&](auto& s) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) f(*s);
        },
        stream);
  }

  std::string where() const { return detail::printable_url(opts.url); }

  // ------------------------------------------------------------- connect
  void start_attempt() {
    if (done) return;
    counters().connects.fetch_add(1);
    phase = kResolve;
    timed_out = false;
    attempt_start = std::chrono::steady_clock::now();
    rbuf.clear();
    upgrade_response = {};
    if (url.tls) {
#if LOQUI_HAS_TLS
      stream = std::make_unique<TlsStream>(ex, *tls);
#endif
    } else {
      stream = std::make_unique<PlainStream>(ex);
    }
    const std::uint64_t gen = ++deadline_gen;
    if (opts.connect_timeout.count() > 0) {
      timer.expires_after(opts.connect_timeout);
      timer.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
        if (ec || self->done || gen != self->deadline_gen || self->phase >= kOpen) return;
        self->timed_out = true;
        self->resolver.cancel();
        self->close_socket();
      });
    }
    resolver.async_resolve(url.host, url.port,
                           [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
                             self->on_resolved(ec, std::move(r));
                           });
  }

  void on_resolved(boost::system::error_code ec, tcp::resolver::results_type results) {
    if (done) return;
    if (ec) return fail_attempt(Error(errc::provider_unavailable, "cannot resolve host '" + url.host + "': " + ec.message()));
    phase = kConnect;
    visit([&](auto& ws) {
      beast::get_lowest_layer(ws).async_connect(
          results, [self = shared_from_this()](boost::system::error_code e, const tcp::endpoint&) {
            self->on_connected(e);
          });
    });
  }

  void on_connected(boost::system::error_code ec) {
    if (done) return;
    if (ec)
      return fail_attempt(Error(errc::provider_unavailable,
                                "cannot connect to " + url.host + ":" + url.port + ": " + ec.message()));
    socket_counted = true;
    counters().sockets.fetch_add(1);
    visit([&](auto& ws) {
      boost::system::error_code ignored;
      beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true), ignored);
    });
#if LOQUI_HAS_TLS
    if (auto* tls_ws = std::get_if<std::unique_ptr<TlsStream>>(&stream)) {
      phase = kTls;
      auto& ssl = (*tls_ws)->next_layer();
      // SSL_set_tlsext_host_name is a macro with an old-style cast.
      if (!SSL_ctrl(ssl.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                    const_cast<char*>(url.host.c_str())))
        return fail_attempt(Error(errc::internal, "cannot set the TLS server name"));
      if (opts.verify_tls) ssl.set_verify_callback(asio::ssl::host_name_verification(url.host));
      ssl.async_handshake(asio::ssl::stream_base::client,
                          [self = shared_from_this()](boost::system::error_code e) { self->on_tls(e); });
      return;
    }
#endif
    upgrade();
  }

  void on_tls(boost::system::error_code ec) {
    if (done) return;
    if (ec) return fail_attempt(Error(errc::provider_unavailable, "TLS handshake with " + url.host + " failed: " + ec.message()));
    upgrade();
  }

  void upgrade() {
    phase = kUpgrade;
    visit([&](auto& ws) {
      ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& req) {
        req.set(http::field::user_agent, opts.user_agent);
        for (const HttpHeader& h : opts.headers) req.set(h.name, h.value);
      }));
      websocket::stream_base::timeout t{};
      t.handshake_timeout = opts.close_timeout.count() > 0 ? std::chrono::milliseconds(opts.close_timeout)
                                                            : websocket::stream_base::none();
      t.idle_timeout = opts.ping_interval.count() > 0 ? std::chrono::milliseconds(opts.ping_interval * 2)
                                                      : websocket::stream_base::none();
      t.keep_alive_pings = opts.ping_interval.count() > 0;
      ws.set_option(t);
      ws.read_message_max(opts.max_message_bytes);
      ws.async_handshake(upgrade_response, url.host_header, url.target,
                         [self = shared_from_this()](boost::system::error_code e) { self->on_upgraded(e); });
    });
  }

  void on_upgraded(boost::system::error_code ec) {
    if (done) return;
    if (ec == websocket::error::upgrade_declined) {
      std::vector<HttpHeader> headers;
      for (const auto& f : upgrade_response) headers.push_back({std::string(f.name_string()), std::string(f.value())});
      const int status = static_cast<int>(upgrade_response.result_int());
      Error e = detail::http_status_error("GET", opts.url, status, headers, upgrade_response.body(), opts.provider,
                                          std::time(nullptr));
      if (upgrade_response.body().empty() || !detail::parse_vendor_error(upgrade_response.body())) {
        for (const std::string& name : opts.error_headers) {
          if (const std::string* v = find_header(headers, name))
            e = Error(e.code(), e.message() + " (" + name + ": " + detail::printable_excerpt(*v, 300) + ")")
                    .set_http_status(e.http_status())
                    .set_provider(e.provider());
        }
        if (auto ra = detail::parse_retry_after(headers, std::time(nullptr))) e.set_retry_after(*ra);
      }
      if (status < 400 && status != 101) e = Error(errc::provider_protocol, e.message() + " (expected 101 Switching Protocols)").set_http_status(status);
      const bool retryable = detail::status_is_retryable(status, headers, e.vendor_code());
      return fail_attempt(std::move(e), retryable);
    }
    if (ec) return fail_attempt(Error(errc::provider_unavailable, std::string("WebSocket upgrade failed: ") + ec.message()));
    phase = kOpen;
    ++deadline_gen;
    timer.cancel();
    counters().opened.fetch_add(1);
    WebSocketOpenInfo info;
    info.status = static_cast<int>(upgrade_response.result_int());
    for (const auto& f : upgrade_response) info.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    info.attempt = attempt;
    info.connect_time =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - attempt_start);
    LOQUI_LOG_DEBUG(kLog, "{}: open (attempt {}, {} us)", where(), attempt, info.connect_time.count());
    {
      detail::OnStrandScope scope(*strand);
      handler->on_open(info);
    }
    if (done) return;
    start_read();
    pump();
  }

  void fail_attempt(Error e, bool retryable_status = true) {
    close_socket();
    if (timed_out) {
      e = Error(errc::timeout, std::string(phase_name(phase)) + " timed out after " +
                                   std::to_string(opts.connect_timeout.count()) + " ms (connect_timeout)");
    }
    if (e.http_status() == 0) e.add_context(where());  // status errors name the URL already
    if (e.provider().empty() && !opts.provider.empty()) e.set_provider(opts.provider);
    std::optional<std::chrono::milliseconds> delay;
    const auto advised = e.retry_after();
    if (retryable_status && !(advised && *advised > opts.retry.max_retry_after)) delay = backoff.next_delay(e);
    if (!delay) {
      if (advised && *advised > opts.retry.max_retry_after && retryable_status && opts.retry.max_attempts > 1)
        e = Error(e.code(), e.message() + " (server asks to wait " + std::to_string(advised->count()) +
                                " ms, more than max_retry_after: not retried)")
                .set_http_status(e.http_status())
                .set_provider(e.provider())
                .set_retry_after(*advised);
      return finish_error(std::move(e));
    }
    counters().retries.fetch_add(1);
    LOQUI_LOG_WARN(kLog, "{} (attempt {}); retrying in {} ms", e.message(), attempt, delay->count());
    {
      detail::OnStrandScope scope(*strand);
      handler->on_retry(e, *delay, attempt + 1);
    }
    if (done) return;
    ++attempt;
    const std::uint64_t gen = ++deadline_gen;
    timer.expires_after(*delay);
    timer.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (ec || self->done || gen != self->deadline_gen) return;
      self->start_attempt();
    });
  }

  // ------------------------------------------------------------- open
  void start_read() {
    visit([&](auto& ws) {
      ws.async_read(rbuf, [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
    });
  }

  void on_read(boost::system::error_code ec) {
    if (done) return;
    if (ec == websocket::error::closed) {
      int code = 1005;
      std::string reason;
      visit([&](auto& ws) {
        code = ws.reason().code;
        reason = std::string(ws.reason().reason.data(), ws.reason().reason.size());
      });
      return finish_close(code, reason);
    }
    if (ec) return finish_error(read_error(ec));
    bool binary = false;
    visit([&](auto& ws) { binary = ws.got_binary(); });
    const auto data = rbuf.cdata();
    const std::string_view view(static_cast<const char*>(data.data()), data.size());
    counters().received.fetch_add(1);
    counters().bytes_received.fetch_add(view.size());
    {
      detail::OnStrandScope scope(*strand);
      handler->on_message(view, binary);
    }
    if (done) return;
    rbuf.consume(rbuf.size());
    start_read();
  }

  Error read_error(boost::system::error_code ec) const {
    if (ec == beast::error::timeout) {
      if (phase == kClosing)
        return Error(errc::timeout, where() + ": no close frame from the server within " +
                                        std::to_string(opts.close_timeout.count()) + " ms");
      return Error(errc::timeout, where() + ": nothing received for " +
                                      std::to_string(opts.ping_interval.count() * 2) + " ms (keepalive ping unanswered)");
    }
    if (ec == websocket::error::message_too_big)
      return Error(errc::provider_protocol, where() + ": a message exceeded " +
                                                std::to_string(opts.max_message_bytes) + " bytes (max_message_bytes)");
    if (ec.category() == make_error_code(websocket::error::closed).category() ||
        ec == websocket::condition::protocol_violation)
      return Error(errc::provider_protocol, where() + ": WebSocket protocol violation: " + ec.message());
    return Error(errc::provider_unavailable,
                 where() + ": connection dropped without a close frame (1006): " + ec.message());
  }

  void pump() {
    if (done || phase < kOpen || writing) return;
    if (queue.empty()) {
      if (close_requested && !close_started) start_close();
      return;
    }
    writing = true;
    Outgoing& m = queue.front();
    visit([&](auto& ws) {
      ws.binary(m.binary);
      ws.async_write(asio::buffer(m.data),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_written(ec); });
    });
  }

  void on_written(boost::system::error_code ec) {
    writing = false;
    if (done) return;
    if (ec) return finish_error(read_error(ec));
    counters().sent.fetch_add(1);
    counters().bytes_sent.fetch_add(queue.front().data.size());
    queued -= queue.front().data.size();
    queue.pop_front();
    pump();
  }

  void start_close() {
    close_started = true;
    phase = kClosing;
    visit([&](auto& ws) {
      ws.async_close(close_frame, [self = shared_from_this()](boost::system::error_code ec) {
        if (self->done) return;
        if (ec) return self->finish_error(self->read_error(ec));
        int code = 1005;
        std::string reason;
        self->visit([&](auto& s) {
          code = s.reason().code;
          reason = std::string(s.reason().reason.data(), s.reason().reason.size());
        });
        self->finish_close(code, reason);
      });
    });
  }

  Status send(std::string_view data, bool binary) {
    if (done || close_requested)
      return Error(errc::closed, where() + ": the WebSocket is closed");
    if (binary && data.empty())
      return Error(errc::invalid_argument, where() + ": refusing to send an empty binary message (vendors read it as end of stream)");
    if (queued + data.size() > opts.max_queued_bytes)
      return Error(errc::overflow, where() + ": send queue full (" + std::to_string(queued) + " bytes waiting, max_queued_bytes " +
                                       std::to_string(opts.max_queued_bytes) + ")");
    queue.push_back({std::string(data), binary});
    queued += data.size();
    pump();
    return ok_status();
  }

  void close(int code, std::string_view reason) {
    if (done || close_requested) return;
    close_requested = true;
    close_frame = websocket::close_reason(static_cast<websocket::close_code>(code), reason.substr(0, 123));
    if (phase < kOpen && queue.empty()) {
      // Not open yet and nothing to hand over: stop connecting, report the close.
      // (With messages queued the connection proceeds: they go out, then the close.)
      ++deadline_gen;
      timer.cancel();
      resolver.cancel();
      close_socket();
      asio::post(ex, [self = shared_from_this(), code] {
        if (!self->done) self->finish_close(code, "closed before the connection opened");
      });
      return;
    }
    pump();
  }

  // ------------------------------------------------------------- teardown
  void close_socket() {
    visit([&](auto& ws) {
      boost::system::error_code ignored;
      auto& sock = beast::get_lowest_layer(ws).socket();
      if (sock.is_open()) {
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
      }
    });
    if (socket_counted) {
      socket_counted = false;
      counters().sockets.fetch_sub(1);
    }
  }

  void stop() {
    done = true;
    handler = nullptr;
    ++deadline_gen;
    timer.cancel();
    resolver.cancel();
    close_socket();
    queue.clear();
    queued = 0;
    counters().active.fetch_sub(1);
  }

  void finish_error(Error e) {
    if (done) return;
    WebSocketHandler* h = handler;
    stop();
    if (e.provider().empty() && !opts.provider.empty()) e.set_provider(opts.provider);
    LOQUI_LOG_INFO(kLog, "{}", e.to_string());
    detail::OnStrandScope scope(*strand);
    h->on_error(e);
  }

  void finish_close(int code, std::string_view reason) {
    if (done) return;
    WebSocketHandler* h = handler;
    stop();
    LOQUI_LOG_DEBUG(kLog, "{}: closed {} '{}'", where(), code, detail::printable_excerpt(reason, 123));
    detail::OnStrandScope scope(*strand);
    h->on_close(code, reason);
  }
};

Result<WebSocket> WebSocket::connect(std::shared_ptr<Strand> strand, WebSocketOptions options,
                                     WebSocketHandler& handler) {
  if (!strand) return Error(errc::invalid_argument, "WebSocket::connect: no strand");
  auto url = parse_ws_url(options.url);
  if (!url)
    return Error(errc::invalid_argument,
                 "WebSocket::connect: expected a ws:// or wss:// URL, found '" + detail::printable_url(options.url) + "'");
  const detail::AsioStrand* ex = detail::asio_strand(*strand);
  if (!ex)
    return Error(errc::not_supported, "WebSocket::connect: needs a real-time runtime (network I/O), not virtual time");
#if LOQUI_HAS_TLS
  std::shared_ptr<asio::ssl::context> tls;
  if (url->tls) {
    auto ctx = tls_context(options.verify_tls, options.ca_file);
    if (!ctx) return std::move(ctx).error();
    tls = *ctx;
  }
#else
  if (url->tls)
    return Error(errc::not_supported, "WebSocket::connect: this build has no TLS (LOQUI_WITH_TLS=OFF), so wss:// '" +
                                          detail::printable_url(options.url) + "' cannot be used");
#endif
  auto impl = std::make_shared<Impl>(std::move(strand), *ex, std::move(options), handler, std::move(*url));
#if LOQUI_HAS_TLS
  impl->tls = std::move(tls);
#endif
  // Start on the strand, never inside connect() (the handler may be called soon).
  asio::post(impl->ex, [impl] { impl->start_attempt(); });
  return WebSocket(std::move(impl));
}

WebSocket::WebSocket(WebSocket&& o) noexcept = default;
WebSocket& WebSocket::operator=(WebSocket&& o) noexcept {
  if (this != &o) {
    cancel();
    impl_ = std::move(o.impl_);
  }
  return *this;
}
WebSocket::~WebSocket() { cancel(); }

Status WebSocket::send_text(std::string_view text) {
  if (!impl_) return Error(errc::closed, "WebSocket: not connected");
  return impl_->send(text, false);
}
Status WebSocket::send_binary(std::string_view bytes) {
  if (!impl_) return Error(errc::closed, "WebSocket: not connected");
  return impl_->send(bytes, true);
}
void WebSocket::close(int code, std::string_view reason) {
  if (impl_) impl_->close(code, reason);
}
namespace {
struct NullHandler final : WebSocketHandler {
  void on_message(std::string_view, bool) override {}
  void on_close(int, std::string_view) override {}
  void on_error(const Error&) override {}
};
}  // namespace

void WebSocket::close_detached(int code, std::string_view reason) noexcept {
  if (!impl_) return;
  if (!impl_->done) {
    static NullHandler null_handler;
    impl_->handler = &null_handler;
    impl_->close(code, reason);
    // A peer that never reads must not keep the connection forever.
    impl_->timer.expires_after(std::max(impl_->opts.close_timeout, std::chrono::milliseconds(100)) * 2);
    impl_->timer.async_wait([self = impl_](boost::system::error_code ec) {
      if (!ec && !self->done) self->stop();
    });
  }
  impl_.reset();
}

void WebSocket::cancel() noexcept {
  if (!impl_) return;
  if (!impl_->done) impl_->stop();
  impl_.reset();
}
bool WebSocket::is_open() const noexcept {
  return impl_ && !impl_->done && impl_->phase == Impl::kOpen && !impl_->close_requested;
}
std::size_t WebSocket::queued_bytes() const noexcept { return impl_ ? impl_->queued : 0; }

}  // namespace loqui
