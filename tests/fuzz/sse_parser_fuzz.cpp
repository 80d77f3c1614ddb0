// SPDX-License-Identifier: Apache-2.0
// File: fuzzes SseParser. Property: feeding the input whole or in pieces (sizes
// drawn from the input itself) gives the same events, or both fail.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/net/sse.hpp"

namespace {
struct Ev {
  std::string event, data, id;
  long long retry;
  bool operator==(const Ev&) const = default;
};

bool run(std::string_view text, const std::vector<std::size_t>& cuts, std::vector<Ev>& out) {
  loqui::SseParser p({.max_event_bytes = 4096});
  std::size_t pos = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t end = i < cuts.size() ? std::min(text.size(), pos + cuts[i]) : text.size();
    if (!p.feed(text.substr(pos, end - pos)).ok()) return false;
    for (const auto& e : p.events())
      out.push_back({std::string(e.event), std::string(e.data), std::string(e.id), e.retry_ms.value_or(-1)});
    pos = end;
  }
  (void)p.finish();
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::size_t> cuts;
  std::uint32_t x = data[0] * 2654435761u + 1;
  for (std::size_t covered = 0; covered < text.size();) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    const std::size_t n = 1 + x % 17;
    cuts.push_back(n);
    covered += n;
  }
  std::vector<Ev> whole, pieces;
  const bool ok_whole = run(text, {}, whole);
  const bool ok_pieces = run(text, cuts, pieces);
  if (ok_whole != ok_pieces) std::abort();
  if (ok_whole && !(whole == pieces)) std::abort();
  return 0;
}
