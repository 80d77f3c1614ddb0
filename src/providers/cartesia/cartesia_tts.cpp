// SPDX-License-Identifier: Apache-2.0
// File: TTS `cartesia` over WebSocket /tts/websocket (PROTOCOLS.md section 4), on
// the shared WsTtsStream. One context per utterance ("<session>-<n>"): every piece
// of text is a generation request with identical model/voice/format/language and
// continue:true; flush() sends transcript "" with continue:false; base64 "chunk"
// messages are the audio, "timestamps" the word timings, "done" ends the context.
// Barge-in sends {"context_id":..,"cancel":true}; chunks of any context other than
// the active one are dropped, so audio in flight after a cancel never plays.
#include <algorithm>

#include "common/log.hpp"
#include "net/http_errors.hpp"
#include "providers/cartesia/cartesia.hpp"
#include "providers/wscommon/ws_tts.hpp"

namespace loqui::cartesia {

using wscommon::get_number;
using wscommon::get_string;
using wscommon::member;
namespace rj = wscommon::rj;

Result<Event> Parser::parse(std::string_view text) {
  return wscommon::guard_parse("cartesia", [&]() -> Result<Event> {
    LOQUI_TRY(msg_.parse("cartesia", text));
    const rj::Value& root = msg_.root();
    Event ev;
    ev.type = std::string(get_string(root, "type"));
    ev.context_id = std::string(get_string(root, "context_id"));
    auto bad = [&](const std::string& what) {
      return Error(errc::provider_protocol,
                   "cartesia sent " + what + ": \"" + detail::printable_excerpt(text, 120) + "\"");
    };
    if (ev.type.empty()) {
      if (member(root, "error")) ev.type = "error";  // older API versions
      else return bad("a message without a \"type\"");
    }
    if (ev.type == "chunk") {
      ev.kind = Event::Kind::chunk;
      const rj::Value* data = member(root, "data");
      if (!data || !data->IsString()) return bad("a chunk without base64 \"data\"");
      auto bytes = wscommon::base64_decode(wscommon::sv(*data));
      if (!bytes) return bad("a chunk whose \"data\" is not valid base64");
      ev.audio = std::move(*bytes);
    } else if (ev.type == "timestamps") {
      ev.kind = Event::Kind::timestamps;
      const rj::Value* wt = member(root, "word_timestamps");
      const rj::Value* words = wt ? member(*wt, "words") : nullptr;
      const rj::Value* starts = wt ? member(*wt, "start") : nullptr;
      const rj::Value* ends = wt ? member(*wt, "end") : nullptr;
      if (!words || !starts || !ends || !words->IsArray() || !starts->IsArray() || !ends->IsArray() ||
          words->Size() != starts->Size() || words->Size() != ends->Size())
        return bad("timestamps whose words/start/end arrays do not match");
      for (rj::SizeType i = 0; i < words->Size(); ++i) {
        const rj::Value& w = (*words)[i];
        const rj::Value& s = (*starts)[i];
        const rj::Value& e = (*ends)[i];
        if (!w.IsString() || !s.IsNumber() || !e.IsNumber()) return bad("timestamps with a non-string word or non-number time");
        const double sd = s.GetDouble(), ed = e.GetDouble();
        if (!(sd >= 0) || !(ed >= sd) || ed > 1e6) return bad("timestamps with impossible times");
        ev.words.emplace_back(wscommon::sv(w));
        ev.starts.push_back(sd);
        ev.ends.push_back(ed);
      }
    } else if (ev.type == "done") {
      ev.kind = Event::Kind::done;
    } else if (ev.type == "flush_done") {
      ev.kind = Event::Kind::flush_done;
    } else if (ev.type == "error") {
      ev.kind = Event::Kind::error;
      if (auto sc = get_number(root, "status_code"); sc && *sc > 0 && *sc < 1000) ev.status_code = static_cast<int>(*sc);
      ev.error_code = std::string(get_string(root, "error_code"));
      const std::string_view title = get_string(root, "title");
      const std::string_view msg = get_string(root, "message", get_string(root, "error"));
      ev.message = std::string(title);
      if (!msg.empty()) ev.message += (title.empty() ? "" : ": ") + std::string(msg);
      if (ev.message.empty()) ev.message = "(no message)";
    }
    return ev;
  });
}

namespace {

constexpr const char* kLog = "tts.cartesia";

struct TtsConfig {
  wscommon::WsConnection conn;
  std::string model;
  std::string voice;
  std::string language;  // empty: from the stream options
  std::int64_t max_buffer_delay_ms = -1;
  bool word_timestamps = true;
};

const std::vector<AudioFormat>& output_formats() {
  static const auto f = wscommon::tts_formats({24000, 16000, 8000, 22050, 44100, 48000}, true);
  return f;
}

class CartesiaTtsStream final : public wscommon::WsTtsStream {
 public:
  CartesiaTtsStream(std::shared_ptr<const TtsConfig> cfg, SessionContext session, TtsStreamOptions options,
                    TtsObserver& observer)
      : WsTtsStream(cfg->conn, session, options, observer), cfg_(std::move(cfg)) {
    prefix_ = (session.session_id.empty() ? std::string("loqui") : session.session_id) + "-";
    // The fields every input of a context repeats verbatim.
    const AudioFormat& f = options.format;
    const char* enc = f.encoding == Encoding::mulaw ? "pcm_mulaw" : f.encoding == Encoding::alaw ? "pcm_alaw" : "pcm_s16le";
    std::string language = cfg_->language;
    if (language.empty()) language = options.language.substr(0, std::min<std::size_t>(2, options.language.size()));
    fixed_ = R"("model_id":)" + wscommon::json_quote(cfg_->model) + R"(,"voice":{"mode":"id","id":)" +
             wscommon::json_quote(options.voice.empty() ? cfg_->voice : options.voice) + R"(},"language":)" +
             wscommon::json_quote(language) + R"(,"output_format":{"container":"raw","encoding":")" + enc +
             R"(","sample_rate":)" + std::to_string(f.sample_rate_hz) + "}";
    if (cfg_->word_timestamps) fixed_ += R"(,"add_timestamps":true)";
    if (cfg_->max_buffer_delay_ms >= 0) fixed_ += R"(,"max_buffer_delay_ms":)" + std::to_string(cfg_->max_buffer_delay_ms);
    if (options.speed != 1.0) fixed_ += R"(,"generation_config":{"speed":)" + std::to_string(options.speed) + "}";
  }
  ~CartesiaTtsStream() override { cancel(); }

 private:
  std::string target() const override { return "/tts/websocket"; }
  Status begin_utterance(std::uint64_t id) override {
    context_ = prefix_ + std::to_string(id);
    return ok_status();
  }
  Status request(std::string_view transcript, bool more) {
    return send_json("{" + fixed_ + R"(,"context_id":)" + wscommon::json_quote(context_) + R"(,"transcript":)" +
                     wscommon::json_quote(transcript) + R"(,"continue":)" + (more ? "true" : "false") + "}");
  }
  Status send_utterance_text(std::string_view text) override { return request(text, true); }
  Status end_utterance() override { return request("", false); }
  bool stop_utterance() override {
    if (connected()) (void)send_json(R"({"context_id":)" + wscommon::json_quote(context_) + R"(,"cancel":true})");
    context_.clear();  // whatever still arrives for it is dropped
    return true;
  }

  void on_text_frame(std::string_view text) override {
    auto ev = parser_.parse(text);
    if (!ev) return fail(std::move(ev).error());
    const bool mine = !context_.empty() && ev->context_id == context_;
    switch (ev->kind) {
      case Event::Kind::chunk:
        if (mine) deliver_audio(ev->audio);
        return;
      case Event::Kind::timestamps: {
        if (!mine) return;
        words_.clear();
        for (std::size_t i = 0; i < ev->words.size(); ++i)
          words_.push_back({ev->words[i], std::chrono::duration_cast<Duration>(std::chrono::duration<double>(ev->starts[i])),
                            std::chrono::duration_cast<Duration>(std::chrono::duration<double>(ev->ends[i]))});
        deliver_words(words_);
        return;
      }
      case Event::Kind::done:
        if (mine) {
          context_.clear();
          utterance_done();
        }
        return;
      case Event::Kind::error: {
        if (!ev->context_id.empty() && !mine) {
          LOQUI_LOG_DEBUG(kLog, "error for an old context {}: {}", ev->context_id, ev->message);
          return;
        }
        errc code = ev->status_code ? detail::errc_for_status(ev->status_code, ev->error_code) : errc::provider_failed;
        Error e(code, "cartesia reported an error" + (ev->status_code ? " " + std::to_string(ev->status_code) : "") +
                          (ev->error_code.empty() ? "" : " " + ev->error_code) + ": " + ev->message);
        if (ev->status_code) e.set_http_status(ev->status_code);
        return fail(std::move(e));
      }
      case Event::Kind::flush_done:
      case Event::Kind::other:
        return;
    }
  }

  std::shared_ptr<const TtsConfig> cfg_;
  Parser parser_;
  std::string prefix_;
  std::string fixed_;
  std::string context_;
  std::vector<WordTiming> words_;
};

}  // namespace

Result<std::shared_ptr<TextToSpeech>> make_tts(const ProviderContext& context, const Json& config,
                                               std::string_view path) {
  (void)context;
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider", "fallback"});
  TtsConfig c;
  c.conn = wscommon::read_ws_connection(r, kDefaults);
  const std::string version = r.get_string("cartesia_version", "2025-04-16");
  c.conn.headers.push_back({"Cartesia-Version", version});
  c.model = r.get_string("model", "sonic-2");
  c.voice = r.get_string("voice", "");
  c.language = r.get_string("language", "");
  if (r.has("max_buffer_delay_ms")) c.max_buffer_delay_ms = r.get_int("max_buffer_delay_ms", 0, {0, 5000});
  c.word_timestamps = r.get_bool("word_timestamps", true);
  LOQUI_TRY(r.finish());
  using Provider = wscommon::WsTtsProvider<TtsConfig, CartesiaTtsStream>;
  const std::string description = "Cartesia speech (WebSocket contexts, " + c.model + ")";
  const bool words = c.word_timestamps;
  return std::shared_ptr<TextToSpeech>(std::make_shared<Provider>(
      std::move(c),
      Provider::Spec{kProviderName, description, "pcm_s16le mono at 8/16/22.05/24/44.1/48 kHz, or mulaw/alaw 8 kHz",
                     true, [](const TtsConfig& t) { return t.voice; }},
      TtsCapabilities{.output_formats = output_formats(), .word_timings = words, .streaming_input = true}));
}

}  // namespace loqui::cartesia

namespace loqui::detail {
void register_cartesia(Registry& registry) {
  (void)registry.add_tts(cartesia::kProviderName,
                         "Cartesia speech (WebSocket contexts per utterance, word timestamps, pcm or G.711)",
                         &cartesia::make_tts);
}
}  // namespace loqui::detail
