// SPDX-License-Identifier: Apache-2.0
// File: HttpClient: libcurl's multi_socket interface driven by Asio on the Runtime's
// io_context (STYLE.md 3.4; modelled on curl's multi-uv.c / ephiperfifo.c).
//
// Two sides per transfer:
//  * the I/O strand (one per client) owns the CURLM, every easy handle, every curl
//    call and the per-transfer deadline timer;
//  * the session strand gets the transfer's events (head, body, retries, terminal)
//    through a small mailbox in HttpTransfer::State: the I/O side appends under a
//    mutex and posts at most one drain task at a time; the drain delivers in order
//    and stops as soon as the transfer is closed (cancel() or terminal event).
//
// Asio's epoll reactor is edge-triggered while curl expects level-triggered
// readiness (it reads at most one buffer per socket_action). So after every
// socket_action, and every time a wait is armed, the socket is polled with a zero
// timeout; if it is still ready another socket_action is posted instead of
// waiting for an edge that will never come. The wait is armed before the poll, so
// data arriving in between is never missed.
#include "loqui/net/http.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <unordered_map>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <curl/curl.h>

#include "common/log.hpp"
#include "net/http_errors.hpp"
#include "runtime/asio_access.hpp"

namespace loqui {
namespace asio = boost::asio;

namespace {

constexpr const char* kLog = "net.http";

std::once_flag g_curl_once;
CURLcode g_curl_init_result = CURLE_OK;

Status ensure_curl_global() {
  // curl_global_init is not thread-safe before 7.84 and must run once per process.
  // Hosts that initialise curl themselves must do so before creating a client.
  std::call_once(g_curl_once, [] { g_curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (g_curl_init_result != CURLE_OK)
    return Error(errc::internal, std::string("HttpClient: curl_global_init failed: ") +
                                     curl_easy_strerror(g_curl_init_result));
  return ok_status();
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

enum class Deadline : std::uint8_t { none, first_byte, idle, total };

std::chrono::microseconds info_us(CURL* easy, CURLINFO what) {
  curl_off_t v = 0;
  if (curl_easy_getinfo(easy, what, &v) != CURLE_OK) return {};
  return std::chrono::microseconds(v);
}

// See the CURLOPT_FRESH_CONNECT comment in setup.
bool h2c_reuse_works() {
  static const bool works = curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000;
  return works;
}

int http_version_number(long v) {
  switch (v) {
    case CURL_HTTP_VERSION_1_0: return 10;
    case CURL_HTTP_VERSION_1_1: return 11;
    case CURL_HTTP_VERSION_2_0: return 20;
    case CURL_HTTP_VERSION_3: return 30;
    default: return 0;
  }
}

// A watched curl socket. Owned by the client's socket map; waits hold a reference.
struct SocketCtx {
  SocketCtx(const detail::AsioStrand& io, curl_socket_t s) : fd(s), sd(io) {}
  curl_socket_t fd;
  asio::posix::stream_descriptor sd;
  int want = 0;  // CURL_POLL_IN / OUT bits
  bool waiting[2] = {false, false};
  bool extra_posted[2] = {false, false};
  int extra_streak = 0;
  bool removed = false;
};

constexpr int kDirIn = 0;
constexpr int kDirOut = 1;
constexpr int dir_bit(int dir) { return dir == kDirIn ? CURL_POLL_IN : CURL_POLL_OUT; }

bool ready_now(curl_socket_t fd, int dir) {
  pollfd p{fd, static_cast<short>(dir == kDirIn ? POLLIN : POLLOUT), 0};
  return ::poll(&p, 1, 0) > 0 && p.revents != 0;
}

}  // namespace

// ============================ transfer state =====================================

struct HttpTransfer::State {
  struct RetryNote {
    Error error;
    std::chrono::milliseconds delay;
    int next_attempt;
  };

  // Immutable after start.
  std::weak_ptr<State> self;  // for posting drains from curl callbacks
  std::shared_ptr<HttpClient::Impl> client;
  std::shared_ptr<Strand> strand;  // null for pre-warm requests: events are dropped
  HttpHandler* handler = nullptr;
  HttpRequest request;

  // Session side.
  std::atomic<bool> closed{false};     // no more handler calls
  std::atomic<bool> cancelled{false};  // the I/O side should stop
  std::string delivering;              // drain scratch (keeps its capacity)

  // Mailbox, guarded by mu.
  std::mutex mu;
  std::vector<RetryNote> pending_retries;
  std::optional<HttpResponse> pending_head;
  std::string pending_body;
  std::optional<Error> pending_error;
  std::optional<HttpTransferInfo> pending_complete;
  bool drain_posted = false;
  bool paused = false;

  // I/O strand only.
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  std::optional<asio::steady_timer> timer;
  char errbuf[CURL_ERROR_SIZE] = {};
  Backoff backoff;
  int attempt = 0;
  bool in_multi = false;
  bool released = false;
  TimePoint attempt_start{};
  TimePoint last_rx{};
  bool got_first_byte = false;
  Deadline timed_out = Deadline::none;
  int status = 0;
  std::vector<HttpHeader> resp_headers;
  bool accepted = false;  // head handed to the mailbox: no retry from now on
  bool rejected = false;  // non-2xx with fail_on_error_status: body goes to error_body
  std::string error_body;
  std::uint64_t body_bytes = 0;
};

// ================================ client =========================================

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(Runtime& rt, asio::io_context& ioc, HttpClientOptions opts)
      : runtime(rt), io(asio::make_strand(ioc)), options(std::move(opts)) {}
  ~Impl() { shutdown(); }

  using State = HttpTransfer::State;

  Runtime& runtime;
  detail::AsioStrand io;
  HttpClientOptions options;
  CURLM* multi = nullptr;
  std::optional<asio::steady_timer> multi_timer;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketCtx>> sockets;
  std::unordered_map<State*, std::shared_ptr<State>> transfers;
  // Idle easy handles, reset and reused: saves curl's per-handle setup (buffers,
  // option defaults) on every request.
  std::vector<CURL*> spare_easy;
  static constexpr std::size_t kMaxSpareEasy = 32;
  std::atomic<bool> closed{false};
  bool shut_down = false;
  bool streak_warned = false;

  std::atomic<std::int64_t> n_transfers{0}, n_easy{0}, n_sockets_open{0}, n_sockets_watched{0};
  std::atomic<std::uint64_t> n_requests{0}, n_connections{0}, n_retries{0}, n_prewarms{0};

  Status init() {
    multi = curl_multi_init();
    if (!multi) return Error(errc::internal, "HttpClient: curl_multi_init failed");
    multi_timer.emplace(io);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
    if (options.max_idle_connections > 0)
      curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_idle_connections));
    if (options.max_connections_per_host > 0)
      curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.max_connections_per_host));
    return ok_status();
  }

  // Cancels everything and frees curl. Runs on the I/O strand, or inline when the
  // loop no longer runs (runtime stopped) or from the destructor.
  void shutdown() {
    if (shut_down) return;
    shut_down = true;
    closed.store(true);
    std::vector<std::shared_ptr<State>> all;
    for (auto& [ptr, st] : transfers) all.push_back(st);
    for (auto& st : all) {
      if (!st->cancelled.load()) {
        Error e(errc::closed, "HTTP client shut down before " + std::string(st->request.method) + " " +
                                  detail::printable_url(st->request.url) + " finished");
        if (!st->request.provider.empty()) e.set_provider(st->request.provider);
        post_terminal(*st, std::move(e), std::nullopt);
      }
      release(*st);
    }
    if (multi_timer) multi_timer->cancel();
    for (CURL* e : spare_easy) curl_easy_cleanup(e);
    spare_easy.clear();
    if (multi) {
      curl_multi_cleanup(multi);  // closes pooled connections through on_close_socket
      multi = nullptr;
    }
    for (auto& [fd, ctx] : sockets) detach(*ctx);
    sockets.clear();
    multi_timer.reset();
  }

  // ------------------------------- curl callbacks ---------------------------------

  static int on_socket(CURL*, curl_socket_t s, int what, void* userp, void* socketp) {
    auto* self = static_cast<Impl*>(userp);
    auto* ctx = static_cast<SocketCtx*>(socketp);
    if (what == CURL_POLL_REMOVE) {
      if (ctx) self->forget_socket(s, /*unassign=*/true);
      return 0;
    }
    std::shared_ptr<SocketCtx> c;
    if (ctx) {
      auto it = self->sockets.find(s);
      if (it == self->sockets.end()) return 0;
      c = it->second;
    } else {
      c = std::make_shared<SocketCtx>(self->io, s);
      boost::system::error_code ec;
      c->sd.assign(s, ec);
      if (ec) {
        LOQUI_LOG_ERROR(kLog, "cannot watch socket {}: {}", s, ec.message());
        return -1;
      }
      self->sockets[s] = c;
      curl_multi_assign(self->multi, s, c.get());
      self->n_sockets_watched.fetch_add(1, std::memory_order_relaxed);
    }
    c->want = what;
    for (int dir : {kDirIn, kDirOut})
      if (what & dir_bit(dir)) self->arm(c, dir);
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<Impl*>(userp);
    if (!self->multi_timer) return 0;
    self->multi_timer->cancel();
    if (timeout_ms < 0) return 0;
    if (timeout_ms == 0) {
      // Never call socket_action from inside a curl callback: post it.
      asio::post(self->io, [w = self->weak_from_this()] {
        if (auto s = w.lock()) s->on_multi_timeout();
      });
      return 0;
    }
    self->multi_timer->expires_after(std::chrono::milliseconds(timeout_ms));
    self->multi_timer->async_wait(asio::bind_executor(self->io, [w = self->weak_from_this()](auto ec) {
      if (ec) return;
      if (auto s = w.lock()) s->on_multi_timeout();
    }));
    return 0;
  }

  static curl_socket_t on_open_socket(void* clientp, curlsocktype, curl_sockaddr* addr) {
    auto* self = static_cast<Impl*>(clientp);
    const int fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd < 0) return CURL_SOCKET_BAD;
    self->n_sockets_open.fetch_add(1, std::memory_order_relaxed);
    self->n_connections.fetch_add(1, std::memory_order_relaxed);
    return fd;
  }

  static int on_close_socket(void* clientp, curl_socket_t fd) {
    auto* self = static_cast<Impl*>(clientp);
    self->forget_socket(fd, /*unassign=*/false);  // curl normally sent CURL_POLL_REMOVE already
    self->n_sockets_open.fetch_sub(1, std::memory_order_relaxed);
    return ::close(fd);
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* userp) {
    auto* st = static_cast<State*>(userp);
    const std::size_t len = size * n;
    std::string_view line(data, len);
    st->client->mark_rx(*st);
    if (line.rfind("HTTP/", 0) == 0) {  // a new response head (1xx, or the final one)
      st->resp_headers.clear();
      st->status = 0;
      const auto sp = line.find(' ');
      if (sp != std::string_view::npos)
        for (std::size_t i = sp + 1; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i)
          st->status = st->status * 10 + (line[i] - '0');
      return len;
    }
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    const auto colon = line.find(':');
    if (line.empty() || colon == std::string_view::npos) return len;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    st->resp_headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
    return len;
  }

  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* userp) {
    auto* st = static_cast<State*>(userp);
    const std::size_t len = size * n;
    if (st->cancelled.load(std::memory_order_relaxed)) return 0;  // aborts with CURLE_WRITE_ERROR
    Impl& self = *st->client;
    self.mark_rx(*st);
    if (!st->accepted && !st->rejected) {
      long code = 0;
      curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &code);
      st->status = static_cast<int>(code);
      if (!st->request.fail_on_error_status || (code >= 200 && code < 300)) self.accept(*st);
      else st->rejected = true;
    }
    if (st->rejected) {
      const std::size_t room = st->request.max_error_body_bytes - std::min(st->request.max_error_body_bytes,
                                                                          st->error_body.size());
      st->error_body.append(data, std::min(room, len));
      return len;
    }
    {
      std::lock_guard lock(st->mu);
      if (st->pending_body.size() >= self.options.max_buffered_bytes) {
        st->paused = true;  // the data stays with curl and is delivered again on resume
        return CURL_WRITEFUNC_PAUSE;
      }
    }
    st->body_bytes += len;
    self.post_mail(*st, [&] { st->pending_body.append(data, len); });
    return len;
  }

  // ------------------------------- socket driving ---------------------------------

  void arm(const std::shared_ptr<SocketCtx>& c, int dir) {
    if (c->removed || !(c->want & dir_bit(dir))) return;
    if (!c->waiting[dir]) {
      c->waiting[dir] = true;
      c->sd.async_wait(dir == kDirIn ? asio::posix::stream_descriptor::wait_read
                                     : asio::posix::stream_descriptor::wait_write,
                       asio::bind_executor(io, [self = shared_from_this(), c, dir](const boost::system::error_code& ec) {
                         c->waiting[dir] = false;
                         if (ec == asio::error::operation_aborted) return;
                         c->extra_streak = 0;
                         self->on_ready(c, dir);
                       }));
    }
    // Level-triggered emulation: see the file comment.
    if (!c->extra_posted[dir] && ready_now(c->fd, dir)) {
      if (++c->extra_streak > 100000) {
        if (!streak_warned) LOQUI_LOG_WARN(kLog, "socket {} stays ready but curl does not consume it", c->fd);
        streak_warned = true;
        return;  // fall back to edge notifications only
      }
      c->extra_posted[dir] = true;
      asio::post(io, [self = shared_from_this(), c, dir] {
        c->extra_posted[dir] = false;
        self->on_ready(c, dir);
      });
    }
  }

  void on_ready(const std::shared_ptr<SocketCtx>& c, int dir) {
    if (c->removed || !multi || !(c->want & dir_bit(dir))) return;
    int running = 0;
    curl_multi_socket_action(multi, c->fd, dir == kDirIn ? CURL_CSELECT_IN : CURL_CSELECT_OUT, &running);
    check_multi_info();
    arm(c, dir);
  }

  void on_multi_timeout() {
    if (!multi) return;
    int running = 0;
    curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info();
  }

  static void detach(SocketCtx& c) {
    c.removed = true;
    boost::system::error_code ec;
    c.sd.cancel(ec);
    (void)c.sd.release();  // curl owns the descriptor and closes it
  }

  void forget_socket(curl_socket_t s, bool unassign) {
    auto it = sockets.find(s);
    if (it == sockets.end()) return;
    detach(*it->second);
    sockets.erase(it);
    if (multi && unassign) curl_multi_assign(multi, s, nullptr);
    n_sockets_watched.fetch_sub(1, std::memory_order_relaxed);
  }

  void check_multi_info() {
    int left = 0;
    while (CURLMsg* m = multi ? curl_multi_info_read(multi, &left) : nullptr) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL* easy = m->easy_handle;
      const CURLcode rc = m->data.result;
      State* st = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &st);
      if (st) attempt_done(*st, rc);
    }
  }

  // ------------------------------- transfers --------------------------------------

  void begin(const std::shared_ptr<State>& st) {
    if (st->cancelled.load()) return;
    if (shut_down || !multi) {
      post_terminal(*st, Error(errc::closed, "HTTP client shut down"), std::nullopt);
      return;
    }
    transfers[st.get()] = st;
    n_transfers.fetch_add(1, std::memory_order_relaxed);
    if (auto s = configure(*st); !s) {
      post_terminal(*st, std::move(s).error(), std::nullopt);
      release(*st);
      return;
    }
    start_attempt(*st);
  }

  Status configure(State& st) {
    if (!spare_easy.empty()) {
      st.easy = spare_easy.back();
      spare_easy.pop_back();
    } else {
      st.easy = curl_easy_init();
    }
    if (!st.easy) return Error(errc::internal, "HttpClient: curl_easy_init failed");
    n_easy.fetch_add(1, std::memory_order_relaxed);
    CURL* e = st.easy;
    const HttpRequest& r = st.request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, &st);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, st.errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, static_cast<long>(options.max_idle_age.count()));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);  // prefer multiplexing on an h2 connection being set up
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r.verify_tls ? 2L : 0L);
    if (!r.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, r.ca_file.c_str());
    if (r.timeouts.connect.count() > 0)
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.timeouts.connect.count()));
    long version = CURL_HTTP_VERSION_2TLS;
    if (r.version == HttpVersion::http1_1) version = CURL_HTTP_VERSION_1_1;
    if (r.version == HttpVersion::http2_prior_knowledge) version = CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, version);
    // libcurl before 8.0.0 (Debian 12 ships 7.88.1) fails every request that reuses
    // a prior-knowledge h2c connection with "Error in the HTTP2 framing layer"
    // (curl/curl#10634, fixed by #10643). There each such request gets its own
    // connection: no multiplexing on h2c, but correct; h2 over TLS is unaffected.
    const bool fresh = r.version == HttpVersion::http2_prior_knowledge && !h2c_reuse_works();
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, fresh ? 1L : 0L);

    if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
      // The body lives in st.request for the transfer's whole life (and retries).
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
    for (const HttpHeader& h : r.headers) {
      const std::string line = h.name + ": " + h.value;
      curl_slist* next = curl_slist_append(st.header_list, line.c_str());
      if (!next) return Error(errc::internal, "HttpClient: out of memory building headers");
      st.header_list = next;
    }
    // No "Expect: 100-continue" round trip before sending a body: it adds latency.
    st.header_list = curl_slist_append(st.header_list, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, st.header_list);
    return ok_status();
  }

  void start_attempt(State& st) {
    ++st.attempt;
    st.status = 0;
    st.resp_headers.clear();
    st.error_body.clear();
    st.rejected = false;
    st.got_first_byte = false;
    st.timed_out = Deadline::none;
    st.errbuf[0] = '\0';
    st.attempt_start = runtime.now();
    st.last_rx = st.attempt_start;
    n_requests.fetch_add(1, std::memory_order_relaxed);
    const CURLMcode mc = curl_multi_add_handle(multi, st.easy);
    if (mc != CURLM_OK) {
      post_terminal(st, Error(errc::internal, std::string("HttpClient: curl_multi_add_handle: ") +
                                                  curl_multi_strerror(mc)), std::nullopt);
      release(st);
      return;
    }
    st.in_multi = true;
    arm_deadline(st);
  }

  void mark_rx(State& st) {
    st.last_rx = runtime.now();
    if (!st.got_first_byte) {
      // The deadline switches from first-byte to idle, which may be sooner. Later
      // bytes only move it later: the timer then re-arms itself lazily.
      st.got_first_byte = true;
      arm_deadline(st);
    }
  }

  void arm_deadline(State& st) {
    const HttpTimeouts& t = st.request.timeouts;
    TimePoint deadline = TimePoint::max();
    if (t.total.count() > 0) deadline = std::min(deadline, st.attempt_start + t.total);
    if (!st.got_first_byte && t.first_byte.count() > 0) deadline = std::min(deadline, st.attempt_start + t.first_byte);
    if (st.got_first_byte && t.idle.count() > 0) deadline = std::min(deadline, st.last_rx + t.idle);
    if (deadline == TimePoint::max()) return;
    if (!st.timer) st.timer.emplace(io);
    st.timer->expires_after(std::max(Duration::zero(), deadline - runtime.now()));
    st.timer->async_wait(asio::bind_executor(
        io, [self = shared_from_this(), sp = st.self.lock()](auto ec) {
          if (ec || !sp) return;
          self->on_deadline(*sp);
        }));
  }

  void on_deadline(State& st) {
    if (!st.in_multi || st.released) return;
    const HttpTimeouts& t = st.request.timeouts;
    const TimePoint now = runtime.now();
    if (t.total.count() > 0 && now >= st.attempt_start + t.total) st.timed_out = Deadline::total;
    else if (!st.got_first_byte && t.first_byte.count() > 0 && now >= st.attempt_start + t.first_byte)
      st.timed_out = Deadline::first_byte;
    else if (st.got_first_byte && t.idle.count() > 0 && now >= st.last_rx + t.idle) st.timed_out = Deadline::idle;
    if (st.timed_out == Deadline::none) {
      arm_deadline(st);  // bytes arrived meanwhile: sleep until the new deadline
      return;
    }
    attempt_done(st, CURLE_OPERATION_TIMEDOUT);
  }

  void accept(State& st) {
    st.accepted = true;
    HttpResponse head;
    head.status = st.status;
    long v = 0;
    curl_easy_getinfo(st.easy, CURLINFO_HTTP_VERSION, &v);
    head.http_version = http_version_number(v);
    head.headers = st.resp_headers;
    head.attempt = st.attempt;
    post_mail(st, [&] { st.pending_head = std::move(head); });
  }

  void attempt_done(State& st, CURLcode rc) {
    if (st.in_multi) {
      curl_multi_remove_handle(multi, st.easy);
      st.in_multi = false;
    }
    if (st.timer) st.timer->cancel();
    if (st.cancelled.load()) {
      release(st);
      return;
    }
    std::optional<Error> err;
    bool retry_allowed = false;
    if (st.timed_out != Deadline::none) {
      err = timeout_error(st);
      retry_allowed = !st.accepted;
    } else if (rc != CURLE_OK) {
      err = curl_error(st, rc);
      retry_allowed = !st.accepted && err->retryable();
    } else if (st.request.fail_on_error_status && !st.accepted && (st.status < 200 || st.status >= 300)) {
      long code = 0;
      curl_easy_getinfo(st.easy, CURLINFO_RESPONSE_CODE, &code);
      st.status = static_cast<int>(code);
      err = detail::http_status_error(st.request.method, st.request.url, st.status, st.resp_headers, st.error_body,
                                      st.request.provider, std::time(nullptr));
      retry_allowed = detail::status_is_retryable(st.status, st.resp_headers, err->vendor_code());
    }
    if (!err) {
      if (!st.accepted) accept(st);  // empty body (HEAD, 204)
      HttpTransferInfo info;
      info.status = st.status;
      long v = 0;
      curl_easy_getinfo(st.easy, CURLINFO_HTTP_VERSION, &v);
      info.http_version = http_version_number(v);
      info.attempts = st.attempt;
      info.body_bytes = st.body_bytes;
      long connects = 0;
      curl_easy_getinfo(st.easy, CURLINFO_NUM_CONNECTS, &connects);
      info.connection_reused = connects == 0;
      info.connect_time = info_us(st.easy, CURLINFO_CONNECT_TIME_T);
      info.first_byte_time = info_us(st.easy, CURLINFO_STARTTRANSFER_TIME_T);
      info.total_time = info_us(st.easy, CURLINFO_TOTAL_TIME_T);
      post_terminal(st, std::nullopt, info);
      release(st);
      return;
    }
    if (retry_allowed && maybe_retry(st, *err)) return;
    if (st.attempt > 1) err->add_context("after " + std::to_string(st.attempt) + " attempts");
    post_terminal(st, std::move(*err), std::nullopt);
    release(st);
  }

  bool maybe_retry(State& st, const Error& err) {
    const RetryPolicy& p = st.request.retry;
    if (auto ra = err.retry_after(); ra && *ra > p.max_retry_after) {
      LOQUI_LOG_INFO(kLog, "{} {}: server asks to retry after {} ms (> {} ms): not retrying", st.request.method,
                     detail::printable_url(st.request.url), ra->count(), p.max_retry_after.count());
      return false;
    }
    // Backoff decides on attempts and delay; the retry decision itself was made above
    // (x-should-retry may make a normally fatal status retryable).
    Error probe(errc::provider_unavailable, "retry");
    if (auto ra = err.retry_after()) probe.set_retry_after(*ra);
    const auto delay = st.backoff.next_delay(probe);
    if (!delay) return false;
    n_retries.fetch_add(1, std::memory_order_relaxed);
    LOQUI_LOG_WARN(kLog, "{} (attempt {}); retrying in {} ms", err.message(), st.attempt, delay->count());
    post_mail(st, [&] { st.pending_retries.push_back({err, *delay, st.attempt + 1}); });
    if (!st.timer) st.timer.emplace(io);
    st.timer->expires_after(*delay);
    st.timer->async_wait(asio::bind_executor(io, [self = shared_from_this(), sp = st.self.lock()](auto ec) {
      if (ec || !sp || sp->cancelled.load() || sp->released) return;
      self->start_attempt(*sp);
    }));
    return true;
  }

  std::string what(const State& st) const {
    return st.request.method + " " + detail::printable_url(st.request.url);
  }

  Error finish_error(const State& st, Error e) const {
    if (!st.request.provider.empty()) e.set_provider(st.request.provider);
    return e;
  }

  Error timeout_error(const State& st) const {
    const HttpTimeouts& t = st.request.timeouts;
    std::string msg = what(st) + ": ";
    switch (st.timed_out) {
      case Deadline::first_byte:
        msg += "no response within the first-byte timeout of " + std::to_string(t.first_byte.count()) + " ms";
        break;
      case Deadline::idle:
        msg += "stream stalled: nothing received for the idle timeout of " + std::to_string(t.idle.count()) +
               " ms (after " + std::to_string(st.body_bytes) + " body bytes)";
        break;
      default:
        msg += "not finished within the total timeout of " + std::to_string(t.total.count()) + " ms";
        break;
    }
    return finish_error(st, Error(errc::timeout, std::move(msg)));
  }

  Error curl_error(const State& st, CURLcode rc) const {
    const std::string detail = st.errbuf[0] ? std::string(st.errbuf) : std::string(curl_easy_strerror(rc));
    errc code = errc::io_error;
    std::string cause;
    switch (rc) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        code = errc::provider_unavailable;
        cause = "could not resolve host";
        break;
      case CURLE_COULDNT_CONNECT:
        code = errc::provider_unavailable;
        cause = "could not connect";
        break;
      case CURLE_OPERATION_TIMEDOUT:
        code = errc::timeout;
        cause = st.got_first_byte ? "timed out" : "connect timeout (" + std::to_string(st.request.timeouts.connect.count()) + " ms)";
        break;
      case CURLE_SSL_CACERT_BADFILE:
        code = errc::invalid_argument;
        cause = "cannot load the CA file '" + st.request.ca_file + "'";
        break;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        code = errc::provider_protocol;
        cause = "TLS certificate verification failed";
        break;
      case CURLE_SSL_CONNECT_ERROR:
        code = errc::provider_unavailable;
        cause = "TLS handshake failed";
        break;
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_PARTIAL_FILE:
      case CURLE_GOT_NOTHING:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        code = errc::provider_unavailable;
        cause = st.body_bytes > 0 ? "connection dropped mid-response after " + std::to_string(st.body_bytes) +
                                        " body bytes"
                                  : "connection dropped before a complete response";
        break;
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
        code = errc::invalid_argument;
        cause = "bad URL";
        break;
      case CURLE_WEIRD_SERVER_REPLY:
        code = errc::provider_protocol;
        cause = "malformed HTTP response";
        break;
      case CURLE_OUT_OF_MEMORY:
        code = errc::internal;
        cause = "out of memory";
        break;
      default:
        cause = "transfer failed";
        break;
    }
    return finish_error(st, Error(code, what(st) + ": " + cause + " (" + detail + ")"));
  }

  // ------------------------------ mailbox -----------------------------------------

  template <class F>
  void post_mail(State& st, F&& fill) {
    bool post_now = false;
    {
      std::lock_guard lock(st.mu);
      fill();
      post_now = !st.drain_posted;
      st.drain_posted = true;
    }
    if (post_now && st.strand)
      if (auto sp = st.self.lock()) (void)st.strand->post([sp] { drain(sp); });
  }

  void post_terminal(State& st, std::optional<Error> error, std::optional<HttpTransferInfo> info) {
    if (!st.strand) {
      if (error) LOQUI_LOG_DEBUG(kLog, "pre-warm: {}", error->message());
      return;
    }
    bool post_now = false;
    {
      std::lock_guard lock(st.mu);
      if (error) st.pending_error = std::move(error);
      else st.pending_complete = info;
      post_now = !st.drain_posted;
      st.drain_posted = true;
    }
    if (post_now)
      if (auto sp = st.self.lock()) (void)st.strand->post([sp] { drain(sp); });
  }

  // Session strand.
  static void drain(const std::shared_ptr<State>& sp) {
    State& st = *sp;
    std::vector<State::RetryNote> retries;
    std::optional<HttpResponse> head;
    std::optional<Error> error;
    std::optional<HttpTransferInfo> complete;
    bool resume = false;
    {
      std::lock_guard lock(st.mu);
      st.drain_posted = false;
      retries.swap(st.pending_retries);
      head = std::move(st.pending_head);
      st.pending_head.reset();
      st.delivering.clear();
      st.delivering.swap(st.pending_body);
      error = std::move(st.pending_error);
      st.pending_error.reset();
      complete = st.pending_complete;
      st.pending_complete.reset();
      resume = st.paused;
      st.paused = false;
    }
    if (resume && !st.closed.load())
      asio::post(st.client->io, [sp] {
        if (!sp->released && sp->easy) curl_easy_pause(sp->easy, CURLPAUSE_CONT);
      });
    HttpHandler* h = st.handler;
    for (auto& r : retries) {
      if (st.closed.load()) return;
      h->on_retry(r.error, r.delay, r.next_attempt);
    }
    if (head && !st.closed.load()) h->on_response(*head);
    if (!st.delivering.empty() && !st.closed.load()) h->on_body(st.delivering);
    if (st.closed.load()) return;
    if (error) {
      st.closed.store(true);
      h->on_error(*error);
    } else if (complete) {
      st.closed.store(true);
      h->on_complete(*complete);
    }
  }

  void release(State& st) {
    if (st.released) return;
    st.released = true;
    if (st.timer) st.timer->cancel();
    if (st.easy) {
      if (st.in_multi && multi) curl_multi_remove_handle(multi, st.easy);
      st.in_multi = false;
      if (!shut_down && spare_easy.size() < kMaxSpareEasy) {
        curl_easy_reset(st.easy);  // back to defaults; keeps its buffers
        spare_easy.push_back(st.easy);
      } else {
        curl_easy_cleanup(st.easy);
      }
      st.easy = nullptr;
      n_easy.fetch_sub(1, std::memory_order_relaxed);
    }
    if (st.header_list) {
      curl_slist_free_all(st.header_list);
      st.header_list = nullptr;
    }
    n_transfers.fetch_sub(1, std::memory_order_relaxed);
    transfers.erase(&st);  // may drop the last I/O-side reference
  }

  void cancel(const std::shared_ptr<State>& st) {
    if (!transfers.count(st.get())) return;  // never began, or already released
    release(*st);
  }
};

// ============================== public API =======================================

HttpTransfer::HttpTransfer(HttpTransfer&& o) noexcept : state_(std::move(o.state_)) {}
HttpTransfer& HttpTransfer::operator=(HttpTransfer&& o) noexcept {
  if (this != &o) {
    cancel();
    state_ = std::move(o.state_);
  }
  return *this;
}
HttpTransfer::~HttpTransfer() { cancel(); }

void HttpTransfer::cancel() noexcept {
  if (!state_) return;
  auto st = std::move(state_);
  st->closed.store(true);
  if (st->cancelled.exchange(true)) return;
  auto client = st->client;
  try {
    asio::post(client->io, [client, st] { client->cancel(st); });
  } catch (...) {
    // Posting only fails when out of memory; the transfer then ends with the client.
  }
}

bool HttpTransfer::active() const noexcept { return state_ && !state_->closed.load(); }

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() {
  if (!impl_) return;
  impl_->closed.store(true);
  if (impl_->runtime.stopped()) {
    impl_->shutdown();  // nobody runs the loop any more: clean up here
    return;
  }
  asio::post(impl_->io, [impl = impl_] { impl->shutdown(); });
}

Result<std::shared_ptr<HttpClient>> HttpClient::create(Runtime& runtime, HttpClientOptions options) {
  asio::io_context* ioc = detail::asio_context(runtime);
  if (!ioc)
    return Error(errc::not_supported,
                 "HttpClient: needs a real-time Runtime; a virtual-time runtime has no event loop for sockets "
                 "(use a mock provider in virtual-time tests)");
  LOQUI_TRY(ensure_curl_global());
  auto impl = std::make_shared<Impl>(runtime, *ioc, std::move(options));
  LOQUI_TRY(impl->init());
  return std::shared_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<std::shared_ptr<HttpClient>> HttpClient::for_runtime(Runtime& runtime) {
  static std::mutex mu;
  static std::map<Runtime*, std::weak_ptr<HttpClient>> clients;
  std::lock_guard lock(mu);
  for (auto it = clients.begin(); it != clients.end();) {
    if (it->second.expired()) it = clients.erase(it);
    else ++it;
  }
  if (auto it = clients.find(&runtime); it != clients.end())
    if (auto c = it->second.lock()) return c;
  LOQUI_ASSIGN_OR_RETURN(auto client, create(runtime));
  clients[&runtime] = client;
  return client;
}

Result<HttpTransfer> HttpClient::start(std::shared_ptr<Strand> strand, HttpRequest request, HttpHandler& handler) {
  if (!strand) return Error(errc::invalid_argument, "HttpClient::start: no strand for the handler");
  if (!starts_with_icase(request.url, "http://") && !starts_with_icase(request.url, "https://"))
    return Error(errc::invalid_argument,
                 "HttpClient::start: URL must start with http:// or https:// (got '" +
                     detail::printable_url(request.url) + "')");
  if (impl_->closed.load()) return Error(errc::closed, "HttpClient::start: the client was shut down");
  auto st = std::make_shared<HttpTransfer::State>();
  st->self = st;
  st->client = impl_;
  st->strand = std::move(strand);
  st->handler = &handler;
  st->backoff = Backoff(request.retry, request.retry_seed);
  st->request = std::move(request);
  asio::post(impl_->io, [impl = impl_, st] { impl->begin(st); });
  return HttpTransfer(std::move(st));
}

void HttpClient::prewarm(const HttpRequest& request) {
  if (impl_->closed.load()) return;
  if (!starts_with_icase(request.url, "http://") && !starts_with_icase(request.url, "https://")) return;
  auto st = std::make_shared<HttpTransfer::State>();
  st->self = st;
  st->client = impl_;
  st->request.method = "HEAD";
  st->request.url = request.url;
  st->request.version = request.version;
  st->request.verify_tls = request.verify_tls;
  st->request.ca_file = request.ca_file;
  st->request.provider = request.provider;
  st->request.timeouts = {request.timeouts.connect, request.timeouts.connect + std::chrono::seconds(5),
                          std::chrono::seconds(5), request.timeouts.connect + std::chrono::seconds(10)};
  impl_->n_prewarms.fetch_add(1, std::memory_order_relaxed);
  asio::post(impl_->io, [impl = impl_, st] { impl->begin(st); });
}

HttpClientStats HttpClient::stats() const noexcept {
  HttpClientStats s;
  s.transfers_active = impl_->n_transfers.load();
  s.easy_handles = impl_->n_easy.load();
  s.sockets_open = impl_->n_sockets_open.load();
  s.sockets_watched = impl_->n_sockets_watched.load();
  s.requests_started = impl_->n_requests.load();
  s.connections_opened = impl_->n_connections.load();
  s.retries = impl_->n_retries.load();
  s.prewarms = impl_->n_prewarms.load();
  return s;
}

Runtime& HttpClient::runtime() const noexcept { return impl_->runtime; }

}  // namespace loqui
