// SPDX-License-Identifier: Apache-2.0
// File: TTS `elevenlabs` over the stream-input WebSocket
// /v1/text-to-speech/{voice}/stream-input (PROTOCOLS.md 5.1), on the shared
// WsTtsStream. One connection per utterance, as the protocol has it: the
// beginning-of-stream message {"text":" ","voice_settings":...,
// "generation_config":...}, the text pieces, then the end of input {"text":""};
// the server answers with base64 audio (with character alignment, turned into word
// timings) and {"isFinal":true}, then closes. Barge-in drops the connection (the
// single-context socket has no cancel); the next utterance opens a new one. An
// {"error":...} message (input_timeout_exceeded, quota, auth) fails the stream
// with the vendor's words.
#include <algorithm>
#include <cctype>

#include "common/log.hpp"
#include "net/http_errors.hpp"
#include "providers/elevenlabs/elevenlabs.hpp"
#include "providers/wscommon/ws_tts.hpp"

namespace loqui::elevenlabs {

using wscommon::get_bool;
using wscommon::get_string;
using wscommon::member;
namespace rj = wscommon::rj;

Result<Event> Parser::parse(std::string_view text) {
  return wscommon::guard_parse("elevenlabs", [&]() -> Result<Event> {
    LOQUI_TRY(msg_.parse("elevenlabs", text));
    const rj::Value& root = msg_.root();
    auto bad = [&](const std::string& what) {
      return Error(errc::provider_protocol,
                   "elevenlabs sent " + what + ": \"" + detail::printable_excerpt(text, 120) + "\"");
    };
    Event ev;
    ev.context_id = std::string(get_string(root, "contextId", get_string(root, "context_id")));
    if (const rj::Value* err = member(root, "error"); err && !err->IsNull()) {
      ev.error = err->IsString() ? std::string(wscommon::sv(*err)) : std::string("error");
      ev.message = std::string(get_string(root, "message"));
      if (ev.error.empty()) ev.error = "error";
      return ev;
    }
    ev.is_final = get_bool(root, "isFinal");
    if (const rj::Value* audio = member(root, "audio"); audio && !audio->IsNull()) {
      if (!audio->IsString()) return bad("\"audio\" that is not a string");
      auto bytes = wscommon::base64_decode(wscommon::sv(*audio));
      if (!bytes) return bad("\"audio\" that is not valid base64");
      ev.audio = std::move(*bytes);
    }
    const rj::Value* al = member(root, "alignment");
    if (!al || al->IsNull()) al = member(root, "normalizedAlignment");
    if (al && al->IsObject()) {
      const rj::Value* chars = member(*al, "chars");
      const rj::Value* starts = member(*al, "charStartTimesMs");
      const rj::Value* durs = member(*al, "charDurationsMs");
      if (!chars || !starts || !durs || !chars->IsArray() || !starts->IsArray() || !durs->IsArray() ||
          chars->Size() != starts->Size() || chars->Size() != durs->Size())
        return bad("an alignment whose chars/charStartTimesMs/charDurationsMs do not match");
      AlignedWord cur;
      bool in_word = false;
      for (rj::SizeType i = 0; i < chars->Size(); ++i) {
        const rj::Value& c = (*chars)[i];
        const rj::Value& s = (*starts)[i];
        const rj::Value& d = (*durs)[i];
        if (!c.IsString() || !s.IsNumber() || !d.IsNumber()) return bad("an alignment with a bad entry");
        const double start = s.GetDouble(), end = start + d.GetDouble();
        if (!(start >= 0) || !(end >= start) || end > 1e9) return bad("an alignment with impossible times");
        const std::string_view ch = wscommon::sv(c);
        const bool space = ch.empty() || std::isspace(static_cast<unsigned char>(ch[0]));
        if (space) {
          if (in_word) ev.words.push_back(std::move(cur));
          cur = {};
          in_word = false;
          continue;
        }
        if (!in_word) cur.start_ms = start;
        in_word = true;
        cur.word.append(ch);
        cur.end_ms = end;
      }
      if (in_word) ev.words.push_back(std::move(cur));
    }
    return ev;
  });
}

namespace {

constexpr const char* kLog = "tts.elevenlabs";

struct TtsConfig {
  wscommon::WsConnection conn;
  std::string model;
  std::string voice;
  std::string voice_settings;  // JSON object text
  std::string generation_config;  // JSON object text, empty = none
  std::int64_t inactivity_timeout_s = 60;
  std::string language;
};

const std::vector<AudioFormat>& output_formats() {
  static const auto f = wscommon::tts_formats({24000, 16000, 8000, 22050, 44100, 48000}, true);
  return f;
}

std::string output_format_name(const AudioFormat& f) {
  if (f.encoding == Encoding::mulaw) return "ulaw_8000";
  if (f.encoding == Encoding::alaw) return "alaw_8000";
  return "pcm_" + std::to_string(f.sample_rate_hz);
}

errc errc_for(std::string_view error) {
  if (error == "input_timeout_exceeded") return errc::timeout;
  if (error.find("quota") != std::string_view::npos || error.find("rate") != std::string_view::npos)
    return errc::provider_quota;
  if (error.find("auth") != std::string_view::npos || error.find("api_key") != std::string_view::npos ||
      error.find("unauthor") != std::string_view::npos)
    return errc::provider_auth;
  return errc::provider_failed;
}

class ElevenLabsTtsStream final : public wscommon::WsTtsStream {
 public:
  ElevenLabsTtsStream(std::shared_ptr<const TtsConfig> cfg, SessionContext session, TtsStreamOptions options,
                      TtsObserver& observer)
      : WsTtsStream(cfg->conn, std::move(session), std::move(options), observer), cfg_(std::move(cfg)) {}
  ~ElevenLabsTtsStream() override { cancel(); }

 private:
  std::string target() const override {
    wscommon::Query q;
    q.add("model_id", cfg_->model);
    q.add("output_format", output_format_name(options().format));
    q.add("inactivity_timeout", static_cast<long long>(cfg_->inactivity_timeout_s));
    if (!cfg_->language.empty()) q.add("language_code", cfg_->language);
    const std::string& voice = options().voice.empty() ? cfg_->voice : options().voice;
    return "/v1/text-to-speech/" + wscommon::url_encode(voice) + "/stream-input" + q.str();
  }
  Status begin_utterance(std::uint64_t) override {
    std::string bos = R"({"text":" ","voice_settings":)" + cfg_->voice_settings;
    if (!cfg_->generation_config.empty()) bos += R"(,"generation_config":)" + cfg_->generation_config;
    bos += "}";
    return send_json(bos);
  }
  Status send_utterance_text(std::string_view text) override {
    return send_json(R"({"text":)" + wscommon::json_quote(text) + "}");
  }
  Status end_utterance() override { return send_json(R"({"text":""})"); }
  bool stop_utterance() override { return false; }  // no cancel on stream-input: drop the connection
  // An idle stream-input connection ends with input_timeout_exceeded: connect per utterance.
  bool can_prewarm() const override { return false; }

  void on_text_frame(std::string_view text) override {
    auto ev = parser_.parse(text);
    if (!ev) return fail(std::move(ev).error());
    if (!ev->error.empty()) {
      return fail(Error(errc_for(ev->error), "elevenlabs reported " + detail::printable_excerpt(ev->error, 64) +
                                                 (ev->message.empty() ? "" : ": " + detail::printable_excerpt(ev->message, 300))));
    }
    if (!ev->words.empty()) {
      // Alignment times are relative to this chunk: shift by the audio so far.
      const double base_ms = static_cast<double>(options().format.duration_of(utterance_samples()).count()) / 1e6;
      words_.clear();
      for (const AlignedWord& w : ev->words)
        words_.push_back({w.word, std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(base_ms + w.start_ms)),
                          std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(base_ms + w.end_ms))});
    }
    if (!ev->audio.empty()) deliver_audio(ev->audio);
    if (!words_.empty() && !closed()) {
      deliver_words(words_);
      words_.clear();
    }
    if (ev->is_final && !closed()) {
      release_connection();  // the server closes it; the next utterance opens a new one
      utterance_done();
    }
  }

  std::shared_ptr<const TtsConfig> cfg_;
  Parser parser_;
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
  c.model = r.get_string("model", "eleven_flash_v2_5");
  c.voice = r.get_string("voice", "");
  c.language = r.get_string("language", "");
  c.inactivity_timeout_s = r.get_int("inactivity_timeout_s", 60, {5, 180});
  auto vs = r.child("voice_settings");
  const double stability = vs.get_number("stability", 0.5, {0.0, 1.0});
  const double similarity = vs.get_number("similarity_boost", 0.8, {0.0, 1.0});
  const double style = vs.get_number("style", 0.0, {0.0, 1.0});
  const bool boost = vs.get_bool("use_speaker_boost", true);
  const double speed = vs.get_number("speed", 1.0, {0.7, 1.2});
  (void)vs.finish();
  c.voice_settings = "{\"stability\":" + std::to_string(stability) + ",\"similarity_boost\":" +
                     std::to_string(similarity) + ",\"style\":" + std::to_string(style) +
                     ",\"use_speaker_boost\":" + (boost ? "true" : "false") + ",\"speed\":" + std::to_string(speed) + "}";
  const auto schedule = r.get_raw("chunk_length_schedule");
  if (schedule) {
    if (!schedule->is_array()) {
      r.error_at("chunk_length_schedule", "expected an array of 1-4 integers in 50..500, found " + schedule->describe());
    } else {
      std::string list;
      for (const Json& v : schedule->as_array()) {
        if (!v.is_number() || v.as_number() < 50 || v.as_number() > 500) {
          r.error_at("chunk_length_schedule", "expected integers in 50..500, found " + v.describe());
          break;
        }
        list += (list.empty() ? "" : ",") + std::to_string(static_cast<int>(v.as_number()));
      }
      c.generation_config = "{\"chunk_length_schedule\":[" + list + "]}";
    }
  }
  LOQUI_TRY(r.finish());
  using Provider = wscommon::WsTtsProvider<TtsConfig, ElevenLabsTtsStream>;
  const std::string description = "ElevenLabs speech (stream-input WebSocket, " + c.model + ")";
  return std::shared_ptr<TextToSpeech>(std::make_shared<Provider>(
      std::move(c),
      Provider::Spec{kProviderName, description, "pcm mono at 8/16/22.05/24/44.1/48 kHz, or ulaw/alaw 8 kHz", true,
                     [](const TtsConfig& t) { return t.voice; }},
      TtsCapabilities{.output_formats = output_formats(), .word_timings = true, .streaming_input = true}));
}

}  // namespace loqui::elevenlabs

namespace loqui::detail {
void register_elevenlabs(Registry& registry) {
  (void)registry.add_tts(elevenlabs::kProviderName,
                         "ElevenLabs speech (stream-input WebSocket, alignment word timings, pcm or G.711)",
                         &elevenlabs::make_tts);
}
}  // namespace loqui::detail
