// SPDX-License-Identifier: Apache-2.0
// File: the Opus codec through AudioDecoder/AudioEncoder: round trip, decoding at
// another rate, packet_samples, PLC, in-band FEC recovering a lost packet better
// than PLC, and bad input (corrupt, truncated, empty packets; wrong frame sizes;
// bad options) giving clear errors while the decoder stays usable.
#include <gtest/gtest.h>

#include <random>

#include "loqui/audio/codecs.hpp"
#include "loqui/features.hpp"
#include "support/dsp_signals.hpp"

namespace loqui {
namespace {

const AudioFormat kOpus48{48000, 1, Encoding::opus};
const AudioFormat kOpus16{16000, 1, Encoding::opus};

class OpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!LOQUI_HAS_OPUS) GTEST_SKIP() << "built without Opus";
  }
  /// Encodes `pcm` (mono) in 20 ms packets.
  static std::vector<std::vector<std::byte>> encode_all(AudioEncoder& enc, std::span<const std::int16_t> pcm, int rate) {
    const auto frame = static_cast<std::size_t>(rate / 50);
    std::vector<std::vector<std::byte>> packets;
    std::vector<std::byte> buf(4000);
    for (std::size_t i = 0; i + frame <= pcm.size(); i += frame) {
      auto n = enc.encode(pcm.subspan(i, frame), buf);
      EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().to_string());
      if (!n.ok()) break;
      packets.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    return packets;
  }
  /// Best SNR of `out` against `ref` over lags 0..max_lag (the codec delays).
  static double best_snr(std::span<const std::int16_t> ref, std::span<const std::int16_t> out, std::size_t max_lag,
                         std::size_t begin, std::size_t end) {
    double best = -100;
    for (std::size_t lag = 0; lag <= max_lag; ++lag) {
      if (end + lag > out.size()) break;
      best = std::max(best, testing::snr_db(ref.subspan(begin, end - begin), out.subspan(begin + lag, end - begin), 0,
                                            end - begin));
    }
    return best;
  }
};

TEST_F(OpusTest, RoundTripKeepsTheSignal) {
  auto enc = make_encoder(kOpus48, {.frame_ms = 20, .opus = {.bitrate_bps = 64000}});
  auto dec = make_decoder(kOpus48);
  ASSERT_TRUE(enc.ok() && dec.ok());
  EXPECT_EQ((*dec)->output_format(), AudioFormat::pcm16(48000));
  const auto x = testing::multitone(3000, 5, 48000, 48000, 2500.0);
  const auto packets = encode_all(**enc, x, 48000);
  ASSERT_EQ(packets.size(), 50u);
  std::vector<std::int16_t> y;
  std::vector<std::int16_t> pcm(5760);
  for (const auto& p : packets) {
    EXPECT_EQ((*dec)->packet_samples(p), 960u);
    auto n = (*dec)->decode(p, pcm);
    ASSERT_TRUE(n.ok()) << n.error().to_string();
    ASSERT_EQ(*n, 960u);
    y.insert(y.end(), pcm.begin(), pcm.begin() + 960);
  }
  // Opus delays by 6.5 ms (312 samples at 48 kHz); compare at the best lag.
  EXPECT_GT(best_snr(x, y, 400, 4800, 40000), 12.0);  // measured 16.6 dB
}

TEST_F(OpusTest, DecodesAtAnotherRate) {
  auto enc = make_encoder(kOpus48);
  auto dec = make_decoder(kOpus16);  // a 16 kHz consumer decoding 48 kHz packets
  ASSERT_TRUE(enc.ok() && dec.ok());
  const auto x = testing::sine(440, 48000, 9600, 8000);
  const auto packets = encode_all(**enc, x, 48000);
  std::vector<std::int16_t> pcm(1920);
  for (const auto& p : packets) {
    EXPECT_EQ((*dec)->packet_samples(p), 320u);
    auto n = (*dec)->decode(p, pcm);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 320u);
  }
  EXPECT_GT(testing::rms(std::span(pcm).first(320)), 3000.0);  // the tone, not silence
}

TEST_F(OpusTest, CorruptTruncatedAndEmptyPacketsAreErrorsAndTheDecoderRecovers) {
  auto enc = make_encoder(kOpus48);
  auto dec = make_decoder(kOpus48);
  ASSERT_TRUE(enc.ok() && dec.ok());
  const auto x = testing::sine(300, 48000, 9600, 6000);
  const auto packets = encode_all(**enc, x, 48000);
  std::vector<std::int16_t> pcm(5760);
  ASSERT_TRUE((*dec)->decode(packets[0], pcm).ok());

  auto empty = (*dec)->decode({}, pcm);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), errc::parse_error);

  // A code-3 packet (TOC 0x03) whose frame count byte is missing.
  const std::byte truncated[] = {std::byte{0x03}};
  auto t = (*dec)->decode(truncated, pcm);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), errc::parse_error);
  EXPECT_NE(t.error().message().find("opus"), std::string::npos) << t.error().message();
  EXPECT_EQ((*dec)->packet_samples(truncated), 0u);

  // Code-3 packet claiming 48 frames of 20 ms (960 ms > 120 ms): invalid.
  const std::byte too_long[] = {std::byte{0x0b}, std::byte{48}, std::byte{0}, std::byte{0}};
  EXPECT_FALSE((*dec)->decode(too_long, pcm).ok());

  // Random garbage never crashes; every result is an error or a sane sample count.
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255), len(1, 200);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::byte> junk(static_cast<std::size_t>(len(rng)));
    for (auto& b : junk) b = static_cast<std::byte>(byte(rng));
    auto r = (*dec)->decode(junk, pcm);
    if (r.ok()) {
      EXPECT_LE(*r, 5760u);
    } else {
      EXPECT_TRUE(r.error().code() == errc::parse_error || r.error().code() == errc::overflow) << r.error().to_string();
    }
  }
  // Still a working decoder.
  (*dec)->reset();
  for (const auto& p : packets) ASSERT_TRUE((*dec)->decode(p, pcm).ok());
  EXPECT_GT(testing::rms(std::span(pcm).first(960)), 2000.0);

  // Output too small for the packet: overflow, not a partial decode.
  std::vector<std::int16_t> tiny(100);
  auto o = (*dec)->decode(packets[1], tiny);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code(), errc::overflow);
}

TEST_F(OpusTest, ConcealContinuesAndDecays) {
  auto enc = make_encoder(kOpus16);
  auto dec = make_decoder(kOpus16);
  ASSERT_TRUE(enc.ok() && dec.ok());
  const auto x = testing::sine(200, 16000, 16000, 8000);
  const auto packets = encode_all(**enc, x, 16000);
  std::vector<std::int16_t> pcm(1920);
  for (std::size_t i = 0; i < 10; ++i) ASSERT_TRUE((*dec)->decode(packets[i], pcm).ok());
  std::vector<std::int16_t> first(320), late(320);
  EXPECT_EQ((*dec)->conceal(320, first), 320u);
  for (int i = 0; i < 10; ++i) (void)(*dec)->conceal(320, late);
  EXPECT_GT(testing::rms(first), 1500.0);                  // continues the tone
  EXPECT_LT(testing::rms(late), testing::rms(first) / 4);  // and fades over 200 ms
  // Not a multiple of 2.5 ms: still exactly the requested count.
  std::vector<std::int16_t> odd(333);
  EXPECT_EQ((*dec)->conceal(333, odd), 333u);
}

TEST_F(OpusTest, InBandFecRecoversALostPacketBetterThanPlc) {
  EncoderOptions o{.frame_ms = 20, .opus = {.bitrate_bps = 32000, .inband_fec = true, .packet_loss_percent = 20}};
  auto enc = make_encoder(kOpus16, o);
  ASSERT_TRUE(enc.ok());
  // A signal that changes every packet, so concealment cannot guess it.
  std::vector<std::int16_t> x;
  for (int k = 0; k < 50; ++k) {
    const auto part = testing::sine(300.0 + 40.0 * (k % 7), 16000, 320, 5000.0 + 300.0 * (k % 5));
    x.insert(x.end(), part.begin(), part.end());
  }
  const auto packets = encode_all(**enc, x, 16000);
  const std::size_t lost = 30;
  auto reference = make_decoder(kOpus16);
  auto with_fec = make_decoder(kOpus16);
  auto with_plc = make_decoder(kOpus16);
  std::vector<std::int16_t> ref(320), fec(320), plc(320), scratch(1920);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i == lost) {
      ASSERT_TRUE((*reference)->decode(packets[i], ref).ok());
      auto f = (*with_fec)->decode_fec(packets[i + 1], 320, fec);
      ASSERT_TRUE(f.ok()) << f.error().to_string();
      EXPECT_EQ(*f, 320u);
      EXPECT_EQ((*with_plc)->conceal(320, plc), 320u);
      break;
    }
    ASSERT_TRUE((*reference)->decode(packets[i], scratch).ok());
    ASSERT_TRUE((*with_fec)->decode(packets[i], scratch).ok());
    ASSERT_TRUE((*with_plc)->decode(packets[i], scratch).ok());
  }
  const double snr_fec = testing::snr_db(ref, fec, 0, 320);
  const double snr_plc = testing::snr_db(ref, plc, 0, 320);
  EXPECT_GT(snr_fec, 15.0);  // measured 27 dB (PLC: 1.6 dB)
  EXPECT_GT(snr_fec, snr_plc + 3.0) << "FEC " << snr_fec << " dB vs PLC " << snr_plc << " dB";

  // decode_fec wants a multiple of 2.5 ms.
  auto bad = (*with_fec)->decode_fec(packets[5], 321, fec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), errc::invalid_argument);
}

TEST_F(OpusTest, EncoderRejectsWrongFramesAndOptions) {
  auto enc = make_encoder(kOpus48);
  ASSERT_TRUE(enc.ok());
  std::vector<std::int16_t> wrong(900);
  std::vector<std::byte> out(4000);
  auto r = (*enc)->encode(wrong, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::invalid_argument);
  EXPECT_NE(r.error().message().find("expected 960"), std::string::npos) << r.error().message();
  std::vector<std::int16_t> frame(960, 1000);
  // (Opus fits a packet into any budget of 1+ bytes by lowering the bitrate; no
  // room at all is an overflow.)
  auto s = (*enc)->encode(frame, std::span<std::byte>());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), errc::overflow);

  EXPECT_EQ(make_encoder({44100, 1, Encoding::opus}).error().code(), errc::invalid_argument);
  EXPECT_EQ(make_encoder(kOpus48, {.frame_ms = 25}).error().code(), errc::invalid_argument);
  EXPECT_EQ(make_encoder(kOpus48, {.opus = {.bitrate_bps = 100}}).error().code(), errc::invalid_argument);
  EXPECT_EQ(make_decoder({48000, 3, Encoding::opus}).error().code(), errc::invalid_argument);
}

}  // namespace
}  // namespace loqui
