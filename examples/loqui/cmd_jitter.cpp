// SPDX-License-Identifier: Apache-2.0
// File: `loqui jitter --trace TRACE.tsv`: replays a packet trace through loqui's
// jitter buffer on a simulated clock (no sleeping: an hour of trace takes a second)
// and prints the statistics; with --out, which packet was played in every 20 ms
// playout slot. The packets carry a speech-like signal encoded with the chosen codec
// (G.711 mu-law, or Opus with in-band FEC), so concealment, FEC recovery and
// time-stretching behave as in a call.
//
// Trace: one packet per line, `seq send_ms arrival_ms` (whitespace separated;
// arrival `lost` or -1 for a packet that never arrived; `#` starts a comment line).
// send_ms is on the sender's clock, arrival_ms on the receiver's; the RTP timestamp
// is send_ms on the ptime grid.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "jitter/trace.hpp"
#include "loqui/audio/codecs.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/features.hpp"
#include "loqui/json.hpp"

namespace loqui::cli {
namespace {

struct Codec {
  std::unique_ptr<AudioDecoder> decoder;
  std::unique_ptr<AudioEncoder> encoder;
  int rtp_clock_hz = 8000;
};

Result<Codec> make_codec(const std::string& name, int ptime_ms) {
  Codec c;
  if (name == "pcmu") {
    LOQUI_ASSIGN_OR_RETURN(c.decoder, make_decoder(AudioFormat::mulaw8k()));
    LOQUI_ASSIGN_OR_RETURN(c.encoder, make_encoder(AudioFormat::mulaw8k(), {.frame_ms = ptime_ms}));
    c.rtp_clock_hz = 8000;
    return c;
  }
  // Opus at the 16 kHz a session works at; RTP timestamps at 48 kHz (RFC 7587).
  const AudioFormat opus{16000, 1, Encoding::opus};
  EncoderOptions eo;
  eo.frame_ms = ptime_ms;
  eo.opus.inband_fec = true;
  eo.opus.packet_loss_percent = 10;
  LOQUI_ASSIGN_OR_RETURN(c.decoder, make_decoder(opus));
  LOQUI_ASSIGN_OR_RETURN(c.encoder, make_encoder(opus, eo));
  c.rtp_clock_hz = 48000;
  return c;
}

int run(const Command& self, const Args& args) {
  const auto trace_path = args.get("trace");
  if (!trace_path) return usage_error(self, "--trace TRACE.tsv is required");
  const std::string codec_name = args.get_or("codec", "pcmu");
  if (codec_name != "pcmu" && codec_name != "opus")
    return usage_error(self, "--codec: expected pcmu or opus, found '" + codec_name + "'");
  const std::string mode_name = args.get_or("mode", "playout");
  if (mode_name != "playout" && mode_name != "uplink")
    return usage_error(self, "--mode: expected uplink or playout, found '" + mode_name + "'");
  auto ptime = args.get_int("ptime", 20);
  if (!ptime) return usage_error(self, ptime.error().message());
  if (codec_name == "opus" && *ptime != 10 && *ptime != 20 && *ptime != 40 && *ptime != 60)
    return usage_error(self, "--ptime: Opus packets are 10, 20, 40 or 60 ms, not " + std::to_string(*ptime));
  if (*ptime < 5 || *ptime > 120) return usage_error(self, "--ptime: expected 5..120 ms, found " + std::to_string(*ptime));
#if !LOQUI_HAS_OPUS
  if (codec_name == "opus") return fail(self, "this build has no Opus (LOQUI_WITH_OPUS=OFF)");
#endif

  auto trace = jitter::read_trace_file(*trace_path);
  if (!trace) return fail(self, trace.error().message());
  auto codec = make_codec(codec_name, static_cast<int>(*ptime));
  if (!codec) return fail(self, codec.error());

  jitter::ReplayOptions ro;
  ro.ptime_ms = static_cast<double>(*ptime);
  ro.clock_rate_hz = codec->rtp_clock_hz;
  const int audio_rate = codec->encoder->input_format().sample_rate_hz;
  const auto audio = jitter::speech_like_signal(audio_rate, 30.0);
  auto payloads = jitter::encode_payloads(*trace, *codec->encoder, audio, ro);
  if (!payloads) return fail(self, payloads.error());

  JitterBufferConfig cfg;
  cfg.mode = mode_name == "uplink" ? JitterMode::uplink : JitterMode::playout;
  auto jb = JitterBuffer::create(cfg, *codec->decoder);
  if (!jb) return fail(self, jb.error());
  auto result = jitter::replay_trace(*trace, *payloads, *jb, ro);
  if (!result) return fail(self, result.error());

  if (auto out_path = args.get("out")) {
    std::string text = "# play_ms\tseq (-1: concealed, gap or pre-roll)\n";
    char line[64];
    for (const auto& s : result->slots) {
      std::snprintf(line, sizeof line, "%.3f\t%lld\n", s.play_ms, static_cast<long long>(s.seq));
      text += line;
    }
    if (Status st = write_text_file(*out_path, text); !st) return fail(self, st.error());
  }

  const auto& m = result->metrics;
  const auto& st = result->stats;
  const double rate = jb->output_format().sample_rate_hz;
  if (args.has("json")) {
    Json j = Json::object();
    j["trace"] = *trace_path;
    j["codec"] = codec_name;
    j["mode"] = mode_name;
    j["ptime_ms"] = static_cast<long long>(*ptime);
    j["packets"] = static_cast<long long>(m.packets);
    j["received"] = static_cast<long long>(m.arrived);
    j["lost"] = static_cast<long long>(m.lost);
    j["late"] = static_cast<long long>(m.late);
    j["late_pct"] = m.late_pct;
    j["played"] = static_cast<long long>(m.played);
    j["duplicated"] = static_cast<long long>(st.packets_duplicated);
    j["discarded"] = static_cast<long long>(st.packets_discarded);
    j["fec_recovered"] = static_cast<long long>(st.fec_recovered_packets);
    j["concealed_pct"] = m.concealed_pct;
    j["concealment_events"] = static_cast<long long>(st.concealment_events);
    j["mean_delay_ms"] = m.mean_delay_ms;
    j["p95_delay_ms"] = m.p95_delay_ms;
    j["target_delay_ms"] = st.target_delay_ms;
    j["jitter_ms"] = st.jitter_ms;
    j["removed_ms"] = 1000.0 * static_cast<double>(st.removed_samples_for_acceleration) / rate;
    j["inserted_ms"] = 1000.0 * static_cast<double>(st.inserted_samples_for_deceleration) / rate;
    j["stalls"] = static_cast<long long>(st.stalls);
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("trace %s: %llu packets, codec %s, mode %s, ptime %lld ms, 20 ms playout slots\n", trace_path->c_str(),
              static_cast<unsigned long long>(m.packets), codec_name.c_str(), mode_name.c_str(),
              static_cast<long long>(*ptime));
  std::printf("received %llu  lost %llu  late %llu (%.2f %%)  duplicated %llu  discarded %llu  played %llu\n",
              static_cast<unsigned long long>(m.arrived), static_cast<unsigned long long>(m.lost),
              static_cast<unsigned long long>(m.late), m.late_pct,
              static_cast<unsigned long long>(st.packets_duplicated),
              static_cast<unsigned long long>(st.packets_discarded), static_cast<unsigned long long>(m.played));
  std::printf("%s %.2f %% of output (%llu events)  FEC recovered %llu\n",
              cfg.mode == JitterMode::playout ? "concealed" : "gaps", m.concealed_pct,
              static_cast<unsigned long long>(st.concealment_events),
              static_cast<unsigned long long>(st.fec_recovered_packets));
  std::printf("delay arrival -> played: mean %.1f ms  p95 %.1f ms  (target %.0f ms at the end, jitter %.1f ms)\n",
              m.mean_delay_ms, m.p95_delay_ms, st.target_delay_ms, st.jitter_ms);
  std::printf("time-stretch: removed %.0f ms, inserted %.0f ms; stalls %llu\n",
              1000.0 * static_cast<double>(st.removed_samples_for_acceleration) / rate,
              1000.0 * static_cast<double>(st.inserted_samples_for_deceleration) / rate,
              static_cast<unsigned long long>(st.stalls));
  return kExitOk;
}

}  // namespace

Command jitter_command() {
  return {"jitter",
          "replay a packet trace through the jitter buffer and print its statistics",
          "--trace TRACE.tsv [--codec pcmu|opus] [--mode uplink|playout] [--ptime MS] [--out PLAYOUT.tsv] [--json]",
          "TRACE.tsv has one packet per line: `seq send_ms arrival_ms`, whitespace separated;\n"
          "arrival `lost` or -1 for a lost packet; lines starting with # are ignored.\n"
          "The trace is replayed on a simulated clock (20 ms playout slots from the first arrival),\n"
          "the packets carrying a speech-like signal in the chosen codec.\n"
          "--out writes one line per playout slot: `play_ms seq` (the packet mostly played in\n"
          "the slot, -1 if it was concealed, a gap or pre-roll), play_ms on the trace's arrival clock.\n"
          "late = arrived but never played; delay = from a packet's arrival until it is played.",
          {{"trace", "TRACE.tsv", "the packet trace (required)"},
           {"codec", "pcmu|opus", "codec of the packets (default pcmu; opus sends in-band FEC)"},
           {"mode", "uplink|playout", "jitter buffer mode (default playout)"},
           {"ptime", "MS", "packet duration in ms (default 20)"},
           {"out", "PLAYOUT.tsv", "write the packet played in each slot"},
           {"json", "", "print one JSON object instead of text"}},
          &run,
          0,
          0};
}

}  // namespace loqui::cli
