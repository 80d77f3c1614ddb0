// SPDX-License-Identifier: Apache-2.0
// File: packet traces for the jitter buffer: parsing, generation, replay, metrics.
#include "jitter/trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>

namespace loqui::jitter {

// ---------------------------------------------------------------------------------
// Text format

namespace {
Error line_error(std::string_view source, std::size_t line, const std::string& what) {
  return Error(errc::parse_error, std::string(source) + ":" + std::to_string(line) + ": " + what);
}

bool parse_double(std::string_view s, double& out) {
  // std::from_chars for double is available in GCC 12's libstdc++.
  const auto* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, out);
  return r.ec == std::errc() && r.ptr == end && std::isfinite(out);
}
}  // namespace

Result<std::vector<TraceEntry>> parse_trace(std::string_view text, std::string_view source) {
  std::vector<TraceEntry> out;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') {
      if (eol == text.size()) break;
      continue;
    }
    std::string_view fields[4];
    std::size_t nf = 0;
    std::size_t i = first;
    while (i < line.size()) {
      const auto start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
      if (nf < 4) fields[nf] = line.substr(start, i - start);
      ++nf;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    }
    if (nf != 3)
      return line_error(source, line_no,
                        "expected 3 fields `seq send_ms arrival_ms`, found " + std::to_string(nf));
    TraceEntry e;
    long long seq = 0;
    const auto r = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), seq);
    if (r.ec != std::errc() || r.ptr != fields[0].data() + fields[0].size() || seq < 0)
      return line_error(source, line_no, "seq must be a non-negative integer, found '" + std::string(fields[0]) + "'");
    e.seq = seq;
    if (!parse_double(fields[1], e.send_ms))
      return line_error(source, line_no, "send_ms must be a number, found '" + std::string(fields[1]) + "'");
    if (fields[2] == "lost" || fields[2] == "-1") {
      e.arrival_ms = -1;
    } else if (!parse_double(fields[2], e.arrival_ms) || e.arrival_ms < 0) {
      return line_error(source, line_no,
                        "arrival_ms must be a non-negative number, -1 or 'lost', found '" + std::string(fields[2]) + "'");
    }
    out.push_back(e);
    if (eol == text.size()) break;
  }
  if (out.empty()) return Error(errc::parse_error, std::string(source) + ": no packets in trace");
  return out;
}

Result<std::vector<TraceEntry>> read_trace_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(errc::io_error, path.string() + ": cannot open trace");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error(errc::io_error, path.string() + ": read error");
  return parse_trace(text, path.string());
}

std::string format_trace(const std::vector<TraceEntry>& trace, std::string_view comment) {
  std::string s;
  if (!comment.empty()) s += "# " + std::string(comment) + "\n";
  s += "# seq\tsend_ms\tarrival_ms\n";
  char line[96];
  for (const auto& e : trace) {
    if (e.lost())
      std::snprintf(line, sizeof line, "%lld\t%.3f\tlost\n", static_cast<long long>(e.seq), e.send_ms);
    else
      std::snprintf(line, sizeof line, "%lld\t%.3f\t%.3f\n", static_cast<long long>(e.seq), e.send_ms, e.arrival_ms);
    s += line;
  }
  return s;
}

// ---------------------------------------------------------------------------------
// Generator

namespace {
// Uniform in (0, 1), identical on every platform (std distributions are not).
class Uniform {
 public:
  explicit Uniform(std::uint64_t seed) : rng_(seed) {}
  double operator()() { return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53; }

 private:
  std::mt19937_64 rng_;
};
}  // namespace

std::vector<TraceEntry> generate_trace(const TraceSpec& spec) {
  Uniform u(spec.seed);
  const auto n = static_cast<std::size_t>(std::max(0.0, spec.duration_s * 1000.0 / spec.ptime_ms));
  std::vector<TraceEntry> out(n);
  const double p_spike = spec.spikes_per_min * spec.ptime_ms / 60000.0;
  double j = 0;
  double fifo = -1e18;
  double spike_end = -1e18;
  std::size_t burst_left = 0;
  for (std::size_t k = 0; k < n; ++k) {
    // Draw every random number every time so each feature is independent of the others.
    const double u_loss = u(), u_burst = u(), u_burst_len = u(), u_jit = u(), u_spike = u(), u_spike_len = u(),
                 u_reorder = u(), u_reorder_len = u();
    TraceEntry& e = out[k];
    e.seq = static_cast<std::int64_t>(k);
    e.send_ms = static_cast<double>(k) * spec.ptime_ms;
    const double sent_rx = e.send_ms / (1.0 + spec.drift_ppm * 1e-6);  // on the receiver's clock

    bool lost = false;
    if (burst_left > 0) {
      lost = true;
      --burst_left;
    } else if (u_burst < spec.burst_loss_start) {
      const double extra = std::floor(-std::log(u_burst_len) * std::max(0.0, spec.burst_loss_mean_len - 1.0));
      burst_left = static_cast<std::size_t>(std::min(extra, 1000.0));
      lost = true;
    } else if (u_loss < spec.random_loss) {
      lost = true;
    }

    const double x = spec.jitter == TraceSpec::Jitter::pareto
                         ? spec.jitter_scale_ms * (std::pow(u_jit, -1.0 / spec.jitter_shape) - 1.0)
                         : spec.jitter_scale_ms * std::pow(-std::log(u_jit), 1.0 / spec.jitter_shape);
    j = std::max(spec.jitter_memory * j, std::min(x, 5000.0));
    if (u_spike < p_spike) spike_end = sent_rx + spec.spike_min_ms + u_spike_len * (spec.spike_max_ms - spec.spike_min_ms);

    double arrival = sent_rx + spec.base_delay_ms + j;
    if (sent_rx < spike_end) arrival = std::max(arrival, spike_end + spec.base_delay_ms);  // queued behind a stall
    if (u_reorder < spec.reorder) {
      arrival += spec.ptime_ms * (1.05 + 2.0 * u_reorder_len);  // overtaken by the next ones
    } else {
      arrival = std::max(arrival, fifo + 0.2);  // the path is FIFO: a burst drains back to back
      fifo = arrival;
    }
    e.arrival_ms = lost ? -1.0 : std::round(arrival * 1000.0) / 1000.0;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Metrics

MetricsAccumulator::MetricsAccumulator(const std::vector<TraceEntry>& trace) {
  if (trace.empty()) return;
  std::int64_t lo = trace.front().seq;
  std::int64_t hi = lo;
  for (const auto& e : trace) {
    lo = std::min(lo, e.seq);
    hi = std::max(hi, e.seq);
  }
  min_seq_ = lo;
  const auto span = static_cast<std::size_t>(std::min<std::int64_t>(hi - lo + 1, 1 << 26));
  arrival_.assign(span, -1.0);
  played_.assign(span, 0);
  std::vector<std::uint8_t> sent(span, 0);
  for (const auto& e : trace) {
    const auto i = static_cast<std::size_t>(e.seq - lo);
    if (i >= span) continue;
    if (!sent[i]) {
      sent[i] = 1;
      ++m_.packets;
    }
    if (!e.lost() && (arrival_[i] < 0 || e.arrival_ms < arrival_[i])) arrival_[i] = e.arrival_ms;
  }
  for (std::size_t i = 0; i < span; ++i) {
    if (!sent[i]) continue;
    if (arrival_[i] >= 0)
      ++m_.arrived;
    else
      ++m_.lost;
  }
}

void MetricsAccumulator::on_output(std::uint64_t samples, std::uint64_t concealed) {
  pending_samples_ += samples;
  pending_concealed_ += concealed;
  if (concealed < samples) {  // some real audio: everything so far counts
    m_.output_samples += pending_samples_;
    m_.concealed_samples += pending_concealed_;
    pending_samples_ = pending_concealed_ = 0;
  }
}

void MetricsAccumulator::on_played(std::int64_t trace_seq, double play_ms) {
  const std::int64_t i = trace_seq - min_seq_;
  if (i < 0 || static_cast<std::size_t>(i) >= arrival_.size()) return;
  const auto k = static_cast<std::size_t>(i);
  if (arrival_[k] < 0 || played_[k]) return;  // never arrived (e.g. FEC-recovered) or already counted
  played_[k] = 1;
  ++m_.played;
  delays_.push_back(play_ms - arrival_[k]);
}

TraceMetrics MetricsAccumulator::finish() const {
  TraceMetrics m = m_;
  m.late = m.arrived >= m.played ? m.arrived - m.played : 0;
  m.late_pct = m.packets ? 100.0 * static_cast<double>(m.late) / static_cast<double>(m.packets) : 0.0;
  m.concealed_pct = m.output_samples ? 100.0 * static_cast<double>(m.concealed_samples) /
                                           static_cast<double>(m.output_samples)
                                     : 0.0;
  if (!delays_.empty()) {
    std::vector<double> d = delays_;
    m.mean_delay_ms = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
    const auto k = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(d.size()))) - 1;
    std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(k), d.end());
    m.p95_delay_ms = d[k];
  }
  return m;
}

// ---------------------------------------------------------------------------------
// Replay

std::uint32_t rtp_timestamp(const TraceEntry& e, const ReplayOptions& o) {
  const double slots = std::round(e.send_ms / o.ptime_ms);
  const double units = slots * o.ptime_ms * o.clock_rate_hz / 1000.0;
  const auto wrapped = static_cast<std::int64_t>(std::fmod(units, 4294967296.0));
  return o.ts_base + static_cast<std::uint32_t>(wrapped);
}

Result<ReplayResult> replay_trace(const std::vector<TraceEntry>& trace,
                                  const std::vector<std::vector<std::byte>>& payloads, JitterBuffer& jb,
                                  const ReplayOptions& options) {
  if (payloads.size() != trace.size())
    return Error(errc::invalid_argument, "replay_trace: " + std::to_string(payloads.size()) + " payloads for " +
                                             std::to_string(trace.size()) + " trace lines");
  ReplayResult result;
  MetricsAccumulator acc(trace);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < trace.size(); ++i)
    if (!trace[i].lost()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return trace[a].arrival_ms < trace[b].arrival_ms; });
  if (order.empty()) {
    result.metrics = acc.finish();
    result.stats = jb.stats();
    return result;
  }
  const double frame_ms = jb.config().frame_ms;
  const double start = trace[order.front()].arrival_ms;
  const double last = trace[order.back()].arrival_ms;
  const double tail = options.tail_ms > 0 ? options.tail_ms : 1.5 * jb.config().max_delay_ms + 200.0;
  // Extended sequence numbers start at the first pushed packet's 16-bit number.
  const std::int64_t first_trace_seq = trace[order.front()].seq;
  const std::int64_t first_seq16 = first_trace_seq & 0xffff;
  auto to_trace_seq = [&](std::int64_t ext) { return first_trace_seq + (ext - first_seq16); };

  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      hash ^= (v >> (8 * i)) & 0xff;
      hash *= 1099511628211ull;
    }
  };
  std::size_t next = 0;
  const std::size_t ticks = static_cast<std::size_t>((last + tail - start) / frame_ms) + 1;
  result.slots.reserve(ticks);
  for (std::size_t k = 0; k < ticks; ++k) {
    const double t = start + static_cast<double>(k) * frame_ms;
    while (next < order.size() && trace[order[next]].arrival_ms <= t) {
      const TraceEntry& e = trace[order[next]];
      MediaPacket p;
      p.sequence_number = static_cast<std::uint16_t>(e.seq & 0xffff);
      p.timestamp = rtp_timestamp(e, options);
      p.ssrc = options.ssrc;
      p.arrival = time_from_ms(e.arrival_ms);
      p.payload = payloads[order[next]];
      (void)jb.push(p);
      ++next;
    }
    const AudioFrame f = jb.get_audio(time_from_ms(t));
    const JitterFrameInfo& info = jb.last_frame_info();
    SlotRecord slot;
    slot.play_ms = t;
    slot.seq = info.sequence >= 0 ? to_trace_seq(info.sequence) : -1;
    slot.flags = info.flags;
    slot.preroll = info.preroll;
    result.slots.push_back(slot);
    if (!info.preroll)
      acc.on_output(static_cast<std::uint64_t>(f.sample_count()), info.concealed_samples + info.gap_samples);
    for (std::size_t i = 0; i < info.played_count; ++i)
      acc.on_played(to_trace_seq(info.played[i].sequence), to_ms(info.played[i].played));
    for (const auto s : f.samples()) mix(static_cast<std::uint16_t>(s), 2);
    mix(info.flags, 4);
    // Done once every packet has arrived and nothing is left to play.
    if (next == order.size() && info.real_samples == 0 && !info.preroll) {
      const JitterStats st = jb.stats();
      if (st.packets_buffered == 0 && st.buffered_ms <= 0) break;
    }
  }
  result.metrics = acc.finish();
  result.stats = jb.stats();
  result.output_hash = hash;
  return result;
}

std::vector<std::int16_t> speech_like_signal(int rate_hz, double seconds, double level) {
  const auto n = static_cast<std::size_t>(std::max(0.0, rate_hz * seconds));
  std::vector<std::int16_t> s(n);
  double phase = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    const double f0 = 145.0 + 35.0 * std::sin(2 * M_PI * 0.3 * t);
    phase += 2 * M_PI * f0 / rate_hz;
    const double env = std::max(0.0, std::sin(2 * M_PI * 2.0 * t));  // ~4 syllables/s, pauses between
    const double v = 0.6 * std::sin(phase) + 0.3 * std::sin(2 * phase + 0.5) + 0.15 * std::sin(3 * phase + 1.0);
    s[i] = static_cast<std::int16_t>(std::lround(level * env * v));
  }
  return s;
}

Result<std::vector<std::vector<std::byte>>> encode_payloads(const std::vector<TraceEntry>& trace,
                                                            AudioEncoder& encoder,
                                                            std::span<const std::int16_t> audio,
                                                            const ReplayOptions& options) {
  const int rate = encoder.input_format().sample_rate_hz;
  const auto packet = static_cast<std::size_t>(std::llround(options.ptime_ms * rate / 1000.0));
  if (packet == 0 || audio.size() < packet)
    return Error(errc::invalid_argument, "encode_payloads: audio shorter than one packet");
  std::vector<std::vector<std::byte>> out(trace.size());
  if (trace.empty()) return out;
  // Slots on the ptime grid, encoded from the first to the last in order.
  std::vector<std::int64_t> slot(trace.size());
  std::int64_t lo = 0, hi = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    slot[i] = static_cast<std::int64_t>(std::llround(trace[i].send_ms / options.ptime_ms));
    lo = i == 0 ? slot[i] : std::min(lo, slot[i]);
    hi = i == 0 ? slot[i] : std::max(hi, slot[i]);
  }
  if (hi - lo > static_cast<std::int64_t>(86400000.0 / options.ptime_ms))
    return Error(errc::invalid_argument, "encode_payloads: the trace spans more than 24 hours of packets");
  std::vector<std::size_t> by_slot(trace.size());
  for (std::size_t i = 0; i < trace.size(); ++i) by_slot[i] = i;
  std::stable_sort(by_slot.begin(), by_slot.end(), [&](std::size_t a, std::size_t b) { return slot[a] < slot[b]; });
  std::vector<std::byte> buf(4000);
  std::size_t k = 0;
  for (std::int64_t sl = lo; sl <= hi && k < by_slot.size(); ++sl) {
    const std::size_t off = static_cast<std::size_t>(sl - lo) * packet % (audio.size() - packet + 1);
    auto n = encoder.encode(audio.subspan(off, packet), buf);
    if (!n) return Error(n.error().code(), "encode_payloads: packet " + std::to_string(sl) + ": " + n.error().message());
    while (k < by_slot.size() && slot[by_slot[k]] == sl) {
      out[by_slot[k]].assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
      ++k;
    }
  }
  return out;
}

}  // namespace loqui::jitter
