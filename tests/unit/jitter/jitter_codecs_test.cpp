// SPDX-License-Identifier: Apache-2.0
// File: the jitter buffer with the real codecs: Opus in-band FEC recovers lost
// packets from the next one; G.711's pitch-repetition PLC fills losses in playout
// mode while uplink mode gives gap frames; time-stretching of real decoded audio
// stays click-free.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "jitter/trace.hpp"
#include "loqui/audio/codecs.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/features.hpp"

namespace loqui {
namespace {

struct Played {
  std::vector<std::int16_t> out;
  std::vector<std::uint32_t> flags;
  std::vector<JitterFrameInfo> infos;
  JitterStats stats;
};

// Packets of `ptime_ms` cut from `audio`, encoded in order, sent every ptime with a
// fixed network delay; packets in `lost` never arrive.
Played play(AudioEncoder& enc, AudioDecoder& dec, const std::vector<std::int16_t>& audio, int ptime_ms,
         const std::vector<int>& lost, JitterBufferConfig cfg, int clock_hz) {
  auto jb = JitterBuffer::create(cfg, dec).value();
  const int rate = enc.input_format().sample_rate_hz;
  const std::size_t packet = static_cast<std::size_t>(rate * ptime_ms / 1000);
  const std::size_t n = audio.size() / packet;
  std::vector<std::vector<std::byte>> payloads(n);
  std::vector<std::byte> buf(4000);
  for (std::size_t k = 0; k < n; ++k) {
    auto r = enc.encode(std::span(audio).subspan(k * packet, packet), buf);
    EXPECT_TRUE(r.ok());
    payloads[k].assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.value_or(0)));
  }
  Played run;
  std::size_t next = 0;
  for (double t = 0; t < ptime_ms * static_cast<double>(n) + 400; t += cfg.frame_ms) {
    while (next < n && 30.0 + ptime_ms * static_cast<double>(next) <= t) {
      if (std::find(lost.begin(), lost.end(), static_cast<int>(next)) == lost.end()) {
        MediaPacket p;
        p.sequence_number = static_cast<std::uint16_t>(next);
        p.timestamp = static_cast<std::uint32_t>(next * static_cast<std::size_t>(clock_hz * ptime_ms / 1000));
        p.arrival = time_from_ms(30.0 + ptime_ms * static_cast<double>(next));
        p.payload = payloads[next];
        (void)jb.push(p);
      }
      ++next;
    }
    const AudioFrame f = jb.get_audio(time_from_ms(t));
    run.out.insert(run.out.end(), f.samples().begin(), f.samples().end());
    run.flags.push_back(f.flags());
    run.infos.push_back(jb.last_frame_info());
  }
  run.stats = jb.stats();
  return run;
}

JitterBufferConfig plain(JitterMode mode) {
  JitterBufferConfig c;
  c.mode = mode;
  c.max_stretch_rate = c.fast_stretch_rate = 0;
  return c;
}

#if LOQUI_HAS_OPUS
TEST(JitterBufferCodecs, OpusFecRecoversLostPackets) {
  const AudioFormat opus{16000, 1, Encoding::opus};
  EncoderOptions eo;
  eo.frame_ms = 20;
  eo.opus.inband_fec = true;
  eo.opus.packet_loss_percent = 20;
  eo.opus.bitrate_bps = 32000;
  auto enc = make_encoder(opus, eo).value();
  auto dec = make_decoder(opus).value();
  const auto audio = jitter::speech_like_signal(16000, 6.0);
  std::vector<int> lost;
  for (int k = 20; k < 290; k += 13) lost.push_back(k);  // 21 isolated losses, ~7 %
  for (const auto mode : {JitterMode::playout, JitterMode::uplink}) {
    dec->reset();
    enc->reset();
    const Played r = play(*enc, *dec, audio, 20, lost, plain(mode), 48000);
    SCOPED_TRACE(to_string(mode));
    EXPECT_EQ(r.stats.packets_lost, static_cast<std::int64_t>(lost.size()));
    EXPECT_EQ(r.stats.fec_recovered_packets, lost.size());
    std::size_t fec_frames = 0;
    std::size_t first = 0, last = 0;
    for (std::size_t i = 0; i < r.infos.size(); ++i) {
      if (r.infos[i].real_samples > 0) {
        if (first == 0) first = i;
        last = i;
      }
      fec_frames += (r.flags[i] & kFrameFecRecovered) != 0;
    }
    EXPECT_EQ(fec_frames, lost.size());
    // Nothing concealed or gapped while the stream runs: every loss came back from FEC.
    for (std::size_t i = first; i < last; ++i) {
      EXPECT_EQ(r.infos[i].concealed_samples + r.infos[i].gap_samples, 0u) << i;
    }
  }
  // The 48 kHz RTP clock is the default for Opus even though it decodes at 16 kHz.
  auto jb = JitterBuffer::create({}, *dec).value();
  EXPECT_EQ(jb.output_format().sample_rate_hz, 16000);
}

// FEC must bring back the lost audio, not just something plausible: against the
// same stream played without loss, the recovered spans match far better with
// in-band FEC than with Opus PLC. (libopus 1.3 cannot tell whether a packet carries
// LBRR; decode_fec on one without it falls back to PLC and still counts as
// recovered. Quality is what shows the difference.)
double loss_span_snr_db(const Played& clean, const Played& lossy) {
  double sig = 0, err = 0;
  for (std::size_t i = 0; i < lossy.infos.size() && i < clean.infos.size(); ++i) {
    if (!(lossy.flags[i] & (kFrameFecRecovered | kFrameConcealed)) || lossy.infos[i].real_samples == 0) continue;
    const std::size_t n = 320;
    for (std::size_t j = 0; j < n; ++j) {
      const double c = clean.out[i * n + j];
      sig += c * c;
      err += (c - lossy.out[i * n + j]) * (c - lossy.out[i * n + j]);
    }
  }
  return 10 * std::log10((sig + 1) / (err + 1));
}

TEST(JitterBufferCodecs, OpusFecBeatsPlcOnTheLostAudio) {
  const AudioFormat opus{16000, 1, Encoding::opus};
  const auto audio = jitter::speech_like_signal(16000, 6.0);
  std::vector<int> lost;
  for (int k = 20; k < 290; k += 13) lost.push_back(k);
  double snr[2] = {};
  for (const bool fec : {false, true}) {
    EncoderOptions eo;
    eo.frame_ms = 20;
    eo.opus.inband_fec = fec;
    eo.opus.packet_loss_percent = fec ? 20 : 0;
    eo.opus.bitrate_bps = 32000;
    auto enc = make_encoder(opus, eo).value();
    auto dec = make_decoder(opus).value();
    const Played clean = play(*enc, *dec, audio, 20, {}, plain(JitterMode::playout), 48000);
    enc->reset();
    dec->reset();
    const Played lossy = play(*enc, *dec, audio, 20, lost, plain(JitterMode::playout), 48000);
    snr[fec] = loss_span_snr_db(clean, lossy);
  }
  RecordProperty("plc_snr_db", std::to_string(snr[0]));
  RecordProperty("fec_snr_db", std::to_string(snr[1]));
  // Measured: FEC ~33 dB, PLC ~11 dB.
  EXPECT_GT(snr[1], 20.0);
  EXPECT_GT(snr[1], snr[0] + 10.0) << "PLC " << snr[0] << " dB, FEC " << snr[1] << " dB";
}
#endif

TEST(JitterBufferCodecs, G711PlcFillsLossesInPlayoutButUplinkGetsGaps) {
  auto enc = make_encoder(AudioFormat::mulaw8k()).value();
  const auto audio = jitter::speech_like_signal(8000, 4.0);
  // Packets 52-53 fall in the middle of a syllable (the signal's envelope peaks
  // every 0.5 s from 0.125 s): 1.04-1.08 s.
  const std::vector<int> lost = {52, 53};
  auto dec = make_decoder(AudioFormat::mulaw8k()).value();
  const Played playout = play(*enc, *dec, audio, 20, lost, plain(JitterMode::playout), 8000);
  auto dec2 = make_decoder(AudioFormat::mulaw8k()).value();
  const Played uplink = play(*enc, *dec2, audio, 20, lost, plain(JitterMode::uplink), 8000);
  EXPECT_EQ(playout.stats.packets_lost, 2);
  EXPECT_EQ(uplink.stats.packets_lost, 2);
  std::size_t concealed_frames = 0;
  for (std::size_t i = 0; i < playout.flags.size(); ++i) {
    if (!(playout.flags[i] & kFrameConcealed) || playout.infos[i].real_samples > 0) continue;
    if (playout.infos[i].concealed_samples < 160) continue;
    if (i + 3 >= playout.flags.size() || playout.infos[i + 3].real_samples == 0) continue;  // not the end of stream
    ++concealed_frames;
    // Pitch repetition, not silence: the concealed frame carries a voiced signal.
    double e = 0;
    for (std::size_t j = 0; j < 160; ++j) e += std::pow(playout.out[i * 160 + j], 2);
    EXPECT_GT(std::sqrt(e / 160), 300.0) << i;
    EXPECT_EQ(playout.flags[i] & kFrameGap, 0u);
  }
  EXPECT_EQ(concealed_frames, 2u);
  std::size_t gap_frames = 0;
  for (std::size_t i = 0; i < uplink.flags.size(); ++i) {
    if (uplink.infos[i].preroll || !(uplink.flags[i] & kFrameGap)) continue;
    if (i + 3 >= uplink.flags.size() || uplink.infos[i + 3].real_samples == 0) continue;
    ++gap_frames;
    for (std::size_t j = 0; j < 160; ++j) ASSERT_EQ(uplink.out[i * 160 + j], 0);
    EXPECT_EQ(uplink.flags[i] & kFrameConcealed, 0u);
  }
  EXPECT_EQ(gap_frames, 2u);
  EXPECT_EQ(uplink.stats.concealed_samples, 0u);
}

TEST(JitterBufferCodecs, TimeStretchingRealSpeechIsClickFree) {
  // 0.1 % fast sender: the buffer removes pitch periods from decoded G.711 audio.
  auto enc = make_encoder(AudioFormat::mulaw8k()).value();
  auto dec = make_decoder(AudioFormat::mulaw8k()).value();
  const auto audio = jitter::speech_like_signal(8000, 40.0);
  auto jb = JitterBuffer::create(JitterBufferConfig{}, *dec).value();
  std::vector<std::byte> buf(400);
  std::vector<std::int16_t> out;
  std::size_t next = 0;
  const std::size_t n = audio.size() / 160;
  for (double t = 0; t < 40000; t += 20) {
    while (next < n && 30.0 + 20.0 * next * 0.98 <= t) {  // 2 % fast, to stretch often
      const auto len = enc->encode(std::span(audio).subspan(next * 160, 160), buf).value();
      MediaPacket p;
      p.sequence_number = static_cast<std::uint16_t>(next);
      p.timestamp = static_cast<std::uint32_t>(next * 160);
      p.arrival = time_from_ms(30.0 + 20.0 * next * 0.98);
      p.payload = std::span(buf).first(len);
      (void)jb.push(p);
      ++next;
    }
    const AudioFrame f = jb.get_audio(time_from_ms(t));
    out.insert(out.end(), f.samples().begin(), f.samples().end());
  }
  const auto st = jb.stats();
  EXPECT_GT(st.removed_samples_for_acceleration, 4000u);  // most of the 2 % (6400 samples)
  EXPECT_LT(st.stalls, 5u);
  // The source changes by at most ~1100 per sample (level 8000, <= 540 Hz harmonics
  // at 8 kHz); a click at a splice would be a far larger step.
  int max_step = 0;
  for (std::size_t i = 1; i < out.size(); ++i) max_step = std::max(max_step, std::abs(out[i] - out[i - 1]));
  EXPECT_LT(max_step, 2500);
}

}  // namespace
}  // namespace loqui
