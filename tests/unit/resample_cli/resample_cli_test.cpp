// SPDX-License-Identifier: Apache-2.0
// File: `loqui resample` end to end: output content and length, exit codes 0/1/2,
// one-line errors, and no partial output file after a failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "loqui/audio/file.hpp"
#include "loqui/audio/resampler.hpp"
#include "support/cli_runner.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

class ResampleCli : public testing::CliTest {
 protected:
  /// Runs `loqui resample <args>`; returns the exit status, stderr in `err`.
  int run(const std::string& args, std::string* err = nullptr) {
    const testing::CliResult r = CliTest::run("resample " + args);
    if (err) *err = r.err;
    return r.status;
  }
};

TEST_F(ResampleCli, ResamplesAFileLikeTheLibrary) {
  const auto x = testing::multitone(6000, 9, 16000, 16000);
  ASSERT_TRUE(write_audio_file(p("in.wav"), AudioFormat::pcm16(16000), x).ok());
  ASSERT_EQ(run(p("in.wav") + " --rate 8000 --out " + p("out.wav")), 0);
  auto out = read_audio_file(p("out.wav"));
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->audio.format, AudioFormat::pcm16(8000));
  EXPECT_EQ(out->audio.frames(), 8000u);
  // Same samples as the library streaming 20 ms frames.
  auto rs = Resampler::create({.input_rate_hz = 16000, .output_rate_hz = 8000});
  ASSERT_TRUE(rs.ok());
  std::vector<std::int16_t> want, buf(rs->max_output_samples(320));
  for (std::size_t i = 0; i < x.size(); i += 320) {
    const std::size_t n = *rs->process(std::span(x).subspan(i, 320), buf);
    want.insert(want.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  for (auto n = rs->finish(buf); n.ok() && *n > 0; n = rs->finish(buf))
    want.insert(want.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  EXPECT_EQ(out->audio.samples, want);

  // Raw mu-law in, FLAC out, the other backend.
  std::vector<std::byte> ulaw(8000, std::byte{0xff});
  testing::write_bytes(p("in.ulaw"), ulaw);
  ASSERT_EQ(run(p("in.ulaw") + " --in-format mulaw/8000 --rate 16000 --backend samplerate --quality quick --out " +
                p("up.flac")),
            0);
  auto up = read_audio_file(p("up.flac"));
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->audio.frames(), 16000u);
}

TEST_F(ResampleCli, UsageErrorsExitWith2) {
  ASSERT_TRUE(write_audio_file(p("in.wav"), AudioFormat::pcm16(16000), testing::noise(1600)).ok());
  std::string err;
  EXPECT_EQ(run(p("in.wav") + " --out " + p("o.wav"), &err), 2);
  EXPECT_NE(err.find("--rate HZ is required"), std::string::npos) << err;
  EXPECT_EQ(run(p("in.wav") + " --rate 11025 --out " + p("o.wav"), &err), 2);
  EXPECT_NE(err.find("11025"), std::string::npos) << err;
  EXPECT_EQ(run(p("in.wav") + " --rate 8000", &err), 2);
  EXPECT_EQ(run(p("in.wav") + " --rate 8000 --out " + p("o.wav") + " --quality ultra", &err), 2);
  EXPECT_EQ(run(p("in.wav") + " --rate 8000 --out " + p("o.wav") + " --backend ffmpeg", &err), 2);
  EXPECT_EQ(run(p("in.wav") + " --rate 8000 --out " + p("o.wav") + " --in-format mulaw", &err), 2);
  EXPECT_EQ(run("--rate 8000 --out " + p("o.wav"), &err), 2);
  EXPECT_FALSE(std::filesystem::exists(p("o.wav")));
}

TEST_F(ResampleCli, FailuresExitWith1AndLeaveNoOutput) {
  std::string err;
  EXPECT_EQ(run(p("missing.wav") + " --rate 8000 --out " + p("o.wav"), &err), 1);
  EXPECT_EQ(err, "loqui resample: " + p("missing.wav") + ": no such file\n");

  // A file cut short: detected, one line, and no o.wav (nor a temporary) left.
  const auto x = testing::noise(32000, 8000, 2);
  ASSERT_TRUE(write_audio_file(p("full.flac"), AudioFormat::pcm16(16000), x).ok());
  auto bytes = testing::read_bytes(p("full.flac"));
  bytes.resize(bytes.size() * 3 / 4);
  testing::write_bytes(p("cut.flac"), bytes);
  std::filesystem::remove(p("full.flac"));
  EXPECT_EQ(run(p("cut.flac") + " --rate 8000 --out " + p("o.wav"), &err), 1);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("cut.flac: truncated"), std::string::npos) << err;
  EXPECT_EQ(dir_.files(), std::vector<std::string>{"cut.flac"});

  // Input at a rate the resampler does not take.
  ASSERT_TRUE(write_audio_file(p("odd.wav"), AudioFormat::pcm16(11025), testing::noise(1000)).ok());
  EXPECT_EQ(run(p("odd.wav") + " --rate 8000 --out " + p("o.wav"), &err), 1);
  EXPECT_NE(err.find("input_rate_hz 11025"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(p("o.wav")));
}

}  // namespace
}  // namespace loqui
