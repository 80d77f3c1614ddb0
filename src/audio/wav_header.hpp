// SPDX-License-Identifier: Apache-2.0
// File: random-access byte input (a file or bytes in memory) and the strict WAV
// header check the audio file reader runs before libsndfile sees the file.
//
// libsndfile is forgiving where loqui must not be: it quietly clips a 'data' chunk
// that claims more bytes than the file has, reads a streamed WAV whose sizes were
// never filled in, and ignores audio that follows a 'data' chunk whose size
// understates it. check_wav_header() walks the RIFF chunk headers (never the
// audio) and turns each of those into an error that names the file and the lie.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "loqui/error.hpp"

namespace loqui::detail {

/// A seekable source of bytes. Reads past the end return fewer bytes.
class ByteInput {
 public:
  virtual ~ByteInput() = default;
  virtual std::int64_t size() const = 0;
  /// Reads up to `out.size()` bytes at `offset`; returns bytes read.
  virtual std::size_t read_at(std::int64_t offset, std::span<std::byte> out) = 0;
};

/// Bytes in memory (not owned; must outlive the input).
class MemoryInput final : public ByteInput {
 public:
  explicit MemoryInput(std::span<const std::byte> bytes) : bytes_(bytes) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(bytes_.size()); }
  std::size_t read_at(std::int64_t offset, std::span<std::byte> out) override;

 private:
  std::span<const std::byte> bytes_;
};

/// An open file (owned; closed on destruction).
class FileInput final : public ByteInput {
 public:
  /// Errors: not_found, io_error (permission, a directory ...), naming `path`.
  static Result<std::unique_ptr<FileInput>> open(const std::string& path);
  ~FileInput() override;
  FileInput(const FileInput&) = delete;
  FileInput& operator=(const FileInput&) = delete;
  std::int64_t size() const override { return size_; }
  std::size_t read_at(std::int64_t offset, std::span<std::byte> out) override;

 private:
  FileInput(std::FILE* f, std::int64_t size) : file_(f), size_(size) {}
  std::FILE* file_;
  std::int64_t size_;
};

/// What the RIFF structure of a WAV file says.
struct WavLayout {
  std::uint16_t format_tag = 0;  ///< 1 PCM, 3 float, 6 A-law, 7 mu-law, ... (resolved for WAVE_FORMAT_EXTENSIBLE)
  std::uint16_t channels = 0;
  std::uint32_t sample_rate_hz = 0;
  std::uint16_t block_align = 0;
  std::uint16_t bits_per_sample = 0;
  std::int64_t data_offset = 0;
  std::int64_t data_bytes = 0;
  bool rf64 = false;
};

/// True if the input starts like a RIFF/RF64 WAVE file.
bool looks_like_wav(ByteInput& in);

/// Walks the chunk headers of a WAV file and checks that they describe the bytes
/// that are there. Errors (parse_error) name `name` and what is wrong: too short,
/// not WAVE, a streamed header with no length, a RIFF or 'data' size beyond the end
/// of the file (truncated or lying), audio bytes after the 'data' chunk (a size that
/// understates the audio), a missing or malformed 'fmt ' chunk, a block alignment
/// that does not match channels x bits, data that is not whole sample frames.
Result<WavLayout> check_wav_header(ByteInput& in, std::string_view name);

}  // namespace loqui::detail
