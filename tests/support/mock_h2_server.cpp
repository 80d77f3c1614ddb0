// SPDX-License-Identifier: Apache-2.0
// File: MockH2Server (see mock_h2_server.hpp): Asio moves the bytes, an nghttp2
// server session frames them. One outstanding write per connection; everything
// runs on the server thread.
#include "support/mock_h2_server.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "support/loopback_server.hpp"

namespace loqui::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
nghttp2_nv nv(const std::string& name, const std::string& value) {
  // nghttp2 copies names and values (no NO_COPY flags), so the strings need only
  // live until nghttp2_submit_response() returns.
  auto* n = reinterpret_cast<uint8_t*>(const_cast<char*>(name.data()));
  auto* v = reinterpret_cast<uint8_t*>(const_cast<char*>(value.data()));
  return nghttp2_nv{n, v, name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}
std::string str(const uint8_t* p, std::size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }
}  // namespace

struct MockH2Server::Impl : std::enable_shared_from_this<MockH2Server::Impl> {
  explicit Impl(const MockTls& tls) : net(tls, "MockH2Server") {}
  detail::LoopbackServer net;
  mutable std::mutex mu;
  H2Handler handler;
  std::vector<H2Request> log;
  std::atomic<int> accepted{0}, requests{0}, peak{0};

  struct Conn;
  std::set<std::shared_ptr<Conn>> conns;  // server thread only

  struct Stream {
    H2Request request;
    std::string out;  // response body
    std::size_t sent = 0;
    std::unique_ptr<asio::steady_timer> timer;
  };

  struct Conn : std::enable_shared_from_this<Conn> {
    Conn(Impl& s, tcp::socket sock, int conn_id) : server(s), stream(s.net.stream_for(std::move(sock))), id(conn_id) {}
    ~Conn() {
      if (session) nghttp2_session_del(session);
    }
    Impl& server;
    std::unique_ptr<detail::ServerStream> stream;
    int id;
    nghttp2_session* session = nullptr;
    std::map<int32_t, Stream> streams;
    int open_streams = 0;
    bool writing = false;
    bool closed = false;
    std::string wbuf;
    char rbuf[16384];

    void start() {
      nghttp2_session_callbacks* cbs = nullptr;
      nghttp2_session_callbacks_new(&cbs);
      nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Conn::on_begin_headers);
      nghttp2_session_callbacks_set_on_header_callback(cbs, &Conn::on_header);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Conn::on_data);
      nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Conn::on_frame);
      nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Conn::on_close);
      nghttp2_session_server_new(&session, cbs, this);
      nghttp2_session_callbacks_del(cbs);
      const nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
      nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv, 1);
      if (!stream->is_tls()) {
        flush();
        return read();
      }
      stream->handshake([self = shared_from_this()](boost::system::error_code ec) {
        if (ec) return self->close();
        self->flush();
        self->read();
      });
    }

    void read() {
      stream->with([&](auto& s) {
        s.async_read_some(asio::buffer(rbuf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec || self->closed) return self->close();
          const auto rv = nghttp2_session_mem_recv(self->session, reinterpret_cast<const uint8_t*>(self->rbuf), n);
          if (rv < 0) return self->close();
          self->flush();
          self->read();
        });
      });
    }

    // Writes whatever nghttp2 has queued; one write at a time.
    void flush() {
      if (writing || closed) return;
      wbuf.clear();
      for (;;) {
        const uint8_t* data = nullptr;
        const auto n = nghttp2_session_mem_send(session, &data);
        if (n < 0) return close();
        if (n == 0) break;
        wbuf.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      }
      if (wbuf.empty()) {
        if (!nghttp2_session_want_read(session) && !nghttp2_session_want_write(session)) close();
        return;
      }
      writing = true;
      stream->with([&](auto& s) {
        asio::async_write(s, asio::buffer(wbuf), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          self->writing = false;
          if (ec) return self->close();
          self->flush();
        });
      });
    }

    void respond(int32_t stream_id) {
      auto it = streams.find(stream_id);
      if (it == streams.end() || closed) return;
      Stream& st = it->second;
      H2Handler h;
      {
        std::lock_guard lock(server.mu);
        h = server.handler;
      }
      H2Response r = h ? h(st.request) : H2Response{404, {}, "no handler", {}};
      st.out = std::move(r.body);
      const std::chrono::milliseconds delay = r.delay;
      auto submit = [self = shared_from_this(), stream_id, r = std::move(r)] {
        auto open = self->streams.find(stream_id);
        if (open == self->streams.end() || self->closed) return;  // the client cancelled it meanwhile
        const std::string status = std::to_string(r.status), length = std::to_string(open->second.out.size());
        const std::string k_status = ":status", k_length = "content-length";
        std::vector<nghttp2_nv> nva{nv(k_status, status), nv(k_length, length)};
        for (const auto& [k, v] : r.headers) nva.push_back(nv(k, v));
        nghttp2_data_provider prd{};
        prd.read_callback = &Conn::read_body;
        nghttp2_submit_response(self->session, stream_id, nva.data(), nva.size(), &prd);
        self->flush();
      };
      if (delay.count() > 0) {
        st.timer = std::make_unique<asio::steady_timer>(server.net.ioc, delay);
        st.timer->async_wait([submit = std::move(submit)](boost::system::error_code ec) {
          if (!ec) submit();
        });
      } else {
        submit();
      }
    }

    void close() {
      if (closed) return;
      closed = true;
      for (auto& [id_, st] : streams)
        if (st.timer) st.timer->cancel();
      stream->close();
      server.conns.erase(shared_from_this());
    }

    static Conn& self(void* user) { return *static_cast<Conn*>(user); }

    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
      if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
      Conn& c = self(user);
      Stream& st = c.streams[frame->hd.stream_id];
      st.request.stream_id = frame->hd.stream_id;
      st.request.connection = c.id;
      c.open_streams += 1;
      int seen = c.server.peak.load();
      while (c.open_streams > seen && !c.server.peak.compare_exchange_weak(seen, c.open_streams)) {
      }
      return 0;
    }

    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                         const uint8_t* value, size_t valuelen, uint8_t, void* user) {
      auto it = self(user).streams.find(frame->hd.stream_id);
      if (it == self(user).streams.end()) return 0;
      H2Request& r = it->second.request;
      std::string k = str(name, namelen), v = str(value, valuelen);
      if (k == ":method") r.method = std::move(v);
      else if (k == ":path") r.path = std::move(v);
      else if (k == ":scheme") r.scheme = std::move(v);
      else if (k == ":authority") r.authority = std::move(v);
      else r.headers.emplace_back(std::move(k), std::move(v));
      return 0;
    }

    static int on_data(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* user) {
      auto it = self(user).streams.find(stream_id);
      if (it != self(user).streams.end()) it->second.request.body.append(reinterpret_cast<const char*>(data), len);
      return 0;
    }

    static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
      const bool request_done = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                                (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
      if (!request_done) return 0;
      Conn& c = self(user);
      auto it = c.streams.find(frame->hd.stream_id);
      if (it == c.streams.end()) return 0;
      {
        std::lock_guard lock(c.server.mu);
        c.server.log.push_back(it->second.request);
      }
      c.server.requests.fetch_add(1);
      c.respond(frame->hd.stream_id);
      return 0;
    }

    static int on_close(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
      Conn& c = self(user);
      auto it = c.streams.find(stream_id);
      if (it == c.streams.end()) return 0;
      if (it->second.timer) it->second.timer->cancel();
      c.streams.erase(it);
      c.open_streams -= 1;
      return 0;
    }

    static ssize_t read_body(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* flags,
                             nghttp2_data_source*, void* user) {
      Stream& st = self(user).streams[stream_id];
      const std::size_t n = std::min(length, st.out.size() - st.sent);
      std::copy_n(st.out.data() + st.sent, n, reinterpret_cast<char*>(buf));
      st.sent += n;
      if (st.sent == st.out.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    }
  };

  void accept() {
    net.acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket sock) {
      if (ec) return;
      const int id = self->accepted.fetch_add(1) + 1;
      auto c = std::make_shared<Conn>(*self, std::move(sock), id);
      self->conns.insert(c);
      c->start();
      self->accept();
    });
  }
};

MockH2Server::MockH2Server(H2Handler handler) : MockH2Server(std::move(handler), MockTls{}) {}

MockH2Server::MockH2Server(H2Handler handler, MockTls tls) : impl_(std::make_shared<Impl>(tls)) {
  impl_->handler = std::move(handler);
#if LOQUI_MOCK_HTTP_TLS
  if (impl_->net.ssl()) {
    // ALPN: h2 only (a client that cannot speak HTTP/2 fails the handshake).
    SSL_CTX_set_alpn_select_cb(
        impl_->net.ssl()->native_handle(),
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
           void*) -> int {
          static const unsigned char h2[] = {2, 'h', '2'};
          unsigned char* selected = nullptr;
          if (SSL_select_next_proto(&selected, outlen, h2, sizeof h2, in, inlen) != OPENSSL_NPN_NEGOTIATED)
            return SSL_TLSEXT_ERR_ALERT_FATAL;
          *out = selected;
          return SSL_TLSEXT_ERR_OK;
        },
        nullptr);
  }
#endif
  impl_->net.listen(64);
  impl_->accept();
  impl_->net.start(impl_);
}

MockH2Server::~MockH2Server() {
  impl_->net.stop([impl = impl_.get()] {
    auto conns = impl->conns;
    for (auto& c : conns) c->close();
  });
}

int MockH2Server::port() const { return impl_->net.port(); }
std::string MockH2Server::base_url() const { return impl_->net.base_url(); }
int MockH2Server::connections_accepted() const { return impl_->accepted.load(); }
int MockH2Server::requests() const { return impl_->requests.load(); }
int MockH2Server::peak_concurrent_streams() const { return impl_->peak.load(); }
std::vector<H2Request> MockH2Server::received() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

}  // namespace loqui::testing
