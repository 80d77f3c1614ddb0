// SPDX-License-Identifier: Apache-2.0
// File: SseParser, the incremental Server-Sent Events parser (see loqui/net/sse.hpp).
// Lines are scanned in place in the fed bytes; only a line cut by a chunk boundary
// is copied into line_. Events of one feed share one backing string, so a steady
// stream reuses the same buffers and allocates nothing per event.
#include "loqui/net/sse.hpp"

#include <cstring>

namespace loqui {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Index of the first CR or LF at or after `from`, or npos.
std::size_t find_eol(std::string_view s, std::size_t from) noexcept {
  const char* const begin = s.data();
  const char* p = begin + from;
  const char* const end = begin + s.size();
  for (; p < end; ++p)
    if (*p == '\n' || *p == '\r') return static_cast<std::size_t>(p - begin);
  return std::string_view::npos;
}
}  // namespace

Status SseParser::fail(std::string message) {
  failed_ = Error(errc::overflow, std::move(message));
  return *failed_;
}

Status SseParser::feed(std::string_view bytes) {
  if (failed_) return *failed_;
  events_.clear();
  spans_.clear();
  store_.clear();
  bytes_fed_ += bytes.size();

  std::string start_buffer;  // only used while a possible BOM is split across feeds
  if (at_start_) {
    if (!line_.empty() || bytes.size() < kBom.size()) {
      start_buffer = line_;
      start_buffer.append(bytes);
      line_.clear();
      if (start_buffer.size() < kBom.size() && kBom.substr(0, start_buffer.size()) == start_buffer) {
        line_ = std::move(start_buffer);  // still undecided: wait for more bytes
        return ok_status();
      }
      bytes = start_buffer;
    }
    at_start_ = false;
    if (bytes.substr(0, kBom.size()) == kBom) bytes.remove_prefix(kBom.size());
  }

  std::size_t pos = 0;
  if (skip_lf_ && !bytes.empty()) {
    if (bytes[0] == '\n') pos = 1;
    skip_lf_ = false;
  }
  while (pos < bytes.size()) {
    const std::size_t eol = find_eol(bytes, pos);
    if (eol == std::string_view::npos) {
      if (line_.size() + (bytes.size() - pos) > limits_.max_event_bytes)
        return fail("SSE line longer than " + std::to_string(limits_.max_event_bytes) + " bytes");
      line_.append(bytes.substr(pos));
      break;
    }
    if (line_.empty()) {
      if (eol - pos > limits_.max_event_bytes)
        return fail("SSE line longer than " + std::to_string(limits_.max_event_bytes) + " bytes");
      process_line(bytes.substr(pos, eol - pos));
    } else {
      if (line_.size() + (eol - pos) > limits_.max_event_bytes)
        return fail("SSE line longer than " + std::to_string(limits_.max_event_bytes) + " bytes");
      line_.append(bytes.substr(pos, eol - pos));
      process_line(line_);
      line_.clear();
    }
    if (data_.size() > limits_.max_event_bytes)
      return fail("SSE event data longer than " + std::to_string(limits_.max_event_bytes) + " bytes");
    pos = eol + 1;
    if (bytes[eol] == '\r') {
      if (pos < bytes.size()) {
        if (bytes[pos] == '\n') ++pos;
      } else {
        skip_lf_ = true;  // the LF of this CRLF may start the next feed
      }
    }
  }

  events_.reserve(spans_.size());
  for (const Span& s : spans_) {
    const std::string_view store(store_);
    events_.push_back(SseEvent{store.substr(s.event_off, s.event_len), store.substr(s.data_off, s.data_len),
                               store.substr(s.id_off, s.id_len), s.retry_ms});
  }
  return ok_status();
}

void SseParser::process_line(std::string_view line) {
  if (line.empty()) {
    dispatch();
    return;
  }
  if (line[0] == ':') {
    ++comments_;
    return;
  }
  std::string_view field = line;
  std::string_view value;
  if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  pending_fields_ = true;
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  } else if (field == "retry") {
    if (!value.empty() && value.size() <= 15 &&
        value.find_first_not_of("0123456789") == std::string_view::npos) {
      std::int64_t v = 0;
      for (char c : value) v = v * 10 + (c - '0');
      retry_ms_ = v;
    }
  }
  // Unknown fields are ignored, as the spec says.
}

void SseParser::dispatch() {
  pending_fields_ = false;
  if (!has_data_) {  // no data line: nothing to dispatch (spec); keep retry for the next event
    event_type_.clear();
    return;
  }
  Span s{};
  s.event_off = store_.size();
  s.event_len = event_type_.size();
  store_.append(event_type_);
  s.data_off = store_.size();
  s.data_len = data_.size() - 1;  // drop the trailing "\n" of the last data line
  store_.append(data_, 0, s.data_len);
  s.id_off = store_.size();
  s.id_len = last_id_.size();
  store_.append(last_id_);
  s.retry_ms = retry_ms_;
  spans_.push_back(s);
  retry_ms_.reset();
  data_.clear();
  event_type_.clear();
  has_data_ = false;
  ++dispatched_;
}

bool SseParser::finish() {
  const bool partial = !line_.empty() || pending_fields_;
  line_.clear();
  data_.clear();
  event_type_.clear();
  has_data_ = false;
  pending_fields_ = false;
  skip_lf_ = false;
  events_.clear();
  spans_.clear();
  store_.clear();
  return partial;
}

void SseParser::reset() {
  (void)finish();
  last_id_.clear();
  retry_ms_.reset();
  at_start_ = true;
  failed_.reset();
  comments_ = dispatched_ = bytes_fed_ = 0;
}

}  // namespace loqui
