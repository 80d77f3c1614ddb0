// SPDX-License-Identifier: Apache-2.0
// File: tests of the audio file reader/writer: round trips for WAV/FLAC/raw, files
// written by sox, streaming Source and Sink, atomic writes, and every class of bad
// file (missing, empty, truncated, lying header, mislabelled, unsupported).
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "loqui/audio/file.hpp"
#include "loqui/pipeline/chain.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

using testing::ScratchDir;

/// Hand-built WAV files, so a test can make the header say anything.
struct WavSpec {
  std::uint16_t format_tag = 1;
  std::uint16_t channels = 1;
  std::uint32_t rate = 8000;
  std::uint16_t bits = 16;
  std::optional<std::uint16_t> block_align;  // default channels * bits / 8
  std::optional<std::uint32_t> riff_size;    // default: correct
  std::optional<std::uint32_t> data_size;    // default: correct
  std::vector<std::byte> data;
  std::vector<std::byte> trailing;  // bytes after the data chunk (inside RIFF if riff_size is default)
};

void put16(std::vector<std::byte>& v, std::uint16_t x) {
  v.push_back(static_cast<std::byte>(x & 0xff));
  v.push_back(static_cast<std::byte>(x >> 8));
}
void put32(std::vector<std::byte>& v, std::uint32_t x) {
  put16(v, static_cast<std::uint16_t>(x & 0xffff));
  put16(v, static_cast<std::uint16_t>(x >> 16));
}
void put_id(std::vector<std::byte>& v, const char* id) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::byte>(id[i]));
}

std::vector<std::byte> make_wav(const WavSpec& s) {
  std::vector<std::byte> v;
  const std::uint16_t align = s.block_align.value_or(static_cast<std::uint16_t>(s.channels * s.bits / 8));
  const auto data_size = static_cast<std::uint32_t>(s.data.size());
  put_id(v, "RIFF");
  put32(v, s.riff_size.value_or(static_cast<std::uint32_t>(4 + 24 + 8 + s.data.size() + s.trailing.size())));
  put_id(v, "WAVE");
  put_id(v, "fmt ");
  put32(v, 16);
  put16(v, s.format_tag);
  put16(v, s.channels);
  put32(v, s.rate);
  put32(v, s.rate * align);
  put16(v, align);
  put16(v, s.bits);
  put_id(v, "data");
  put32(v, s.data_size.value_or(data_size));
  v.insert(v.end(), s.data.begin(), s.data.end());
  v.insert(v.end(), s.trailing.begin(), s.trailing.end());
  return v;
}

std::vector<std::byte> pcm_bytes(std::span<const std::int16_t> samples) {
  std::vector<std::byte> v;
  for (auto s : samples) put16(v, static_cast<std::uint16_t>(s));
  return v;
}

std::vector<std::byte> float_bytes(std::span<const float> samples) {
  std::vector<std::byte> v;
  for (float f : samples) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    put32(v, u);
  }
  return v;
}

Error read_error(std::span<const std::byte> bytes, std::string_view name, const AudioReadOptions& o = {}) {
  auto r = read_audio_bytes(bytes, name, o);
  EXPECT_FALSE(r.ok()) << name << " was accepted";
  return r.ok() ? Error() : r.error();
}

bool contains(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

// --- round trips ----------------------------------------------------------------------

TEST(AudioFile, WavRoundTripMonoAndStereo) {
  ScratchDir dir;
  const auto mono = testing::sine(440, 8000, 4000);
  ASSERT_TRUE(write_audio_file(dir / "m.wav", AudioFormat::pcm16(8000), mono).ok());
  auto m = read_audio_file(dir / "m.wav");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->audio.samples, mono);
  EXPECT_EQ(m->audio.format, AudioFormat::pcm16(8000));
  EXPECT_EQ(m->info.type, AudioFileType::wav);
  EXPECT_EQ(m->info.sample_format, "pcm16");
  EXPECT_EQ(m->info.frames, 4000);
  EXPECT_EQ(m->info.duration(), std::chrono::milliseconds(500));

  std::vector<std::int16_t> stereo;
  const auto left = testing::sine(300, 16000, 1600);
  const auto right = testing::sine(1000, 16000, 1600);
  for (std::size_t i = 0; i < left.size(); ++i) {
    stereo.push_back(left[i]);
    stereo.push_back(right[i]);
  }
  ASSERT_TRUE(write_audio_file(dir / "s.wav", AudioFormat::pcm16(16000, 2), stereo).ok());
  auto s = read_audio_file(dir / "s.wav");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->audio.samples, stereo);
  EXPECT_EQ(s->audio.format.channels, 2);
  EXPECT_EQ(s->audio.frames(), 1600u);

  auto down = read_audio_file(dir / "s.wav", {.mono = true});
  ASSERT_TRUE(down.ok());
  ASSERT_EQ(down->audio.samples.size(), 1600u);
  EXPECT_EQ(down->audio.format.channels, 1);
  EXPECT_EQ(down->audio.samples[100], static_cast<std::int16_t>((left[100] + right[100]) / 2));
}

TEST(AudioFile, FlacAndRawRoundTrips) {
  ScratchDir dir;
  const auto x = testing::multitone(7000, 9, 16000, 16000);
  ASSERT_TRUE(write_audio_file(dir / "a.flac", AudioFormat::pcm16(16000), x).ok());
  auto f = read_audio_file(dir / "a.flac");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f->info.type, AudioFileType::flac);
  EXPECT_EQ(f->audio.samples, x);  // lossless

  for (Encoding e : {Encoding::pcm16, Encoding::l16be}) {
    const auto path = dir / (std::string(to_string(e)) + ".raw");
    ASSERT_TRUE(write_audio_file(path, AudioFormat::pcm16(16000), x, {.encoding = e}).ok());
    EXPECT_EQ(std::filesystem::file_size(path), x.size() * 2);
    auto r = read_audio_file(path, {.raw_format = AudioFormat{16000, 1, e}});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->audio.samples, x) << to_string(e);
    EXPECT_EQ(r->info.type, AudioFileType::raw);
  }
  // Big-endian really is big-endian on disk.
  const std::int16_t one[] = {0x1234};
  ASSERT_TRUE(write_audio_file(dir / "be.raw", AudioFormat::pcm16(8000), one, {.encoding = Encoding::l16be}).ok());
  const auto be = testing::read_bytes(dir / "be.raw");
  ASSERT_EQ(be.size(), 2u);
  EXPECT_EQ(be[0], std::byte{0x12});
  EXPECT_EQ(be[1], std::byte{0x34});

  // mu-law WAV is lossy but close: the G.711 step is at most 1/16 of the magnitude.
  ASSERT_TRUE(write_audio_file(dir / "u.wav", AudioFormat::pcm16(16000), x, {.encoding = Encoding::mulaw}).ok());
  auto u = read_audio_file(dir / "u.wav");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->info.sample_format, "mulaw");
  EXPECT_LT(std::filesystem::file_size(dir / "u.wav"), x.size() + 100u);  // one byte per sample
  EXPECT_GT(testing::snr_db(x, u->audio.samples, 0, x.size()), 30.0);
}

TEST(AudioFile, ReadsFilesWrittenBySox) {
  ScratchDir dir;
  if (testing::run_command("sox --version") != 0) GTEST_SKIP() << "sox is not installed";
  const auto wav24 = dir / "tone24.wav";
  const auto flac = dir / "tone.flac";
  ASSERT_EQ(testing::run_command("sox -n -r 22050 -b 24 -c 2 " + wav24.string() + " synth 0.5 sine 1000 gain -6"), 0);
  ASSERT_EQ(testing::run_command("sox -n -r 44100 -b 16 -c 1 " + flac.string() + " synth 0.25 sine 441 gain -6"), 0);
  auto a = read_audio_file(wav24);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->info.sample_format, "pcm24");
  EXPECT_EQ(a->audio.format, AudioFormat::pcm16(22050, 2));
  EXPECT_EQ(a->audio.frames(), 11025u);
  // -6 dB sine: peak about 16400.
  const auto peak = *std::max_element(a->audio.samples.begin(), a->audio.samples.end());
  EXPECT_NEAR(peak, 16423, 200);
  auto b = read_audio_file(flac);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(b->info.type, AudioFileType::flac);
  EXPECT_EQ(b->audio.frames(), 11025u);
  // 441 Hz at 44.1 kHz: a period of exactly 100 samples.
  EXPECT_NEAR(b->audio.samples[1000], b->audio.samples[1100], 2);
}

TEST(AudioFile, MemoryAndFileReadsAgree) {
  ScratchDir dir;
  const auto x = testing::noise(3000, 8000, 7);
  ASSERT_TRUE(write_audio_file(dir / "n.wav", AudioFormat::pcm16(8000), x).ok());
  const auto bytes = testing::read_bytes(dir / "n.wav");
  auto mem = read_audio_bytes(bytes, "n.wav");
  auto file = read_audio_file(dir / "n.wav");
  ASSERT_TRUE(mem.ok() && file.ok());
  EXPECT_EQ(mem->audio.samples, file->audio.samples);
  EXPECT_EQ(mem->audio.samples, x);
}

TEST(AudioFile, FloatSamplesSaturateAndNonFiniteAreCounted) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> f = {0.5f, -0.25f, nan, inf, -inf, 2.0f};
  WavSpec s;
  s.format_tag = 3;
  s.bits = 32;
  s.data = float_bytes(f);
  auto r = read_audio_bytes(make_wav(s), "f.wav");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->info.sample_format, "float");
  EXPECT_EQ(r->audio.samples, (std::vector<std::int16_t>{16384, -8192, 0, 32767, -32768, 32767}));
  EXPECT_EQ(r->info.non_finite_samples, 3u);
}

// --- bad files ------------------------------------------------------------------------

TEST(AudioFileErrors, MissingEmptyAndDirectory) {
  ScratchDir dir;
  auto missing = read_audio_file(dir / "nope.wav");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), errc::not_found);
  EXPECT_TRUE(contains(missing.error().message(), "nope.wav")) << missing.error().message();

  testing::write_bytes(dir / "empty.wav", {});
  auto empty = read_audio_file(dir / "empty.wav");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), errc::parse_error);
  EXPECT_TRUE(contains(empty.error().message(), "empty.wav: empty file")) << empty.error().message();

  auto d = read_audio_file(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), errc::io_error);
  EXPECT_TRUE(contains(d.error().message(), "directory"));

  WavSpec none;  // valid header, no samples
  Error e = read_error(make_wav(none), "none.wav");
  EXPECT_TRUE(contains(e.message(), "no audio")) << e.message();
}

TEST(AudioFileErrors, TruncatedFile) {
  WavSpec s;
  s.data = pcm_bytes(testing::sine(440, 8000, 800));
  auto bytes = make_wav(s);
  bytes.resize(bytes.size() / 2);  // cut in the middle of the audio
  Error e = read_error(bytes, "cut.wav");
  EXPECT_EQ(e.code(), errc::parse_error);
  EXPECT_TRUE(contains(e.message(), "cut.wav: truncated")) << e.message();

  bytes.resize(20);  // cut inside the header
  e = read_error(bytes, "cut.wav");
  EXPECT_TRUE(contains(e.message(), "truncated")) << e.message();
}

TEST(AudioFileErrors, HeaderClaimingMoreAudioThanPresent) {
  WavSpec s;
  s.data = pcm_bytes(testing::sine(440, 8000, 800));
  s.data_size = 16000;  // claims 8000 samples; the RIFF size is consistent with the bytes
  s.riff_size = static_cast<std::uint32_t>(4 + 24 + 8 + s.data.size());
  Error e = read_error(make_wav(s), "liar.wav");
  EXPECT_EQ(e.code(), errc::parse_error);
  EXPECT_TRUE(contains(e.message(), "declares 16000 bytes of audio but only 1600 are present")) << e.message();
}

TEST(AudioFileErrors, HeaderUnderstatingTheAudio) {
  WavSpec s;
  const auto audio = pcm_bytes(testing::sine(440, 8000, 800));
  s.data.assign(audio.begin(), audio.begin() + 400);
  s.trailing.assign(audio.begin() + 400, audio.end());  // audio the header does not count
  Error e = read_error(make_wav(s), "short.wav");
  EXPECT_TRUE(contains(e.message(), "not a chunk follow the 'data' chunk")) << e.message();

  // The same with a RIFF size that also understates: the bytes lie beyond the RIFF.
  s.riff_size = static_cast<std::uint32_t>(4 + 24 + 8 + 400);
  e = read_error(make_wav(s), "short2.wav");
  EXPECT_TRUE(contains(e.message(), "follow the end of the RIFF data")) << e.message();
}

TEST(AudioFileErrors, StreamedHeaderWithoutLength) {
  WavSpec s;
  s.data = pcm_bytes(testing::sine(440, 8000, 800));
  s.data_size = 0xffffffffu;
  s.riff_size = 0xffffffffu;
  Error e = read_error(make_wav(s), "stream.wav");
  EXPECT_TRUE(contains(e.message(), "no length")) << e.message();

  s.riff_size.reset();
  s.data_size = 0;
  e = read_error(make_wav(s), "stream0.wav");
  EXPECT_TRUE(contains(e.message(), "declares 0 bytes but audio follows")) << e.message();
}

TEST(AudioFileErrors, InconsistentFormatChunk) {
  WavSpec s;
  s.channels = 2;
  s.block_align = 2;  // should be 4 for 2 x 16 bits
  s.data = pcm_bytes(testing::sine(440, 8000, 800));
  Error e = read_error(make_wav(s), "fmt.wav");
  EXPECT_TRUE(contains(e.message(), "block alignment 2 does not match 2 channel(s) of 16 bits")) << e.message();

  WavSpec odd;
  odd.data = pcm_bytes(testing::sine(440, 8000, 800));
  odd.data.push_back(std::byte{1});  // 1601 bytes of 16-bit audio
  odd.data.push_back(std::byte{0});  // pad so the RIFF walk stays aligned
  odd.data_size = 1601;
  e = read_error(make_wav(odd), "odd.wav");
  EXPECT_TRUE(contains(e.message(), "not a whole number of 2-byte sample frames")) << e.message();

  WavSpec rate0;
  rate0.rate = 0;
  rate0.data = pcm_bytes(testing::sine(440, 8000, 80));
  e = read_error(make_wav(rate0), "rate0.wav");
  EXPECT_TRUE(contains(e.message(), "sample rate of 0 Hz")) << e.message();
}

TEST(AudioFileErrors, MislabelledAndUnsupported) {
  ScratchDir dir;
  const auto x = testing::sine(440, 8000, 800);
  ASSERT_TRUE(write_audio_file(dir / "real.flac", AudioFormat::pcm16(8000), x).ok());
  std::filesystem::copy_file(dir / "real.flac", dir / "fake.wav");
  auto e = read_audio_file(dir / "fake.wav");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.error().message(), "mislabelled: named .wav but contains FLAC")) << e.error().message();

  ASSERT_TRUE(write_audio_file(dir / "real.wav", AudioFormat::pcm16(8000), x).ok());
  std::filesystem::copy_file(dir / "real.wav", dir / "fake.flac");
  e = read_audio_file(dir / "fake.flac");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.error().message(), "mislabelled: named .flac but contains WAV")) << e.error().message();

  const std::string text = "this is not audio at all, just some text in a file\n";
  std::vector<std::byte> tb(text.size());
  std::memcpy(tb.data(), text.data(), text.size());
  Error t = read_error(tb, "notes.wav");
  EXPECT_EQ(t.code(), errc::parse_error);
  EXPECT_TRUE(contains(t.message(), "not a WAV file")) << t.message();
  t = read_error(tb, "notes.dat");
  EXPECT_EQ(t.code(), errc::not_supported);
  EXPECT_TRUE(contains(t.message(), "notes.dat: unsupported or unrecognised")) << t.message();

  if (testing::run_command("sox --version") == 0) {
    ASSERT_EQ(testing::run_command("sox -n -r 8000 " + (dir / "a.aiff").string() + " synth 0.1 sine 440"), 0);
    auto aiff = read_audio_file(dir / "a.aiff");
    ASSERT_FALSE(aiff.ok());
    EXPECT_EQ(aiff.error().code(), errc::not_supported);
    EXPECT_TRUE(contains(aiff.error().message(), "AIFF files are not supported")) << aiff.error().message();
  }
}

TEST(AudioFileErrors, RawNeedsAFormatAndWholeFrames) {
  std::vector<std::byte> bytes(101, std::byte{0});
  Error e = read_error(bytes, "x.raw");
  EXPECT_EQ(e.code(), errc::invalid_argument);
  EXPECT_TRUE(contains(e.message(), "give its format")) << e.message();
  e = read_error(bytes, "x.raw", {.raw_format = AudioFormat::pcm16(8000)});
  EXPECT_TRUE(contains(e.message(), "101 bytes is not a whole number of 2-byte")) << e.message();
  auto ok = read_audio_bytes(bytes, "x.raw", {.raw_format = AudioFormat::mulaw8k()});
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->audio.samples.size(), 101u);
}

TEST(AudioFileErrors, TruncatedFlac) {
  ScratchDir dir;
  const auto x = testing::noise(48000, 8000, 3);
  ASSERT_TRUE(write_audio_file(dir / "n.flac", AudioFormat::pcm16(16000), x).ok());
  auto bytes = testing::read_bytes(dir / "n.flac");
  bytes.resize(bytes.size() * 6 / 10);
  auto r = read_audio_bytes(bytes, "n.flac");
  ASSERT_FALSE(r.ok()) << "a truncated FLAC was read as " << r->audio.samples.size() << " samples";
  EXPECT_EQ(r.error().code(), errc::parse_error);
  EXPECT_TRUE(contains(r.error().message(), "n.flac: ")) << r.error().message();
}

// --- streaming Source and Sink -------------------------------------------------------

TEST(AudioFileSource, EmitsFramesOfTheRequestedDurationWithoutLosingTheTail) {
  ScratchDir dir;
  const auto x = testing::noise(8000 + 123, 8000, 11);  // 1 s + 123 samples
  ASSERT_TRUE(write_audio_file(dir / "n.wav", AudioFormat::pcm16(8000), x).ok());
  auto src = AudioFileSource::open(dir / "n.wav", {.frame_ms = 20});
  ASSERT_TRUE(src.ok()) << src.error().to_string();
  EXPECT_EQ(src->frame_samples(), 160u);
  EXPECT_EQ(src->output_format(), AudioFormat::pcm16(8000));
  std::vector<std::int16_t> got;
  std::vector<std::int64_t> stamps;
  std::vector<std::size_t> sizes;
  struct Into {
    std::vector<std::int16_t>* got;
    std::vector<std::int64_t>* stamps;
    std::vector<std::size_t>* sizes;
    Flow push(const AudioFrame& f) {
      got->insert(got->end(), f.samples().begin(), f.samples().end());
      stamps->push_back(f.timestamp());
      sizes->push_back(f.samples().size());
      return Flow::ok;
    }
  } into{&got, &stamps, &sizes};
  EXPECT_EQ(drain(*src, into), Flow::eos);
  EXPECT_EQ(got, x);
  ASSERT_EQ(sizes.size(), 51u);
  EXPECT_EQ(sizes.back(), 123u);
  EXPECT_EQ(stamps[1], 160);
  EXPECT_EQ(stamps.back(), 8000);

  auto padded = AudioFileSource::open(dir / "n.wav", {.frame_ms = 20, .pad_last_frame = true});
  ASSERT_TRUE(padded.ok());
  got.clear();
  sizes.clear();
  stamps.clear();
  EXPECT_EQ(drain(*padded, into), Flow::eos);
  EXPECT_EQ(sizes.back(), 160u);
  EXPECT_EQ(got.size(), 51u * 160u);
  EXPECT_TRUE(std::equal(x.begin(), x.end(), got.begin()));
}

TEST(AudioFileSource, ReportsATruncatedFileWhileStreaming) {
  // A FLAC whose header promises more than the stream holds fails when reading.
  ScratchDir dir;
  const auto x = testing::noise(32000, 8000, 5);
  ASSERT_TRUE(write_audio_file(dir / "n.flac", AudioFormat::pcm16(16000), x).ok());
  auto bytes = testing::read_bytes(dir / "n.flac");
  bytes.resize(bytes.size() / 2);
  auto src = AudioFileSource::open_bytes(bytes, "half.flac", {.frame_ms = 20});
  if (!src.ok()) {
    EXPECT_EQ(src.error().code(), errc::parse_error);  // detected at open: fine too
    return;
  }
  struct Count {
    std::size_t n = 0;
    Flow push(const AudioFrame& f) {
      n += f.samples().size();
      return Flow::ok;
    }
  } count;
  EXPECT_EQ(drain(*src, count), Flow::error);
  ASSERT_NE(src->last_error(), nullptr);
  EXPECT_TRUE(contains(src->last_error()->message(), "half.flac")) << src->last_error()->message();
  EXPECT_LT(count.n, x.size());
}

TEST(AudioFileSink, WritesAtomicallyAndLeavesNothingWhenAbandoned) {
  ScratchDir dir;
  const auto x = testing::sine(440, 16000, 3200);
  {
    auto sink = AudioFileSink::create(dir / "out.wav", AudioFormat::pcm16(16000));
    ASSERT_TRUE(sink.ok()) << sink.error().to_string();
    EXPECT_EQ(sink->push(AudioFrame::view(AudioFormat::pcm16(16000), std::span(x).first(1600))), Flow::ok);
    EXPECT_FALSE(std::filesystem::exists(dir / "out.wav")) << "the destination appeared before close()";
    ASSERT_EQ(dir.files().size(), 1u);
    EXPECT_TRUE(contains(dir.files()[0], "out.wav.partial-"));
    // Wrong format: refused, named.
    const std::int16_t s8[160] = {};
    EXPECT_EQ(sink->push(AudioFrame::view(AudioFormat::pcm16(8000), s8)), Flow::error);
    ASSERT_NE(sink->last_error(), nullptr);
    EXPECT_EQ(sink->last_error()->code(), errc::format_mismatch);
    EXPECT_EQ(sink->push(AudioFrame::view(AudioFormat::pcm16(16000), std::span(x).subspan(1600))), Flow::ok);
    EXPECT_EQ(sink->finish(), Flow::ok);
    EXPECT_EQ(sink->frames_written(), 3200);
  }
  EXPECT_EQ(dir.files(), std::vector<std::string>{"out.wav"});
  auto back = read_audio_file(dir / "out.wav");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->audio.samples, x);

  {
    auto sink = AudioFileSink::create(dir / "abandoned.wav", AudioFormat::pcm16(16000));
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE(sink->write(x).ok());
  }  // destroyed without close()
  EXPECT_EQ(dir.files(), std::vector<std::string>{"out.wav"});

  auto nodir = AudioFileSink::create(dir / "no" / "such" / "dir.wav", AudioFormat::pcm16(16000));
  ASSERT_FALSE(nodir.ok());
  EXPECT_EQ(nodir.error().code(), errc::io_error);
  EXPECT_TRUE(contains(nodir.error().message(), "dir.wav: cannot create")) << nodir.error().message();

  auto bad_enc = AudioFileSink::create(dir / "x.flac", AudioFormat::pcm16(16000), {.encoding = Encoding::mulaw});
  ASSERT_FALSE(bad_enc.ok());
  EXPECT_EQ(bad_enc.error().code(), errc::not_supported);
}

TEST(AudioFileSink, SourceToSinkChainCopiesAFile) {
  ScratchDir dir;
  const auto x = testing::noise(16000 * 2 + 77, 6000, 9);
  ASSERT_TRUE(write_audio_file(dir / "in.wav", AudioFormat::pcm16(16000), x).ok());
  auto src = AudioFileSource::open(dir / "in.wav");
  auto sink = AudioFileSink::create(dir / "copy.flac", src->output_format());
  ASSERT_TRUE(src.ok() && sink.ok());
  EXPECT_EQ(drain(*src, *sink), Flow::eos);
  ASSERT_TRUE(sink->close().ok());
  auto back = read_audio_file(dir / "copy.flac");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->audio.samples, x);
}

}  // namespace
}  // namespace loqui
