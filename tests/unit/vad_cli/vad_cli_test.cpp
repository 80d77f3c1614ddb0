// SPDX-License-Identifier: Apache-2.0
// File: `loqui vad` end to end: the frame lines (one per 10 ms, well formed, the
// 0|1 column consistent with the probability), the speech segments, 8 kHz and
// resampled input, exit codes 0/1/2 with one-line errors, no partial --out file.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "loqui/audio/file.hpp"
#include "support/cli_runner.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

class VadCli : public testing::CliTest {
 protected:
  /// Runs `loqui vad <args>`; returns the exit status, stdout in `out`, stderr in `err`.
  int run_vad(const std::string& args, std::string* out = nullptr, std::string* err = nullptr) {
    auto r = run("vad " + args);
    if (out) *out = r.out;
    if (err) *err = r.err;
    return r.status;
  }
  static std::string slurp(const std::string& path) { return testing::read_text(path); }

  /// 1 s quiet noise, 1.5 s speech, 1 s quiet noise.
  static std::vector<std::int16_t> call(int rate) {
    std::vector<std::int16_t> x(static_cast<std::size_t>(rate), 0);
    const auto speech = testing::speechlike(rate, 1.5);
    x.insert(x.end(), speech.begin(), speech.end());
    x.resize(x.size() + static_cast<std::size_t>(rate), 0);
    const auto n = testing::noise(x.size(), 100.0, 3);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int16_t>(x[i] + n[i]);
    return x;
  }
};

struct FrameLine {
  long long start_ms;
  double probability;
  int speech;
};

std::vector<FrameLine> parse_frames(const std::string& text) {
  std::vector<FrameLine> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    FrameLine f{};
    char tail = 0;
    if (std::sscanf(line.c_str(), "%lld\t%lf\t%d%c", &f.start_ms, &f.probability, &f.speech, &tail) != 3) {
      ADD_FAILURE() << "bad frame line: '" << line << "'";
      break;
    }
    out.push_back(f);
  }
  return out;
}

TEST_F(VadCli, FramesAndSegmentsAt16kHz) {
  ASSERT_TRUE(write_audio_file(p("in.wav"), AudioFormat::pcm16(16000), call(16000)).ok());
  std::string out, err;
  // --min-volume -100: the 0|1 column is then exactly probability >= threshold.
  ASSERT_EQ(run_vad(p("in.wav") + " --min-volume -100 --out " + p("frames.tsv"), &out, &err), 0) << err;
  const auto frames = parse_frames(slurp(p("frames.tsv")));
  ASSERT_EQ(frames.size(), 350u);
  int speech = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].start_ms, static_cast<long long>(10 * i));
    EXPECT_GE(frames[i].probability, 0.0);
    EXPECT_LE(frames[i].probability, 1.0);
    if (std::abs(frames[i].probability - 0.5) > 0.0006) {  // printed with 3 decimals
      EXPECT_EQ(frames[i].speech, frames[i].probability >= 0.5 ? 1 : 0) << "frame " << i;
    }
    speech += frames[i].speech;
  }
  EXPECT_GT(speech, 120);
  EXPECT_LT(speech, 180);
  // One segment, around 1.0 .. 2.5 s.
  long long a = -1, b = -1;
  ASSERT_EQ(std::sscanf(out.c_str(), "speech\t%lld\t%lld\n", &a, &b), 2) << out;
  EXPECT_NEAR(a, 1000, 40);
  EXPECT_NEAR(b, 2500, 60);
  EXPECT_EQ(out.find("speech", 1), std::string::npos) << "exactly one segment: " << out;
  EXPECT_NE(err.find("1 speech segment(s)"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(p("frames.tsv.tmp")));
}

TEST_F(VadCli, FramesOnStdoutAt8kHzAndResampledInput) {
  ASSERT_TRUE(write_audio_file(p("in8.wav"), AudioFormat::pcm16(8000), call(8000)).ok());
  std::string out, err;
  ASSERT_EQ(run_vad(p("in8.wav") + " --detector energy --stop-ms 300", &out, &err), 0) << err;
  const auto seg = out.find("speech\t");
  ASSERT_NE(seg, std::string::npos) << out;
  EXPECT_EQ(parse_frames(out.substr(0, seg)).size(), 350u);
  EXPECT_NE(err.find("detector energy"), std::string::npos) << err;

  // 44.1 kHz input is analysed at 16 kHz: still one line per 10 ms.
  ASSERT_TRUE(write_audio_file(p("in44.wav"), AudioFormat::pcm16(44100), call(44100)).ok());
  ASSERT_EQ(run_vad(p("in44.wav") + " --out " + p("f44.tsv"), &out, &err), 0) << err;
  EXPECT_NEAR(static_cast<double>(parse_frames(slurp(p("f44.tsv"))).size()), 350.0, 1.0);
  EXPECT_NE(err.find("analysed at 16000 Hz"), std::string::npos) << err;
}

TEST_F(VadCli, ErrorsExitWith1Or2AndLeaveNoPartialOutput) {
  ASSERT_TRUE(write_audio_file(p("in.wav"), AudioFormat::pcm16(16000), call(16000)).ok());
  std::string err;
  EXPECT_EQ(run_vad(p("in.wav") + " --detector silero", nullptr, &err), 2);
  EXPECT_NE(err.find("unknown voice detector 'silero' (valid: loqui, energy)"), std::string::npos) << err;
  EXPECT_EQ(run_vad(p("in.wav") + " --threshold 2", nullptr, &err), 2);
  EXPECT_NE(err.find("--threshold"), std::string::npos) << err;
  EXPECT_EQ(run_vad("", nullptr, &err), 2);
  EXPECT_EQ(run_vad(p("missing.wav") + " --out " + p("x.tsv"), nullptr, &err), 1);
  EXPECT_NE(err.find("missing.wav"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  EXPECT_FALSE(std::filesystem::exists(p("x.tsv")));
  EXPECT_FALSE(std::filesystem::exists(p("x.tsv.tmp")));
}

}  // namespace
}  // namespace loqui
