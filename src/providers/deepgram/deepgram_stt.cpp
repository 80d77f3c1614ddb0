// SPDX-License-Identifier: Apache-2.0
// File: STT `deepgram`: live transcription over WebSocket /v1/listen.
//
// One stream = one WebSocket (reopened after a drop). Audio goes out as binary
// frames in the opened format (linear16, mulaw or alaw; never an empty frame),
// finalize() sends {"type":"Finalize"} and the Results marked from_finalize
// answers it; KeepAlive goes out while no audio flows; cancel() ends with
// CloseStream and a close handshake in the background.
//
// No audio is lost on a drop: every chunk sent stays in a replay buffer until a
// final Results covers it (Deepgram's finals never change again). After an
// unexpected close or a dropped socket the stream reconnects (max_reconnects),
// tells the observer on_provider("deepgram", restarted = true) (interims of the
// current utterance are void), sends the buffered audio again and re-sends the
// Finalize messages still unanswered. Deepgram's times restart at 0 on a new
// connection; results are shifted by where the replay began, so audio offsets keep
// counting from the stream's first sample. If the buffer had to drop audio that was
// never final (longer than replay_buffer_ms without a final) the stream fails with
// an error saying how much, rather than continue with a silent gap.
#include <algorithm>
#include <deque>

#include "common/log.hpp"
#include "loqui/audio/g711.hpp"
#include "providers/deepgram/deepgram.hpp"
#include "providers/deepgram/deepgram_messages.hpp"

namespace loqui::deepgram {

namespace {

constexpr const char* kLog = "stt.deepgram";

struct SttConfig {
  wscommon::WsConnection conn;
  std::string model;
  std::string language;  // empty: from the stream options
  bool interim_results = true;
  std::int64_t endpointing_ms = 300;  // 0 = "false"
  std::int64_t utterance_end_ms = 0;  // 0 = not sent
  bool vad_events = true;
  bool smart_format = false;
  bool punctuate = true;
  std::vector<std::string> keyterms;
  std::vector<std::pair<std::string, std::string>> extra_query;
  std::chrono::milliseconds keepalive{4000};
  std::chrono::milliseconds replay_buffer{60000};
};

const std::vector<AudioFormat>& input_formats() {
  static const std::vector<AudioFormat> f{AudioFormat::pcm16(16000), AudioFormat::pcm16(8000),
                                          AudioFormat::pcm16(24000), AudioFormat::pcm16(48000),
                                          AudioFormat::mulaw8k(),    AudioFormat::alaw8k()};
  return f;
}

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::mulaw: return "mulaw";
    case Encoding::alaw: return "alaw";
    default: return "linear16";
  }
}

Result<SttConfig> read_config(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider", "fallback"});
  SttConfig c;
  c.conn = wscommon::read_ws_connection(r, kDefaults);
  c.model = r.get_string("model", "nova-3");
  c.language = r.get_string("language", "");
  c.interim_results = r.get_bool("interim_results", true);
  if (const Json* ep = r.get_raw("endpointing"); ep && ep->is_bool()) {
    if (ep->as_bool()) r.error_at("endpointing", "expected milliseconds or false, found true");
    c.endpointing_ms = 0;
  } else {
    c.endpointing_ms = r.get_int("endpointing", 300, {1, 60000});
  }
  if (r.has("utterance_end_ms")) {
    c.utterance_end_ms = r.get_int("utterance_end_ms", 1000, {1000, 60000});
    if (!c.interim_results) r.error_at("utterance_end_ms", "needs interim_results: true (Deepgram refuses it otherwise)");
  }
  c.vad_events = r.get_bool("vad_events", true);
  c.smart_format = r.get_bool("smart_format", false);
  c.punctuate = r.get_bool("punctuate", true);
  c.keyterms = r.get_string_list("keyterms");
  if (const Json* q = r.get_raw("query")) {
    if (!q->is_object()) {
      r.error_at("query", "expected an object of extra query parameters, found " + q->describe());
    } else {
      for (const JsonMember& m : q->as_object()) {
        if (m.value.is_string()) c.extra_query.emplace_back(m.key, m.value.as_string());
        else if (m.value.is_bool()) c.extra_query.emplace_back(m.key, m.value.as_bool() ? "true" : "false");
        else if (m.value.is_number()) c.extra_query.emplace_back(m.key, m.value.dump());
        else r.error_at("query", "parameter \"" + m.key + "\": expected a string, number or boolean");
      }
    }
  }
  c.keepalive = std::chrono::milliseconds(r.get_int("keepalive_ms", 4000, {500, 9000}));
  c.replay_buffer = std::chrono::milliseconds(r.get_int("replay_buffer_ms", 60000, {0, 600000}));
  LOQUI_TRY(r.finish());
  return c;
}

struct Chunk {
  std::int64_t start = 0;  // stream position (samples)
  std::string bytes;
};

class DeepgramSttStream final : public SttStream, private WebSocketHandler {
 public:
  DeepgramSttStream(std::shared_ptr<const SttConfig> cfg, SessionContext session, SttStreamOptions options,
                    SttObserver& observer)
      : cfg_(std::move(cfg)), session_(std::move(session)), options_(std::move(options)), observer_(&observer),
        keepalive_(session_.strand) {
    bytes_per_sample_ = static_cast<std::size_t>(options_.format.bytes_per_sample());
    keyterms_ = cfg_->keyterms;
    keyterms_.insert(keyterms_.end(), options_.keyterms.begin(), options_.keyterms.end());
  }
  ~DeepgramSttStream() override { cancel(); }

  Status start() {
    LOQUI_TRY(connect());
    arm_keepalive();
    return ok_status();
  }

  Status send_audio(const AudioFrame& frame) override {
    if (!observer_) return Error(errc::closed, "deepgram stt: the stream is closed");
    if (frame.format() != options_.format)
      return Error(errc::format_mismatch, "deepgram stt: expected " + options_.format.to_string() + " audio, got " +
                                              frame.format().to_string());
    const auto bytes = frame.bytes();
    if (bytes.empty()) return ok_status();  // an empty binary frame would end the stream
    Chunk c;
    c.start = sent_samples_;
    if (frame.has_flag(kFrameGap)) {
      // Missing audio: send silence of the same length so the timeline stays true.
      const char fill = options_.format.encoding == Encoding::mulaw ? '\xff'
                        : options_.format.encoding == Encoding::alaw ? '\xd5' : '\0';
      c.bytes.assign(bytes.size(), fill);
    } else {
      c.bytes.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    sent_samples_ += static_cast<std::int64_t>(c.bytes.size() / bytes_per_sample_);
    last_audio_ = session_.strand->now();
    // Into the replay buffer first: positions stay right even if the send fails.
    replay_bytes_ += c.bytes.size();
    replay_.push_back(std::move(c));
    const std::string& bytes_out = replay_.back().bytes;
    Status st = ws_.valid() ? ws_.send_binary(bytes_out) : ok_status();
    trim_replay_to_capacity();
    if (!st) return wscommon::vendor_error(std::move(st).error(), cfg_->conn, "stt");
    return ok_status();
  }

  void finalize() override {
    if (!observer_) return;
    ++pending_finalize_;
    if (ws_.valid()) (void)ws_.send_text(R"({"type":"Finalize"})");
  }

  void set_hints(const RecognitionHints& hints) override {
    // /v1/listen takes keyterms at connect time only: they apply from the next
    // connection (docs/providers/deepgram.md).
    keyterms_ = cfg_->keyterms;
    keyterms_.insert(keyterms_.end(), hints.phrases.begin(), hints.phrases.end());
  }

  void cancel() noexcept override {
    if (!observer_ && !ws_.valid()) return;
    observer_ = nullptr;
    keepalive_.cancel();
    if (ws_.valid()) {
      (void)ws_.send_text(R"({"type":"CloseStream"})");
      ws_.close_detached();
    }
    close_connection_clock();
    LOQUI_LOG_DEBUG(kLog, "stream closed: {:.2f} s audio sent, {:.2f} s billed by Metadata, {} reconnects",
                    usage_.audio_seconds_sent, usage_.billed_seconds, usage_.reconnects);
  }

  SttUsage usage() const {
    SttUsage u = usage_;
    u.audio_seconds_sent = seconds(sent_samples_);
    if (connected_at_) u.connected_seconds += std::chrono::duration<double>(session_.strand->now() - *connected_at_).count();
    return u;
  }

 private:
  double seconds(std::int64_t samples) const { return static_cast<double>(samples) / options_.format.sample_rate_hz; }
  std::int64_t samples_at(double s) const {
    return static_cast<std::int64_t>(s * options_.format.sample_rate_hz + 0.5);
  }
  Duration offset(double s) const { return options_.format.duration_of(conn_base_ + samples_at(s)); }

  std::string target() const {
    wscommon::Query q;
    q.add("model", cfg_->model);
    q.add("language", cfg_->language.empty() ? options_.language : cfg_->language);
    q.add("encoding", encoding_name(options_.format.encoding));
    q.add("sample_rate", static_cast<long long>(options_.format.sample_rate_hz));
    q.add("channels", static_cast<long long>(options_.format.channels));
    q.add("interim_results", cfg_->interim_results);
    if (cfg_->endpointing_ms > 0) q.add("endpointing", static_cast<long long>(cfg_->endpointing_ms));
    else q.add("endpointing", false);
    if (cfg_->utterance_end_ms > 0) q.add("utterance_end_ms", static_cast<long long>(cfg_->utterance_end_ms));
    q.add("vad_events", cfg_->vad_events);
    if (cfg_->smart_format) q.add("smart_format", true);
    q.add("punctuate", cfg_->punctuate);
    for (const auto& k : keyterms_) q.add("keyterm", k);
    for (const auto& [k, v] : cfg_->extra_query) q.add(k, v);
    return "/v1/listen" + q.str();
  }

  // Opens a connection and queues the replay (and unanswered Finalizes) on it.
  Status connect() {
    WebSocketOptions o = cfg_->conn.options(target());
    o.error_headers = {"dg-error"};
    auto ws = WebSocket::connect(session_.strand, std::move(o), *this);
    if (!ws) return wscommon::vendor_error(std::move(ws).error(), cfg_->conn, "stt");
    ws_ = std::move(ws).value();
    opened_ = false;
    ++usage_.connections;
    conn_base_ = replay_.empty() ? sent_samples_ : replay_.front().start;
    for (const Chunk& c : replay_) {
      if (usage_.connections > 1) usage_.replayed_seconds += seconds(static_cast<std::int64_t>(c.bytes.size() / bytes_per_sample_));
      LOQUI_TRY(ws_.send_binary(c.bytes));
    }
    for (int i = 0; i < pending_finalize_; ++i) LOQUI_TRY(ws_.send_text(R"({"type":"Finalize"})"));
    return ok_status();
  }

  void trim_replay_to_capacity() {
    const auto cap = static_cast<std::size_t>(options_.format.samples_in(cfg_->replay_buffer)) * bytes_per_sample_;
    while (replay_bytes_ > cap && !replay_.empty()) {
      const auto n = static_cast<std::int64_t>(replay_.front().bytes.size() / bytes_per_sample_);
      unprotected_samples_ += n;
      dropped_until_ = replay_.front().start + n;
      replay_bytes_ -= replay_.front().bytes.size();
      replay_.pop_front();
    }
  }

  void acknowledge(std::int64_t final_end) {
    while (!replay_.empty()) {
      const Chunk& c = replay_.front();
      if (c.start + static_cast<std::int64_t>(c.bytes.size() / bytes_per_sample_) > final_end) break;
      replay_bytes_ -= c.bytes.size();
      replay_.pop_front();
    }
    if (final_end >= dropped_until_) unprotected_samples_ = 0;  // what was dropped is final now
  }

  void arm_keepalive() {
    (void)keepalive_.arm(cfg_->keepalive / 2, [this] {
      if (!observer_) return;
      if (ws_.is_open() && session_.strand->now() - last_audio_ >= cfg_->keepalive) {
        (void)ws_.send_text(R"({"type":"KeepAlive"})");
        last_audio_ = session_.strand->now();
      }
      arm_keepalive();
    });
  }

  void close_connection_clock() {
    if (connected_at_) {
      usage_.connected_seconds += std::chrono::duration<double>(session_.strand->now() - *connected_at_).count();
      connected_at_.reset();
    }
  }

  // ------------------------------------------------------- WebSocketHandler
  void on_open(const WebSocketOpenInfo& info) override {
    opened_ = true;
    connected_at_ = session_.strand->now();
    last_audio_ = session_.strand->now();
    if (const std::string* rid = find_header(info.headers, "dg-request-id"))
      LOQUI_LOG_DEBUG(kLog, "connected (request id {}, attempt {})", *rid, info.attempt);
  }

  void on_message(std::string_view data, bool binary) override {
    if (binary) return fail(Error(errc::provider_protocol, "deepgram sent an unexpected binary frame on /v1/listen"));
    auto ev = wscommon::guard_parse("deepgram", [&] { return parser_.parse(data); });
    if (!ev) return fail(std::move(ev).error());
    switch (ev->kind) {
      case ListenEvent::Kind::results: return on_results(*ev);
      case ListenEvent::Kind::speech_started: return observer_->on_speech_started(offset(ev->time));
      case ListenEvent::Kind::utterance_end: return observer_->on_utterance_end(offset(ev->time));
      case ListenEvent::Kind::metadata:
        usage_.billed_seconds += ev->time;
        return;
      case ListenEvent::Kind::error:
        return fail(Error(errc::provider_failed, "deepgram reported an error: " + ev->message));
      case ListenEvent::Kind::other:
        LOQUI_LOG_DEBUG(kLog, "ignoring message type '{}'", ev->type);
        return;
    }
  }

  void on_results(const ListenEvent& ev) {
    reconnects_in_a_row_ = 0;
    Transcript t;
    t.text = ev.transcript;
    t.is_final = ev.is_final || ev.from_finalize;
    t.speech_final = ev.speech_final;
    if (ev.from_finalize && pending_finalize_ > 0) {
      t.from_finalize = true;
      --pending_finalize_;
    }
    t.confidence = static_cast<float>(ev.confidence);
    t.audio_start = offset(ev.start);
    t.audio_end = offset(ev.start + ev.duration);
    t.words.reserve(ev.words.size());
    for (const ListenWord& w : ev.words)
      t.words.push_back({w.word, offset(w.start), offset(w.end), static_cast<float>(w.confidence)});
    if (t.is_final) acknowledge(conn_base_ + samples_at(ev.start + ev.duration));
    // Empty interims and empty plain finals (silence) carry nothing.
    if (t.text.empty() && !t.from_finalize && !t.speech_final) return;
    observer_->on_transcript(t);
  }

  void on_close(int code, std::string_view reason) override {
    close_connection_clock();
    ws_ = WebSocket();
    const std::string why = "closed by the server (" + std::to_string(code) + (reason.empty() ? "" : " ") +
                            std::string(reason) + ")";
    if (reason.find("DATA-0000") != std::string_view::npos)
      return fail(Error(errc::provider_failed, "deepgram could not decode the audio (DATA-0000; check encoding " +
                                                   std::string(encoding_name(options_.format.encoding)) +
                                                   " and sample_rate " +
                                                   std::to_string(options_.format.sample_rate_hz) + "): " + why));
    reconnect(Error(errc::provider_unavailable, why));
  }

  void on_error(const Error& error) override {
    close_connection_clock();
    ws_ = WebSocket();
    if (!opened_) return fail(error);  // the handshake failed after the connect retries
    reconnect(error);
  }

  void reconnect(const Error& cause) {
    if (!cause.retryable() || reconnects_in_a_row_ >= cfg_->conn.max_reconnects)
      return fail(Error(cause.code(), cause.message() + (cause.retryable() ? " (after " + std::to_string(reconnects_in_a_row_) + " reconnects)" : "")));
    if (unprotected_samples_ > 0)
      return fail(Error(errc::provider_unavailable,
                        cause.message() + "; cannot replay: " +
                            std::to_string(options_.format.duration_of(unprotected_samples_).count() / 1000000) +
                            " ms of audio without a final result exceeded replay_buffer_ms and would be lost"));
    ++reconnects_in_a_row_;
    ++usage_.reconnects;
    LOQUI_LOG_WARN(kLog, "{}: {}; reconnecting and replaying {:.2f} s of audio", cfg_->conn.label(), cause.message(),
                   replay_.empty() ? 0.0 : seconds(sent_samples_ - replay_.front().start));
    observer_->on_provider(kProviderName, /*restarted=*/true);
    if (!observer_) return;
    Status st = connect();
    if (!st) fail(std::move(st).error());
  }

  void fail(Error e) {
    if (!observer_) return;
    SttObserver* obs = observer_;
    observer_ = nullptr;
    keepalive_.cancel();
    ws_.cancel();
    close_connection_clock();
    e = wscommon::vendor_error(std::move(e), cfg_->conn, "stt");
    LOQUI_LOG_WARN(kLog, "{}", e.to_string());
    obs->on_error(e);
  }

  std::shared_ptr<const SttConfig> cfg_;
  SessionContext session_;
  SttStreamOptions options_;
  SttObserver* observer_;
  Timer keepalive_;
  WebSocket ws_;
  ListenParser parser_;
  std::vector<std::string> keyterms_;
  std::size_t bytes_per_sample_ = 2;
  bool opened_ = false;
  std::deque<Chunk> replay_;
  std::size_t replay_bytes_ = 0;
  std::int64_t unprotected_samples_ = 0;  // dropped from the buffer before a final covered it
  std::int64_t dropped_until_ = 0;        // stream position where that dropped audio ended
  std::int64_t sent_samples_ = 0;
  std::int64_t conn_base_ = 0;
  int pending_finalize_ = 0;
  int reconnects_in_a_row_ = 0;
  TimePoint last_audio_{};
  std::optional<TimePoint> connected_at_;
  SttUsage usage_;
};

class DeepgramStt final : public SpeechToText {
 public:
  explicit DeepgramStt(SttConfig cfg) : cfg_(std::make_shared<const SttConfig>(std::move(cfg))) {
    info_.kind = ProviderKind::stt;
    info_.name = kProviderName;
    info_.description = "Deepgram live transcription (WebSocket /v1/listen, " + cfg_->model + ")";
    info_.needs_real_time = true;
    caps_.input_formats = input_formats();
    caps_.interim_results = cfg_->interim_results;
    caps_.word_timings = true;
    caps_.vendor_endpointing = true;
    caps_.vad_events = cfg_->vad_events;
    caps_.recognition_hints = false;  // keyterms apply from the next connection only
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const SttCapabilities& capabilities() const noexcept override { return caps_; }

  Result<std::unique_ptr<SttStream>> open(const SessionContext& session, const SttStreamOptions& options,
                                          SttObserver& observer) override {
    LOQUI_TRY(wscommon::require_real_time(session, "deepgram stt"));
    Status st = wscommon::check_format(input_formats(), options.format, "deepgram stt",
                                       "linear16 mono at 8/16/24/48 kHz, or mulaw/alaw 8 kHz");
    if (!st) return std::move(st).error().set_provider(kProviderName);
    auto stream = std::make_unique<DeepgramSttStream>(cfg_, session, options, observer);
    LOQUI_TRY(stream->start());
    return std::unique_ptr<SttStream>(std::move(stream));
  }

 private:
  std::shared_ptr<const SttConfig> cfg_;
  ProviderInfo info_;
  SttCapabilities caps_;
};

}  // namespace

Result<std::shared_ptr<SpeechToText>> make_stt(const ProviderContext& context, const Json& config,
                                               std::string_view path) {
  (void)context;
  auto cfg = read_config(config, path);
  if (!cfg) return std::move(cfg).error();
  return std::shared_ptr<SpeechToText>(std::make_shared<DeepgramStt>(std::move(cfg).value()));
}

std::optional<SttUsage> stt_usage(const SttStream& stream) {
  if (const auto* s = dynamic_cast<const DeepgramSttStream*>(&stream)) return s->usage();
  return std::nullopt;
}

}  // namespace loqui::deepgram
