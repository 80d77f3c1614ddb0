// SPDX-License-Identifier: Apache-2.0
// File: fuzzes the Cartesia message parser and the base64 codec it uses.
// Invariants: no crash; timestamps arrays stay parallel with 0 <= start <= end;
// errors are provider_protocol; base64 decode(encode(x)) == x.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "providers/cartesia/cartesia.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  loqui::cartesia::Parser parser;
  auto ev = parser.parse(text);
  if (ev) {
    if (ev->words.size() != ev->starts.size() || ev->words.size() != ev->ends.size()) std::abort();
    for (std::size_t i = 0; i < ev->starts.size(); ++i)
      if (!(ev->starts[i] >= 0) || !(ev->ends[i] >= ev->starts[i])) std::abort();
  } else if (ev.error().code() != loqui::errc::provider_protocol) {
    std::abort();
  }
  const auto round = loqui::wscommon::base64_decode(loqui::wscommon::base64_encode(text));
  if (!round || *round != text) std::abort();
  (void)loqui::wscommon::base64_decode(text);
  return 0;
}
