// SPDX-License-Identifier: Apache-2.0
// File: `loqui providers`, `loqui say` and `loqui transcribe` end to end: output,
// exit codes 0/1/2 and one-line errors for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "loqui/audio/file.hpp"
#include "loqui/features.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

class ProviderCli : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef LOQUI_CLI_PATH
    exe_ = LOQUI_CLI_PATH;
#endif
    if (exe_.empty() || !std::filesystem::exists(exe_)) GTEST_SKIP() << "the loqui CLI is not built";
  }
  /// Runs `loqui <args>`; returns the exit status; stdout and stderr in out_/err_.
  int run(const std::string& args) {
    const auto o = dir_ / "stdout.txt", e = dir_ / "stderr.txt";
    const int rc = std::system((exe_.string() + " " + args + " >" + o.string() + " 2>" + e.string()).c_str());
    out_ = slurp(o);
    err_ = slurp(e);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string p(const std::string& name) const { return (dir_ / name).string(); }
  /// A second of a 300 Hz tone, then half a second of silence.
  void write_tone(const std::string& name, int rate) {
    std::vector<std::int16_t> pcm(static_cast<std::size_t>(rate * 3 / 2), 0);
    for (int i = 0; i < rate; ++i) pcm[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(8000 * std::sin(2 * 3.14159265 * 300 * i / rate));
    ASSERT_TRUE(write_audio_file(p(name), AudioFormat::pcm16(rate), pcm).ok());
  }

  std::filesystem::path exe_;
  testing::ScratchDir dir_;
  std::string out_, err_;
};

TEST_F(ProviderCli, ProvidersListsKindsAndCapabilities) {
  ASSERT_EQ(run("providers"), 0) << err_;
  EXPECT_NE(out_.find("stt   mock"), std::string::npos) << out_;
  EXPECT_NE(out_.find("in pcm16/mono 8000|16000"), std::string::npos) << out_;
  EXPECT_NE(out_.find("tools, parallel tools, usage"), std::string::npos) << out_;
  EXPECT_EQ(run("providers --plugin /nonexistent/lib.so"), 1);
  EXPECT_NE(err_.find("loqui providers: "), std::string::npos);
  EXPECT_NE(err_.find("/nonexistent/lib.so: cannot load"), std::string::npos) << err_;
}

#ifdef LOQUI_FAQ_PLUGIN_PATH
TEST_F(ProviderCli, LoadsTheGuidesExamplePlugin) {
  ASSERT_EQ(run(std::string("providers --plugin ") + LOQUI_FAQ_PLUGIN_PATH), 0) << err_;
  EXPECT_NE(out_.find("llm   faq            plugin    answers from a keyword table"), std::string::npos) << out_;
  EXPECT_NE(out_.find(std::string("from ") + LOQUI_FAQ_PLUGIN_PATH), std::string::npos) << out_;
}
#endif

TEST_F(ProviderCli, TranscribePrintsTheFinalTranscript) {
  write_tone("tone.wav", 8000);
  ASSERT_EQ(run("transcribe " + p("tone.wav") + R"( --stt mock --config '{"transcripts": ["book a table for two"]}')"), 0) << err_;
  EXPECT_EQ(out_, "book a table for two\n");
  ASSERT_EQ(run("transcribe " + p("tone.wav") + R"( --stt mock --verbose --config '{"transcripts": ["book a table"], "sample_rates": [16000]}')"), 0)
      << err_;
  EXPECT_NE(out_.find("[interim"), std::string::npos) << out_;
  EXPECT_NE(out_.find("] book\n"), std::string::npos) << out_;
  EXPECT_NE(out_.find("[final"), std::string::npos) << out_;
  EXPECT_EQ(out_.substr(out_.rfind('\n', out_.size() - 2) + 1), "book a table\n");
}

TEST_F(ProviderCli, TranscribeThroughAFallbackFromAConfigFile) {
  write_tone("tone.wav", 16000);
  {
    std::ofstream cfg(p("stt.json"));
    cfg << R"({"name": "primary", "transcripts": ["from the primary"],
               "failures": [{"utterance": 1, "mode": "error", "after": 1}],
               "fallback": [{"provider": "mock", "name": "backup", "transcripts": ["from the backup"]}]})";
  }
  ASSERT_EQ(run("transcribe " + p("tone.wav") + " --stt mock --verbose --config " + p("stt.json")), 0) << err_;
  // The primary's first interim got out before it failed: the backup restarts.
  EXPECT_NE(out_.find("[provider primary]"), std::string::npos) << out_;
  EXPECT_NE(out_.find("[provider backup, restarted]"), std::string::npos) << out_;
  EXPECT_EQ(out_.substr(out_.rfind('\n', out_.size() - 2) + 1), "from the backup\n");
}

TEST_F(ProviderCli, TranscribeErrors) {
  write_tone("tone.wav", 16000);
  EXPECT_EQ(run("transcribe " + p("tone.wav")), 2);
  EXPECT_NE(err_.find("--stt NAME is required"), std::string::npos) << err_;
  EXPECT_EQ(run("transcribe " + p("tone.wav") + " --stt nope"), 1);
  EXPECT_NE(err_.find("stt.provider: unknown stt provider 'nope' (registered: "), std::string::npos) << err_;
  EXPECT_EQ(run("transcribe " + p("tone.wav") + R"( --stt mock --config '{"transcrips": []}')"), 1);
  EXPECT_NE(err_.find("stt.transcrips: unknown key"), std::string::npos) << err_;
  EXPECT_EQ(run("transcribe " + p("tone.wav") + R"( --stt mock --config '{"transcripts": [}')"), 2);
  EXPECT_NE(err_.find("--config"), std::string::npos) << err_;
  EXPECT_EQ(run("transcribe " + p("missing.wav") + " --stt mock"), 1);
  EXPECT_NE(err_.find("missing.wav"), std::string::npos) << err_;
  EXPECT_EQ(run("transcribe " + p("tone.wav") + R"( --stt mock --config '{"failures": [{"utterance": 1}]}')"), 1);
  EXPECT_NE(err_.find("loqui transcribe: provider 'mock': injected failure"), std::string::npos) << err_;
  EXPECT_EQ(std::count(err_.begin(), err_.end(), '\n'), 1) << err_;  // one line
}

#if LOQUI_HAS_ESPEAK
TEST_F(ProviderCli, SayWritesSpeechWithWordTimings) {
  ASSERT_EQ(run(R"(say "Your table is booked for Friday at eight." --tts espeak --rate 16000 --verbose --out )" +
                p("out.wav")),
            0)
      << err_;
  auto file = read_audio_file(p("out.wav"));
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_EQ(file->audio.format, AudioFormat::pcm16(16000));
  EXPECT_GT(file->audio.frames(), 16000u);
  EXPECT_NE(out_.find("8 words"), std::string::npos) << out_;
  EXPECT_NE(out_.find("Friday"), std::string::npos) << out_;
  // The speech it wrote goes through transcribe as well (the mock only checks the audio is there).
  ASSERT_EQ(run("transcribe " + p("out.wav") + R"( --stt mock --config '{"transcripts": ["ok"]}')"), 0) << err_;
  EXPECT_EQ(out_, "ok\n");
}

TEST_F(ProviderCli, SayErrors) {
  EXPECT_EQ(run(R"(say "hi" --tts espeak)"), 2);
  EXPECT_NE(err_.find("--out FILE.wav is required"), std::string::npos) << err_;
  EXPECT_EQ(run(R"(say "hi" --tts espeak --config '{"voice": "xx-nope"}' --out )" + p("x.wav")), 1);
  EXPECT_NE(err_.find("tts.voice: espeak voice 'xx-nope' not found"), std::string::npos) << err_;
  EXPECT_EQ(run(R"(say "hi" --tts espeak --rate 11025 --out )" + p("x.wav")), 1);
  EXPECT_NE(err_.find("cannot produce mono pcm16 at 11025 Hz"), std::string::npos) << err_;
  EXPECT_EQ(run(R"(say "hi" --tts espeak --voice nope --out )" + p("x.wav")), 1);
  EXPECT_NE(err_.find("espeak voice 'nope' not found"), std::string::npos) << err_;
  EXPECT_FALSE(std::filesystem::exists(p("x.wav")));
  EXPECT_EQ(run(R"(say "hi" --tts mock --out )" + p("mock.wav")), 0) << err_;
  EXPECT_TRUE(std::filesystem::exists(p("mock.wav")));
}
#endif

}  // namespace
}  // namespace loqui
