// SPDX-License-Identifier: Apache-2.0
// File: the codec factory, L16, and the codec stages: DecodeFilter (gap frames,
// corrupt packets concealed and counted, pieces), EncodeFilter (Opus gathering and
// padding at finish), chains, and the "decode"/"encode" run-time stages.
#include <gtest/gtest.h>

#include "loqui/audio/codecs.hpp"
#include "loqui/audio/g711.hpp"
#include "loqui/audio/stages.hpp"
#include "loqui/features.hpp"
#include "loqui/pipeline/chain.hpp"
#include "support/dsp_signals.hpp"
#include "support/test_stages.hpp"

namespace loqui {
namespace {

/// Collects encoded frames.
struct ByteCollector {
  AudioFormat fmt;
  std::vector<std::vector<std::byte>> packets;
  std::vector<std::int64_t> timestamps;
  std::vector<std::int64_t> durations;
  std::vector<std::uint32_t> flags;
  std::string_view name() const { return "bytes"; }
  AudioFormat input_format() const { return fmt; }
  Flow push(const AudioFrame& f) {
    packets.emplace_back(f.bytes().begin(), f.bytes().end());
    timestamps.push_back(f.timestamp());
    durations.push_back(f.sample_count());
    flags.push_back(f.flags());
    return Flow::ok;
  }
};

/// Records pcm frames with their flags.
struct PcmCollector {
  AudioFormat fmt;
  std::vector<std::int16_t> samples;
  std::vector<std::uint32_t> flags;
  std::vector<std::int64_t> timestamps;
  std::string_view name() const { return "pcm"; }
  AudioFormat input_format() const { return fmt; }
  Flow push(const AudioFrame& f) {
    samples.insert(samples.end(), f.samples().begin(), f.samples().end());
    flags.push_back(f.flags());
    timestamps.push_back(f.timestamp());
    return Flow::ok;
  }
};

TEST(CodecFactory, MapsFormatsToCodecsAndRefusesTheRest) {
  for (Encoding e : {Encoding::mulaw, Encoding::alaw, Encoding::l16be, Encoding::pcm16}) {
    const AudioFormat f{8000, 1, e};
    auto d = make_decoder(f);
    auto en = make_encoder(f);
    ASSERT_TRUE(d.ok() && en.ok()) << to_string(e);
    EXPECT_EQ((*d)->input_format(), f);
    EXPECT_EQ((*d)->output_format(), AudioFormat::pcm16(8000));
    EXPECT_EQ((*en)->output_format(), f);
    EXPECT_EQ((*d)->decode_fec({}, 160, {}).error().code(), errc::not_supported);
  }
  EXPECT_EQ(make_decoder({16000, 1, Encoding::f32}).error().code(), errc::not_supported);
  auto stereo_mulaw = make_decoder({8000, 2, Encoding::mulaw});
  ASSERT_FALSE(stereo_mulaw.ok());
  EXPECT_EQ(stereo_mulaw.error().code(), errc::invalid_argument);
  EXPECT_EQ(make_decoder({0, 1, Encoding::mulaw}).error().code(), errc::invalid_argument);
  if (LOQUI_HAS_OPUS) {
    EXPECT_TRUE(make_decoder({24000, 2, Encoding::opus}).ok());
  }
}

TEST(L16, BigAndLittleEndianRoundTrip) {
  const auto x = testing::noise(320, 20000, 4);
  for (Encoding e : {Encoding::l16be, Encoding::pcm16}) {
    auto enc = make_encoder({16000, 1, e});
    auto dec = make_decoder({16000, 1, e});
    ASSERT_TRUE(enc.ok() && dec.ok());
    std::vector<std::byte> bytes(640);
    ASSERT_EQ(*(*enc)->encode(x, bytes), 640u);
    // Byte order on the wire.
    const auto u = static_cast<std::uint16_t>(x[0]);
    EXPECT_EQ(bytes[0], static_cast<std::byte>(e == Encoding::l16be ? u >> 8 : u & 0xff));
    std::vector<std::int16_t> back(320);
    ASSERT_EQ(*(*dec)->decode(bytes, back), 320u);
    EXPECT_EQ(back, x);
    EXPECT_EQ((*dec)->packet_samples(bytes), 320u);
    // Half a sample: a parse error, not a guess.
    auto odd = (*dec)->decode(std::span<const std::byte>(bytes).first(5), back);
    ASSERT_FALSE(odd.ok());
    EXPECT_EQ(odd.error().code(), errc::parse_error);
  }
  // Stereo L16: whole frames of 4 bytes.
  auto dec2 = make_decoder({8000, 2, Encoding::l16be});
  ASSERT_TRUE(dec2.ok());
  std::vector<std::int16_t> out(8);
  const std::byte six[6] = {};
  EXPECT_FALSE((*dec2)->decode(six, out).ok());
  const std::byte eight[8] = {std::byte{0x12}, std::byte{0x34}};
  ASSERT_EQ(*(*dec2)->decode(eight, out), 2u);
  EXPECT_EQ(out[0], 0x1234);
}

TEST(DecodeFilter, DecodesMulawAndKeepsGapsSilentAndFlagged) {
  auto f = DecodeFilter::create(AudioFormat::mulaw8k());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->output_format(), AudioFormat::pcm16(8000));
  PcmCollector out{AudioFormat::pcm16(8000)};
  const auto x = testing::sine(500, 8000, 160, 9000);
  std::vector<std::byte> payload(160);
  mulaw_encode(x, payload);
  ASSERT_EQ(f->push(AudioFrame::view_bytes(AudioFormat::mulaw8k(), payload, 0), out), Flow::ok);
  // A gap: the bytes are meaningless (0x00 would decode to full scale).
  const std::vector<std::byte> junk(160, std::byte{0x00});
  AudioFrame gap = AudioFrame::view_bytes(AudioFormat::mulaw8k(), junk, 160);
  gap.set_flags(kFrameGap);
  ASSERT_EQ(f->push(gap, out), Flow::ok);
  ASSERT_EQ(out.samples.size(), 320u);
  for (std::size_t i = 0; i < 160; ++i) ASSERT_EQ(out.samples[i], mulaw_to_linear(static_cast<std::uint8_t>(payload[i])));
  EXPECT_TRUE(std::all_of(out.samples.begin() + 160, out.samples.end(), [](std::int16_t s) { return s == 0; }));
  EXPECT_EQ(out.flags[1], static_cast<std::uint32_t>(kFrameGap));
  EXPECT_EQ(out.timestamps[1], 160);
  EXPECT_EQ(f->stats().packets, 1u);
  EXPECT_EQ(f->stats().gap_samples, 160u);
  // A frame bigger than the buffer (120 ms) is decoded in pieces, none lost.
  std::vector<std::byte> big(8000, std::byte{0xff});
  ASSERT_EQ(f->push(AudioFrame::view_bytes(AudioFormat::mulaw8k(), big, 320), out), Flow::ok);
  EXPECT_EQ(out.samples.size(), 320u + 8000u);
  // Wrong input format: an error naming the stage.
  const std::byte a[10] = {};
  EXPECT_EQ(f->push(AudioFrame::view_bytes(AudioFormat::alaw8k(), a), out), Flow::error);
  ASSERT_NE(f->last_error(), nullptr);
  EXPECT_EQ(f->last_error()->code(), errc::format_mismatch);
}

TEST(DecodeFilter, CorruptOpusPacketsAreConcealedAndCounted) {
  if (!LOQUI_HAS_OPUS) GTEST_SKIP();
  const AudioFormat opus{16000, 1, Encoding::opus};
  auto enc = make_encoder(opus);
  auto f = DecodeFilter::create(opus);
  ASSERT_TRUE(enc.ok() && f.ok());
  PcmCollector out{AudioFormat::pcm16(16000)};
  const auto x = testing::sine(250, 16000, 3200, 7000);
  std::vector<std::byte> pkt(4000);
  for (std::size_t i = 0; i < 3200; i += 320) {
    auto n = (*enc)->encode(std::span(x).subspan(i, 320), pkt);
    ASSERT_TRUE(n.ok());
    std::span<const std::byte> payload(pkt.data(), *n);
    std::vector<std::byte> corrupt;
    if (i == 1600) {  // a packet mangled in transit: TOC kept, frame count byte broken
      corrupt = {std::byte{0x03}};
      payload = corrupt;
    }
    ASSERT_EQ(f->push(AudioFrame::view_bytes(opus, payload, static_cast<std::int64_t>(i), 320), out), Flow::ok);
  }
  EXPECT_EQ(out.samples.size(), 3200u);  // the corrupt packet still yields its 20 ms
  EXPECT_EQ(f->stats().packets, 9u);
  EXPECT_EQ(f->stats().corrupt_packets, 1u);
  EXPECT_EQ(f->stats().concealed_samples, 320u);
  EXPECT_EQ(out.flags[5], static_cast<std::uint32_t>(kFrameConcealed));
  ASSERT_NE(f->last_error(), nullptr);
  EXPECT_EQ(f->last_error()->code(), errc::parse_error);
  EXPECT_GT(testing::rms(std::span(out.samples).subspan(1600, 320)), 1000.0);  // PLC, not silence
}

TEST(EncodeFilter, OpusGathersWholePacketsAndPadsTheLastAtFinish) {
  if (!LOQUI_HAS_OPUS) GTEST_SKIP();
  const AudioFormat opus{16000, 1, Encoding::opus};
  auto enc = EncodeFilter::create(opus, {.frame_ms = 20});
  ASSERT_TRUE(enc.ok());
  ByteCollector packets{opus};
  const auto x = testing::sine(400, 16000, 16000, 6000);
  // 30 ms input frames: 480 samples -> packets of 320.
  std::size_t i = 0;
  for (; i + 480 <= 7200; i += 480)
    ASSERT_EQ(enc->push(AudioFrame::view(AudioFormat::pcm16(16000), std::span(x).subspan(i, 480),
                                         static_cast<std::int64_t>(i)), packets),
              Flow::ok);
  EXPECT_EQ(packets.packets.size(), 7200u / 320u);  // 22 whole packets, 160 samples pending
  ASSERT_EQ(enc->finish(packets), Flow::ok);
  ASSERT_EQ(packets.packets.size(), 23u);  // the pending 10 ms went out padded
  for (std::size_t k = 0; k < packets.packets.size(); ++k) {
    EXPECT_EQ(packets.timestamps[k], static_cast<std::int64_t>(k * 320));
    EXPECT_EQ(packets.durations[k], 320);
  }
  // The packets decode back to the tone.
  auto dec = DecodeFilter::create(opus);
  PcmCollector pcm{AudioFormat::pcm16(16000)};
  for (const auto& p : packets.packets)
    ASSERT_EQ(dec->push(AudioFrame::view_bytes(opus, p, 0, 320), pcm), Flow::ok);
  EXPECT_EQ(pcm.samples.size(), 23u * 320u);
  EXPECT_GT(testing::rms(std::span(pcm.samples).subspan(1000, 3000)), 3000.0);
}

TEST(CodecChain, MulawEncodeThenDecodeIsTheG711RoundTrip) {
  auto enc = EncodeFilter::create(AudioFormat::mulaw8k());
  auto dec = DecodeFilter::create(AudioFormat::mulaw8k());
  ASSERT_TRUE(enc.ok() && dec.ok());
  auto chain = make_chain(std::move(*enc), std::move(*dec), PcmCollector{AudioFormat::pcm16(8000)});
  ASSERT_TRUE(chain.ok()) << chain.error().to_string();
  const auto x = testing::noise(1600, 12000, 8);
  for (std::size_t i = 0; i < x.size(); i += 160)
    ASSERT_EQ(chain->push(AudioFrame::view(AudioFormat::pcm16(8000), std::span(x).subspan(i, 160))), Flow::ok);
  const auto& got = chain->get<2>().samples;
  ASSERT_EQ(got.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got[i], mulaw_to_linear(linear_to_mulaw(x[i])));
}

TEST(CodecStages, BuildFromJsonAndReportBadOptions) {
  StageRegistry reg;
  register_core_stages(reg);
  register_audio_stages(reg);
  // The outbound telephony leg: TTS 24 kHz -> 8 kHz -> mu-law.
  auto spec = Json::parse(R"([{"stage":"resample","rate":8000},{"stage":"encode","encoding":"mulaw"}])");
  ASSERT_TRUE(spec.ok());
  auto p = reg.build(*spec, AudioFormat::pcm16(24000), "audio.out");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->output_format(), AudioFormat::mulaw8k());

  auto in = reg.build(*Json::parse(R"([{"stage":"decode"},{"stage":"resample","rate":16000}])"),
                      AudioFormat::mulaw8k(), "audio.in");
  ASSERT_TRUE(in.ok()) << in.error().to_string();
  EXPECT_EQ(in->output_format(), AudioFormat::pcm16(16000));

  auto bad_enc = reg.build(*Json::parse(R"([{"stage":"encode","encoding":"mp3"}])"), AudioFormat::pcm16(8000), "a");
  ASSERT_FALSE(bad_enc.ok());
  EXPECT_NE(bad_enc.error().message().find("a[0].encoding"), std::string::npos) << bad_enc.error().message();

  auto not_pcm = reg.build(*Json::parse(R"([{"stage":"encode"}])"), AudioFormat::mulaw8k(), "a");
  ASSERT_FALSE(not_pcm.ok());
  EXPECT_EQ(not_pcm.error().code(), errc::format_mismatch);

  auto f32 = reg.build(*Json::parse(R"([{"stage":"decode"}])"), AudioFormat{16000, 1, Encoding::f32}, "a");
  ASSERT_FALSE(f32.ok());
  EXPECT_EQ(f32.error().code(), errc::format_mismatch);
}

}  // namespace
}  // namespace loqui
