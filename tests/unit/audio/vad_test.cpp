// SPDX-License-Identifier: Apache-2.0
// Voice detectors (make_voice_detector), checked scoring, and VadFilter timing
// under virtual time. Speech here is synthetic and deterministic
// (testing::speechlike); bench/vad measures real espeak-ng speech in noise.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "loqui/audio/vad.hpp"
#include "loqui/runtime/runtime.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;

std::vector<std::int16_t> voiced(int rate, double seconds) { return testing::speechlike(rate, seconds); }

/// White noise of the given RMS (uniform: amplitude = rms * sqrt(3)).
std::vector<std::int16_t> white(int rate, double seconds, double rms, unsigned seed = 7) {
  return testing::noise(static_cast<std::size_t>(seconds * rate), rms * std::sqrt(3.0), seed);
}

std::vector<std::int16_t> concat(std::initializer_list<std::vector<std::int16_t>> parts) {
  std::vector<std::int16_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void add(std::vector<std::int16_t>& a, const std::vector<std::int16_t>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    a[i] = static_cast<std::int16_t>(std::clamp(a[i] + b[i], -32768, 32767));
}

/// Per-10 ms probabilities of `pcm`.
std::vector<float> score_all(VoiceDetector& det, const std::vector<std::int16_t>& pcm) {
  std::vector<float> p;
  const std::size_t n = det.frame_samples();
  for (std::size_t i = 0; i + n <= pcm.size(); i += n) p.push_back(det.process({pcm.data() + i, n}));
  return p;
}

float mean(const std::vector<float>& p, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += p[i];
  return static_cast<float>(s / static_cast<double>(to - from));
}

class Detectors : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

TEST_P(Detectors, HighOnSpeechLowOnSilenceAndSteadyNoise) {
  const auto [name, rate] = GetParam();
  auto det = make_voice_detector(name, rate);
  ASSERT_TRUE(det) << det.error().message();
  EXPECT_EQ((*det)->name(), std::string_view(name));
  EXPECT_EQ((*det)->format(), AudioFormat::pcm16(rate));
  EXPECT_EQ((*det)->frame_samples(), static_cast<std::size_t>(rate / 100));

  // 1 s of low noise (-50 dBFS), 2 s of speech over it, 1 s of noise again.
  auto pcm = concat({std::vector<std::int16_t>(static_cast<std::size_t>(rate), 0), voiced(rate, 2.0),
                     std::vector<std::int16_t>(static_cast<std::size_t>(rate), 0)});
  add(pcm, white(rate, 4.0, 100.0));
  const auto p = score_all(**det, pcm);
  ASSERT_EQ(p.size(), 400u);
  EXPECT_LT(mean(p, 30, 100), 0.2f) << name << " @" << rate << " noise before speech";
  EXPECT_GT(mean(p, 110, 290), 0.8f) << name << " @" << rate << " speech";
  EXPECT_LT(mean(p, 330, 400), 0.2f) << name << " @" << rate << " noise after speech";
  for (float v : p) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
  }

  // Digital silence and steady white noise at -30 dBFS are not speech.
  (*det)->reset();
  const auto silence = score_all(**det, std::vector<std::int16_t>(static_cast<std::size_t>(rate), 0));
  EXPECT_LT(mean(silence, 0, silence.size()), 0.1f);
  (*det)->reset();
  const auto noise = score_all(**det, white(rate, 3.0, 1000.0, 11));
  EXPECT_LT(mean(noise, 50, noise.size()), 0.2f) << name << " @" << rate << " steady noise";
}

INSTANTIATE_TEST_SUITE_P(Vad, Detectors,
                         ::testing::Combine(::testing::Values("loqui", "energy"), ::testing::Values(8000, 16000)));

TEST(VoiceDetectorFactory, DefaultIsLoquiAndBadNamesAndRatesAreClearErrors) {
  ASSERT_GE(voice_detector_names().size(), 2u);
  EXPECT_EQ(voice_detector_names()[0], "loqui");
  auto def = make_voice_detector("", 16000);
  ASSERT_TRUE(def);
  EXPECT_EQ((*def)->name(), "loqui");

  auto unknown = make_voice_detector("silero", 16000);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), make_error_code(errc::not_found));
  EXPECT_NE(unknown.error().message().find("unknown voice detector 'silero' (valid: loqui, energy)"),
            std::string::npos)
      << unknown.error().message();

  auto rate = make_voice_detector("loqui", 44100);
  ASSERT_FALSE(rate);
  EXPECT_EQ(rate.error().code(), make_error_code(errc::invalid_argument));
  EXPECT_NE(rate.error().message().find("44100 Hz is not supported (8000 or 16000)"), std::string::npos);
}

TEST(VoiceDetectorScore, WrongFrameSizeAndNonFiniteSamplesAreClearErrors) {
  auto det = make_voice_detector("loqui", 16000).value();
  std::vector<std::int16_t> short_frame(100, 0);
  auto r = det->score(short_frame);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("a frame must be 160 samples (10 ms at 16000 Hz), got 100"), std::string::npos)
      << r.error().message();

  std::vector<float> f(160, 0.01f);
  f[3] = std::nanf("");
  auto nan = det->score(std::span<const float>(f));
  ASSERT_FALSE(nan);
  EXPECT_NE(nan.error().message().find("sample 3 is NaN"), std::string::npos) << nan.error().message();
  f[3] = 0.0f;
  f[9] = -std::numeric_limits<float>::infinity();
  auto inf = det->score(std::span<const float>(f));
  ASSERT_FALSE(inf);
  EXPECT_NE(inf.error().message().find("sample 9 is infinite"), std::string::npos);
  f[9] = 0.0f;
  auto ok = det->score(std::span<const float>(f));
  ASSERT_TRUE(ok);
  EXPECT_GE(*ok, 0.0f);
  EXPECT_LE(*ok, 1.0f);
  auto ok16 = det->score(std::vector<std::int16_t>(160, 0));
  EXPECT_TRUE(ok16);
}

struct Recorder : VadObserver {
  std::shared_ptr<Strand> strand;
  std::vector<VadFrame> frames;
  std::vector<std::pair<VadEvent, TimePoint>> events;
  void on_vad_frame(const VadFrame& f) override { frames.push_back(f); }
  void on_vad_event(const VadEvent& e) override { events.emplace_back(e, strand ? strand->now() : TimePoint{}); }
};

struct Counting {
  std::size_t frames = 0;
  Flow push(const AudioFrame&) {
    ++frames;
    return Flow::ok;
  }
};

// Frames arrive in real time on a strand (20 ms packets, virtual clock); the
// segmenter's decisions land start_ms after the speech onset and stop_ms after its
// end, both in media time and on the clock.
TEST(VadFilter, HysteresisTimingUnderVirtualTime) {
  for (const char* name : {"loqui", "energy"}) {
    constexpr int kRate = 16000;
    auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
    auto strand = rt->make_strand("vad");
    const VadConfig cfg{.start_ms = 60, .start_window_ms = 100, .stop_ms = 300};
    auto filter = VadFilter::create(make_voice_detector(name, kRate).value(), cfg).value();
    Recorder rec;
    rec.strand = strand;
    filter.set_observer(&rec);
    Counting next;

    // 1 s noise, 1.5 s speech, 1 s noise.
    auto pcm = concat({std::vector<std::int16_t>(kRate, 0), voiced(kRate, 1.5), std::vector<std::int16_t>(kRate, 0)});
    add(pcm, white(kRate, 3.5, 60.0));
    const TimePoint t0 = strand->now();
    constexpr std::size_t kPacket = 320;  // 20 ms
    for (std::size_t off = 0; off + kPacket <= pcm.size(); off += kPacket) {
      // Each packet is handed over when its last sample has been captured.
      const auto at = t0 + std::chrono::milliseconds((off + kPacket) / 16);
      ASSERT_TRUE(strand->call_at(at, [&, off] {
        auto frame = AudioFrame::view(AudioFormat::pcm16(kRate), {pcm.data() + off, kPacket},
                                      static_cast<std::int64_t>(off));
        ASSERT_EQ(filter.push(frame, next), Flow::ok);
      }));
    }
    ASSERT_TRUE(rt->advance_by(4s));
    EXPECT_EQ(next.frames, pcm.size() / kPacket) << "frames pass through";
    EXPECT_EQ(rec.frames.size(), 350u);
    ASSERT_EQ(rec.events.size(), 2u) << name;
    const auto& [start, start_clock] = rec.events[0];
    const auto& [stop, stop_clock] = rec.events[1];
    EXPECT_EQ(start.kind, VadEvent::Kind::speech_started);
    EXPECT_EQ(stop.kind, VadEvent::Kind::speech_stopped);
    // Onset within 40 ms of the true onset (1000 ms); decided start_ms later.
    EXPECT_GE(start.at, 970ms) << name;
    EXPECT_LE(start.at, 1040ms) << name;
    EXPECT_EQ(start.decided_at - start.at, 60ms) << name;
    // The decision is seen on the clock at the end of the packet holding the frame.
    EXPECT_GE(start_clock - t0, start.decided_at);
    EXPECT_LE(start_clock - t0, start.decided_at + 20ms);
    // Speech ends at 2500 ms; stop is decided 300 ms (the hangover) after the last speech frame.
    EXPECT_GE(stop.at, 2420ms) << name;
    EXPECT_LE(stop.at, 2560ms) << name;
    EXPECT_EQ(stop.decided_at - stop.at, 300ms) << name;
    EXPECT_GE(stop_clock - t0, stop.decided_at);
    EXPECT_LE(stop_clock - t0, stop.decided_at + 20ms);
  }
}

TEST(VadFilter, AnyFrameLengthGapsAndDiscontinuities) {
  auto filter = VadFilter::create(make_voice_detector("energy", 8000).value()).value();
  Recorder rec;
  filter.set_observer(&rec);
  Counting next;
  std::vector<std::int16_t> pcm(8000, 0);
  // 7 ms pieces (56 samples): 10 ms frames are cut across piece boundaries.
  std::int64_t ts = 0;
  for (std::size_t off = 0; off + 56 <= pcm.size(); off += 56, ts += 56)
    ASSERT_EQ(filter.push(AudioFrame::view(AudioFormat::pcm16(8000), {pcm.data() + off, 56}, ts), next), Flow::ok);
  EXPECT_EQ(rec.frames.size(), static_cast<std::size_t>(ts / 80));
  for (std::size_t i = 0; i < rec.frames.size(); ++i)
    ASSERT_EQ(rec.frames[i].start, std::chrono::milliseconds(10 * i)) << i;

  // A gap frame (network loss) is not scored and counts as non-speech.
  rec.frames.clear();
  auto gap = AudioFrame::view(AudioFormat::pcm16(8000), {pcm.data(), 160}, 100000);
  gap.add_flags(kFrameGap);
  ASSERT_EQ(filter.push(gap, next), Flow::ok);
  ASSERT_EQ(rec.frames.size(), 2u);
  EXPECT_TRUE(rec.frames[0].gap);
  EXPECT_EQ(rec.frames[0].start, 12500ms);
  EXPECT_EQ(rec.frames[1].start, 12510ms);
  EXPECT_EQ(rec.frames[0].probability, 0.0f);

  // A timestamp jump restarts the grid at the new timestamp.
  rec.frames.clear();
  ASSERT_EQ(filter.push(AudioFrame::view(AudioFormat::pcm16(8000), {pcm.data(), 80}, 200000), next), Flow::ok);
  ASSERT_EQ(rec.frames.size(), 1u);
  EXPECT_EQ(rec.frames[0].start, 25000ms);
}

TEST(VadFilter, FlushAndDiscontinuityRestartCleanly) {
  constexpr int kRate = 16000;
  auto filter = VadFilter::create(make_voice_detector("loqui", kRate).value(),
                                  VadConfig{.start_ms = 60, .stop_ms = 300})
                    .value();
  Recorder rec;
  filter.set_observer(&rec);
  Counting next;
  auto pcm = concat({std::vector<std::int16_t>(kRate, 0), voiced(kRate, 1.0)});
  add(pcm, white(kRate, 2.0, 60.0));
  for (std::size_t off = 0; off + 320 <= pcm.size(); off += 320)
    ASSERT_EQ(filter.push(AudioFrame::view(AudioFormat::pcm16(kRate), {pcm.data() + off, 320},
                                           static_cast<std::int64_t>(off)),
                          next),
              Flow::ok);
  ASSERT_TRUE(filter.speaking());
  ASSERT_EQ(rec.events.size(), 1u);
  // Barge-in: flush drops the speech state without an event; a 7-sample remainder
  // in flight is dropped too.
  ASSERT_EQ(filter.push(AudioFrame::view(AudioFormat::pcm16(kRate), {pcm.data(), 7}, 32000), next), Flow::ok);
  filter.flush();
  EXPECT_FALSE(filter.speaking());
  EXPECT_EQ(filter.last_probability(), 0.0f);
  // A discontinuous frame restarts the 10 ms grid at its own timestamp.
  rec.frames.clear();
  auto frame = AudioFrame::view(AudioFormat::pcm16(kRate), {pcm.data(), 320}, 123456);
  frame.add_flags(kFrameDiscontinuity);
  ASSERT_EQ(filter.push(frame, next), Flow::ok);
  ASSERT_EQ(rec.frames.size(), 2u);
  EXPECT_EQ(rec.frames[0].start, AudioFormat::pcm16(kRate).duration_of(123456));
  EXPECT_EQ(rec.events.size(), 1u) << "no stop event from a flush";
}

TEST(VadFilter, WrongFormatAndNullDetectorAreClearErrors) {
  auto null = VadFilter::create(nullptr);
  ASSERT_FALSE(null);
  EXPECT_NE(null.error().message().find("detector is null"), std::string::npos);

  auto filter = VadFilter::create(make_voice_detector("loqui", 16000).value()).value();
  Counting next;
  std::vector<std::int16_t> pcm(80, 0);
  EXPECT_EQ(filter.push(AudioFrame::view(AudioFormat::pcm16(8000), pcm), next), Flow::error);
  ASSERT_NE(filter.last_error(), nullptr);
  EXPECT_NE(filter.last_error()->message().find("vad"), std::string::npos) << filter.last_error()->message();
  EXPECT_NE(filter.last_error()->message().find("8000"), std::string::npos) << filter.last_error()->message();
  EXPECT_EQ(next.frames, 0u);
  static_assert(Filter<VadFilter>);
}

}  // namespace
}  // namespace loqui
