// SPDX-License-Identifier: Apache-2.0
// File: fuzzes the packet path of the jitter buffer (after WebRTC's
// neteq_rtp_fuzzer): fuzzed RTP header fields, arrival times (which may run
// backwards or leap), payloads, flushes and clock jumps, through push() and
// get_audio(). Checks the contract on every frame: exactly frame_samples() samples,
// gap frames all zero, statistics that add up.
//
// Input: one config byte, then records.
//   config: bit0 uplink | bit1 no stretching | bit2 FEC decoder | bits3-4 frame
//           20/10/30/5 ms | bit5 16 kHz (else 8 kHz)
//   record: op byte, then by op % 4:
//     0,1  push: seq u16le, ts u32le, ssrc u8 (& 3), arrival delta i16le (1/4 ms),
//          length u8, payload bytes; marker = op bit 2
//     2    tick: advance u8 (ms), get_audio
//     3    op >> 2 == 0 flush, 1 push_frame (length u8 + bytes), 2 clock jump
//          i32le ms (either way), else stats()
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "loqui/audio/jitter_buffer.hpp"
#include "support/test_decoders.hpp"

namespace {

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  bool take(void* out, std::size_t k) {
    if (n < k) return false;
    std::memcpy(out, p, k);
    p += k;
    n -= k;
    return true;
  }
  bool u8(std::uint8_t& v) { return take(&v, 1); }
};

void check(bool ok) {
  if (!ok) std::abort();
}

void check_frame(const loqui::JitterBuffer& jb, const loqui::AudioFrame& f) {
  check(static_cast<std::size_t>(f.sample_count()) == jb.frame_samples());
  if (f.has_flag(loqui::kFrameGap) && jb.config().mode == loqui::JitterMode::uplink) {
    for (const auto s : f.samples()) check(s == 0);
  }
  const auto st = jb.stats();
  check(st.packets_decoded <= st.packets_received);
  check(st.packets_late <= st.packets_received);
  check(st.total_samples % jb.frame_samples() == 0);
  check(st.concealed_samples + st.gap_samples <= st.total_samples);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r{data, size};
  std::uint8_t conf = 0;
  (void)r.u8(conf);
  const int frames[] = {20, 10, 30, 5};
  const int rate = (conf & 32) ? 16000 : 8000;
  loqui::testing::PcmTestDecoder pcm(rate);
  loqui::testing::FecTestDecoder fec(rate);
  loqui::AudioDecoder& dec = (conf & 4) ? static_cast<loqui::AudioDecoder&>(fec) : pcm;
  loqui::JitterBufferConfig cfg;
  cfg.mode = (conf & 1) ? loqui::JitterMode::uplink : loqui::JitterMode::playout;
  if (conf & 2) cfg.max_stretch_rate = cfg.fast_stretch_rate = 0;
  cfg.frame_ms = frames[(conf >> 3) & 3];
  cfg.max_packets = 32;  // small, so overflow paths are reached
  cfg.max_payload_bytes = 640;
  auto created = loqui::JitterBuffer::create(cfg, dec);
  check(created.ok());
  loqui::JitterBuffer jb = std::move(created).value();

  double clock_ms = 0;
  std::vector<std::byte> payload;
  payload.reserve(256);
  std::uint8_t op = 0;
  while (r.u8(op)) {
    switch (op % 4) {
      case 0:
      case 1: {
        std::uint16_t seq = 0;
        std::uint32_t ts = 0;
        std::uint8_t ssrc = 0, len = 0;
        std::int16_t dt = 0;
        if (!r.take(&seq, 2) || !r.take(&ts, 4) || !r.u8(ssrc) || !r.take(&dt, 2) || !r.u8(len)) return 0;
        payload.resize(std::min<std::size_t>(len, r.n));
        (void)r.take(payload.data(), payload.size());
        loqui::MediaPacket p;
        p.sequence_number = seq;
        p.timestamp = ts;
        p.ssrc = ssrc & 3;
        p.marker = (op & 4) != 0;
        p.arrival = loqui::time_from_ms(clock_ms + dt / 4.0);
        p.payload = payload;
        (void)jb.push(p);
        break;
      }
      case 2: {
        std::uint8_t adv = 0;
        if (!r.u8(adv)) return 0;
        clock_ms += adv;
        check_frame(jb, jb.get_audio(loqui::time_from_ms(clock_ms)));
        break;
      }
      default: {
        const int sub = op >> 2;
        if (sub == 0) {
          jb.flush();
        } else if (sub == 1) {
          std::uint8_t len = 0;
          if (!r.u8(len)) return 0;
          payload.resize(std::min<std::size_t>(len, r.n));
          (void)r.take(payload.data(), payload.size());
          loqui::AudioFrame f = loqui::AudioFrame::view_bytes(dec.input_format(), payload,
                                                              static_cast<std::int64_t>(clock_ms * 8));
          f.set_capture_time(loqui::time_from_ms(clock_ms));
          (void)jb.push_frame(f);
        } else if (sub == 2) {
          std::int32_t jump = 0;
          if (!r.take(&jump, 4)) return 0;
          clock_ms += jump;
        } else {
          (void)jb.stats();
        }
        break;
      }
    }
  }
  for (int i = 0; i < 60; ++i) {  // drain
    clock_ms += cfg.frame_ms;
    check_frame(jb, jb.get_audio(loqui::time_from_ms(clock_ms)));
  }
  return 0;
}
