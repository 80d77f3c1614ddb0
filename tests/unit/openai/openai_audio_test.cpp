// SPDX-License-Identifier: Apache-2.0
// File: the batch REST audio adapters against the mock server: STT uploads a WAV
// of each turn to /audio/transcriptions; TTS streams /audio/speech pcm as frames.
#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "loqui/net/http.hpp"
#include "loqui/provider/registry.hpp"
#include "support/mock_http_server.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using testing::MockHttpServer;
using testing::MockRequest;
using testing::MockResponse;

class AudioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("LOQUI_TEST_OPENAI_KEY", "sk-audio-test-1234567890", 1);
    runtime_ = Runtime::create({.threads = 1}).value();
    strand_ = runtime_->make_strand("call");
    register_builtin_providers(registry_);
    ctx_.runtime = runtime_.get();
    session_.strand = strand_;
  }
  void TearDown() override { runtime_->stop(); }
  template <class F>
  void on_strand(F&& f) {
    std::promise<void> p;
    (void)strand_->post([&] {
      f();
      p.set_value();
    });
    p.get_future().wait();
  }
  Json config(const MockHttpServer& s, const char* model) {
    return Json::object({{"provider", Json("openai")},
                         {"base_url", Json(s.base_url() + "/v1")},
                         {"model", Json(model)},
                         {"api_key_env", Json("LOQUI_TEST_OPENAI_KEY")},
                         {"prewarm", Json(false)}});
  }
  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<Strand> strand_;
  Registry registry_;
  ProviderContext ctx_;
  SessionContext session_;
};

// ----------------------------------- STT -------------------------------------------

class SttRecorder : public SttObserver {
 public:
  void on_transcript(const Transcript& t) override {
    std::lock_guard l(mu);
    transcripts.push_back(t);
    cv.notify_all();
  }
  void on_error(const Error& e) override {
    std::lock_guard l(mu);
    errors.push_back(e);
    cv.notify_all();
  }
  bool wait(std::size_t n, std::chrono::milliseconds t = 10s) {
    std::unique_lock l(mu);
    return cv.wait_for(l, t, [&] { return transcripts.size() + errors.size() >= n; });
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Transcript> transcripts;
  std::vector<Error> errors;
};

// The multipart part named `name` (its body).
std::string part(const std::string& body, const std::string& name) {
  const std::string key = "name=\"" + name + "\"";
  auto p = body.find(key);
  if (p == std::string::npos) return {};
  p = body.find("\r\n\r\n", p);
  if (p == std::string::npos) return {};
  p += 4;
  const auto end = body.find("\r\n--", p);
  return body.substr(p, end == std::string::npos ? std::string::npos : end - p);
}

std::uint32_t le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

TEST_F(AudioTest, SttUploadsEachTurnAsWavAndReturnsAFinalTranscript) {
  MockHttpServer server([](const MockRequest& r) {
    const std::string wav = part(r.body, "file");
    return MockResponse::json(200, R"({"text":"turn of )" + std::to_string((wav.size() - 44) / 2) + R"( samples","usage":{"type":"duration","seconds":1}})");
  });
  auto stt = registry_.make_stt(ctx_, config(server, "gpt-4o-mini-transcribe"));
  ASSERT_TRUE(stt.ok()) << stt.error().to_string();
  SttRecorder rec;
  std::unique_ptr<SttStream> stream;
  std::vector<std::int16_t> tone(16000);
  for (std::size_t i = 0; i < tone.size(); ++i)
    tone[i] = static_cast<std::int16_t>(8000 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 16000));
  on_strand([&] {
    auto s = (*stt)->open(session_, {.format = AudioFormat::pcm16(16000), .language = "de-DE"}, rec);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    stream = std::move(*s);
    for (std::size_t off = 0; off < tone.size(); off += 320)
      ASSERT_TRUE(stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), std::span(tone).subspan(off, 320))).ok());
    stream->finalize();
    EXPECT_TRUE(rec.transcripts.empty());  // never from inside finalize()
    ASSERT_TRUE(stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), std::span(tone).subspan(0, 8000))).ok());
    stream->finalize();
    stream->finalize();  // nothing said since: an empty final without a request
  });
  ASSERT_TRUE(rec.wait(3));
  ASSERT_TRUE(rec.errors.empty()) << rec.errors[0].to_string();
  ASSERT_EQ(rec.transcripts.size(), 3u);
  EXPECT_EQ(rec.transcripts[0].text, "turn of 16000 samples");
  EXPECT_TRUE(rec.transcripts[0].is_final);
  EXPECT_EQ(rec.transcripts[0].audio_start, 0ms);
  EXPECT_EQ(rec.transcripts[0].audio_end, 1000ms);
  EXPECT_EQ(rec.transcripts[1].text, "turn of 8000 samples");
  EXPECT_EQ(rec.transcripts[1].audio_start, 1000ms);
  EXPECT_EQ(rec.transcripts[1].audio_end, 1500ms);
  EXPECT_EQ(rec.transcripts[2].text, "");
  for (const auto& t : rec.transcripts) EXPECT_TRUE(t.from_finalize);
  EXPECT_EQ(server.requests(), 2);

  const MockRequest first = server.received()[0];
  EXPECT_EQ(first.target, "/v1/audio/transcriptions");
  EXPECT_NE(first.header("content-type").find("multipart/form-data; boundary="), std::string::npos);
  EXPECT_EQ(part(first.body, "model"), "gpt-4o-mini-transcribe");
  EXPECT_EQ(part(first.body, "response_format"), "json");
  EXPECT_EQ(part(first.body, "language"), "de");
  const std::string wav = part(first.body, "file");
  ASSERT_EQ(wav.size(), 44u + 32000u);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(le32(wav, 24), 16000u);  // sample rate
  EXPECT_EQ(le32(wav, 40), 32000u);  // data bytes
  EXPECT_EQ(std::memcmp(wav.data() + 44, tone.data(), 32000), 0);
  on_strand([&] { stream.reset(); });
}

TEST_F(AudioTest, SttServerErrorIsReportedAndClosesTheStream) {
  MockHttpServer server([&](const MockRequest&) {
    return MockResponse::json(400, R"({"error":{"message":"Audio file is too short","type":"invalid_request_error","code":"audio_too_short"}})");
  });
  auto stt = registry_.make_stt(ctx_, config(server, "whisper-1"));
  ASSERT_TRUE(stt.ok());
  SttRecorder rec;
  std::unique_ptr<SttStream> stream;
  std::vector<std::int16_t> pcm(160, 100);
  on_strand([&] {
    stream = std::move((*stt)->open(session_, {}, rec).value());
    auto wrong = stream->send_audio(AudioFrame::view(AudioFormat::pcm16(8000), pcm));
    EXPECT_EQ(wrong.error().code(), errc::format_mismatch);
    (void)stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), pcm));
    stream->finalize();
    (void)stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), pcm));
    stream->finalize();  // queued behind the first; dropped when the stream closes
  });
  ASSERT_TRUE(rec.wait(1));
  std::this_thread::sleep_for(50ms);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_TRUE(rec.transcripts.empty());
  EXPECT_EQ(rec.errors[0].vendor_code(), "audio_too_short");
  EXPECT_EQ(rec.errors[0].provider(), "openai");
  EXPECT_NE(rec.errors[0].message().find("openai (127.0.0.1)"), std::string::npos);
  EXPECT_EQ(server.requests(), 1);
  on_strand([&] {
    EXPECT_EQ(stream->send_audio(AudioFrame::view(AudioFormat::pcm16(16000), pcm)).error().code(), errc::closed);
    stream.reset();
  });
}

// ----------------------------------- TTS -------------------------------------------

class TtsRecorder : public TtsObserver {
 public:
  void on_audio(const AudioFrame& a) override {
    std::lock_guard l(mu);
    EXPECT_EQ(a.format(), AudioFormat::pcm16(24000));
    EXPECT_EQ(a.timestamp(), utterance_samples);  // continues across pieces of one utterance
    auto s = a.samples();
    samples.insert(samples.end(), s.begin(), s.end());
    utterance_samples += static_cast<std::int64_t>(s.size());
    ++frames;
    if (clear_on_audio && stream) {
      stream->clear();
      utterance_samples = 0;
      cleared = true;
      cv.notify_all();
    }
  }
  void on_done() override {
    std::lock_guard l(mu);
    utterance_samples = 0;
    ++done;
    cv.notify_all();
  }
  void on_error(const Error& e) override {
    std::lock_guard l(mu);
    errors.push_back(e);
    cv.notify_all();
  }
  template <class P>
  bool wait(P pred, std::chrono::milliseconds t = 10s) {
    std::unique_lock l(mu);
    return cv.wait_for(l, t, pred);
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::int16_t> samples;
  int frames = 0, done = 0;
  std::int64_t utterance_samples = 0;
  std::vector<Error> errors;
  bool clear_on_audio = false, cleared = false;
  TtsStream* stream = nullptr;
};

std::string pcm_bytes(const std::vector<std::int16_t>& s) {
  std::string out;
  for (auto v : s) {
    out.push_back(static_cast<char>(static_cast<std::uint16_t>(v) & 0xff));
    out.push_back(static_cast<char>(static_cast<std::uint16_t>(v) >> 8));
  }
  return out;
}

TEST_F(AudioTest, TtsStreamsPcmAcrossOddChunkBoundaries) {
  std::vector<std::int16_t> audio(4801);
  for (std::size_t i = 0; i < audio.size(); ++i) audio[i] = static_cast<std::int16_t>(static_cast<int>(i * 37 % 65536) - 32768);
  const std::string bytes = pcm_bytes(audio);
  MockHttpServer server([&](const MockRequest&) {
    MockResponse r(200);
    r.header("Content-Type", "audio/pcm");
    std::size_t pos = 0;
    for (std::size_t n : {1u, 3u, 1000u, 7u, 2u}) {
      r.body(bytes.substr(pos, n)).pause_ms(5);
      pos += n;
    }
    r.body(bytes.substr(pos));
    return r;
  });
  auto tts = registry_.make_tts(ctx_, config(server, "gpt-4o-mini-tts"));
  ASSERT_TRUE(tts.ok()) << tts.error().to_string();
  TtsRecorder rec;
  std::unique_ptr<TtsStream> stream;
  on_strand([&] {
    stream = std::move((*tts)->open(session_, {.voice = "coral"}, rec).value());
    EXPECT_EQ(stream->output_format(), AudioFormat::pcm16(24000));
    ASSERT_TRUE(stream->send_text("Hello ").ok());
    ASSERT_TRUE(stream->send_text("there.").ok());
    ASSERT_TRUE(stream->flush().ok());
  });
  ASSERT_TRUE(rec.wait([&] { return rec.done == 1 || !rec.errors.empty(); }));
  ASSERT_TRUE(rec.errors.empty()) << rec.errors[0].to_string();
  EXPECT_EQ(rec.samples, audio);
  EXPECT_GE(rec.frames, 3);
  auto body = Json::parse(server.received()[0].body).value();
  EXPECT_EQ(server.received()[0].target, "/v1/audio/speech");
  EXPECT_EQ(body.find("input")->as_string(), "Hello there.");
  EXPECT_EQ(body.find("voice")->as_string(), "coral");
  EXPECT_EQ(body.find("response_format")->as_string(), "pcm");
  EXPECT_EQ(body.find("model")->as_string(), "gpt-4o-mini-tts");
  on_strand([&] { stream.reset(); });
}

TEST_F(AudioTest, TtsClearStopsAudioAtOnceAndLeaksNothing) {
  MockHttpServer server([](const MockRequest&) {
    MockResponse r(200);
    for (int i = 0; i < 100; ++i) r.body(std::string(960, '\x01')).pause_ms(10);
    return r;
  });
  auto tts = registry_.make_tts(ctx_, config(server, "tts-1"));
  ASSERT_TRUE(tts.ok());
  TtsRecorder rec;
  std::unique_ptr<TtsStream> stream;
  on_strand([&] {
    stream = std::move((*tts)->open(session_, {}, rec).value());
    rec.stream = stream.get();
    rec.clear_on_audio = true;
    (void)stream->send_text("A long answer that the caller interrupts.");
    (void)stream->flush();
  });
  ASSERT_TRUE(rec.wait([&] { return rec.cleared; }));
  std::this_thread::sleep_for(120ms);
  {
    std::lock_guard l(rec.mu);
    EXPECT_EQ(rec.frames, 1);
    EXPECT_EQ(rec.done, 0);
  }
  EXPECT_TRUE(server.wait_connections_open(0, 5s));
  auto http = HttpClient::for_runtime(*runtime_).value();
  for (int i = 0; i < 500 && http->stats().transfers_active != 0; ++i) std::this_thread::sleep_for(2ms);
  EXPECT_EQ(http->stats().easy_handles, 0);
  EXPECT_EQ(http->stats().sockets_open, 0);
  // The stream is usable for the next utterance.
  server.set_handler([](const MockRequest&) { return MockResponse(200).body(std::string(4, '\0')); });
  on_strand([&] {
    rec.clear_on_audio = false;
    (void)stream->send_text("Next.");
    (void)stream->flush();
  });
  ASSERT_TRUE(rec.wait([&] { return rec.done == 1; }));
  on_strand([&] { stream.reset(); });
}

TEST_F(AudioTest, TtsLongTextIsSplitBelowTheInputLimitAndDoneOnce) {
  MockHttpServer server([](const MockRequest& r) {
    auto body = Json::parse(r.body).value();
    const auto n = body.find("input")->as_string().size();
    return MockResponse(200).body(n <= 4096 ? std::string(2, '\0') : std::string());
  });
  auto tts = registry_.make_tts(ctx_, config(server, "tts-1"));
  ASSERT_TRUE(tts.ok());
  TtsRecorder rec;
  std::unique_ptr<TtsStream> stream;
  std::string text;
  while (text.size() < 9000) text += "word ";
  on_strand([&] {
    stream = std::move((*tts)->open(session_, {}, rec).value());
    (void)stream->send_text(text);
    (void)stream->flush();
  });
  ASSERT_TRUE(rec.wait([&] { return rec.done == 1; }));
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(rec.samples.size(), 3u);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(rec.done, 1);
  on_strand([&] { stream.reset(); });
}

TEST_F(AudioTest, TtsErrorsNameTheVendor) {
  MockHttpServer server([](const MockRequest&) { return MockResponse::json(404, R"({"error":{"message":"The model `tts-9` does not exist","type":"invalid_request_error","code":"model_not_found"}})"); });
  auto tts = registry_.make_tts(ctx_, config(server, "tts-9"));
  ASSERT_TRUE(tts.ok());
  TtsRecorder rec;
  std::unique_ptr<TtsStream> stream;
  on_strand([&] {
    stream = std::move((*tts)->open(session_, {}, rec).value());
    (void)stream->send_text("Hi");
    (void)stream->flush();
  });
  ASSERT_TRUE(rec.wait([&] { return !rec.errors.empty(); }));
  EXPECT_EQ(rec.errors[0].vendor_code(), "model_not_found");
  EXPECT_EQ(rec.errors[0].code(), errc::provider_failed);
  EXPECT_NE(rec.errors[0].message().find("tts"), std::string::npos);
  on_strand([&] {
    EXPECT_EQ(stream->send_text("more").error().code(), errc::closed);  // an error closes the stream
    stream.reset();
  });
}

}  // namespace
}  // namespace loqui
