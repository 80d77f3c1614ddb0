// SPDX-License-Identifier: Apache-2.0
// File: WsTtsStream, the base of every WebSocket TTS adapter (deepgram, cartesia,
// elevenlabs). It owns what the TtsStream contract asks for, so each vendor only
// maps its protocol:
//  * the utterance queue: text is sent for the *active* (oldest unfinished)
//    utterance only; later utterances wait locally until it is done, so the
//    vendor never has two in flight and audio order is trivially right;
//  * an utterance with no text is done locally (posted, never inside flush());
//  * audio delivery: frames in the output format, timestamps from 0 per utterance,
//    samples split across messages joined; word timings forwarded;
//  * clear(): drops queued utterances, asks the vendor to stop the active one and
//    delivers nothing of it any more;
//  * the connection: opened lazily, reopened after an idle close; a drop before the
//    active utterance produced audio re-sends its text on a new connection
//    (max_reconnects); a drop after audio fails the stream with a clear error (the
//    audio already played cannot be taken back);
//  * errors: named after the vendor and host, the stream closes, later calls
//    return errc::closed; no callback after cancel().
//
// Strand-confined like every TtsStream.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "loqui/net/websocket.hpp"
#include "loqui/provider/tts.hpp"
#include "providers/wscommon/ws_common.hpp"

namespace loqui::wscommon {

/// Output formats a vendor can produce natively: pcm16 at `rates`, plus mulaw/alaw 8 kHz.
std::vector<AudioFormat> tts_formats(std::initializer_list<int> pcm_rates, bool g711);

class WsTtsStream : public TtsStream, protected WebSocketHandler {
 public:
  WsTtsStream(const WsConnection& conn, SessionContext session, TtsStreamOptions options, TtsObserver& observer);
  ~WsTtsStream() override;

  Status send_text(std::string_view text) final;
  Status flush() final;
  void clear() final;
  void cancel() noexcept final;
  AudioFormat output_format() const final { return options_.format; }
  /// Opens the connection ahead of the first utterance (WsConnection::prewarm), so
  /// it does not pay for DNS, TCP, TLS and the upgrade. A failure here is not
  /// reported: the first utterance connects again and reports it.
  void prewarm();

 protected:
  // ---- vendor hooks (called on the strand, never with the observer gone)
  /// Path and query for a new connection.
  virtual std::string target() const = 0;
  /// The active utterance starts on the wire (first text, or a replay after a drop).
  /// `id` is unique in the stream (for context ids).
  virtual Status begin_utterance(std::uint64_t id) { (void)id; return ok_status(); }
  /// Text of the active utterance, as the consumer sent it.
  virtual Status send_utterance_text(std::string_view text) = 0;
  /// The active utterance is complete: make the vendor finish it.
  virtual Status end_utterance() = 0;
  /// Barge-in while the active utterance is on the wire. Return true to keep the
  /// connection (the vendor tells stale audio apart itself), false to drop it.
  virtual bool stop_utterance() = 0;
  /// One text frame from the server.
  virtual void on_text_frame(std::string_view text) = 0;
  /// One binary frame; default: a protocol error.
  virtual void on_binary_frame(std::string_view bytes);
  /// False for vendors whose idle connections fail instead of closing.
  virtual bool can_prewarm() const { return true; }
  /// A message sent before the connection is closed by cancel() (Deepgram Close);
  /// empty = none. Subclasses call cancel() in their destructor for this to apply.
  virtual std::string goodbye() const { return {}; }

  // ---- for vendors
  /// Audio bytes of the active utterance in the output format.
  void deliver_audio(std::string_view bytes);
  /// Word timings relative to the utterance start.
  void deliver_words(std::span<const WordTiming> words);
  /// The active utterance's last audio arrived.
  void utterance_done();
  /// Fails the stream (vendor, host prepended).
  void fail(Error e);
  /// Sends a text frame on the current connection (opening one if needed).
  Status send_json(std::string_view json);
  /// Lets the current connection finish in the background (close handshake) and
  /// opens a new one for the next utterance (ElevenLabs stream-input ends each
  /// connection after its utterance).
  void release_connection();
  /// A connection exists (open or opening).
  bool connected() const noexcept { return ws_.valid(); }
  /// The active utterance's id, 0 when none is on the wire.
  std::uint64_t active_id() const noexcept { return on_wire_ ? active_id_ : 0; }
  bool closed() const noexcept { return observer_ == nullptr; }
  const WsConnection& conn() const noexcept { return conn_; }
  const TtsStreamOptions& options() const noexcept { return options_; }
  /// Samples of the active utterance delivered so far.
  std::int64_t utterance_samples() const noexcept { return utt_samples_; }

  // WebSocketHandler
  void on_open(const WebSocketOpenInfo& info) override;
  void on_message(std::string_view data, bool binary) final;
  void on_close(int code, std::string_view reason) final;
  void on_error(const Error& error) final;

 private:
  struct Utterance {
    std::string text;   // all text so far (for a replay)
    bool flushed = false;
  };
  Status ensure_connection();
  Status start_active();
  void pump();
  void post_pump();
  void connection_lost(Error cause);

  WsConnection conn_;
  SessionContext session_;
  TtsStreamOptions options_;
  TtsObserver* observer_;
  WebSocket ws_;
  bool opened_ = false;
  std::deque<Utterance> queue_;  // front = active
  bool on_wire_ = false;         // the active utterance was started on the wire
  std::uint64_t active_id_ = 0;
  std::uint64_t next_id_ = 1;
  std::int64_t utt_samples_ = 0;
  int replays_ = 0;
  SampleJoiner joiner_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool pump_posted_ = false;
};

/// The provider object of a WebSocket TTS vendor: identity, capabilities, and an
/// open() that checks the runtime, the format and the voice before making a
/// `Stream(std::shared_ptr<const Config>, session, options, observer)`.
template <class Config, class Stream>
class WsTtsProvider final : public TextToSpeech {
 public:
  struct Spec {
    std::string name;         ///< "cartesia"
    std::string description;
    std::string accepts;      ///< for format errors: "pcm mono at 8/16/24 kHz, or mulaw/alaw 8 kHz"
    bool needs_voice = false;
    std::function<std::string(const Config&)> voice;  ///< the configured voice (when needs_voice)
  };
  WsTtsProvider(Config cfg, Spec spec, TtsCapabilities caps)
      : cfg_(std::make_shared<const Config>(std::move(cfg))), spec_(std::move(spec)), caps_(std::move(caps)) {
    info_ = {ProviderKind::tts, spec_.name, spec_.description, true};
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const TtsCapabilities& capabilities() const noexcept override { return caps_; }
  Result<std::unique_ptr<TtsStream>> open(const SessionContext& session, const TtsStreamOptions& options,
                                          TtsObserver& observer) override {
    const std::string what = spec_.name + " tts";
    LOQUI_TRY(require_real_time(session, what));
    Status st = check_format(caps_.output_formats, options.format, what, spec_.accepts);
    if (!st) return std::move(st).error().set_provider(spec_.name);
    if (spec_.needs_voice && options.voice.empty() && spec_.voice(*cfg_).empty())
      return Error(errc::invalid_argument, what + ": no voice id (set \"voice\" in the config or the stream options)")
          .set_provider(spec_.name);
    auto stream = std::make_unique<Stream>(cfg_, session, options, observer);
    stream->prewarm();
    return std::unique_ptr<TtsStream>(std::move(stream));
  }

 private:
  std::shared_ptr<const Config> cfg_;
  Spec spec_;
  ProviderInfo info_;
  TtsCapabilities caps_;
};

}  // namespace loqui::wscommon
