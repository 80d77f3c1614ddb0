// SPDX-License-Identifier: Apache-2.0
// File: WsTtsStream, the shared core of the WebSocket TTS adapters (see ws_tts.hpp).
#include "providers/wscommon/ws_tts.hpp"

#include <algorithm>
#include <cstring>

#include "common/log.hpp"

namespace loqui::wscommon {

namespace {
constexpr const char* kLog = "tts.ws";
}

std::vector<AudioFormat> tts_formats(std::initializer_list<int> pcm_rates, bool g711) {
  std::vector<AudioFormat> out;
  for (int r : pcm_rates) out.push_back(AudioFormat::pcm16(r));
  if (g711) {
    out.push_back(AudioFormat::mulaw8k());
    out.push_back(AudioFormat::alaw8k());
  }
  return out;
}

WsTtsStream::WsTtsStream(const WsConnection& conn, SessionContext session, TtsStreamOptions options,
                         TtsObserver& observer)
    : conn_(conn), session_(std::move(session)), options_(std::move(options)), observer_(&observer),
      joiner_(options_.format.bytes_per_sample()) {}

WsTtsStream::~WsTtsStream() { cancel(); }

Status WsTtsStream::send_text(std::string_view text) {
  if (closed()) return Error(errc::closed, conn_.vendor + " tts: the stream is closed");
  if (text.empty()) return ok_status();
  if (queue_.empty() || queue_.back().flushed) queue_.emplace_back();
  queue_.back().text.append(text);
  if (queue_.size() != 1) return ok_status();  // waits for the active utterance
  if (!on_wire_) return start_active();
  return send_utterance_text(text);
}

Status WsTtsStream::flush() {
  if (closed()) return Error(errc::closed, conn_.vendor + " tts: the stream is closed");
  if (queue_.empty() || queue_.back().flushed) queue_.emplace_back();
  queue_.back().flushed = true;
  if (queue_.size() != 1) return ok_status();
  if (on_wire_) {
    return end_utterance();
  }
  if (queue_.front().text.empty()) {
    post_pump();  // done without the vendor, but never inside flush()
    return ok_status();
  }
  return start_active();
}

void WsTtsStream::clear() {
  if (closed()) return;
  if (on_wire_) {
    const bool keep = stop_utterance();
    if (!keep) {
      ws_.cancel();
      ws_ = WebSocket();
    }
  }
  on_wire_ = false;
  queue_.clear();
  joiner_.reset();
}

void WsTtsStream::cancel() noexcept {
  observer_ = nullptr;
  *alive_ = false;
  queue_.clear();
  on_wire_ = false;
  if (ws_.is_open()) {
    const std::string bye = goodbye();
    if (!bye.empty()) (void)ws_.send_text(bye);
    ws_.close_detached();
  }
  ws_.cancel();
}

void WsTtsStream::release_connection() {
  ws_.close_detached();
  ws_ = WebSocket();
  opened_ = false;
}

void WsTtsStream::prewarm() {
  if (conn_.prewarm && can_prewarm() && !closed()) (void)ensure_connection();
}

void WsTtsStream::on_binary_frame(std::string_view bytes) {
  fail(Error(errc::provider_protocol, conn_.vendor + " sent an unexpected binary frame (" +
                                          std::to_string(bytes.size()) + " bytes)"));
}

Status WsTtsStream::ensure_connection() {
  if (ws_.valid()) return ok_status();
  opened_ = false;
  WebSocketOptions o = conn_.options(target());
  auto ws = WebSocket::connect(session_.strand, std::move(o), *this);
  if (!ws) return vendor_error(std::move(ws).error(), conn_, "tts");
  ws_ = std::move(ws).value();
  return ok_status();
}

Status WsTtsStream::send_json(std::string_view json) {
  LOQUI_TRY(ensure_connection());
  return ws_.send_text(json);
}

Status WsTtsStream::start_active() {
  LOQUI_TRY(ensure_connection());
  on_wire_ = true;
  active_id_ = next_id_++;
  utt_samples_ = 0;
  joiner_.reset();
  const Utterance& u = queue_.front();
  LOQUI_TRY(begin_utterance(active_id_));
  LOQUI_TRY(send_utterance_text(u.text));
  if (u.flushed) {
    LOQUI_TRY(end_utterance());
  }
  return ok_status();
}

void WsTtsStream::post_pump() {
  if (pump_posted_) return;
  pump_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  (void)session_.strand->post([this, alive] {
    if (alive.expired() || !*alive.lock()) return;
    pump_posted_ = false;
    pump();
  });
}

// Runs from a strand task or a WebSocket callback only (it may call the observer).
void WsTtsStream::pump() {
  while (!closed() && !queue_.empty() && !on_wire_) {
    Utterance& u = queue_.front();
    if (u.text.empty()) {
      if (!u.flushed) return;  // waits for text
      queue_.pop_front();
      observer_->on_done();
      continue;
    }
    Status st = start_active();
    if (!st) fail(std::move(st).error());
    return;
  }
}

void WsTtsStream::deliver_audio(std::string_view bytes) {
  if (closed() || !on_wire_) return;
  std::string_view whole = joiner_.push(bytes);
  if (whole.empty()) return;
  std::string aligned;
  if (reinterpret_cast<std::uintptr_t>(whole.data()) % 2 != 0) {
    aligned.assign(whole);
    whole = aligned;
  }
  const auto frame = AudioFrame::view_bytes(
      options_.format, std::span<const std::byte>(reinterpret_cast<const std::byte*>(whole.data()), whole.size()),
      utt_samples_);
  utt_samples_ += static_cast<std::int64_t>(whole.size()) / options_.format.bytes_per_sample();
  observer_->on_audio(frame);
}

void WsTtsStream::deliver_words(std::span<const WordTiming> words) {
  if (closed() || !on_wire_ || words.empty()) return;
  observer_->on_word_timings(words);
}

void WsTtsStream::utterance_done() {
  if (closed() || !on_wire_) return;
  on_wire_ = false;
  replays_ = 0;
  queue_.pop_front();
  observer_->on_done();
  pump();
}

void WsTtsStream::fail(Error e) {
  if (closed()) return;
  TtsObserver* obs = observer_;
  observer_ = nullptr;
  *alive_ = false;
  queue_.clear();
  on_wire_ = false;
  ws_.cancel();
  e = vendor_error(std::move(e), conn_, "tts");
  LOQUI_LOG_WARN(kLog, "{}", e.to_string());
  obs->on_error(e);
}

void WsTtsStream::on_open(const WebSocketOpenInfo& info) {
  (void)info;
  opened_ = true;
}

void WsTtsStream::on_message(std::string_view data, bool binary) {
  if (closed()) return;
  if (binary) on_binary_frame(data);
  else on_text_frame(data);
}

void WsTtsStream::on_close(int code, std::string_view reason) {
  ws_ = WebSocket();
  opened_ = false;
  connection_lost(Error(errc::provider_unavailable, "the server closed the connection (" + std::to_string(code) +
                                                        (reason.empty() ? "" : " ") + std::string(reason) + ")"));
}

void WsTtsStream::on_error(const Error& error) {
  const bool was_open = opened_;
  ws_ = WebSocket();
  opened_ = false;
  if (!was_open && on_wire_) return fail(error);  // the upgrade failed after the connect retries
  connection_lost(error);
}

void WsTtsStream::connection_lost(Error cause) {
  if (closed() || !on_wire_) return;  // idle close: the next utterance reconnects
  if (utt_samples_ == 0 && replays_ < conn_.max_reconnects && cause.retryable()) {
    ++replays_;
    LOQUI_LOG_WARN(kLog, "{}: {}; sending the utterance again on a new connection", conn_.label(), cause.message());
    on_wire_ = false;
    Status st = start_active();
    if (!st) fail(std::move(st).error());
    return;
  }
  const auto ms = options_.format.duration_of(utt_samples_).count() / 1000000;
  fail(Error(cause.code(), cause.message() + (utt_samples_ > 0 ? " after " + std::to_string(ms) +
                                                                    " ms of the utterance's audio (not repeated: "
                                                                    "it may have been played)"
                                                              : std::string())));
}

}  // namespace loqui::wscommon
