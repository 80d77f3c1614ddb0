// SPDX-License-Identifier: Apache-2.0
// File: vendor mocks on MockWsServer, speaking each vendor's WebSocket protocol as
// PROTOCOLS.md describes it (sections 1.1, 2.2, 4, 5.1 and the mock checklist in 8):
//  * MockDeepgramListen: /v1/listen. Checks the query (utterance_end_ms < 1000 is a
//    400 with dg-error) and the Authorization header; turns every 200 ms of audio
//    into an interim then a final Results ("hello" for loud audio, "" for
//    silence; speech_final on the last loud segment before silence), SpeechStarted,
//    UtteranceEnd, Finalize -> from_finalize, CloseStream -> finals, Metadata, 1000.
//  * MockDeepgramSpeak: /v1/speak. Speak/Flush -> paced binary audio (odd-sized
//    frames, so samples split across frames) then Flushed; Clear -> Cleared;
//    Close -> 1000; Warning EXCESSIVE_FLUSH past a flush budget.
//  * MockCartesia: /tts/websocket. Contexts with verbatim concatenation, fields
//    that must not change (error otherwise), base64 chunks, timestamps, done,
//    cancel; Cartesia-Version header required.
//  * MockElevenLabs: stream-input. BOS must be " " with voice_settings; text; EOS
//    {"text":""} -> base64 audio with character alignment, isFinal, close 1000.
// Every mock takes VendorFaults: refused upgrades per connection (429 +
// Retry-After, 5xx, 401), slow accept, a slow first message, a drop, garbage or a
// vendor close after N frames on a chosen connection, an unknown message type.
// Audio is a 440 Hz tone (so it is not silent), `ms_per_char` long per character.
//
// Thread safety: the mocks run on the server thread; the accessors lock.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "support/mock_ws_server.hpp"

namespace loqui::testing {

struct VendorFaults {
  /// Upgrade answers for the first connections (index 0 = connection 1); later
  /// connections are accepted.
  std::vector<MockWsUpgrade> refusals;
  int accept_delay_ms = 0;
  int first_message_delay_ms = 0;  ///< delay of the first server message per connection
  /// On connection `on_connection` (1-based, 0 = none), after `after_frames`
  /// frames received (STT: audio frames) or sent (TTS: audio messages):
  int on_connection = 0;
  int after_frames = 0;
  enum class Kind { none, drop, garbage, close, stall } kind = Kind::none;
  int close_code = 1011;
  std::string close_reason = "NET-0000";
  std::string garbage = "this is {not json";
  bool unknown_message = false;  ///< send an unknown message type on open
  /// Drop connection N (1-based) when its first text message arrives (0 = never):
  /// a connection lost before any audio came back.
  int drop_on_first_text = 0;
  std::string expected_auth;     ///< required header value (empty = not checked)
};

/// State shared by all connections of one mock (recorded for assertions).
struct VendorRecord {
  mutable std::mutex mu;
  std::vector<std::vector<std::string>> texts;  ///< text frames per connection
  std::vector<std::string> audio;               ///< binary audio per connection (STT)
  std::vector<std::string> targets;             ///< request target per connection
  int keepalives = 0;
  int finalizes = 0;
  int close_streams = 0;
  std::vector<std::string> texts_of(int connection) const {
    std::lock_guard l(mu);
    return connection >= 1 && connection <= static_cast<int>(texts.size()) ? texts[static_cast<std::size_t>(connection - 1)]
                                                                           : std::vector<std::string>{};
  }
  std::string audio_of(int connection) const {
    std::lock_guard l(mu);
    return connection >= 1 && connection <= static_cast<int>(audio.size()) ? audio[static_cast<std::size_t>(connection - 1)]
                                                                           : std::string{};
  }
  int connections() const {
    std::lock_guard l(mu);
    return static_cast<int>(targets.size());
  }
};

struct TtsMockOptions {
  int ms_per_char = 8;
  int frame_interval_ms = 1;   ///< pacing between audio messages
  int frame_ms = 20;           ///< audio per message
  int flush_budget = 1000;     ///< Deepgram: flushes before EXCESSIVE_FLUSH warnings
};

/// The server plus a record; `make_*` builds the factory for MockWsServer.
class VendorMock {
 public:
  enum class Vendor { deepgram_listen, deepgram_speak, cartesia, elevenlabs };
  explicit VendorMock(Vendor vendor, VendorFaults faults = {}, TtsMockOptions tts = {});
  ~VendorMock();
  std::string base_url() const { return server_->base_url(); }
  MockWsServer& server() { return *server_; }
  VendorRecord& record() { return *record_; }
  const VendorFaults& faults() const { return faults_; }

 private:
  Vendor vendor_;
  VendorFaults faults_;
  TtsMockOptions tts_;
  std::shared_ptr<VendorRecord> record_;
  std::unique_ptr<MockWsServer> server_;
};

/// The pcm16 tone the TTS mocks speak, for `samples` samples at `rate`.
std::string mock_tone_bytes(std::int64_t samples, int rate, const std::string& encoding);

}  // namespace loqui::testing
