// SPDX-License-Identifier: Apache-2.0
// File: AudioFormat helpers.
#include "loqui/audio/format.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace loqui {

std::string_view to_string(Encoding e) noexcept {
  switch (e) {
    case Encoding::pcm16: return "pcm16";
    case Encoding::f32: return "f32";
    case Encoding::mulaw: return "mulaw";
    case Encoding::alaw: return "alaw";
    case Encoding::opus: return "opus";
    case Encoding::l16be: return "l16be";
  }
  return "?";
}

std::optional<Encoding> parse_encoding(std::string_view name) noexcept {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "pcm16" || n == "linear16" || n == "s16le" || n == "pcm_s16le" || n == "pcm") return Encoding::pcm16;
  if (n == "f32" || n == "float32" || n == "pcm_f32le") return Encoding::f32;
  if (n == "mulaw" || n == "ulaw" || n == "pcmu" || n == "pcm_mulaw" || n == "g711u") return Encoding::mulaw;
  if (n == "alaw" || n == "pcma" || n == "pcm_alaw" || n == "g711a") return Encoding::alaw;
  if (n == "opus") return Encoding::opus;
  if (n == "l16be" || n == "l16") return Encoding::l16be;
  return std::nullopt;
}

Status AudioFormat::validate() const {
  if (sample_rate_hz < 1 || sample_rate_hz > 384000)
    return Error(errc::invalid_argument, "audio format: sample rate must be 1..384000 Hz, got " +
                                             std::to_string(sample_rate_hz));
  if (channels < 1 || channels > 8)
    return Error(errc::invalid_argument, "audio format: channels must be 1..8, got " + std::to_string(channels));
  if ((encoding == Encoding::mulaw || encoding == Encoding::alaw) && channels != 1)
    return Error(errc::invalid_argument, "audio format: G.711 is mono only");
  return ok_status();
}

std::string AudioFormat::to_string() const {
  std::string s(loqui::to_string(encoding));
  s += "/" + std::to_string(sample_rate_hz) + "Hz/";
  s += channels == 1 ? std::string("mono") : std::to_string(channels) + "ch";
  return s;
}

}  // namespace loqui
