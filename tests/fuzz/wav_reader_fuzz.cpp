// SPDX-License-Identifier: Apache-2.0
// File: fuzzes the audio file reader from bytes in memory: the strict WAV header
// check, libsndfile behind it (WAV, FLAC), raw reading, and the streaming Source.
// Whatever is accepted must be self-consistent, and the streaming Source must
// yield exactly the samples the whole-file reader does.
//
// Byte 0 picks how the bytes are named/read: .wav, .flac, no extension, or raw
// mu-law / pcm16 stereo; the rest is the file.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "loqui/audio/file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  loqui::AudioReadOptions options;
  const char* name = "fuzz.wav";
  switch (data[0] % 5) {
    case 1: name = "fuzz.flac"; break;
    case 2: name = "fuzz"; break;
    case 3: options.raw_format = loqui::AudioFormat::mulaw8k(); break;
    case 4: options.raw_format = loqui::AudioFormat::pcm16(16000, 2); break;
    default: break;
  }
  auto whole = loqui::read_audio_bytes(file, name, options);
  if (whole.ok()) {
    const auto& a = whole->audio;
    if (a.format.channels < 1 || a.samples.size() % static_cast<std::size_t>(a.format.channels) != 0) std::abort();
    if (a.samples.empty()) std::abort();  // "no audio" is an error, never an empty success
    if (static_cast<std::int64_t>(a.frames()) != whole->info.frames) std::abort();
  }
  auto src = loqui::AudioFileSource::open_bytes(file, name, {.frame_ms = 20, .raw_format = options.raw_format});
  if (src.ok()) {
    std::size_t total = 0;
    while (true) {
      auto f = src->read_frame();
      if (!f.ok() || f->empty()) break;
      total += f->samples().size();
      if (f->samples().size() > src->frame_samples() * static_cast<std::size_t>(src->output_format().channels)) std::abort();
    }
    if (whole.ok() && src->last_error() == nullptr && total != whole->audio.samples.size()) std::abort();
  }
  return 0;
}
