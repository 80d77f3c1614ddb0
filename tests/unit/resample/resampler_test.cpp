// SPDX-License-Identifier: Apache-2.0
// File: resampler quality and contract tests, for both backends: round-trip SNR of
// the telephony pairs, aliasing of a stopband sweep, flat passband, exact output
// length after finish(), reported latency bounding the held-back audio, chunking
// independence, multi-channel, the Filter and the "resample" run-time stage.
#include <gtest/gtest.h>

#include <random>

#include "loqui/audio/resampler.hpp"
#include "loqui/audio/stages.hpp"
#include "loqui/pipeline/chain.hpp"
#include "support/dsp_signals.hpp"
#include "support/test_stages.hpp"

namespace loqui {
namespace {

using testing::multitone;
using testing::snr_db;

/// Streams `in` through a fresh resampler in `frame` sized pieces and finishes.
std::vector<std::int16_t> run(const ResamplerConfig& c, std::span<const std::int16_t> in, std::size_t frame = 0) {
  auto rs = Resampler::create(c);
  EXPECT_TRUE(rs.ok()) << (rs.ok() ? "" : rs.error().to_string());
  if (!rs.ok()) return {};
  const auto ch = static_cast<std::size_t>(c.channels);
  if (frame == 0) frame = static_cast<std::size_t>(c.input_rate_hz / 50);
  std::vector<std::int16_t> out;
  std::vector<std::int16_t> buf(rs->max_output_samples(frame) * ch);
  for (std::size_t i = 0; i < in.size(); i += frame * ch) {
    const std::size_t n = std::min(frame * ch, in.size() - i);
    auto got = rs->process(in.subspan(i, n), buf);
    EXPECT_TRUE(got.ok());
    if (!got.ok()) return {};
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*got * ch));
  }
  while (true) {
    auto got = rs->finish(buf);
    EXPECT_TRUE(got.ok());
    if (!got.ok() || *got == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*got * ch));
  }
  return out;
}

struct Case {
  ResamplerBackend backend;
  ResamplerQuality quality;
};
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(to_string(info.param.backend)) + "_" + std::string(to_string(info.param.quality));
}

class ResamplerQualityTest : public ::testing::TestWithParam<Case> {
 protected:
  ResamplerConfig config(int in, int out) const {
    ResamplerConfig c;
    c.input_rate_hz = in;
    c.output_rate_hz = out;
    c.backend = GetParam().backend;
    c.quality = GetParam().quality;
    return c;
  }
  /// Highest frequency, as a fraction of the lower Nyquist, the preset keeps flat.
  double passband() const { return GetParam().quality == ResamplerQuality::quick ? 0.70 : 0.85; }
  /// Minimum round-trip SNR for content within passband().
  double min_snr_db() const { return GetParam().quality == ResamplerQuality::quick ? 40.0 : 55.0; }
  /// Where the stopband starts (fraction of the output Nyquist) and the required
  /// attenuation of a sweep across it.
  double stopband() const {
    switch (GetParam().quality) {
      case ResamplerQuality::quick: return GetParam().backend == ResamplerBackend::soxr ? 1.25 : 1.15;
      case ResamplerQuality::medium: return 1.12;
      case ResamplerQuality::high: return 1.03;
    }
    return 1.1;
  }
  double max_alias_db() const { return GetParam().quality == ResamplerQuality::quick ? -80.0 : -90.0; }
  void SetUp() override {
    if (!resampler_backend_available(GetParam().backend)) GTEST_SKIP() << "backend not built";
  }
};

// Round trips through the telephony pairs (and a few more) are transparent: the
// signal comes back sample-aligned, the same length, at high SNR.
TEST_P(ResamplerQualityTest, RoundTripIsTransparent) {
  const int pairs[][2] = {{8000, 16000}, {16000, 8000}, {24000, 8000}, {48000, 16000},
                          {16000, 24000}, {44100, 48000}, {22050, 16000}, {32000, 8000}};
  for (const auto& p : pairs) {
    const int lo = std::min(p[0], p[1]);
    const std::size_t n = static_cast<std::size_t>(p[0]);  // 1 s
    const auto x = multitone(passband() * lo / 2, 10, p[0], n);
    const auto y = run(config(p[0], p[1]), x);
    const auto z = run(config(p[1], p[0]), y);
    const auto expected_mid = static_cast<std::size_t>(std::llround(static_cast<double>(n) * p[1] / p[0]));
    EXPECT_NEAR(static_cast<double>(y.size()), static_cast<double>(expected_mid), 1.0) << p[0] << "->" << p[1];
    EXPECT_NEAR(static_cast<double>(z.size()), static_cast<double>(n), 1.0) << p[0] << "<->" << p[1];
    // Skip 20 ms at each end: the filters see silence outside the signal there.
    const std::size_t skip = static_cast<std::size_t>(p[0] / 50);
    const double snr = snr_db(x, z, skip, n - skip);
    EXPECT_GT(snr, min_snr_db()) << p[0] << "<->" << p[1] << " " << to_string(GetParam().backend) << "/"
                                 << to_string(GetParam().quality);
  }
}

// A sweep across the stopband of a downsampler must not fold back into the band.
TEST_P(ResamplerQualityTest, SweepAboveNyquistIsRejected) {
  const int pairs[][2] = {{16000, 8000}, {24000, 8000}, {48000, 16000}, {44100, 16000}};
  for (const auto& p : pairs) {
    const double nyq_out = p[1] / 2.0;
    const double f0 = stopband() * nyq_out;
    const double f1 = 0.97 * p[0] / 2.0;
    const auto x = testing::sweep(f0, f1, p[0], static_cast<std::size_t>(p[0]));
    const auto y = run(config(p[0], p[1]), x);
    const double db = testing::level_change_db(x, y, static_cast<std::size_t>(p[0] / 20), static_cast<std::size_t>(p[1] / 20));
    EXPECT_LT(db, max_alias_db()) << p[0] << "->" << p[1] << " sweep " << f0 << ".." << f1 << " Hz";
  }
}

// A sweep within the passband keeps its level.
TEST_P(ResamplerQualityTest, PassbandSweepKeepsItsLevel) {
  const int pairs[][2] = {{16000, 8000}, {8000, 16000}, {24000, 8000}, {48000, 16000}};
  for (const auto& p : pairs) {
    const double nyq = std::min(p[0], p[1]) / 2.0;
    const auto x = testing::sweep(0.05 * nyq, passband() * nyq, p[0], static_cast<std::size_t>(p[0]));
    const auto y = run(config(p[0], p[1]), x);
    const double db = testing::level_change_db(x, y, static_cast<std::size_t>(p[0] / 20), static_cast<std::size_t>(p[1] / 20));
    EXPECT_NEAR(db, 0.0, 0.1) << p[0] << "->" << p[1];
  }
}

// The reported latency bounds what the converter holds back while streaming.
TEST_P(ResamplerQualityTest, ReportedLatencyBoundsTheHeldBackAudio) {
  const int pairs[][2] = {{8000, 16000}, {16000, 8000}, {24000, 8000}, {48000, 16000}};
  for (const auto& p : pairs) {
    auto rs = Resampler::create(config(p[0], p[1]));
    ASSERT_TRUE(rs.ok());
    const std::size_t lat = rs->latency_samples();
    EXPECT_GT(lat, 0u);
    EXPECT_EQ(rs->latency(), AudioFormat::pcm16(p[1]).duration_of(static_cast<std::int64_t>(lat)));
    // Lag of a streaming call: at most 60 ms for any preset, far below soxr's
    // default 40-100 ms blocks for the medium preset.
    EXPECT_LT(rs->latency(), std::chrono::milliseconds(GetParam().quality == ResamplerQuality::high ? 60 : 30))
        << p[0] << "->" << p[1];
    const std::size_t frame = static_cast<std::size_t>(p[0] / 50);
    const auto x = testing::noise(static_cast<std::size_t>(p[0]), 4000, 3);
    std::vector<std::int16_t> buf(rs->max_output_samples(frame));
    double worst = 0;
    for (std::size_t i = 0; i + frame <= x.size(); i += frame) {
      ASSERT_TRUE(rs->process(std::span(x).subspan(i, frame), buf).ok());
      worst = std::max(worst, static_cast<double>(rs->input_samples()) * rs->ratio() -
                                  static_cast<double>(rs->output_samples()));
    }
    EXPECT_LE(worst, static_cast<double>(lat) + 1.0) << p[0] << "->" << p[1];
    EXPECT_GT(worst, static_cast<double>(lat) * 0.5) << "latency over-reported for " << p[0] << "->" << p[1];
  }
}

// How the stream is cut into frames does not change the output.
TEST_P(ResamplerQualityTest, OutputDoesNotDependOnFrameSizes) {
  const auto x = multitone(3000, 7, 16000, 16000);
  const auto c = config(16000, 8000);
  const auto a = run(c, x, 320);
  // Irregular pieces, 1..700 samples.
  auto rs = Resampler::create(c);
  ASSERT_TRUE(rs.ok());
  std::mt19937 rng(5);
  std::uniform_int_distribution<std::size_t> len(1, 700);
  std::vector<std::int16_t> b;
  std::vector<std::int16_t> buf(rs->max_output_samples(700));
  for (std::size_t i = 0; i < x.size();) {
    const std::size_t n = std::min(len(rng), x.size() - i);
    auto got = rs->process(std::span(x).subspan(i, n), buf);
    ASSERT_TRUE(got.ok());
    b.insert(b.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*got));
    i += n;
  }
  for (auto got = rs->finish(buf); got.ok() && *got > 0; got = rs->finish(buf))
    b.insert(b.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*got));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_GT(snr_db(a, b, 0, a.size()), 90.0);
}

INSTANTIATE_TEST_SUITE_P(Presets, ResamplerQualityTest,
                         ::testing::Values(Case{ResamplerBackend::soxr, ResamplerQuality::quick},
                                           Case{ResamplerBackend::soxr, ResamplerQuality::medium},
                                           Case{ResamplerBackend::soxr, ResamplerQuality::high},
                                           Case{ResamplerBackend::samplerate, ResamplerQuality::quick},
                                           Case{ResamplerBackend::samplerate, ResamplerQuality::medium},
                                           Case{ResamplerBackend::samplerate, ResamplerQuality::high}),
                         case_name);

// --- contracts ------------------------------------------------------------------------

TEST(Resampler, ValidatesItsConfiguration) {
  auto bad_rate = Resampler::create({.input_rate_hz = 11025, .output_rate_hz = 8000});
  ASSERT_FALSE(bad_rate.ok());
  EXPECT_EQ(bad_rate.error().code(), errc::invalid_argument);
  EXPECT_NE(bad_rate.error().message().find("input_rate_hz 11025"), std::string::npos);
  auto bad_ch = Resampler::create({.input_rate_hz = 8000, .output_rate_hz = 16000, .channels = 0});
  ASSERT_FALSE(bad_ch.ok());
  EXPECT_NE(bad_ch.error().message().find("channels"), std::string::npos);
  EXPECT_EQ(parse_resampler_backend("libsamplerate"), ResamplerBackend::samplerate);
  EXPECT_EQ(parse_resampler_quality("best"), ResamplerQuality::high);
  EXPECT_FALSE(parse_resampler_quality("ultra").has_value());
}

TEST(Resampler, EqualRatesCopyThrough) {
  auto rs = Resampler::create({.input_rate_hz = 16000, .output_rate_hz = 16000});
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(rs->latency_samples(), 0u);
  const auto x = testing::noise(320);
  std::vector<std::int16_t> out(320);
  auto n = rs->process(x, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 320u);
  EXPECT_EQ(out, x);
  EXPECT_EQ(*rs->finish(out), 0u);
}

TEST(Resampler, TooSmallOutputIsAnErrorAndConsumesNothing) {
  auto rs = Resampler::create({.input_rate_hz = 8000, .output_rate_hz = 16000});
  ASSERT_TRUE(rs.ok());
  const auto x = testing::noise(160);
  std::vector<std::int16_t> small(320);  // 2x the input, but not the burst allowance
  auto r = rs->process(x, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::overflow);
  EXPECT_EQ(rs->input_samples(), 0);
  auto stereo = Resampler::create({.input_rate_hz = 8000, .output_rate_hz = 16000, .channels = 2});
  ASSERT_TRUE(stereo.ok());
  std::vector<std::int16_t> three = {1, 2, 3};
  std::vector<std::int16_t> big(stereo->max_output_samples(2) * 2);
  auto e = stereo->process(three, big);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), errc::invalid_argument);
}

TEST(Resampler, ChannelsStaySeparate) {
  for (auto backend : {ResamplerBackend::soxr, ResamplerBackend::samplerate}) {
    if (!resampler_backend_available(backend)) continue;
    const auto left = testing::sine(500, 16000, 16000, 8000);
    const auto right = testing::sine(1700, 16000, 16000, 8000);
    std::vector<std::int16_t> stereo;
    for (std::size_t i = 0; i < left.size(); ++i) {
      stereo.push_back(left[i]);
      stereo.push_back(right[i]);
    }
    ResamplerConfig c{.input_rate_hz = 16000, .output_rate_hz = 8000, .channels = 2, .backend = backend};
    const auto out = run(c, stereo);
    ResamplerConfig mono = c;
    mono.channels = 1;
    const auto l8 = run(mono, left);
    const auto r8 = run(mono, right);
    ASSERT_EQ(out.size(), 2 * l8.size());
    std::vector<std::int16_t> ol, orr;
    for (std::size_t i = 0; i < out.size(); i += 2) {
      ol.push_back(out[i]);
      orr.push_back(out[i + 1]);
    }
    EXPECT_GT(snr_db(l8, ol, 0, l8.size()), 80.0) << to_string(backend);
    EXPECT_GT(snr_db(r8, orr, 0, r8.size()), 80.0) << to_string(backend);
  }
}

TEST(Resampler, ResetDropsHeldAudioAndStartsAfresh) {
  const auto x = multitone(3000, 5, 8000, 8000);
  const ResamplerConfig c{.input_rate_hz = 8000, .output_rate_hz = 16000};
  const auto fresh = run(c, x);
  auto rs = Resampler::create(c);
  ASSERT_TRUE(rs.ok());
  std::vector<std::int16_t> buf(rs->max_output_samples(8000));
  const auto junk = testing::noise(4000, 20000, 9);
  ASSERT_TRUE(rs->process(junk, buf).ok());
  rs->reset();
  EXPECT_EQ(rs->input_samples(), 0);
  std::vector<std::int16_t> again;
  for (std::size_t i = 0; i < x.size(); i += 160) {
    auto n = rs->process(std::span(x).subspan(i, 160), buf);
    ASSERT_TRUE(n.ok());
    again.insert(again.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  for (auto n = rs->finish(buf); n.ok() && *n > 0; n = rs->finish(buf))
    again.insert(again.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  ASSERT_EQ(again.size(), fresh.size());
  EXPECT_GT(snr_db(fresh, again, 0, fresh.size()), 90.0);
}

// --- ResampleFilter and the run-time stage ---------------------------------------------

TEST(ResampleFilter, InAChainEmitsContiguousTimestampsAndTheTail) {
  auto f = ResampleFilter::create({.input_rate_hz = 24000, .output_rate_hz = 8000});
  ASSERT_TRUE(f.ok());
  auto chain = make_chain(std::move(*f), testing::Collector(8000));
  ASSERT_TRUE(chain.ok()) << chain.error().to_string();
  const auto x = multitone(3000, 6, 24000, 24000);
  for (std::size_t i = 0; i < x.size(); i += 480) {
    AudioFrame fr = AudioFrame::view(AudioFormat::pcm16(24000), std::span(x).subspan(i, 480),
                                     static_cast<std::int64_t>(i));
    fr.set_flags(i == 4800 ? kFrameConcealed : kFrameNone);
    ASSERT_EQ(chain->push(fr), Flow::ok);
  }
  ASSERT_EQ(chain->finish(), Flow::ok);
  auto& col = chain->get<1>();
  std::size_t total = 0;
  for (std::size_t k = 0; k < col.frames.size(); ++k) {
    EXPECT_EQ(col.timestamps[k], static_cast<std::int64_t>(total));
    total += col.frames[k].size();
  }
  EXPECT_EQ(total, 8000u);  // the whole second, tail included
  // Wrong format: a clear error.
  const std::int16_t s[160] = {};
  EXPECT_EQ(chain->push(AudioFrame::view(AudioFormat::pcm16(16000), s)), Flow::error);
  ASSERT_NE(chain->last_error(), nullptr);
  EXPECT_EQ(chain->last_error()->code(), errc::format_mismatch);
}

TEST(ResampleFilter, DiscontinuityDrainsThePreviousStream) {
  auto f = ResampleFilter::create({.input_rate_hz = 8000, .output_rate_hz = 16000});
  ASSERT_TRUE(f.ok());
  testing::Collector col(16000);
  const auto x = testing::sine(400, 8000, 1600);
  for (std::size_t i = 0; i < x.size(); i += 160)
    ASSERT_EQ(f->push(AudioFrame::view(AudioFormat::pcm16(8000), std::span(x).subspan(i, 160)), col), Flow::ok);
  std::size_t before = 0;
  for (const auto& fr : col.frames) before += fr.size();
  EXPECT_LT(before, 3200u);  // some output is still held back
  AudioFrame next = AudioFrame::view(AudioFormat::pcm16(8000), std::span(x).first(160), 100000);
  next.set_flags(kFrameDiscontinuity);
  ASSERT_EQ(f->push(next, col), Flow::ok);
  std::size_t total = 0;
  std::size_t k = 0;
  for (; k < col.frames.size() && total < 3200; ++k) total += col.frames[k].size();
  EXPECT_EQ(total, 3200u) << "the first stream's tail was not drained before the new one";
  if (k < col.frames.size()) {
    EXPECT_EQ(col.timestamps[k], 200000);  // the new stream's clock
  }
}

TEST(ResampleStage, BuildsFromJsonAndReportsBadOptions) {
  StageRegistry reg;
  register_core_stages(reg);
  register_audio_stages(reg);
  auto spec = Json::parse(R"([{"stage":"resample","rate":8000,"quality":"high","backend":"samplerate"}])");
  ASSERT_TRUE(spec.ok());
  auto p = reg.build(*spec, AudioFormat::pcm16(24000), "audio.out");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->output_format(), AudioFormat::pcm16(8000));

  auto missing = reg.build(*Json::parse(R"([{"stage":"resample"}])"), AudioFormat::pcm16(24000), "audio.out");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("audio.out[0].rate"), std::string::npos) << missing.error().message();

  auto bad = reg.build(*Json::parse(R"([{"stage":"resample","rate":11025}])"), AudioFormat::pcm16(24000), "a");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("11025"), std::string::npos) << bad.error().message();

  auto typo = reg.build(*Json::parse(R"([{"stage":"resample","rate":8000,"qualty":"high"}])"),
                        AudioFormat::pcm16(24000), "a");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code(), errc::invalid_config);

  auto not_pcm = reg.build(*Json::parse(R"([{"stage":"resample","rate":16000}])"), AudioFormat::mulaw8k(), "a");
  ASSERT_FALSE(not_pcm.ok());
  EXPECT_EQ(not_pcm.error().code(), errc::format_mismatch);
}

}  // namespace
}  // namespace loqui
