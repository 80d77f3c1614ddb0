// SPDX-License-Identifier: Apache-2.0
// File: the fixture shared by the WebSocket TTS adapter tests (deepgram, cartesia,
// elevenlabs): a vendor mock, the provider made from a JSON config pointing at it,
// a recording observer, and helpers to speak, clear and wait.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

#include "loqui/provider/tts.hpp"
#include "support/mock_vendors.hpp"
#include "support/recording_observers.hpp"
#include "support/ws_harness.hpp"

namespace loqui::testing {

struct WsTtsFixture : ::testing::Test {
  using Factory = std::function<Result<std::shared_ptr<TextToSpeech>>(const ProviderContext&, const Json&, std::string_view)>;

  TestLoop loop;
  std::unique_ptr<VendorMock> mock;
  std::shared_ptr<TextToSpeech> tts;
  RecordingTtsObserver obs{loop.strand};
  std::unique_ptr<TtsStream> stream;
  TtsStreamOptions options{.format = AudioFormat::pcm16(16000)};

  void TearDown() override {
    loop.on_strand([&] { stream.reset(); });
  }

  /// Starts `vendor`'s mock with `faults`, makes the provider with `factory` from
  /// {"base_url": <mock>, <extra>} and opens a stream.
  void start(VendorMock::Vendor vendor, const Factory& factory, const std::string& extra, VendorFaults faults = {},
             TtsMockOptions mock_options = {}) {
    mock = std::make_unique<VendorMock>(vendor, std::move(faults), mock_options);
    auto made = factory({.runtime = loop.rt.get()},
                        config(R"({"base_url":")" + mock->base_url() +
                               R"(","retry":{"initial_delay_ms":10,"max_delay_ms":20})" + extra + "}"),
                        "tts");
    ASSERT_TRUE(made.ok()) << made.error().to_string();
    tts = std::move(made).value();
    loop.on_strand([&] {
      CallGuard g(obs.calls());
      auto s = tts->open({.strand = loop.strand, .session_id = "call-1"}, options, obs);
      ASSERT_TRUE(s.ok()) << s.error().to_string();
      stream = std::move(s).value();
    });
  }
  void say(const std::string& text, bool flush = true) {
    loop.on_strand([&] {
      CallGuard g(obs.calls());
      if (!text.empty()) {
        Status st = stream->send_text(text);
        EXPECT_TRUE(st.ok()) << st.error().to_string();
      }
      if (flush) {
        Status st = stream->flush();
        EXPECT_TRUE(st.ok()) << st.error().to_string();
      }
    });
  }
  void clear() {
    loop.on_strand([&] {
      CallGuard g(obs.calls());
      stream->clear();
    });
  }
  bool wait_dones(int n) {
    return loop.run_until([&] { return obs.dones() >= n || obs.errors() > 0; });
  }
  bool wait_audio() {
    return loop.run_until([&] { return obs.first(TtsEvent::Kind::audio) || obs.errors() > 0; });
  }
  const Error* error() const {
    for (const auto& e : obs.events)
      if (e.kind == TtsEvent::Kind::error) return &e.error;
    return nullptr;
  }
  /// Samples of audio received after event index `from`.
  std::int64_t samples_since(std::size_t from) const {
    std::int64_t n = 0;
    for (std::size_t i = from; i < obs.events.size(); ++i)
      if (obs.events[i].kind == TtsEvent::Kind::audio) n += obs.events[i].samples;
    return n;
  }
  /// What the mock speaks for `text` at `rate` (TtsMockOptions::ms_per_char = 8).
  static std::int64_t expected_samples(const std::string& text, int rate, int ms_per_char = 8) {
    return static_cast<std::int64_t>(text.size()) * ms_per_char * rate / 1000;
  }
};

}  // namespace loqui::testing
