// SPDX-License-Identifier: Apache-2.0
// File: TTS `deepgram`: Aura over WebSocket /v1/speak (PROTOCOLS.md 2.2), on the
// shared WsTtsStream. Per utterance: {"type":"Speak","text":...} for each piece,
// {"type":"Flush"} at flush(), binary audio frames, then {"type":"Flushed"} = done.
// Barge-in sends {"type":"Clear"} and drops every binary frame until "Cleared"
// (the socket has no context ids). Warning (warn_code/warn_msg) is logged, never
// fatal. cancel() sends {"type":"Close"} and closes in the background.
#include "common/log.hpp"
#include "providers/deepgram/deepgram.hpp"
#include "providers/deepgram/deepgram_messages.hpp"
#include "providers/wscommon/ws_tts.hpp"

namespace loqui::deepgram {

namespace {

constexpr const char* kLog = "tts.deepgram";

struct TtsConfig {
  wscommon::WsConnection conn;
  std::string model;
};

const std::vector<AudioFormat>& output_formats() {
  static const auto f = wscommon::tts_formats({24000, 16000, 8000, 32000, 48000}, true);
  return f;
}

class DeepgramTtsStream final : public wscommon::WsTtsStream {
 public:
  DeepgramTtsStream(std::shared_ptr<const TtsConfig> cfg, SessionContext session, TtsStreamOptions options,
                    TtsObserver& observer)
      : WsTtsStream(cfg->conn, std::move(session), std::move(options), observer), cfg_(std::move(cfg)) {}
  ~DeepgramTtsStream() override { cancel(); }

 private:
  std::string target() const override {
    const AudioFormat& f = options().format;
    wscommon::Query q;
    q.add("model", options().voice.empty() ? cfg_->model : options().voice);
    q.add("encoding", f.encoding == Encoding::mulaw ? "mulaw" : f.encoding == Encoding::alaw ? "alaw" : "linear16");
    q.add("sample_rate", static_cast<long long>(f.sample_rate_hz));
    if (options().speed != 1.0) q.add("speed", std::to_string(options().speed));
    return "/v1/speak" + q.str();
  }
  Status send_utterance_text(std::string_view text) override {
    return send_json(R"({"type":"Speak","text":)" + wscommon::json_quote(text) + "}");
  }
  Status end_utterance() override { return send_json(R"({"type":"Flush"})"); }
  bool stop_utterance() override {
    if (!connected()) return true;  // nothing in flight
    discarding_ = true;             // frames until Cleared belong to the cleared utterance
    (void)send_json(R"({"type":"Clear"})");
    return true;
  }
  std::string goodbye() const override { return R"({"type":"Close"})"; }

  void on_binary_frame(std::string_view bytes) override {
    if (!discarding_) deliver_audio(bytes);
  }

  void on_text_frame(std::string_view text) override {
    auto ev = wscommon::guard_parse("deepgram", [&] { return parser_.parse(text); });
    if (!ev) return fail(std::move(ev).error());
    switch (ev->kind) {
      case SpeakEvent::Kind::flushed:
        if (!discarding_) utterance_done();
        return;
      case SpeakEvent::Kind::cleared:
        discarding_ = false;
        return;
      case SpeakEvent::Kind::warning:
        LOQUI_LOG_WARN(kLog, "{}: warning {}: {}", conn().label(), ev->code, ev->message);
        return;
      case SpeakEvent::Kind::error:
        return fail(Error(errc::provider_failed, "deepgram reported an error" +
                                                     (ev->code.empty() ? std::string() : " " + ev->code) + ": " +
                                                     ev->message));
      case SpeakEvent::Kind::metadata:
        LOQUI_LOG_DEBUG(kLog, "request id {}", ev->request_id);
        return;
      case SpeakEvent::Kind::other:
        LOQUI_LOG_DEBUG(kLog, "ignoring message type '{}'", ev->type);
        return;
    }
  }

  std::shared_ptr<const TtsConfig> cfg_;
  SpeakParser parser_;
  bool discarding_ = false;
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
  c.model = r.get_string("model", "aura-2-thalia-en");
  LOQUI_TRY(r.finish());
  const std::string description = "Deepgram Aura speech (WebSocket /v1/speak, " + c.model + ")";
  return std::shared_ptr<TextToSpeech>(std::make_shared<wscommon::WsTtsProvider<TtsConfig, DeepgramTtsStream>>(
      std::move(c),
      wscommon::WsTtsProvider<TtsConfig, DeepgramTtsStream>::Spec{
          kProviderName, description, "linear16 mono at 8/16/24/32/48 kHz, or mulaw/alaw 8 kHz", false, {}},
      TtsCapabilities{.output_formats = output_formats(), .word_timings = false, .streaming_input = true}));
}

}  // namespace loqui::deepgram

namespace loqui::detail {

void register_deepgram(Registry& registry) {
  (void)registry.add_stt(deepgram::kProviderName,
                         "Deepgram live transcription (WebSocket /v1/listen: interim, endpointing, finalize, "
                         "reconnect with audio replay)",
                         &deepgram::make_stt);
  (void)registry.add_tts(deepgram::kProviderName, "Deepgram Aura speech (WebSocket /v1/speak, pcm or G.711)",
                         &deepgram::make_tts);
}

}  // namespace loqui::detail
