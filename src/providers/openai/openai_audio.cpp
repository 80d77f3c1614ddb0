// SPDX-License-Identifier: Apache-2.0
// File: batch REST audio adapters for OpenAI-compatible servers:
//  * STT `openai`: buffers a turn's audio and, on finalize(), uploads it as WAV to
//    POST {base_url}/audio/transcriptions (multipart, response_format=json); one
//    final transcript per finalize(). Not streaming: for post-call transcription,
//    tests, or servers (faster-whisper, vLLM, LocalAI) that only offer REST.
//  * TTS `openai`: on flush(), POST {base_url}/audio/speech with response_format
//    "pcm" (24 kHz s16le mono, no header) and streams the body out as audio frames.
#include <algorithm>
#include <cstring>
#include <deque>

#include "common/log.hpp"
#include "json/rapidjson.hpp"
#include "net/http_errors.hpp"
#include "providers/openai/openai.hpp"

namespace loqui::openai {

namespace {

constexpr AudioFormat kTtsFormat = AudioFormat::pcm16(24000);
constexpr std::size_t kMaxTtsInputChars = 4096;  // /audio/speech limit (PROTOCOLS.md 3.10)

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A canonical 44-byte-header PCM WAV file of mono/multi-channel pcm16 samples.
std::string wav_file(std::span<const std::int16_t> samples, int rate_hz, int channels) {
  const auto data_bytes = static_cast<std::uint32_t>(samples.size() * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  put_le(out, 36 + data_bytes, 4);
  out += "WAVEfmt ";
  put_le(out, 16, 4);
  put_le(out, 1, 2);  // PCM
  put_le(out, static_cast<std::uint32_t>(channels), 2);
  put_le(out, static_cast<std::uint32_t>(rate_hz), 4);
  put_le(out, static_cast<std::uint32_t>(rate_hz * channels * 2), 4);
  put_le(out, static_cast<std::uint32_t>(channels * 2), 2);
  put_le(out, 16, 2);
  out += "data";
  put_le(out, data_bytes, 4);
  for (std::int16_t s : samples) put_le(out, static_cast<std::uint16_t>(s), 2);
  return out;
}

// An adapter error as reported to an observer: vendor, host and kind in front, logged.
Error stream_error(Error e, const Connection& c, const char* kind, const char* component) {
  e = with_vendor(std::move(e), c);
  e.add_context(kind);
  LOQUI_LOG_WARN(component, "{}", e.to_string());
  return e;
}

// ================================== STT ==========================================

struct SttConfig {
  Connection conn;
  std::string model;
  std::string language;  // ISO-639-1; empty = from the stream options
  std::string prompt;
  std::optional<double> temperature;
  int max_segment_seconds = 600;
};

Result<SttConfig> read_stt_config(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider", "fallback"});
  SttConfig c;
  c.conn = read_connection(r, HttpTimeouts{std::chrono::milliseconds(5000), std::chrono::milliseconds(60000),
                                           std::chrono::milliseconds(60000), std::chrono::milliseconds(300000)});
  c.model = r.require_string("model");
  c.language = r.get_string("language", "");
  c.prompt = r.get_string("prompt", "");
  if (r.has("temperature")) c.temperature = r.get_number("temperature", 0.0, {0.0, 1.0});
  c.max_segment_seconds = static_cast<int>(r.get_int("max_segment_seconds", 600, {1, 3600}));
  LOQUI_TRY(r.finish());
  return c;
}

struct Segment {
  std::vector<std::int16_t> samples;
  std::int64_t start_sample = 0;
};

class OpenAiSttStream final : public SttStream, private HttpHandler {
 public:
  OpenAiSttStream(std::shared_ptr<const SttConfig> cfg, std::shared_ptr<HttpClient> http, SessionContext session,
                  SttStreamOptions options, SttObserver& observer)
      : cfg_(std::move(cfg)), http_(std::move(http)), session_(std::move(session)), options_(std::move(options)),
        observer_(&observer) {
    language_ = cfg_->language;
    if (language_.empty() && options_.language.size() >= 2) language_ = options_.language.substr(0, 2);
  }
  ~OpenAiSttStream() override { cancel(); }

  Status send_audio(const AudioFrame& frame) override {
    if (!observer_) return Error(errc::closed, "openai stt: the stream was cancelled");
    if (frame.format() != options_.format)
      return Error(errc::format_mismatch, "openai stt: expected " + options_.format.to_string() + " audio, got " +
                                              frame.format().to_string());
    const std::size_t limit = static_cast<std::size_t>(cfg_->max_segment_seconds) *
                              static_cast<std::size_t>(options_.format.sample_rate_hz * options_.format.channels);
    const auto samples = frame.samples();
    if (current_.samples.size() + samples.size() > limit)
      return Error(errc::overflow, "openai stt: more than " + std::to_string(cfg_->max_segment_seconds) +
                                       " s of audio before finalize() (max_segment_seconds)");
    if (frame.has_flag(kFrameGap)) current_.samples.insert(current_.samples.end(), samples.size(), 0);
    else current_.samples.insert(current_.samples.end(), samples.begin(), samples.end());
    return ok_status();
  }

  void finalize() override {
    if (!observer_) return;
    Segment seg = std::move(current_);
    current_ = Segment{};
    current_.start_sample = seg.start_sample + static_cast<std::int64_t>(seg.samples.size()) / options_.format.channels;
    queue_.push_back(std::move(seg));
    if (!transfer_.active() && !posted_) {
      // Never call the observer from inside finalize(): continue on the strand.
      posted_ = true;
      std::weak_ptr<int> alive = alive_;
      (void)session_.strand->post([this, alive] {
        if (alive.expired()) return;
        posted_ = false;
        start_next();
      });
    }
  }

  void cancel() noexcept override {
    transfer_.cancel();
    observer_ = nullptr;
    queue_.clear();
  }

 private:
  void start_next() {
    while (observer_ && !transfer_.active() && !queue_.empty()) {
      Segment& seg = queue_.front();
      if (seg.samples.empty()) {  // nothing said: an empty final, no request
        Transcript t;
        t.is_final = t.speech_final = t.from_finalize = true;
        t.audio_start = t.audio_end = options_.format.duration_of(seg.start_sample);
        queue_.pop_front();
        std::weak_ptr<int> alive = alive_;
        observer_->on_transcript(t);
        if (alive.expired()) return;
        continue;
      }
      const std::string boundary = "loqui-" + std::to_string(++requests_) + "-b7d3f1c2e9a4";
      std::string body;
      auto field = [&](std::string_view name, std::string_view value) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n";
        body += value;
        body += "\r\n";
      };
      field("model", cfg_->model);
      field("response_format", "json");
      if (!language_.empty()) field("language", language_);
      if (!cfg_->prompt.empty()) field("prompt", cfg_->prompt);
      if (cfg_->temperature) field("temperature", std::to_string(*cfg_->temperature));
      body += "--" + boundary +
              "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"\r\n"
              "Content-Type: audio/wav\r\n\r\n";
      body += wav_file(seg.samples, options_.format.sample_rate_hz, options_.format.channels);
      body += "\r\n--" + boundary + "--\r\n";
      HttpRequest req = cfg_->conn.request("POST", "/audio/transcriptions");
      req.headers.push_back({"Content-Type", "multipart/form-data; boundary=" + boundary});
      req.body = std::move(body);
      req.retry_seed = requests_;
      response_.clear();
      auto t = http_->start(session_.strand, std::move(req), *this);
      if (!t) return report(std::move(t).error());
      transfer_ = std::move(*t);
    }
  }

  void on_body(std::string_view chunk) override {
    if (response_.size() + chunk.size() <= (4u << 20)) response_.append(chunk);
  }

  void on_complete(const HttpTransferInfo&) override {
    transfer_ = HttpTransfer();
    Segment seg = std::move(queue_.front());
    queue_.pop_front();
    Transcript t;
    t.is_final = t.speech_final = t.from_finalize = true;
    t.audio_start = options_.format.duration_of(seg.start_sample);
    t.audio_end = options_.format.duration_of(seg.start_sample + static_cast<std::int64_t>(seg.samples.size()) /
                                                                     options_.format.channels);
    detail::rj::Document doc;
    bool ok = false;
    try {
      doc.Parse(response_.data(), response_.size());
      if (!doc.HasParseError() && doc.IsObject()) {
        auto it = doc.FindMember("text");
        if (it != doc.MemberEnd() && it->value.IsString()) {
          t.text.assign(it->value.GetString(), it->value.GetStringLength());
          ok = true;
        }
      }
    } catch (const std::exception&) {
    }
    if (!ok)
      return report(Error(errc::provider_protocol, "transcription response has no \"text\" string: " +
                                                       detail::printable_excerpt(response_, 160)));
    std::weak_ptr<int> alive = alive_;
    if (observer_) observer_->on_transcript(t);
    if (!alive.expired()) start_next();
  }

  void on_error(const Error& error) override {
    transfer_ = HttpTransfer();
    report(error);
  }

  // Reports and closes the stream: later calls return errc::closed (the provider
  // contract, common.hpp); queued turns are dropped.
  void report(Error e) {
    e = stream_error(std::move(e), cfg_->conn, "stt", "stt.openai");
    SttObserver* obs = observer_;
    cancel();
    if (obs) obs->on_error(e);
  }

  std::shared_ptr<const SttConfig> cfg_;
  std::shared_ptr<HttpClient> http_;
  SessionContext session_;
  SttStreamOptions options_;
  SttObserver* observer_;
  std::string language_;
  Segment current_;
  std::deque<Segment> queue_;
  HttpTransfer transfer_;
  std::string response_;
  bool posted_ = false;
  std::uint64_t requests_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

class OpenAiStt final : public SpeechToText {
 public:
  explicit OpenAiStt(SttConfig cfg) : cfg_(std::make_shared<const SttConfig>(std::move(cfg))) {
    info_.kind = ProviderKind::stt;
    info_.name = kProviderName;
    info_.description = "OpenAI-compatible batch transcription, /audio/transcriptions (" + cfg_->conn.host + ")";
    info_.needs_real_time = true;
    caps_.input_formats = {AudioFormat::pcm16(16000), AudioFormat::pcm16(8000), AudioFormat::pcm16(24000),
                           AudioFormat::pcm16(48000)};
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const SttCapabilities& capabilities() const noexcept override { return caps_; }
  Result<std::unique_ptr<SttStream>> open(const SessionContext& session, const SttStreamOptions& options,
                                          SttObserver& observer) override {
    // Only the listed formats (the session picks one of them): the contract suite
    // holds every STT provider to what its capabilities say.
    if (std::find(caps_.input_formats.begin(), caps_.input_formats.end(), options.format) == caps_.input_formats.end())
      return Error(errc::format_mismatch, "openai stt: cannot use " + options.format.to_string() +
                                              " (accepts pcm16 mono at 8, 16, 24 or 48 kHz)");
    auto http = client_for(session, "openai stt");
    if (!http) return with_vendor(std::move(http).error(), cfg_->conn);
    if (cfg_->conn.prewarm) (*http)->prewarm(cfg_->conn.request("HEAD", "/models"));
    return std::unique_ptr<SttStream>(
        std::make_unique<OpenAiSttStream>(cfg_, std::move(*http), session, options, observer));
  }

 private:
  std::shared_ptr<const SttConfig> cfg_;
  ProviderInfo info_;
  SttCapabilities caps_;
};

// ================================== TTS ==========================================

struct TtsConfig {
  Connection conn;
  std::string model;
  std::string voice;
  double speed = 1.0;
  std::string instructions;
};

Result<TtsConfig> read_tts_config(const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider", "fallback"});
  TtsConfig c;
  c.conn = read_connection(r, HttpTimeouts{std::chrono::milliseconds(5000), std::chrono::milliseconds(15000),
                                           std::chrono::milliseconds(15000), std::chrono::milliseconds(120000)});
  c.model = r.require_string("model");
  c.voice = r.get_string("voice", "alloy");
  c.speed = r.get_number("speed", 1.0, {0.25, 4.0});
  c.instructions = r.get_string("instructions", "");
  LOQUI_TRY(r.finish());
  return c;
}

struct Piece {
  std::string text;
  bool last_of_utterance = true;
};

class OpenAiTtsStream final : public TtsStream, private HttpHandler {
 public:
  OpenAiTtsStream(std::shared_ptr<const TtsConfig> cfg, std::shared_ptr<HttpClient> http, SessionContext session,
                  TtsStreamOptions options, TtsObserver& observer)
      : cfg_(std::move(cfg)), http_(std::move(http)), session_(std::move(session)), options_(std::move(options)),
        observer_(&observer) {}
  ~OpenAiTtsStream() override { cancel(); }

  Status send_text(std::string_view text) override {
    if (!observer_) return Error(errc::closed, "openai tts: the stream was cancelled");
    text_.append(text);
    return ok_status();
  }

  Status flush() override {
    if (!observer_) return Error(errc::closed, "openai tts: the stream was cancelled");
    std::string text = std::move(text_);
    text_.clear();
    // Split long utterances at whitespace below the endpoint's input limit.
    std::string_view rest = text;
    do {
      std::size_t cut = rest.size();
      if (cut > kMaxTtsInputChars) {
        cut = rest.rfind(' ', kMaxTtsInputChars);
        if (cut == std::string_view::npos || cut == 0) cut = kMaxTtsInputChars;
      }
      queue_.push_back(Piece{std::string(rest.substr(0, cut)), cut >= rest.size()});
      rest.remove_prefix(std::min(rest.size(), cut));
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    } while (!rest.empty());
    schedule();
    return ok_status();
  }

  void clear() override {
    transfer_.cancel();
    transfer_ = HttpTransfer();
    queue_.clear();
    text_.clear();
    carry_.reset();
    utterance_done_ = true;
  }

  void cancel() noexcept override {
    clear();
    observer_ = nullptr;
  }

  AudioFormat output_format() const override { return kTtsFormat; }

 private:
  void schedule() {
    if (transfer_.active() || posted_) return;
    posted_ = true;
    std::weak_ptr<int> alive = alive_;
    (void)session_.strand->post([this, alive] {
      if (alive.expired()) return;
      posted_ = false;
      start_next();
    });
  }

  void start_next() {
    while (observer_ && !transfer_.active() && !queue_.empty()) {
      Piece& p = queue_.front();
      if (p.text.find_first_not_of(" \t\r\n") == std::string::npos) {  // nothing to say
        const bool last = p.last_of_utterance;
        queue_.pop_front();
        std::weak_ptr<int> alive = alive_;
        if (last) observer_->on_done();
        if (alive.expired()) return;
        continue;
      }
      Json body = Json::object({{"model", Json(cfg_->model)},
                                {"input", Json(p.text)},
                                {"voice", Json(options_.voice.empty() ? cfg_->voice : options_.voice)},
                                {"response_format", Json("pcm")}});
      const double speed = options_.speed != 1.0 ? options_.speed : cfg_->speed;
      if (speed != 1.0) body["speed"] = Json(speed);
      if (!cfg_->instructions.empty()) body["instructions"] = Json(cfg_->instructions);
      HttpRequest req = cfg_->conn.request("POST", "/audio/speech");
      req.headers.push_back({"Content-Type", "application/json"});
      req.body = body.dump();
      req.retry_seed = ++requests_;
      if (utterance_done_) samples_out_ = 0;  // timestamps continue across pieces of one utterance
      utterance_done_ = p.last_of_utterance;
      carry_.reset();
      auto t = http_->start(session_.strand, std::move(req), *this);
      if (!t) return report(std::move(t).error());
      transfer_ = std::move(*t);
    }
  }

  void on_body(std::string_view chunk) override {
    if (!observer_) return;
    // pcm: s16le; a chunk may end in the middle of a sample.
    scratch_.clear();
    std::size_t i = 0;
    if (carry_ && !chunk.empty()) {
      const auto lo = static_cast<std::uint8_t>(*carry_), hi = static_cast<std::uint8_t>(chunk[0]);
      scratch_.push_back(static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8))));
      carry_.reset();
      i = 1;
    }
    for (; i + 1 < chunk.size(); i += 2) {
      const auto lo = static_cast<std::uint8_t>(chunk[i]), hi = static_cast<std::uint8_t>(chunk[i + 1]);
      scratch_.push_back(static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8))));
    }
    if (i < chunk.size()) carry_ = chunk[i];
    if (scratch_.empty()) return;
    if (!announced_) {
      announced_ = true;
      std::weak_ptr<int> alive = alive_;
      observer_->on_provider(kProviderName, false);
      if (alive.expired() || !observer_ || !transfer_.active()) return;
    }
    AudioFrame frame = AudioFrame::view(kTtsFormat, scratch_, samples_out_);
    frame.set_capture_time(session_.strand->now());
    samples_out_ += static_cast<std::int64_t>(scratch_.size());
    observer_->on_audio(frame);
  }

  void on_complete(const HttpTransferInfo&) override {
    transfer_ = HttpTransfer();
    const bool last = !queue_.empty() && queue_.front().last_of_utterance;
    if (!queue_.empty()) queue_.pop_front();
    if (carry_) LOQUI_LOG_DEBUG("tts.openai", "speech response ended with an odd byte; dropped");
    carry_.reset();
    std::weak_ptr<int> alive = alive_;
    if (last && observer_) observer_->on_done();
    if (!alive.expired()) start_next();
  }

  void on_error(const Error& error) override {
    transfer_ = HttpTransfer();
    report(error);
  }

  // Reports and closes the stream: later calls return errc::closed (the provider
  // contract, common.hpp); queued utterances are dropped.
  void report(Error e) {
    e = stream_error(std::move(e), cfg_->conn, "tts", "tts.openai");
    TtsObserver* obs = observer_;
    cancel();
    if (obs) obs->on_error(e);
  }

  std::shared_ptr<const TtsConfig> cfg_;
  std::shared_ptr<HttpClient> http_;
  SessionContext session_;
  TtsStreamOptions options_;
  TtsObserver* observer_;
  std::string text_;
  std::deque<Piece> queue_;
  HttpTransfer transfer_;
  std::vector<std::int16_t> scratch_;
  std::optional<char> carry_;
  std::int64_t samples_out_ = 0;
  bool utterance_done_ = true;  // the next request starts a new utterance
  bool posted_ = false;
  bool announced_ = false;
  std::uint64_t requests_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

class OpenAiTts final : public TextToSpeech {
 public:
  explicit OpenAiTts(TtsConfig cfg) : cfg_(std::make_shared<const TtsConfig>(std::move(cfg))) {
    info_.kind = ProviderKind::tts;
    info_.name = kProviderName;
    info_.description = "OpenAI-compatible speech, /audio/speech as 24 kHz pcm (" + cfg_->conn.host + ")";
    info_.needs_real_time = true;
    caps_.output_formats = {kTtsFormat};
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const TtsCapabilities& capabilities() const noexcept override { return caps_; }
  Result<std::unique_ptr<TtsStream>> open(const SessionContext& session, const TtsStreamOptions& options,
                                          TtsObserver& observer) override {
    auto http = client_for(session, "openai tts");
    if (!http) return with_vendor(std::move(http).error(), cfg_->conn);
    if (options.format != kTtsFormat)
      LOQUI_LOG_DEBUG("tts.openai", "asked for {}; produces {} (convert downstream)", options.format.to_string(),
                      kTtsFormat.to_string());
    if (cfg_->conn.prewarm) (*http)->prewarm(cfg_->conn.request("HEAD", "/models"));
    return std::unique_ptr<TtsStream>(
        std::make_unique<OpenAiTtsStream>(cfg_, std::move(*http), session, options, observer));
  }

 private:
  std::shared_ptr<const TtsConfig> cfg_;
  ProviderInfo info_;
  TtsCapabilities caps_;
};

}  // namespace

Result<std::shared_ptr<SpeechToText>> make_stt(const ProviderContext&, const Json& config, std::string_view path) {
  LOQUI_ASSIGN_OR_RETURN(SttConfig cfg, read_stt_config(config, path));
  return std::shared_ptr<SpeechToText>(std::make_shared<OpenAiStt>(std::move(cfg)));
}

Result<std::shared_ptr<TextToSpeech>> make_tts(const ProviderContext&, const Json& config, std::string_view path) {
  LOQUI_ASSIGN_OR_RETURN(TtsConfig cfg, read_tts_config(config, path));
  return std::shared_ptr<TextToSpeech>(std::make_shared<OpenAiTts>(std::move(cfg)));
}

}  // namespace loqui::openai
