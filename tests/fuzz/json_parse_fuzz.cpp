// SPDX-License-Identifier: Apache-2.0
// File: fuzzes Json::parse and the dump/parse round trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "loqui/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = loqui::Json::parse(text);
  if (parsed) {
    // Whatever parses must print to JSON that parses back to the same value.
    auto again = loqui::Json::parse(parsed->dump());
    if (!again || !(*again == *parsed)) std::abort();
    (void)parsed->describe();
  }
  return 0;
}
