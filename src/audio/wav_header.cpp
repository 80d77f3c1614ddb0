// SPDX-License-Identifier: Apache-2.0
// File: byte inputs and the strict WAV (RIFF/RF64) header check.
#include "audio/wav_header.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace loqui::detail {

std::size_t MemoryInput::read_at(std::int64_t offset, std::span<std::byte> out) {
  if (offset < 0 || offset >= size()) return 0;
  const auto start = static_cast<std::size_t>(offset);
  const std::size_t n = std::min(out.size(), bytes_.size() - start);
  if (n > 0) std::memcpy(out.data(), bytes_.data() + start, n);
  return n;
}

Result<std::unique_ptr<FileInput>> FileInput::open(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      return Error(errc::io_error, path + ": cannot access: " + ec.message());
    return Error(errc::not_found, path + ": no such file");
  }
  if (std::filesystem::is_directory(status)) return Error(errc::io_error, path + ": is a directory, not an audio file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Error(errc::io_error, path + ": cannot open: " + std::strerror(errno));
  std::int64_t size = -1;
  if (std::fseek(f, 0, SEEK_END) == 0) size = static_cast<std::int64_t>(std::ftell(f));
  if (size < 0) {
    std::fclose(f);
    return Error(errc::io_error, path + ": cannot determine its size (not a regular file?)");
  }
  return std::unique_ptr<FileInput>(new FileInput(f, size));
}

FileInput::~FileInput() {
  if (file_) std::fclose(file_);
}

std::size_t FileInput::read_at(std::int64_t offset, std::span<std::byte> out) {
  if (offset < 0 || offset >= size_ || out.empty()) return 0;
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0) return 0;
  return std::fread(out.data(), 1, out.size(), file_);
}

namespace {

std::uint16_t u16(const std::byte* p, bool big) {
  const auto a = static_cast<std::uint16_t>(p[0]);
  const auto b = static_cast<std::uint16_t>(p[1]);
  return big ? static_cast<std::uint16_t>((a << 8) | b) : static_cast<std::uint16_t>(a | (b << 8));
}

std::uint32_t u32(const std::byte* p, bool big) {
  const std::uint32_t lo = u16(p, big);
  const std::uint32_t hi = u16(p + 2, big);
  return big ? (lo << 16) | hi : lo | (hi << 16);
}

std::uint64_t u64le(const std::byte* p) {
  return static_cast<std::uint64_t>(u32(p, false)) | (static_cast<std::uint64_t>(u32(p + 4, false)) << 32);
}

bool id_is(const std::byte* p, const char* id) { return std::memcmp(p, id, 4) == 0; }

/// Chunk ids are four printable ASCII characters; anything else is audio or garbage.
bool printable_id(const std::byte* p) {
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string id_str(const std::byte* p) {
  std::string s(4, ' ');
  for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>(p[i]);
  return s;
}

Error bad(std::string_view name, const std::string& what) {
  return Error(errc::parse_error, std::string(name) + ": " + what);
}

constexpr std::uint32_t kNoLength = 0xffffffffu;

}  // namespace

bool looks_like_wav(ByteInput& in) {
  std::array<std::byte, 12> h{};
  if (in.read_at(0, h) < h.size()) return false;
  return (id_is(h.data(), "RIFF") || id_is(h.data(), "RIFX") || id_is(h.data(), "RF64")) && id_is(h.data() + 8, "WAVE");
}

Result<WavLayout> check_wav_header(ByteInput& in, std::string_view name) {
  const std::int64_t file_size = in.size();
  std::array<std::byte, 12> head{};
  if (in.read_at(0, head) < head.size())
    return bad(name, "truncated: " + std::to_string(file_size) + " bytes is too short for a WAV header");
  const bool rf64 = id_is(head.data(), "RF64");
  const bool big = id_is(head.data(), "RIFX");
  if (!(id_is(head.data(), "RIFF") || big || rf64) || !id_is(head.data() + 8, "WAVE"))
    return bad(name, "not a WAV file (no RIFF/WAVE header)");

  WavLayout layout;
  layout.rf64 = rf64;
  std::uint32_t riff_size32 = u32(head.data() + 4, big);
  std::int64_t riff_end = 0;  // end of the RIFF payload as the header declares it
  std::int64_t pos = 12;
  std::uint64_t ds64_data = 0;
  if (rf64) {
    // RF64 keeps the real sizes in a 'ds64' chunk that must come first.
    std::array<std::byte, 8 + 24> ds{};
    if (in.read_at(pos, ds) < ds.size() || !id_is(ds.data(), "ds64"))
      return bad(name, "RF64 file without a 'ds64' chunk");
    riff_end = static_cast<std::int64_t>(std::min<std::uint64_t>(u64le(ds.data() + 8), INT64_MAX - 16)) + 8;
    ds64_data = u64le(ds.data() + 16);
  } else {
    if (riff_size32 == 0 || riff_size32 == kNoLength)
      return bad(name, "the RIFF header declares no length (a WAV written as a stream whose sizes were never "
                       "filled in); re-encode it, e.g. 'sox in.wav out.wav'");
    riff_end = static_cast<std::int64_t>(riff_size32) + 8;
  }
  if (riff_end > file_size) {
    return bad(name, "truncated: the RIFF header declares " + std::to_string(riff_end) + " bytes but the file has " +
                         std::to_string(file_size));
  }

  bool have_fmt = false;
  bool have_data = false;
  std::string last_chunk;
  while (pos + 8 <= riff_end) {
    std::array<std::byte, 8> ch{};
    in.read_at(pos, ch);
    if (!printable_id(ch.data())) {
      if (have_data) {
        return bad(name, std::to_string(riff_end - pos) + " bytes that are not a chunk follow the '" + last_chunk +
                             "' chunk at offset " + std::to_string(pos) +
                             " (the 'data' size understates the audio, or the file is corrupt)");
      }
      return bad(name, "malformed chunk header at offset " + std::to_string(pos));
    }
    const std::string id = id_str(ch.data());
    const std::uint32_t size32 = u32(ch.data() + 4, big);
    std::int64_t size = size32;
    const std::int64_t body = pos + 8;
    if (id == "data") {
      if (rf64 && size32 == kNoLength) size = static_cast<std::int64_t>(std::min<std::uint64_t>(ds64_data, INT64_MAX / 2));
      if (!rf64 && size32 == kNoLength)
        return bad(name, "the 'data' chunk declares no length (a WAV written as a stream); re-encode it");
      if (size == 0 && body < riff_end) {
        // A zero length followed by bytes that are not a chunk is a streamed header.
        std::array<std::byte, 4> next{};
        if (in.read_at(body, next) == next.size() && !printable_id(next.data()))
          return bad(name, "the 'data' chunk declares 0 bytes but audio follows it (a WAV written as a stream "
                           "whose sizes were never filled in); re-encode it");
      }
      if (body + size > file_size) {
        return bad(name, "truncated or mislabelled: the 'data' chunk declares " + std::to_string(size) +
                             " bytes of audio but only " + std::to_string(file_size - body) + " are present");
      }
      if (have_data) return bad(name, "more than one 'data' chunk");
      have_data = true;
      layout.data_offset = body;
      layout.data_bytes = size;
    } else if (id == "fmt ") {
      if (size < 16) return bad(name, "'fmt ' chunk of " + std::to_string(size) + " bytes is too short");
      std::array<std::byte, 40> f{};
      const std::size_t got = in.read_at(body, std::span<std::byte>(f.data(), std::min<std::size_t>(40, static_cast<std::size_t>(size))));
      if (got < 16) return bad(name, "truncated 'fmt ' chunk");
      layout.format_tag = u16(f.data(), big);
      layout.channels = u16(f.data() + 2, big);
      layout.sample_rate_hz = u32(f.data() + 4, big);
      layout.block_align = u16(f.data() + 12, big);
      layout.bits_per_sample = u16(f.data() + 14, big);
      if (layout.format_tag == 0xfffe && got >= 26) layout.format_tag = u16(f.data() + 24, big);  // sub-format GUID
      have_fmt = true;
    } else if (body + size > riff_end) {
      return bad(name, "truncated: chunk '" + id + "' at offset " + std::to_string(pos) + " declares " +
                           std::to_string(size) + " bytes but the RIFF data ends at " + std::to_string(riff_end));
    }
    last_chunk = id;
    pos = body + size + (size & 1);
  }
  // Bytes after the RIFF payload: a pad byte, zero padding or an ID3 tag are benign;
  // anything else is most likely audio the header does not account for.
  if (riff_end + 1 < file_size) {
    std::array<std::byte, 64> tail{};
    const std::size_t got = in.read_at(riff_end, tail);
    const bool id3 = got >= 3 && std::memcmp(tail.data(), "ID3", 3) == 0;
    const bool zeros = std::all_of(tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(got),
                                   [](std::byte b) { return b == std::byte{0}; });
    if (!id3 && !zeros) {
      return bad(name, std::to_string(file_size - riff_end) + " bytes follow the end of the RIFF data at offset " +
                           std::to_string(riff_end) + " (the header understates the file's length?)");
    }
  }
  if (!have_fmt) return bad(name, "no 'fmt ' chunk: not a usable WAV file");
  if (!have_data) return bad(name, "no 'data' chunk: the file holds no audio");
  if (layout.channels == 0) return bad(name, "'fmt ' chunk declares 0 channels");
  if (layout.sample_rate_hz == 0) return bad(name, "'fmt ' chunk declares a sample rate of 0 Hz");
  if (layout.block_align == 0) return bad(name, "'fmt ' chunk declares a block alignment of 0");
  const bool linear = layout.format_tag == 1 || layout.format_tag == 3 || layout.format_tag == 6 || layout.format_tag == 7;
  if (linear) {
    const int bytes = (layout.bits_per_sample + 7) / 8;
    if (bytes == 0 || layout.block_align != layout.channels * bytes) {
      return bad(name, "'fmt ' chunk is inconsistent: block alignment " + std::to_string(layout.block_align) +
                           " does not match " + std::to_string(layout.channels) + " channel(s) of " +
                           std::to_string(layout.bits_per_sample) + " bits");
    }
    if (layout.data_bytes % layout.block_align != 0) {
      return bad(name, "truncated: the 'data' chunk holds " + std::to_string(layout.data_bytes) +
                           " bytes, not a whole number of " + std::to_string(layout.block_align) +
                           "-byte sample frames");
    }
  }
  return layout;
}

}  // namespace loqui::detail
