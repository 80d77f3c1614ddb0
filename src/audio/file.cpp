// SPDX-License-Identifier: Apache-2.0
// File: audio files through libsndfile: strict reading (after check_wav_header for
// WAV), whole-file and streaming reads, atomic writes.
#include "loqui/audio/file.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <system_error>

#include "audio/wav_header.hpp"
#include "common/log.hpp"
#include "loqui/audio/convert.hpp"
#include "loqui/features.hpp"

#if LOQUI_HAS_SNDFILE
#include <sndfile.h>
#include <unistd.h>
#endif

namespace loqui {

std::string_view to_string(AudioFileType type) noexcept {
  switch (type) {
    case AudioFileType::wav: return "wav";
    case AudioFileType::flac: return "flac";
    case AudioFileType::raw: return "raw";
  }
  return "?";
}

std::optional<AudioFileType> audio_file_type_for(const std::filesystem::path& path) noexcept {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".wav" || ext == ".wave") return AudioFileType::wav;
  if (ext == ".flac") return AudioFileType::flac;
  if (ext == ".raw" || ext == ".pcm" || ext == ".ulaw" || ext == ".alaw" || ext == ".l16") return AudioFileType::raw;
  return std::nullopt;
}

Duration AudioFileInfo::duration() const noexcept {
  return AudioFormat::pcm16(sample_rate_hz, channels).duration_of(frames);
}

std::string AudioFileInfo::to_string() const {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f s", static_cast<double>(duration().count()) / 1e9);
  return std::string(loqui::to_string(type)) + " " + sample_format + " " + std::to_string(sample_rate_hz) + " Hz " +
         (channels == 1 ? std::string("mono") : std::to_string(channels) + " channels") + ", " + secs;
}

std::size_t AudioData::frames() const noexcept {
  return format.channels > 0 ? samples.size() / static_cast<std::size_t>(format.channels) : 0;
}

Duration AudioData::duration() const noexcept { return format.duration_of(static_cast<std::int64_t>(frames())); }

AudioFrame AudioData::frame() const { return AudioFrame::view(format, samples); }

#if LOQUI_HAS_SNDFILE

namespace {

using detail::ByteInput;

// --- libsndfile virtual I/O over a ByteInput ---------------------------------------

struct VioState {
  ByteInput* input;
  std::int64_t pos = 0;
};

sf_count_t vio_len(void* user) { return static_cast<VioState*>(user)->input->size(); }
sf_count_t vio_seek(sf_count_t offset, int whence, void* user) {
  auto* s = static_cast<VioState*>(user);
  std::int64_t base = 0;
  if (whence == SEEK_CUR) base = s->pos;
  else if (whence == SEEK_END) base = s->input->size();
  const std::int64_t next = base + offset;
  if (next < 0) return -1;
  s->pos = next;
  return s->pos;
}
sf_count_t vio_read(void* ptr, sf_count_t count, void* user) {
  auto* s = static_cast<VioState*>(user);
  if (count <= 0) return 0;
  const std::size_t n =
      s->input->read_at(s->pos, std::span<std::byte>(static_cast<std::byte*>(ptr), static_cast<std::size_t>(count)));
  s->pos += static_cast<std::int64_t>(n);
  return static_cast<sf_count_t>(n);
}
sf_count_t vio_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t vio_tell(void* user) { return static_cast<VioState*>(user)->pos; }

SF_VIRTUAL_IO make_vio() {
  SF_VIRTUAL_IO v{};
  v.get_filelen = &vio_len;
  v.seek = &vio_seek;
  v.read = &vio_read;
  v.write = &vio_write;
  v.tell = &vio_tell;
  return v;
}

std::string subtype_name(int format) {
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: return "pcm8";
    case SF_FORMAT_PCM_U8: return "pcm8u";
    case SF_FORMAT_PCM_16: return "pcm16";
    case SF_FORMAT_PCM_24: return "pcm24";
    case SF_FORMAT_PCM_32: return "pcm32";
    case SF_FORMAT_FLOAT: return "float";
    case SF_FORMAT_DOUBLE: return "double";
    case SF_FORMAT_ULAW: return "mulaw";
    case SF_FORMAT_ALAW: return "alaw";
    case SF_FORMAT_IMA_ADPCM: return "ima_adpcm";
    case SF_FORMAT_MS_ADPCM: return "ms_adpcm";
    case SF_FORMAT_GSM610: return "gsm610";
    case SF_FORMAT_G721_32: return "g721";
    default: return "subtype 0x" + [&] {
      char b[16];
      std::snprintf(b, sizeof b, "%x", static_cast<unsigned>(format & SF_FORMAT_SUBMASK));
      return std::string(b);
    }();
  }
}

std::string major_name(int format) {
  switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: case SF_FORMAT_WAVEX: case SF_FORMAT_RF64: return "WAV";
    case SF_FORMAT_FLAC: return "FLAC";
    case SF_FORMAT_AIFF: return "AIFF";
    case SF_FORMAT_AU: return "AU";
    case SF_FORMAT_OGG: return "Ogg";
    case SF_FORMAT_MPEG: return "MPEG audio";
    case SF_FORMAT_CAF: return "CAF";
    case SF_FORMAT_W64: return "W64";
    case SF_FORMAT_RAW: return "raw";
    default: return "an audio format";
  }
}

/// libsndfile subtype|endianness for a raw sample encoding, or 0.
int raw_sf_format(Encoding e) {
  switch (e) {
    case Encoding::pcm16: return SF_FORMAT_PCM_16 | SF_ENDIAN_LITTLE;
    case Encoding::l16be: return SF_FORMAT_PCM_16 | SF_ENDIAN_BIG;
    case Encoding::mulaw: return SF_FORMAT_ULAW;
    case Encoding::alaw: return SF_FORMAT_ALAW;
    case Encoding::f32: return SF_FORMAT_FLOAT | SF_ENDIAN_LITTLE;
    case Encoding::opus: return 0;
  }
  return 0;
}

bool is_float_subtype(int format) {
  const int sub = format & SF_FORMAT_SUBMASK;
  return sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE;
}

Error parse_error(std::string_view name, const std::string& what) {
  return Error(errc::parse_error, std::string(name) + ": " + what);
}

/// An open, validated file being read as pcm16 in chunks.
class SndReader {
 public:
  static Result<std::unique_ptr<SndReader>> open(std::unique_ptr<ByteInput> input, std::string name,
                                                 const std::optional<AudioFormat>& raw, std::size_t chunk_frames);
  ~SndReader() {
    if (sf_) sf_close(sf_);
  }
  SndReader(const SndReader&) = delete;
  SndReader& operator=(const SndReader&) = delete;

  const AudioFileInfo& info() const { return info_; }
  const std::string& name() const { return name_; }
  /// Largest read() in frames; sizes the float conversion buffer.
  void set_chunk_frames(std::size_t frames) {
    chunk_frames_ = std::max<std::size_t>(frames, 1);
    if (float_) float_buf_.resize(chunk_frames_ * static_cast<std::size_t>(info_.channels));
  }

  /// Reads up to `frames` frames (<= chunk_frames) into `out` (interleaved).
  /// Returns frames read; 0 at the end. Errors: a file shorter than its header says.
  Result<std::size_t> read(std::span<std::int16_t> out, std::size_t frames) {
    frames = std::min(frames, chunk_frames_);
    const auto ch = static_cast<std::size_t>(info_.channels);
    if (known_length_) {
      const std::int64_t left = info_.frames - read_frames_;
      if (left <= 0) return std::size_t{0};
      frames = std::min<std::size_t>(frames, static_cast<std::size_t>(left));
    }
    sf_count_t got = 0;
    if (float_) {
      got = sf_readf_float(sf_, float_buf_.data(), static_cast<sf_count_t>(frames));
      if (got > 0) {
        const std::size_t n = static_cast<std::size_t>(got) * ch;
        const std::size_t bad = f32_to_pcm16(std::span<const float>(float_buf_.data(), n), out.subspan(0, n));
        if (bad > 0 && info_.non_finite_samples == 0)
          LOQUI_LOG_WARN("audio.file", "{}: NaN/inf float samples (converted to 0 / full scale)", name_);
        info_.non_finite_samples += bad;
      }
    } else {
      got = sf_readf_short(sf_, out.data(), static_cast<sf_count_t>(frames));
    }
    if (got < 0) got = 0;
    if (sf_error(sf_) != SF_ERR_NO_ERROR) {
      std::string of = known_length_ ? " of " + std::to_string(info_.frames) : "";
      return parse_error(name_, "truncated or corrupt: decoding failed after " + std::to_string(read_frames_) + of +
                                    " samples per channel (" + sf_strerror(sf_) + ")");
    }
    if (got == 0 && known_length_ && read_frames_ < info_.frames) {
      return parse_error(name_, "truncated: the header declares " + std::to_string(info_.frames) +
                                    " samples per channel but only " + std::to_string(read_frames_) +
                                    " could be read");
    }
    read_frames_ += got;
    return static_cast<std::size_t>(got);
  }

 private:
  SndReader() = default;
  std::unique_ptr<ByteInput> input_;
  VioState vio_state_{};
  SF_VIRTUAL_IO vio_{};
  SNDFILE* sf_ = nullptr;
  std::string name_;
  AudioFileInfo info_;
  bool float_ = false;
  bool known_length_ = true;
  std::size_t chunk_frames_ = 0;
  std::int64_t read_frames_ = 0;
  std::vector<float> float_buf_;
};

Result<std::unique_ptr<SndReader>> SndReader::open(std::unique_ptr<ByteInput> input, std::string name,
                                                   const std::optional<AudioFormat>& raw, std::size_t chunk_frames) {
  std::unique_ptr<SndReader> r(new SndReader());
  r->input_ = std::move(input);
  r->name_ = std::move(name);
  ByteInput& in = *r->input_;
  const std::string& nm = r->name_;
  const auto by_ext = audio_file_type_for(std::filesystem::path(nm));

  if (in.size() == 0) return parse_error(nm, "empty file (0 bytes)");

  SF_INFO sfi{};
  if (raw) {
    if (Status s = raw->validate(); !s) return std::move(s).error().add_context(nm);
    const int sub = raw_sf_format(raw->encoding);
    if (sub == 0)
      return Error(errc::not_supported, nm + ": raw " + std::string(to_string(raw->encoding)) + " files are not supported");
    const std::int64_t frame_bytes = static_cast<std::int64_t>(raw->bytes_for(1));
    if (in.size() % frame_bytes != 0) {
      return parse_error(nm, "truncated: " + std::to_string(in.size()) + " bytes is not a whole number of " +
                                 std::to_string(frame_bytes) + "-byte " + raw->to_string() + " sample frames");
    }
    sfi.format = SF_FORMAT_RAW | sub;
    sfi.samplerate = raw->sample_rate_hz;
    sfi.channels = raw->channels;
  } else if (by_ext == AudioFileType::raw) {
    return Error(errc::invalid_argument, nm + ": a headerless (raw) file: give its format (rate, channels, encoding)");
  }

  std::optional<detail::WavLayout> wav;
  if (!raw) {
    if (detail::looks_like_wav(in)) {
      auto layout = detail::check_wav_header(in, nm);
      if (!layout) return std::move(layout).error();
      wav = *layout;
    } else if (by_ext == AudioFileType::wav) {
      // Named .wav but not RIFF: say what it is when we can.
      std::array<std::byte, 4> magic{};
      in.read_at(0, magic);
      if (std::memcmp(magic.data(), "fLaC", 4) == 0) return parse_error(nm, "mislabelled: named .wav but contains FLAC");
      if (in.size() < 12) return parse_error(nm, "truncated: " + std::to_string(in.size()) + " bytes is too short for a WAV header");
      return parse_error(nm, "not a WAV file (no RIFF/WAVE header)");
    }
  }

  r->vio_state_.input = &in;
  r->vio_ = make_vio();
  r->sf_ = sf_open_virtual(&r->vio_, SFM_READ, &sfi, &r->vio_state_);
  if (!r->sf_) {
    const std::string why = sf_strerror(nullptr);
    if (wav && why.find("nsupported") != std::string::npos) {
      char tag[16];
      std::snprintf(tag, sizeof tag, "0x%04x", wav->format_tag);
      return Error(errc::not_supported, nm + ": unsupported WAV encoding (format tag " + tag + "): " + why);
    }
    if (wav || by_ext == AudioFileType::flac) return parse_error(nm, "cannot read: " + why);
    return Error(errc::not_supported, nm + ": unsupported or unrecognised audio format (loqui reads WAV, FLAC and "
                                           "raw; for headerless audio give its format): " + why);
  }
  const int major = sfi.format & SF_FORMAT_TYPEMASK;
  AudioFileType type = AudioFileType::wav;
  if (raw) {
    type = AudioFileType::raw;
  } else if (major == SF_FORMAT_FLAC) {
    type = AudioFileType::flac;
  } else if (major != SF_FORMAT_WAV && major != SF_FORMAT_WAVEX && major != SF_FORMAT_RF64) {
    return Error(errc::not_supported, nm + ": " + major_name(sfi.format) +
                                           " files are not supported (loqui reads WAV, FLAC and raw)");
  }
  if (by_ext && !raw && *by_ext != type) {
    return parse_error(nm, "mislabelled: named ." + std::string(to_string(*by_ext)) + " but contains " +
                               major_name(sfi.format));
  }
  if (sfi.channels < 1 || sfi.channels > 8)
    return Error(errc::not_supported, nm + ": " + std::to_string(sfi.channels) + " channels (loqui handles 1..8)");
  if (sfi.samplerate < 1 || sfi.samplerate > 384000)
    return parse_error(nm, "implausible sample rate " + std::to_string(sfi.samplerate) + " Hz");

  AudioFileInfo& info = r->info_;
  info.type = type;
  info.sample_rate_hz = sfi.samplerate;
  info.channels = sfi.channels;
  info.sample_format = subtype_name(sfi.format);
  // FLAC streams may not record their length; libsndfile then reports a huge count.
  r->known_length_ = sfi.frames > 0 && sfi.frames < (std::int64_t{1} << 40);
  info.frames = r->known_length_ ? sfi.frames : 0;
  if (sfi.frames == 0) return parse_error(nm, "holds no audio (0 samples)");
  r->float_ = is_float_subtype(sfi.format);
  r->set_chunk_frames(chunk_frames);
  return r;
}

Result<std::unique_ptr<ByteInput>> open_input(const std::filesystem::path& path) {
  auto f = detail::FileInput::open(path.string());
  if (!f) return std::move(f).error();
  return std::unique_ptr<ByteInput>(std::move(*f));
}

Result<AudioFile> read_all(std::unique_ptr<ByteInput> input, std::string name, const AudioReadOptions& options) {
  constexpr std::size_t kChunk = 8192;
  LOQUI_ASSIGN_OR_RETURN(auto reader, SndReader::open(std::move(input), std::move(name), options.raw_format, kChunk));
  const auto ch = static_cast<std::size_t>(reader->info().channels);
  AudioFile file;
  std::vector<std::int16_t>& samples = file.audio.samples;
  // The header's length is a claim, not a fact (a corrupt FLAC may promise 2^39
  // samples): reserve at most 4 M samples up front and let the vector grow.
  constexpr std::size_t kMaxReserve = std::size_t{1} << 22;
  if (reader->info().frames > 0)
    samples.reserve(std::min(static_cast<std::size_t>(reader->info().frames) * ch, kMaxReserve));
  std::size_t have = 0;
  while (true) {
    samples.resize(have + kChunk * ch);
    LOQUI_ASSIGN_OR_RETURN(const std::size_t got,
                           reader->read(std::span<std::int16_t>(samples.data() + have, kChunk * ch), kChunk));
    have += got * ch;
    if (got == 0) break;
  }
  samples.resize(have);
  file.info = reader->info();
  if (file.info.frames == 0) file.info.frames = static_cast<std::int64_t>(have / ch);
  if (have == 0) return parse_error(reader->name(), "holds no audio (0 samples)");
  file.audio.format = AudioFormat::pcm16(file.info.sample_rate_hz, file.info.channels);
  if (options.mono && ch > 1) {
    const std::size_t n = downmix_to_mono(samples, static_cast<int>(ch), samples);
    samples.resize(n);
    file.audio.format.channels = 1;
  }
  return file;
}

// --- writing ------------------------------------------------------------------------

Result<int> write_sf_format(AudioFileType type, Encoding enc, const std::string& name) {
  auto unsupported = [&] {
    return Error(errc::not_supported, name + ": cannot write " + std::string(to_string(enc)) + " samples to a " +
                                          std::string(to_string(type)) + " file");
  };
  switch (type) {
    case AudioFileType::wav:
      switch (enc) {
        case Encoding::pcm16: return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
        case Encoding::mulaw: return SF_FORMAT_WAV | SF_FORMAT_ULAW;
        case Encoding::alaw: return SF_FORMAT_WAV | SF_FORMAT_ALAW;
        case Encoding::f32: return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        default: return unsupported();
      }
    case AudioFileType::flac:
      if (enc == Encoding::pcm16) return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
      return unsupported();
    case AudioFileType::raw: {
      const int sub = raw_sf_format(enc);
      if (sub == 0) return unsupported();
      return SF_FORMAT_RAW | sub;
    }
  }
  return unsupported();
}

std::filesystem::path temp_path_for(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  return tmp;
}

}  // namespace

Result<AudioFile> read_audio_file(const std::filesystem::path& path, const AudioReadOptions& options) {
  LOQUI_ASSIGN_OR_RETURN(auto input, open_input(path));
  return read_all(std::move(input), path.string(), options);
}

Result<AudioFile> read_audio_bytes(std::span<const std::byte> bytes, std::string_view name,
                                   const AudioReadOptions& options) {
  return read_all(std::make_unique<detail::MemoryInput>(bytes), std::string(name), options);
}

Result<AudioFileInfo> probe_audio_file(const std::filesystem::path& path, const AudioReadOptions& options) {
  LOQUI_ASSIGN_OR_RETURN(auto input, open_input(path));
  LOQUI_ASSIGN_OR_RETURN(auto reader, SndReader::open(std::move(input), path.string(), options.raw_format, 1));
  return reader->info();
}

// --- AudioFileSource ------------------------------------------------------------------

struct AudioFileSource::Impl {
  std::unique_ptr<SndReader> reader;
  AudioSourceOptions options;
  AudioFormat out_format;
  std::size_t frame_samples = 0;
  std::vector<std::int16_t> buf;
  std::int64_t position = 0;  // per-channel samples emitted
  bool ended = false;
  Error error;
};

AudioFileSource::AudioFileSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioFileSource::AudioFileSource(AudioFileSource&&) noexcept = default;
AudioFileSource& AudioFileSource::operator=(AudioFileSource&&) noexcept = default;
AudioFileSource::~AudioFileSource() = default;

namespace {
/// Opens the reader and sizes the frame buffer of a source.
Status open_source(Result<std::unique_ptr<ByteInput>> input, std::string name, const AudioSourceOptions& options,
                   AudioFileSource::Impl& impl) {
  if (!input) return std::move(input).error();
  if (options.frame_ms < 1 || options.frame_ms > 1000)
    return Error(errc::invalid_argument, name + ": frame_ms must be 1..1000, got " + std::to_string(options.frame_ms));
  // The frame size depends on the rate, which the header gives.
  LOQUI_ASSIGN_OR_RETURN(auto reader, SndReader::open(std::move(*input), std::move(name), options.raw_format, 1));
  const AudioFileInfo& info = reader->info();
  impl.frame_samples = std::max<std::size_t>(
      1, static_cast<std::size_t>(info.sample_rate_hz) * static_cast<std::size_t>(options.frame_ms) / 1000);
  reader->set_chunk_frames(impl.frame_samples);
  impl.buf.resize(impl.frame_samples * static_cast<std::size_t>(info.channels));
  impl.out_format = AudioFormat::pcm16(info.sample_rate_hz, options.mono ? 1 : info.channels);
  impl.options = options;
  impl.reader = std::move(reader);
  return ok_status();
}
}  // namespace

Result<AudioFileSource> AudioFileSource::open(const std::filesystem::path& path, const AudioSourceOptions& options) {
  auto impl = std::make_unique<Impl>();
  LOQUI_TRY(open_source(open_input(path), path.string(), options, *impl));
  return AudioFileSource(std::move(impl));
}

Result<AudioFileSource> AudioFileSource::open_bytes(std::span<const std::byte> bytes, std::string_view name,
                                                    const AudioSourceOptions& options) {
  auto impl = std::make_unique<Impl>();
  LOQUI_TRY(open_source(std::unique_ptr<ByteInput>(std::make_unique<detail::MemoryInput>(bytes)), std::string(name),
                        options, *impl));
  return AudioFileSource(std::move(impl));
}

std::string_view AudioFileSource::name() const { return impl_->reader->name(); }
const AudioFileInfo& AudioFileSource::info() const { return impl_->reader->info(); }
AudioFormat AudioFileSource::output_format() const { return impl_->out_format; }
std::size_t AudioFileSource::frame_samples() const { return impl_->frame_samples; }
const Error* AudioFileSource::last_error() const {
  return impl_->error.message().empty() ? nullptr : &impl_->error;
}

Result<AudioFrame> AudioFileSource::read_frame() {
  Impl& m = *impl_;
  if (m.ended) return AudioFrame{};
  const auto ch = static_cast<std::size_t>(m.reader->info().channels);
  std::size_t have = 0;
  // A reader may return short counts before the end; fill the frame completely.
  while (have < m.frame_samples) {
    auto got = m.reader->read(std::span<std::int16_t>(m.buf.data() + have * ch, (m.frame_samples - have) * ch),
                              m.frame_samples - have);
    if (!got) {
      m.error = got.error();
      m.ended = true;
      return std::move(got).error();
    }
    if (*got == 0) break;
    have += *got;
  }
  if (have == 0) {
    m.ended = true;
    return AudioFrame{};
  }
  if (have < m.frame_samples) {
    m.ended = true;
    if (m.options.pad_last_frame) {
      std::fill(m.buf.begin() + static_cast<std::ptrdiff_t>(have * ch), m.buf.end(), std::int16_t{0});
      have = m.frame_samples;
    }
  }
  std::size_t n = have * ch;
  if (m.options.mono && ch > 1) n = downmix_to_mono(std::span<const std::int16_t>(m.buf.data(), n), static_cast<int>(ch), m.buf);
  AudioFrame f = AudioFrame::view(m.out_format, std::span<const std::int16_t>(m.buf.data(), n), m.position);
  m.position += static_cast<std::int64_t>(have);
  return f;
}

// --- AudioFileSink --------------------------------------------------------------------

struct AudioFileSink::Impl {
  std::filesystem::path path;
  std::filesystem::path write_path;
  std::string name;
  AudioFormat format;
  SNDFILE* sf = nullptr;
  bool atomic = true;
  bool closed = false;
  std::int64_t frames = 0;
  Error error;

  ~Impl() {
    if (sf) {
      sf_close(sf);
      sf = nullptr;
      if (atomic) {
        std::error_code ec;
        std::filesystem::remove(write_path, ec);  // abandoned: leave nothing behind
      }
    }
  }
  Status fail(Error e) {
    error = e;
    return e;
  }
};

AudioFileSink::AudioFileSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioFileSink::AudioFileSink(AudioFileSink&&) noexcept = default;
AudioFileSink& AudioFileSink::operator=(AudioFileSink&&) noexcept = default;
AudioFileSink::~AudioFileSink() = default;

Result<AudioFileSink> AudioFileSink::create(const std::filesystem::path& path, const AudioFormat& format,
                                            const AudioWriteOptions& options) {
  const std::string name = path.string();
  if (format.encoding != Encoding::pcm16)
    return Error(errc::invalid_argument, name + ": the sink takes pcm16 frames, not " + format.to_string());
  if (Status s = format.validate(); !s) return std::move(s).error().add_context(name);
  const AudioFileType type = options.type.value_or(audio_file_type_for(path).value_or(AudioFileType::wav));
  LOQUI_ASSIGN_OR_RETURN(const int sf_format, write_sf_format(type, options.encoding, name));
  SF_INFO sfi{};
  sfi.samplerate = format.sample_rate_hz;
  sfi.channels = format.channels;
  sfi.format = sf_format;
  if (!sf_format_check(&sfi))
    return Error(errc::not_supported, name + ": libsndfile cannot write " + std::string(to_string(type)) + " " +
                                          std::string(to_string(options.encoding)) + " " + format.to_string());
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->name = name;
  impl->format = format;
  impl->atomic = options.atomic;
  impl->write_path = options.atomic ? temp_path_for(path) : path;
  impl->sf = sf_open(impl->write_path.c_str(), SFM_WRITE, &sfi);
  if (!impl->sf) return Error(errc::io_error, name + ": cannot create: " + sf_strerror(nullptr));
  return AudioFileSink(std::move(impl));
}

std::string_view AudioFileSink::name() const { return impl_->name; }
AudioFormat AudioFileSink::input_format() const { return impl_->format; }
const Error* AudioFileSink::last_error() const { return impl_->error.message().empty() ? nullptr : &impl_->error; }
std::int64_t AudioFileSink::frames_written() const { return impl_->frames; }
const std::filesystem::path& AudioFileSink::path() const { return impl_->path; }

Status AudioFileSink::write(std::span<const std::int16_t> samples) {
  Impl& m = *impl_;
  if (m.closed || !m.sf) return m.fail(Error(errc::closed, m.name + ": the file is already closed"));
  const auto ch = static_cast<std::size_t>(m.format.channels);
  if (samples.size() % ch != 0) {
    return m.fail(Error(errc::invalid_argument, m.name + ": " + std::to_string(samples.size()) +
                                                    " samples is not a whole number of " + std::to_string(ch) +
                                                    "-channel frames"));
  }
  const auto frames = static_cast<sf_count_t>(samples.size() / ch);
  if (frames == 0) return ok_status();
  const sf_count_t n = sf_writef_short(m.sf, samples.data(), frames);
  if (n != frames) return m.fail(Error(errc::io_error, m.name + ": write failed: " + sf_strerror(m.sf)));
  m.frames += n;
  return ok_status();
}

Flow AudioFileSink::push(const AudioFrame& frame) {
  if (!(frame.format() == impl_->format)) {
    impl_->error = frame_format_error(impl_->name, frame.format(), impl_->format);
    return Flow::error;
  }
  return write(frame.samples()) ? Flow::ok : Flow::error;
}

Status AudioFileSink::close() {
  Impl& m = *impl_;
  if (m.closed) return m.error.message().empty() ? ok_status() : Status(m.error);
  m.closed = true;
  if (!m.sf) return ok_status();
  const int rc = sf_close(m.sf);
  m.sf = nullptr;
  std::error_code ec;
  if (rc != 0) {
    if (m.atomic) std::filesystem::remove(m.write_path, ec);
    return m.fail(Error(errc::io_error, m.name + ": cannot finish the file: " + sf_error_number(rc)));
  }
  if (m.atomic) {
    std::filesystem::rename(m.write_path, m.path, ec);
    if (ec) {
      std::error_code ignored;
      std::filesystem::remove(m.write_path, ignored);
      return m.fail(Error(errc::io_error, m.name + ": cannot move the finished file into place: " + ec.message()));
    }
  }
  return ok_status();
}

Flow AudioFileSink::finish() { return close() ? Flow::ok : Flow::error; }

Status write_audio_file(const std::filesystem::path& path, const AudioFormat& format,
                        std::span<const std::int16_t> samples, const AudioWriteOptions& options) {
  LOQUI_ASSIGN_OR_RETURN(auto sink, AudioFileSink::create(path, format, options));
  LOQUI_TRY(sink.write(samples));
  return sink.close();
}

#else  // !LOQUI_HAS_SNDFILE

namespace {
Error no_sndfile(std::string_view what) {
  return Error(errc::not_supported, std::string(what) + ": audio files need libsndfile (built with LOQUI_WITH_SNDFILE=OFF)");
}
}  // namespace

Result<AudioFile> read_audio_file(const std::filesystem::path& path, const AudioReadOptions&) {
  return no_sndfile(path.string());
}
Result<AudioFile> read_audio_bytes(std::span<const std::byte>, std::string_view name, const AudioReadOptions&) {
  return no_sndfile(name);
}
Result<AudioFileInfo> probe_audio_file(const std::filesystem::path& path, const AudioReadOptions&) {
  return no_sndfile(path.string());
}
Status write_audio_file(const std::filesystem::path& path, const AudioFormat&, std::span<const std::int16_t>,
                        const AudioWriteOptions&) {
  return no_sndfile(path.string());
}

struct AudioFileSource::Impl {};
AudioFileSource::AudioFileSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioFileSource::AudioFileSource(AudioFileSource&&) noexcept = default;
AudioFileSource& AudioFileSource::operator=(AudioFileSource&&) noexcept = default;
AudioFileSource::~AudioFileSource() = default;
Result<AudioFileSource> AudioFileSource::open(const std::filesystem::path& path, const AudioSourceOptions&) {
  return no_sndfile(path.string());
}
Result<AudioFileSource> AudioFileSource::open_bytes(std::span<const std::byte>, std::string_view name,
                                                    const AudioSourceOptions&) {
  return no_sndfile(name);
}
std::string_view AudioFileSource::name() const { return {}; }
const AudioFileInfo& AudioFileSource::info() const {
  static const AudioFileInfo none;
  return none;
}
AudioFormat AudioFileSource::output_format() const { return {}; }
std::size_t AudioFileSource::frame_samples() const { return 0; }
Result<AudioFrame> AudioFileSource::read_frame() { return no_sndfile("audio file"); }
const Error* AudioFileSource::last_error() const { return nullptr; }

struct AudioFileSink::Impl {
  std::filesystem::path path;
};
AudioFileSink::AudioFileSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioFileSink::AudioFileSink(AudioFileSink&&) noexcept = default;
AudioFileSink& AudioFileSink::operator=(AudioFileSink&&) noexcept = default;
AudioFileSink::~AudioFileSink() = default;
Result<AudioFileSink> AudioFileSink::create(const std::filesystem::path& path, const AudioFormat&,
                                            const AudioWriteOptions&) {
  return no_sndfile(path.string());
}
std::string_view AudioFileSink::name() const { return {}; }
AudioFormat AudioFileSink::input_format() const { return {}; }
Flow AudioFileSink::push(const AudioFrame&) { return Flow::error; }
Status AudioFileSink::write(std::span<const std::int16_t>) { return no_sndfile("audio file"); }
Status AudioFileSink::close() { return no_sndfile("audio file"); }
Flow AudioFileSink::finish() { return Flow::error; }
const Error* AudioFileSink::last_error() const { return nullptr; }
std::int64_t AudioFileSink::frames_written() const { return 0; }
const std::filesystem::path& AudioFileSink::path() const { return impl_->path; }

#endif  // LOQUI_HAS_SNDFILE

Status write_audio_file(const std::filesystem::path& path, const AudioData& audio, const AudioWriteOptions& options) {
  return write_audio_file(path, audio.format, audio.samples, options);
}

}  // namespace loqui
