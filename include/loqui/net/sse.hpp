// SPDX-License-Identifier: Apache-2.0
// File: an incremental Server-Sent Events parser (WHATWG "event stream
// interpretation"), used by the HTTP streaming LLM adapters and usable by
// third-party adapters. A pure function of the bytes fed to it, so it is fuzzed
// directly (tests/fuzz/sse_parser_fuzz.cpp).
//
// What it handles (PROTOCOLS.md 0.2, 3.7):
//  * line ends CRLF, LF or a lone CR, including a CRLF split across two feeds;
//  * events split across any chunk boundary (even inside "data:" or the CRLF);
//  * comment lines (": ping", ": OPENROUTER PROCESSING", a bare ":") are counted and
//    never turned into events, so they never reach a JSON parser;
//  * several `data:` lines joined with "\n"; exactly one space after the colon stripped;
//  * `event:`, `id:` (persists across events, as the spec says) and `retry:`;
//  * a UTF-8 byte order mark at the very start.
// Like the spec, a blank line with no `data:` line before it dispatches nothing;
// a `data:` line with nothing after it gives an event with empty data (the
// OpenAI decoder skips those, PROTOCOLS.md 0.2).
//
// Thread safety: a value type. Distinct objects: safe. Shared objects: unsafe.
//
// @code
//   loqui::SseParser sse;
//   LOQUI_TRY(sse.feed(chunk));                 // any bytes, any split
//   for (const loqui::SseEvent& e : sse.events())
//     if (e.data.rfind("[DONE]", 0) == 0) done = true; else handle(e.event, e.data);
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"

namespace loqui {

/// One dispatched event. Views are valid until the next feed(), finish() or reset().
struct SseEvent {
  std::string_view event;  ///< the `event:` field; empty when none was given ("message")
  std::string_view data;   ///< `data:` lines joined with "\n" (no trailing newline)
  std::string_view id;     ///< the last event id seen so far (empty if none)
  std::optional<std::int64_t> retry_ms;  ///< a valid `retry:` field in this event
};

class SseParser {
 public:
  struct Limits {
    /// Largest single line or event (data of all its lines). Beyond it feed()
    /// fails with errc::overflow instead of buffering without bound.
    std::size_t max_event_bytes = 8u << 20;
  };

  SseParser() = default;
  explicit SseParser(Limits limits) : limits_(limits) {}

  /// Consumes `bytes`; complete events are then in events(). Errors: errc::overflow
  /// when a line or an event exceeds Limits::max_event_bytes; the parser then stays
  /// failed (every later feed() returns the same error) until reset().
  Status feed(std::string_view bytes);
  /// Events completed by the last feed(), in stream order.
  const std::vector<SseEvent>& events() const noexcept { return events_; }

  /// End of the stream. Per the spec an event without its terminating blank line is
  /// discarded; returns true if such a partial event (or partial line) was pending,
  /// so the caller can report a truncated stream. Clears events().
  bool finish();
  void reset();

  /// Comment lines seen so far (keepalives such as ": ping").
  std::uint64_t comments() const noexcept { return comments_; }
  /// Events dispatched so far.
  std::uint64_t dispatched() const noexcept { return dispatched_; }
  /// Bytes fed so far.
  std::uint64_t bytes_fed() const noexcept { return bytes_fed_; }

 private:
  struct Span {
    std::size_t event_off, event_len, data_off, data_len, id_off, id_len;
    std::optional<std::int64_t> retry_ms;
  };
  Status fail(std::string message);
  void process_line(std::string_view line);
  void dispatch();

  Limits limits_{};
  std::string line_;          // an unterminated line carried over between feeds
  std::string data_;          // data buffer of the event being built
  std::string event_type_;    // event type buffer
  std::string last_id_;       // last event id buffer
  std::optional<std::int64_t> retry_ms_;
  bool has_data_ = false;     // a data: line was seen for the current event
  bool pending_fields_ = false;  // any field line seen since the last dispatch
  bool skip_lf_ = false;      // the previous feed ended on CR: a leading LF belongs to it
  bool at_start_ = true;      // BOM check
  std::optional<Error> failed_;

  std::string store_;         // backing storage for this feed's event views
  std::vector<Span> spans_;
  std::vector<SseEvent> events_;

  std::uint64_t comments_ = 0;
  std::uint64_t dispatched_ = 0;
  std::uint64_t bytes_fed_ = 0;
};

}  // namespace loqui
