// SPDX-License-Identifier: Apache-2.0
// File: the vendor WebSocket mocks (see mock_vendors.hpp).
#include "support/mock_vendors.hpp"

#include <cmath>
#include <deque>
#include <functional>
#include <numbers>
#include <optional>
#include <set>

#include "json/rapidjson.hpp"
#include "loqui/audio/g711.hpp"

namespace loqui::testing {

namespace rj = loqui_rapidjson;

namespace {

std::string b64(std::string_view in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {k[(v >> 18) & 63], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += {k[(v >> 18) & 63], k[(v >> 12) & 63], i + 1 < in.size() ? k[(v >> 6) & 63] : '=', '='};
  }
  return out;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string str_member(const rj::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

std::string dump(const rj::Value& v) {
  rj::StringBuffer sb;
  rj::Writer<rj::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

// ----------------------------------------------------------------- base session
class VendorSession : public MockWsSession {
 public:
  VendorSession(const VendorFaults& faults, std::shared_ptr<VendorRecord> rec, int conn)
      : faults_(faults), rec_(std::move(rec)), conn_(conn) {}

  MockWsUpgrade on_upgrade(const MockWsRequest& r) final {
    {
      std::lock_guard l(rec_->mu);
      rec_->targets.push_back(r.target);
      rec_->texts.resize(rec_->targets.size());
      rec_->audio.resize(rec_->targets.size());
    }
    if (conn_ - 1 < static_cast<int>(faults_.refusals.size())) return faults_.refusals[static_cast<std::size_t>(conn_ - 1)];
    if (!faults_.expected_auth.empty() && auth_value(r) != faults_.expected_auth)
      return MockWsUpgrade::refuse(401, R"({"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."})",
                                   {{"Content-Type", "application/json"}, {"dg-error", "Invalid credentials."}});
    if (auto refusal = validate(r)) return *refusal;
    return MockWsUpgrade::accept(faults_.accept_delay_ms);
  }

  void on_open(MockWsConn& c) final {
    if (faults_.first_message_delay_ms > 0) {
      holding_ = true;
      c.after(faults_.first_message_delay_ms, [this, &c] {
        holding_ = false;
        for (auto& [data, binary] : held_) binary ? c.send_binary(std::move(data)) : c.send_text(std::move(data));
        held_.clear();
      });
    }
    if (faults_.unknown_message) emit(c, R"({"type":"SomethingNewFromTheFuture","x":1})");
    opened(c);
  }

  void on_text(MockWsConn& c, std::string_view t) final {
    {
      std::lock_guard l(rec_->mu);
      rec_->texts[static_cast<std::size_t>(conn_ - 1)].emplace_back(t);
    }
    if (faults_.drop_on_first_text == conn_) return c.drop();
    rj::Document d;
    d.Parse(t.data(), t.size());
    if (d.HasParseError() || !d.IsObject()) return c.close(1008, "invalid JSON");
    text(c, d);
  }

  void on_binary(MockWsConn& c, std::string_view b) final {
    {
      std::lock_guard l(rec_->mu);
      rec_->audio[static_cast<std::size_t>(conn_ - 1)].append(b);
    }
    binary(c, b);
  }

 protected:
  virtual std::string auth_value(const MockWsRequest& r) const { return r.header("Authorization"); }
  virtual std::optional<MockWsUpgrade> validate(const MockWsRequest& r) { (void)r; return std::nullopt; }
  virtual void opened(MockWsConn& c) { (void)c; }
  virtual void text(MockWsConn& c, const rj::Document& d) = 0;
  virtual void binary(MockWsConn& c, std::string_view b) { (void)b; c.close(1003, "unexpected binary"); }

  void emit(MockWsConn& c, std::string data, bool binary = false) {
    if (holding_) {
      held_.emplace_back(std::move(data), binary);
      return;
    }
    binary ? c.send_binary(std::move(data)) : c.send_text(std::move(data));
  }

  // Counts a frame for the fault plan; true when the connection must stop here.
  bool fault_due(MockWsConn& c) {
    if (faults_.kind == VendorFaults::Kind::none || faults_.on_connection != conn_) return false;
    if (++frames_ != faults_.after_frames) return false;
    switch (faults_.kind) {
      case VendorFaults::Kind::drop: c.drop(); return true;
      case VendorFaults::Kind::garbage: emit(c, faults_.garbage); return false;
      case VendorFaults::Kind::close: c.close(faults_.close_code, faults_.close_reason); return true;
      case VendorFaults::Kind::stall: c.stop_reading(); stalled_ = true; return true;
      case VendorFaults::Kind::none: return false;
    }
    return false;
  }

  const VendorFaults& faults_;
  std::shared_ptr<VendorRecord> rec_;
  int conn_;
  bool stalled_ = false;

 private:
  int frames_ = 0;
  bool holding_ = false;
  std::vector<std::pair<std::string, bool>> held_;
};

// ----------------------------------------------------------------- Deepgram listen
class DeepgramListen final : public VendorSession {
 public:
  using VendorSession::VendorSession;

 private:
  std::optional<MockWsUpgrade> validate(const MockWsRequest& r) override {
    auto refuse = [](std::string why) {
      return MockWsUpgrade::refuse(400, "", {{"dg-error", std::move(why)}});
    };
    if (r.path() != "/v1/listen") return MockWsUpgrade::refuse(404, "not found");
    if (r.query("model").empty()) return refuse("Missing 'model'.");
    enc_ = r.query("encoding");
    if (enc_ != "linear16" && enc_ != "mulaw" && enc_ != "alaw") return refuse("Invalid 'encoding' value of '" + enc_ + "'.");
    rate_ = std::atoi(r.query("sample_rate").c_str());
    if (rate_ <= 0) return refuse("Missing 'sample_rate'.");
    if (r.has_query("utterance_end_ms")) {
      const int v = std::atoi(r.query("utterance_end_ms").c_str());
      if (v < 1000) return refuse("Invalid 'utterance_end_ms' value of '" + r.query("utterance_end_ms") + "'.");
      utterance_end_ = true;
    }
    interim_ = r.query("interim_results") == "true";
    vad_ = r.query("vad_events") == "true";
    return std::nullopt;
  }

  double secs(std::int64_t samples) const { return static_cast<double>(samples) / rate_; }

  std::string results(std::int64_t start, std::int64_t end, bool loud, bool is_final, bool speech_final,
                      bool from_finalize) const {
    const double s = secs(start), e = secs(end);
    std::string words = loud ? R"([{"word":"hello","start":)" + num(s) + R"(,"end":)" + num(e) +
                                   R"(,"confidence":0.98,"punctuated_word":"Hello"}])"
                             : "[]";
    return R"({"type":"Results","channel_index":[0,1],"duration":)" + num(e - s) + R"(,"start":)" + num(s) +
           R"(,"is_final":)" + (is_final ? "true" : "false") + R"(,"speech_final":)" +
           (speech_final ? "true" : "false") + R"(,"from_finalize":)" + (from_finalize ? "true" : "false") +
           R"(,"channel":{"alternatives":[{"transcript":")" + (loud ? "hello" : "") +
           R"(","confidence":0.98,"words":)" + words + R"(}]},"metadata":{"request_id":"mock-req"}})";
  }

  void binary(MockWsConn& c, std::string_view b) override {
    if (b.empty()) return close_stream(c);
    if (fault_due(c)) return;
    const int bps = enc_ == "linear16" ? 2 : 1;
    for (std::size_t i = 0; i + static_cast<std::size_t>(bps) <= b.size(); i += static_cast<std::size_t>(bps)) {
      std::int16_t v;
      if (bps == 2) v = static_cast<std::int16_t>(static_cast<unsigned char>(b[i]) | (static_cast<unsigned char>(b[i + 1]) << 8));
      else if (enc_ == "mulaw") v = mulaw_to_linear(static_cast<std::uint8_t>(b[i]));
      else v = alaw_to_linear(static_cast<std::uint8_t>(b[i]));
      energy_ += static_cast<double>(v) * v;
      ++received_;
      if (received_ - seg_start_ >= rate_ / 5) close_segment(c);
    }
  }

  void close_segment(MockWsConn& c) {
    const std::int64_t n = received_ - seg_start_;
    const bool loud = n > 0 && std::sqrt(energy_ / static_cast<double>(n)) > 500;
    if (loud && !speaking_ && vad_) emit(c, R"({"type":"SpeechStarted","channel":[0,1],"timestamp":)" + num(secs(seg_start_)) + "}");
    speaking_ = loud;
    if (interim_ && loud) emit(c, results(seg_start_, received_, true, false, false, false));
    if (pending_) {
      emit(c, results(pending_->first, pending_->second, true, true, !loud, false));
      if (!loud && utterance_end_)
        emit(c, R"({"type":"UtteranceEnd","channel":[0,1],"last_word_end":)" + num(secs(pending_->second)) + "}");
      pending_.reset();
    }
    if (loud) pending_.emplace(seg_start_, received_);
    else emit(c, results(seg_start_, received_, false, true, false, false));
    seg_start_ = received_;
    energy_ = 0;
  }

  void flush_all(MockWsConn& c, bool from_finalize) {
    if (pending_) {
      emit(c, results(pending_->first, pending_->second, true, true, false, false));
      pending_.reset();
    }
    const std::int64_t n = received_ - seg_start_;
    const bool loud = n > 0 && std::sqrt(energy_ / static_cast<double>(n)) > 500;
    emit(c, results(seg_start_, received_, loud, true, false, from_finalize));
    seg_start_ = received_;
    energy_ = 0;
  }

  void close_stream(MockWsConn& c) {
    flush_all(c, false);
    emit(c, R"({"type":"Metadata","transaction_key":"deprecated","request_id":"mock-req","sha256":"x","created":"2026-01-01T00:00:00.000Z","duration":)" +
                num(secs(received_)) + R"(,"channels":1,"models":["m"],"model_info":{}})");
    c.close(1000, "");
  }

  void text(MockWsConn& c, const rj::Document& d) override {
    const std::string type = str_member(d, "type");
    if (type == "KeepAlive") {
      std::lock_guard l(rec_->mu);
      ++rec_->keepalives;
    } else if (type == "Finalize") {
      {
        std::lock_guard l(rec_->mu);
        ++rec_->finalizes;
      }
      flush_all(c, true);
    } else if (type == "CloseStream") {
      {
        std::lock_guard l(rec_->mu);
        ++rec_->close_streams;
      }
      close_stream(c);
    } else {
      c.close(1008, "unknown message type");
    }
  }

  std::string enc_;
  int rate_ = 16000;
  bool interim_ = false, vad_ = false, utterance_end_ = false, speaking_ = false;
  std::int64_t received_ = 0, seg_start_ = 0;
  double energy_ = 0;
  std::optional<std::pair<std::int64_t, std::int64_t>> pending_;
};

// ----------------------------------------------------------------- TTS base
// Paced generation of one utterance after another; `stop()` abandons the current.
class TtsSession : public VendorSession {
 public:
  TtsSession(const VendorFaults& f, std::shared_ptr<VendorRecord> r, int conn, const TtsMockOptions& o)
      : VendorSession(f, std::move(r), conn), opts_(o) {}

 protected:
  struct Job {
    std::string id;    // context id (Cartesia) or sequence (Deepgram)
    std::string text;
  };
  // Per vendor: one audio message, the messages after the last audio.
  virtual void audio_message(MockWsConn& c, const Job& job, const std::string& bytes, std::int64_t offset) = 0;
  virtual void finished(MockWsConn& c, const Job& job) = 0;

  void enqueue(MockWsConn& c, Job job) {
    jobs_.push_back(std::move(job));
    if (!busy_) next(c);
  }
  void stop_current() {
    ++gen_;
    busy_ = false;
  }
  void drop_jobs(const std::function<bool(const Job&)>& pred) {
    std::erase_if(jobs_, pred);
  }
  const std::optional<Job>& current() const { return current_; }

  std::string encoding_ = "linear16";  // linear16 | mulaw | alaw
  int rate_ = 24000;
  TtsMockOptions opts_;

 private:
  void next(MockWsConn& c) {
    current_.reset();
    if (jobs_.empty() || stalled_) {
      busy_ = false;
      return;
    }
    busy_ = true;
    current_ = std::move(jobs_.front());
    jobs_.pop_front();
    const std::int64_t samples =
        static_cast<std::int64_t>(current_->text.size()) * opts_.ms_per_char * rate_ / 1000;
    audio_ = mock_tone_bytes(samples, rate_, encoding_);
    sent_ = 0;
    step(c, gen_);
  }
  void step(MockWsConn& c, std::uint64_t gen) {
    if (gen != gen_ || c.ended()) return;
    if (sent_ >= audio_.size()) {
      finished(c, *current_);
      return next(c);
    }
    const std::size_t bps = encoding_ == "linear16" ? 2 : 1;
    // Odd-sized messages for pcm16, so samples straddle messages.
    std::size_t n = static_cast<std::size_t>(rate_ * opts_.frame_ms / 1000) * bps + (bps == 2 ? 1 : 0);
    n = std::min(n, audio_.size() - sent_);
    const std::int64_t offset = static_cast<std::int64_t>(sent_);
    audio_message(c, *current_, audio_.substr(sent_, n), offset);
    sent_ += n;
    if (fault_due(c)) return;
    c.after(opts_.frame_interval_ms, [this, &c, gen] { step(c, gen); });
  }

  std::deque<Job> jobs_;
  std::optional<Job> current_;
  std::string audio_;
  std::size_t sent_ = 0;
  bool busy_ = false;
  std::uint64_t gen_ = 0;
};

// ----------------------------------------------------------------- Deepgram speak
class DeepgramSpeak final : public TtsSession {
 public:
  using TtsSession::TtsSession;

 private:
  std::optional<MockWsUpgrade> validate(const MockWsRequest& r) override {
    if (r.path() != "/v1/speak") return MockWsUpgrade::refuse(404, "not found");
    if (r.query("model").empty()) return MockWsUpgrade::refuse(400, "", {{"dg-error", "Missing 'model'."}});
    encoding_ = r.query("encoding");
    rate_ = std::atoi(r.query("sample_rate").c_str());
    if ((encoding_ != "linear16" && encoding_ != "mulaw" && encoding_ != "alaw") || rate_ <= 0)
      return MockWsUpgrade::refuse(400, "", {{"dg-error", "Invalid encoding or sample_rate."}});
    return std::nullopt;
  }
  void opened(MockWsConn& c) override {
    emit(c, R"({"type":"Metadata","request_id":"mock-req","model_name":"aura-2-thalia-en","model_version":"1","model_uuid":"u"})");
  }
  void audio_message(MockWsConn& c, const Job&, const std::string& bytes, std::int64_t) override { emit(c, bytes, true); }
  void finished(MockWsConn& c, const Job& job) override {
    emit(c, R"({"type":"Flushed","sequence_id":)" + job.id + "}");
  }
  void text(MockWsConn& c, const rj::Document& d) override {
    const std::string type = str_member(d, "type");
    if (type == "Speak") {
      buffer_ += str_member(d, "text");
    } else if (type == "Flush") {
      if (++flushes_ > opts_.flush_budget)
        emit(c, R"({"type":"Warning","warn_code":"EXCESSIVE_FLUSH","warn_msg":"Rate limit exceeded for flushes. Please try again later."})");
      enqueue(c, {std::to_string(flushes_ - 1), std::move(buffer_)});
      buffer_.clear();
    } else if (type == "Clear") {
      buffer_.clear();
      drop_jobs([](const Job&) { return true; });
      stop_current();
      emit(c, R"({"type":"Cleared","sequence_id":)" + std::to_string(clears_++) + "}");
    } else if (type == "Close") {
      c.close(1000, "");
    } else {
      c.close(1008, "unknown message type");
    }
  }
  std::string buffer_;
  int flushes_ = 0, clears_ = 0;
};

// ----------------------------------------------------------------- Cartesia
class Cartesia final : public TtsSession {
 public:
  using TtsSession::TtsSession;

 private:
  std::string auth_value(const MockWsRequest& r) const override { return r.header("X-API-Key"); }
  std::optional<MockWsUpgrade> validate(const MockWsRequest& r) override {
    if (r.path() != "/tts/websocket") return MockWsUpgrade::refuse(404, "not found");
    if (r.header("Cartesia-Version").empty())
      return MockWsUpgrade::refuse(400, R"({"error":"Cartesia-Version header is required"})");
    return std::nullopt;
  }
  void audio_message(MockWsConn& c, const Job& job, const std::string& bytes, std::int64_t offset) override {
    emit(c, R"({"type":"chunk","context_id":)" + quote(job.id) + R"(,"data":")" + b64(bytes) +
                R"(","done":false,"status_code":206,"step_time":1.5})");
    if (offset == 0) {  // word timings of the whole context with the first chunk
      std::string words, starts, ends;
      std::size_t pos = 0;
      const std::string& t = job.text;
      while (pos < t.size()) {
        while (pos < t.size() && t[pos] == ' ') ++pos;
        const std::size_t b = pos;
        while (pos < t.size() && t[pos] != ' ') ++pos;
        if (pos == b) break;
        const char* sep = words.empty() ? "" : ",";
        words += sep + quote(t.substr(b, pos - b));
        starts += sep + num(static_cast<double>(b) * opts_.ms_per_char / 1000.0);
        ends += sep + num(static_cast<double>(pos) * opts_.ms_per_char / 1000.0 - 0.001);
      }
      emit(c, R"({"type":"timestamps","context_id":)" + quote(job.id) + R"(,"done":false,"status_code":206,"word_timestamps":{"words":[)" +
                  words + R"(],"start":[)" + starts + R"(],"end":[)" + ends + "]}}");
    }
  }
  void finished(MockWsConn& c, const Job& job) override {
    emit(c, R"({"type":"done","context_id":)" + quote(job.id) + R"(,"done":true,"status_code":206})");
  }
  void error(MockWsConn& c, const std::string& ctx, std::string msg) {
    emit(c, R"({"type":"error","context_id":)" + quote(ctx) + R"(,"done":true,"status_code":400,"title":"Invalid request","message":)" +
                quote(msg) + R"(,"error_code":"invalid_request"})");
  }
  void text(MockWsConn& c, const rj::Document& d) override {
    const std::string ctx = str_member(d, "context_id");
    if (ctx.empty()) return error(c, "", "context_id is required");
    auto cancel = d.FindMember("cancel");
    if (cancel != d.MemberEnd() && cancel->value.IsBool() && cancel->value.GetBool()) {
      cancelled_.insert(ctx);
      contexts_.erase(ctx);
      drop_jobs([&](const Job& j) { return j.id == ctx; });
      if (current() && current()->id == ctx) stop_current();
      return;
    }
    if (cancelled_.count(ctx) || finished_.count(ctx)) return error(c, ctx, "context " + ctx + " is no longer active");
    auto of = d.FindMember("output_format");
    if (of == d.MemberEnd() || !of->value.IsObject()) return error(c, ctx, "output_format is required");
    const std::string enc = str_member(of->value, "encoding");
    encoding_ = enc == "pcm_mulaw" ? "mulaw" : enc == "pcm_alaw" ? "alaw" : "linear16";
    auto sr = of->value.FindMember("sample_rate");
    rate_ = sr != of->value.MemberEnd() && sr->value.IsInt() ? sr->value.GetInt() : 0;
    if (rate_ <= 0 || (enc != "pcm_s16le" && enc != "pcm_mulaw" && enc != "pcm_alaw"))
      return error(c, ctx, "unsupported output_format");
    auto voice = d.FindMember("voice");
    const std::string fields = str_member(d, "model_id") + "|" +
                               (voice != d.MemberEnd() ? dump(voice->value) : std::string()) + "|" + dump(of->value) +
                               "|" + str_member(d, "language");
    auto [it, fresh] = contexts_.try_emplace(ctx, Ctx{fields, ""});
    if (!fresh && it->second.fields != fields)
      return error(c, ctx, "every input on a context must repeat the same model, voice, format and language");
    it->second.text += str_member(d, "transcript");
    auto cont = d.FindMember("continue");
    const bool more = cont != d.MemberEnd() && cont->value.IsBool() && cont->value.GetBool();
    if (!more) {
      finished_.insert(ctx);
      Job job{ctx, std::move(it->second.text)};
      contexts_.erase(it);
      if (job.text.empty()) return finished(c, job);
      enqueue(c, std::move(job));
    }
  }
  struct Ctx {
    std::string fields;
    std::string text;
  };
  std::map<std::string, Ctx> contexts_;
  std::set<std::string> cancelled_, finished_;
};

// ----------------------------------------------------------------- ElevenLabs
class ElevenLabs final : public TtsSession {
 public:
  using TtsSession::TtsSession;

 private:
  std::string auth_value(const MockWsRequest& r) const override { return r.header("xi-api-key"); }
  std::optional<MockWsUpgrade> validate(const MockWsRequest& r) override {
    const std::string p = r.path();
    if (p.rfind("/v1/text-to-speech/", 0) != 0 || p.size() < 33 || p.substr(p.size() - 13) != "/stream-input")
      return MockWsUpgrade::refuse(404, R"({"detail":"Not Found"})");
    const std::string of = r.query("output_format");
    if (of == "ulaw_8000") { encoding_ = "mulaw"; rate_ = 8000; }
    else if (of == "alaw_8000") { encoding_ = "alaw"; rate_ = 8000; }
    else if (of.rfind("pcm_", 0) == 0) { encoding_ = "linear16"; rate_ = std::atoi(of.c_str() + 4); }
    else return MockWsUpgrade::refuse(400, R"({"detail":{"status":"invalid_output_format","message":"Invalid output format"}})");
    return std::nullopt;
  }
  void audio_message(MockWsConn& c, const Job& job, const std::string& bytes, std::int64_t offset) override {
    std::string msg = R"({"audio":")" + b64(bytes) + R"(","isFinal":null)";
    if (offset == 0) {  // alignment of the whole text with the first chunk (times from its start)
      std::string chars, starts, durs;
      for (std::size_t i = 0; i < job.text.size(); ++i) {
        const char* sep = i ? "," : "";
        chars += sep + quote(std::string(1, job.text[i]));
        starts += sep + std::to_string(static_cast<int>(i) * opts_.ms_per_char);
        durs += sep + std::to_string(opts_.ms_per_char - (i + 1 == job.text.size() ? 1 : 0));
      }
      msg += R"(,"alignment":{"chars":[)" + chars + R"(],"charStartTimesMs":[)" + starts +
             R"(],"charDurationsMs":[)" + durs + "]}";
    }
    emit(c, msg + "}");
  }
  void finished(MockWsConn& c, const Job&) override {
    emit(c, R"({"isFinal":true})");
    c.close(1000, "");
  }
  void text(MockWsConn& c, const rj::Document& d) override {
    auto t = d.FindMember("text");
    if (t == d.MemberEnd() || !t->value.IsString()) return c.close(1008, "text is required");
    const std::string text(t->value.GetString(), t->value.GetStringLength());
    if (!bos_) {
      if (text != " " || d.FindMember("voice_settings") == d.MemberEnd()) {
        emit(c, R"({"message":"The first message must be a single space with voice_settings.","error":"invalid_bos","code":1008})");
        return c.close(1008, "invalid_bos");
      }
      bos_ = true;
      return;
    }
    if (!text.empty()) {
      buffer_ += text;
      return;
    }
    if (buffer_.empty()) return finished(c, {});
    enqueue(c, {"0", std::move(buffer_)});
    buffer_.clear();
  }
  bool bos_ = false;
  std::string buffer_;
};

}  // namespace

std::string mock_tone_bytes(std::int64_t samples, int rate, const std::string& encoding) {
  std::string out;
  out.reserve(static_cast<std::size_t>(samples) * 2);
  for (std::int64_t i = 0; i < samples; ++i) {
    const auto v = static_cast<std::int16_t>(6000 * std::sin(2 * std::numbers::pi * 440 * static_cast<double>(i) / rate));
    if (encoding == "mulaw") out.push_back(static_cast<char>(linear_to_mulaw(v)));
    else if (encoding == "alaw") out.push_back(static_cast<char>(linear_to_alaw(v)));
    else {
      out.push_back(static_cast<char>(v & 0xff));
      out.push_back(static_cast<char>((v >> 8) & 0xff));
    }
  }
  return out;
}

VendorMock::VendorMock(Vendor vendor, VendorFaults faults, TtsMockOptions tts)
    : vendor_(vendor), faults_(std::move(faults)), tts_(tts), record_(std::make_shared<VendorRecord>()) {
  server_ = std::make_unique<MockWsServer>([this](int conn) -> std::unique_ptr<MockWsSession> {
    switch (vendor_) {
      case Vendor::deepgram_listen: return std::make_unique<DeepgramListen>(faults_, record_, conn);
      case Vendor::deepgram_speak: return std::make_unique<DeepgramSpeak>(faults_, record_, conn, tts_);
      case Vendor::cartesia: return std::make_unique<Cartesia>(faults_, record_, conn, tts_);
      case Vendor::elevenlabs: return std::make_unique<ElevenLabs>(faults_, record_, conn, tts_);
    }
    return nullptr;
  });
}

VendorMock::~VendorMock() { server_.reset(); }

}  // namespace loqui::testing
