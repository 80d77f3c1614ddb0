// SPDX-License-Identifier: Apache-2.0
// File: WebRtcVadDetector (see webrtc_vad.hpp).
#include "webrtc_vad.hpp"

#include <array>
#include <cstdint>
#include <string>

extern "C" {
// The C API of webrtc/common_audio/vad/include/webrtc_vad.h as exported by
// libwebrtc_audio_processing.so.1 (0.3); the header itself is not installed.
struct WebRtcVadInst;
WebRtcVadInst* WebRtcVad_Create();
void WebRtcVad_Free(WebRtcVadInst* handle);
int WebRtcVad_Init(WebRtcVadInst* handle);
int WebRtcVad_set_mode(WebRtcVadInst* handle, int mode);
int WebRtcVad_Process(WebRtcVadInst* handle, int fs, const std::int16_t* audio_frame, std::size_t frame_length);
}

namespace loqui::peers {

namespace {

struct Free {
  void operator()(WebRtcVadInst* h) const noexcept { WebRtcVad_Free(h); }
};

class WebRtcVadDetector final : public VoiceDetector {
 public:
  WebRtcVadDetector(std::unique_ptr<WebRtcVadInst, Free> h, int mode, int rate)
      : handle_(std::move(h)), mode_(mode), rate_(rate) {}
  std::string_view name() const noexcept override { return kNames[static_cast<std::size_t>(mode_)]; }
  AudioFormat format() const noexcept override { return AudioFormat::pcm16(rate_); }
  std::size_t frame_samples() const noexcept override { return static_cast<std::size_t>(rate_ / 100); }
  float process(std::span<const std::int16_t> frame) override {
    const int r = WebRtcVad_Process(handle_.get(), rate_, frame.data(), frame.size());
    return r == 1 ? 1.0f : 0.0f;  // -1 (bad frame) counts as non-speech
  }
  void reset() override {
    (void)WebRtcVad_Init(handle_.get());
    (void)WebRtcVad_set_mode(handle_.get(), mode_);
  }

 private:
  static constexpr std::array<std::string_view, 4> kNames = {"webrtc-0", "webrtc-1", "webrtc-2", "webrtc-3"};
  std::unique_ptr<WebRtcVadInst, Free> handle_;
  int mode_;
  int rate_;
};

}  // namespace

Result<std::unique_ptr<VoiceDetector>> make_webrtc_vad(int mode, int sample_rate) {
  if (mode < 0 || mode > 3)
    return make_error(errc::invalid_argument, "webrtc vad: mode " + std::to_string(mode) + " is not 0..3");
  if (sample_rate != 8000 && sample_rate != 16000)
    return make_error(errc::invalid_argument,
                      "webrtc vad: sample rate " + std::to_string(sample_rate) + " Hz is not supported (8000 or 16000)");
  std::unique_ptr<WebRtcVadInst, Free> h(WebRtcVad_Create());
  if (!h || WebRtcVad_Init(h.get()) != 0 || WebRtcVad_set_mode(h.get(), mode) != 0)
    return make_error(errc::internal, "webrtc vad: initialisation failed");
  return std::unique_ptr<VoiceDetector>(new WebRtcVadDetector(std::move(h), mode, sample_rate));
}

}  // namespace loqui::peers
