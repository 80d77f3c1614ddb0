// SPDX-License-Identifier: Apache-2.0
// File: audio files (WAV, FLAC and headerless raw) read into and written from pcm16:
// a whole-file reader and writer, a streaming Source that yields frames of N ms,
// and a Sink that writes frames. Built on libsndfile (LOQUI_WITH_SNDFILE); without
// it every function returns errc::not_supported.
//
// Reading is strict, because a file that is silently misread turns into "the
// recogniser heard garbage" much later. Every error names the file and says what
// is wrong with it:
//   * a file that does not exist (errc::not_found), cannot be read (io_error);
//   * an empty file, or one that holds no samples (parse_error);
//   * a format loqui does not read (not_supported): only WAV (RIFF/RF64), FLAC and
//     raw; a file whose extension names another format than its contents
//     ("x.wav" holding FLAC) is refused as mislabelled (parse_error);
//   * a truncated file or a header that lies about the length of the audio: a WAV
//     'data' chunk longer than the bytes present, a streamed WAV whose length was
//     never filled in, data that is not a whole number of sample frames, fewer
//     samples than the header promises (parse_error). Nothing is padded or guessed;
//   * raw files are headerless: their format must be given, and their size must be
//     a whole number of sample frames.
// Float files are converted with saturation; NaN/inf samples become 0/full scale
// and are counted in AudioFileInfo::non_finite_samples (and logged).
//
// Writing goes to a temporary file next to the destination that is renamed over it
// only when the file is complete (AudioFileSink::close / write_audio_file), so a
// failed or interrupted write never leaves a file that looks complete.
//
// Thread safety: functions are safe to call concurrently on different files.
// AudioFileSource and AudioFileSink objects are confined to one thread/strand.
//
// @code
//   auto file = loqui::read_audio_file("call.wav");
//   if (!file) return file.error();           // "call.wav: truncated: ..."
//   // file->audio.samples: interleaved pcm16; file->audio.format: pcm16/8000Hz/mono
//
//   auto src = loqui::AudioFileSource::open("call.wav", {.frame_ms = 20});
//   auto sink = loqui::AudioFileSink::create("out.wav", src->output_format());
//   loqui::drain(*src, *sink);                // Flow::eos at the end
//   LOQUI_TRY(sink->close());                 // renames the finished file into place
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/audio/format.hpp"
#include "loqui/audio/frame.hpp"
#include "loqui/error.hpp"
#include "loqui/pipeline/concepts.hpp"

namespace loqui {

/// Container of an audio file.
enum class AudioFileType : std::uint8_t {
  wav,   ///< RIFF/RF64 WAVE
  flac,  ///< FLAC
  raw,   ///< headerless samples; the format must be given
};

/// "wav", "flac", "raw".
std::string_view to_string(AudioFileType type) noexcept;
/// The type an extension names: .wav/.wave -> wav, .flac -> flac, .raw/.pcm/.ulaw/
/// .alaw/.l16 -> raw; std::nullopt otherwise (case-insensitive).
std::optional<AudioFileType> audio_file_type_for(const std::filesystem::path& path) noexcept;

/// What a file holds, as found in its header (or as given, for raw).
struct AudioFileInfo {
  AudioFileType type = AudioFileType::wav;
  int sample_rate_hz = 0;
  int channels = 0;
  /// How samples are stored: "pcm16", "pcm24", "pcm32", "pcm8", "float", "double",
  /// "mulaw", "alaw", "ima_adpcm", ...
  std::string sample_format;
  /// Per-channel samples (frames) in the file.
  std::int64_t frames = 0;
  /// NaN/inf samples found in a float file so far (converted to 0/full scale).
  std::uint64_t non_finite_samples = 0;

  Duration duration() const noexcept;
  /// "wav pcm16 8000 Hz mono, 2.500 s".
  std::string to_string() const;
};

/// Decoded audio: interleaved pcm16 samples and their format.
struct AudioData {
  AudioFormat format = AudioFormat::pcm16(16000);  ///< always pcm16
  std::vector<std::int16_t> samples;               ///< interleaved

  /// Per-channel samples.
  std::size_t frames() const noexcept;
  Duration duration() const noexcept;
  /// A view frame of all samples (valid while this object is alive and unchanged).
  AudioFrame frame() const;
};

/// A whole file: what it holds and its samples.
struct AudioFile {
  AudioFileInfo info;
  AudioData audio;
};

struct AudioReadOptions {
  /// Read the file as headerless raw samples in this format (pcm16 little-endian,
  /// l16be, mulaw, alaw or f32). Required for raw files; when given, the file is
  /// read as raw whatever its extension.
  std::optional<AudioFormat> raw_format;
  /// Downmix all channels to mono (average).
  bool mono = false;
};

/// Reads a whole file into pcm16. Errors: see the file comment.
Result<AudioFile> read_audio_file(const std::filesystem::path& path, const AudioReadOptions& options = {});
/// Reads a whole file held in memory; `name` is used in messages and, through its
/// extension, to check the type. `bytes` need only live during the call. This is
/// the entry point of the WAV reader fuzz target.
Result<AudioFile> read_audio_bytes(std::span<const std::byte> bytes, std::string_view name,
                                   const AudioReadOptions& options = {});
/// Opens and validates a file without reading its samples.
Result<AudioFileInfo> probe_audio_file(const std::filesystem::path& path, const AudioReadOptions& options = {});

struct AudioWriteOptions {
  /// Container; by default from the extension (.wav, .flac, .raw/.pcm ...), and WAV
  /// for an unknown extension.
  std::optional<AudioFileType> type;
  /// How samples are stored. WAV: pcm16, mulaw, alaw, f32. FLAC: pcm16. raw: pcm16
  /// (little-endian), l16be, mulaw, alaw, f32. Others: errc::not_supported.
  Encoding encoding = Encoding::pcm16;
  /// Write to a temporary file and rename it into place when complete (default).
  /// Off: write the destination directly (e.g. a FIFO).
  bool atomic = true;
};

/// Writes interleaved pcm16 `samples` of `format` (pcm16, any rate, 1..8 channels)
/// to `path`, atomically. Errors: invalid_argument (format, samples not a whole
/// number of frames), not_supported (type/encoding), io_error naming the path.
Status write_audio_file(const std::filesystem::path& path, const AudioFormat& format,
                        std::span<const std::int16_t> samples, const AudioWriteOptions& options = {});
Status write_audio_file(const std::filesystem::path& path, const AudioData& audio,
                        const AudioWriteOptions& options = {});

struct AudioSourceOptions {
  int frame_ms = 20;  ///< duration of each frame pull() emits (1..1000 ms)
  std::optional<AudioFormat> raw_format;  ///< as in AudioReadOptions
  bool mono = false;                      ///< downmix to mono
  /// Pad the last, partial frame with silence to a whole frame (for consumers that
  /// need fixed frames, such as encoders). Off: the last frame is shorter.
  bool pad_last_frame = false;
};

/// Streams a file as pcm16 frames of `frame_ms` (a Source for chains). Frames carry
/// timestamps in samples from the start of the file. Truncation and lying headers
/// are detected when the file is opened where the header allows it, otherwise when
/// the reading comes up short: pull() then returns Flow::error with last_error().
///
/// Thread safety: confined to one thread/strand. Frames passed downstream are views
/// of an internal buffer, valid only during the push() call.
class AudioFileSource {
 public:
  static Result<AudioFileSource> open(const std::filesystem::path& path, const AudioSourceOptions& options = {});
  /// As open(), over bytes in memory, which must outlive the source.
  static Result<AudioFileSource> open_bytes(std::span<const std::byte> bytes, std::string_view name,
                                            const AudioSourceOptions& options = {});

  AudioFileSource(AudioFileSource&&) noexcept;
  AudioFileSource& operator=(AudioFileSource&&) noexcept;
  ~AudioFileSource();

  std::string_view name() const;
  const AudioFileInfo& info() const;
  /// pcm16 at the file's rate, with the file's channels (1 if mono).
  AudioFormat output_format() const;
  /// Per-channel samples per frame.
  std::size_t frame_samples() const;

  /// Reads the next frame. An empty frame means end of file. The frame is a view
  /// valid until the next call. Errors: parse_error/io_error naming the file.
  Result<AudioFrame> read_frame();

  /// Emits the next frame into `next`; Flow::eos at the end of the file,
  /// Flow::error (see last_error()) if reading failed.
  template <PushTarget Next>
  Flow pull(Next& next) {
    Result<AudioFrame> frame = read_frame();
    if (!frame) return Flow::error;
    if (frame->empty()) return Flow::eos;
    return next.push(*frame);
  }

  const Error* last_error() const;

  struct Impl;  ///< implementation detail

 private:
  explicit AudioFileSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Writes pcm16 frames to a WAV/FLAC/raw file (a Sink for chains). With
/// options.atomic (default) the data goes to a temporary file that close() (or the
/// chain's finish()) renames over `path`; destroying an unclosed sink deletes the
/// temporary file, so an abandoned write leaves nothing that looks complete.
///
/// Thread safety: confined to one thread/strand.
class AudioFileSink {
 public:
  /// `format`: pcm16, the rate and channels of the frames to be written.
  static Result<AudioFileSink> create(const std::filesystem::path& path, const AudioFormat& format,
                                      const AudioWriteOptions& options = {});

  AudioFileSink(AudioFileSink&&) noexcept;
  AudioFileSink& operator=(AudioFileSink&&) noexcept;
  ~AudioFileSink();

  std::string_view name() const;
  AudioFormat input_format() const;
  /// Writes a frame (its format must equal input_format()). Flow::error with
  /// last_error() on a write failure or a frame in the wrong format.
  Flow push(const AudioFrame& frame);
  /// Writes interleaved samples (a whole number of frames).
  Status write(std::span<const std::int16_t> samples);
  /// Finishes the file (header, rename into place). Idempotent.
  Status close();
  /// Chain end of stream: close(); Flow::error on failure.
  Flow finish();
  const Error* last_error() const;
  /// Per-channel samples written so far.
  std::int64_t frames_written() const;
  const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit AudioFileSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loqui
