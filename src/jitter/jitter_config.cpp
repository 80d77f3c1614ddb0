// SPDX-License-Identifier: Apache-2.0
// File: the jitter buffer's JSON side: configuration from JSON (through
// ConfigReader, so unknown keys and bad values are errors naming the path) and
// statistics as JSON. Kept apart from the media code, which needs no JSON.
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/config.hpp"
#include "loqui/json.hpp"

namespace loqui {

Result<JitterBufferConfig> JitterBufferConfig::from_json(const Json& json, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(json, std::string(path), errors);
  JitterBufferConfig c;
  const std::string mode = r.get_enum("mode", "playout", {"uplink", "playout"});
  c.mode = mode == "uplink" ? JitterMode::uplink : JitterMode::playout;
  c.frame_ms = static_cast<int>(r.get_int("frame_ms", c.frame_ms, {5, 120}));
  c.clock_rate_hz = static_cast<int>(r.get_int("clock_rate_hz", c.clock_rate_hz, {0, 384000}));
  c.initial_delay_ms = static_cast<int>(r.get_int("initial_delay_ms", c.initial_delay_ms, {0, 10000}));
  c.min_delay_ms = static_cast<int>(r.get_int("min_delay_ms", c.min_delay_ms, {0, 10000}));
  c.max_delay_ms = static_cast<int>(r.get_int("max_delay_ms", c.max_delay_ms, {20, 10000}));
  c.max_packets = static_cast<int>(r.get_int("max_packets", c.max_packets, {8, 4096}));
  c.max_payload_bytes = static_cast<int>(r.get_int("max_payload_bytes", c.max_payload_bytes, {1, 65536}));
  c.max_packet_ms = static_cast<int>(r.get_int("max_packet_ms", c.max_packet_ms, {10, 120}));
  c.max_stretch_rate = r.get_number("max_stretch_rate", c.max_stretch_rate, {0.0, 0.5});
  c.fast_stretch_rate = r.get_number("fast_stretch_rate", c.fast_stretch_rate, {0.0, 0.5});
  c.fast_threshold_ms = static_cast<int>(r.get_int("fast_threshold_ms", c.fast_threshold_ms, {0, 10000}));
  c.late_cost_ms_per_percent = r.get_number("late_cost_ms_per_percent", c.late_cost_ms_per_percent, {0.0, 10000.0});
  c.stall_cost_ms_per_percent = r.get_number("stall_cost_ms_per_percent", c.stall_cost_ms_per_percent, {0.0, 10000.0});
  c.forget_factor = r.get_number("forget_factor", c.forget_factor, {0.9, 0.99999});
  c.use_fec = r.get_bool("use_fec", c.use_fec);
  LOQUI_TRY(r.finish());
  if (Status s = c.validate(); !s) return Error(s.error().code(), std::string(path) + s.error().message().substr(6));
  return c;
}

Json JitterStats::to_json() const {
  Json j = Json::object();
  auto i64 = [](auto v) { return Json(static_cast<long long>(v)); };
  j["packets_received"] = i64(packets_received);
  j["packets_lost"] = i64(packets_lost);
  j["packets_late"] = i64(packets_late);
  j["packets_duplicated"] = i64(packets_duplicated);
  j["packets_discarded"] = i64(packets_discarded);
  j["packets_decoded"] = i64(packets_decoded);
  j["decode_errors"] = i64(decode_errors);
  j["fec_recovered_packets"] = i64(fec_recovered_packets);
  j["fec_recovered_samples"] = i64(fec_recovered_samples);
  j["total_samples"] = i64(total_samples);
  j["concealed_samples"] = i64(concealed_samples);
  j["gap_samples"] = i64(gap_samples);
  j["concealment_events"] = i64(concealment_events);
  j["inserted_samples_for_deceleration"] = i64(inserted_samples_for_deceleration);
  j["removed_samples_for_acceleration"] = i64(removed_samples_for_acceleration);
  j["stalls"] = i64(stalls);
  j["stall_recovered_packets"] = i64(stall_recovered_packets);
  j["ssrc_changes"] = i64(ssrc_changes);
  j["resyncs"] = i64(resyncs);
  j["jitter_buffer_delay_ms"] = jitter_buffer_delay_ms;
  j["jitter_buffer_emitted_count"] = i64(jitter_buffer_emitted_count);
  j["current_delay_ms"] = current_delay_ms;
  j["target_delay_ms"] = target_delay_ms;
  j["jitter_ms"] = jitter_ms;
  j["packets_buffered"] = i64(packets_buffered);
  j["buffered_ms"] = buffered_ms;
  return j;
}

}  // namespace loqui
