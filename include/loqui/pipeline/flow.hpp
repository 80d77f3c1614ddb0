// SPDX-License-Identifier: Apache-2.0
// File: the result of pushing a frame into a stage (after GStreamer's GstFlowReturn).
#pragma once

#include <cstdint>
#include <string_view>

namespace loqui {

enum class Flow : std::int8_t {
  ok = 0,         ///< accepted
  flushing = -2,  ///< the stage is flushing (barge-in): the frame was dropped on purpose
  eos = -3,       ///< the stage has ended and accepts no more audio
  error = -5,     ///< the stage failed; ask it (or the chain) for last_error()
};

constexpr std::string_view to_string(Flow f) noexcept {
  switch (f) {
    case Flow::ok: return "ok";
    case Flow::flushing: return "flushing";
    case Flow::eos: return "eos";
    case Flow::error: return "error";
  }
  return "?";
}

}  // namespace loqui
