// SPDX-License-Identifier: Apache-2.0
// File: Resampler (configuration, buffer contracts, latency measurement, pass-through)
// and ResampleFilter; the libraries live in resampler_soxr.cpp/resampler_samplerate.cpp.
#include "loqui/audio/resampler.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "audio/resampler_backend.hpp"
#include "loqui/features.hpp"

namespace loqui {

std::string_view to_string(ResamplerBackend backend) noexcept {
  switch (backend) {
    case ResamplerBackend::soxr: return "soxr";
    case ResamplerBackend::samplerate: return "samplerate";
  }
  return "?";
}

std::string_view to_string(ResamplerQuality quality) noexcept {
  switch (quality) {
    case ResamplerQuality::quick: return "quick";
    case ResamplerQuality::medium: return "medium";
    case ResamplerQuality::high: return "high";
  }
  return "?";
}

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

std::optional<ResamplerBackend> parse_resampler_backend(std::string_view name) noexcept {
  const std::string n = lower(name);
  if (n == "soxr" || n == "libsoxr") return ResamplerBackend::soxr;
  if (n == "samplerate" || n == "libsamplerate" || n == "src") return ResamplerBackend::samplerate;
  return std::nullopt;
}

std::optional<ResamplerQuality> parse_resampler_quality(std::string_view name) noexcept {
  const std::string n = lower(name);
  if (n == "quick" || n == "low" || n == "fast") return ResamplerQuality::quick;
  if (n == "medium" || n == "default") return ResamplerQuality::medium;
  if (n == "high" || n == "best") return ResamplerQuality::high;
  return std::nullopt;
}

bool resampler_backend_available(ResamplerBackend backend) noexcept {
  switch (backend) {
    case ResamplerBackend::soxr: return LOQUI_HAS_SOXR != 0;
    case ResamplerBackend::samplerate: return LOQUI_HAS_SAMPLERATE != 0;
  }
  return false;
}

namespace {
bool supported_rate(int hz) {
  return std::find(std::begin(kCommonSampleRates), std::end(kCommonSampleRates), hz) != std::end(kCommonSampleRates);
}
std::string rate_list() {
  std::string s;
  for (int r : kCommonSampleRates) s += (s.empty() ? "" : ", ") + std::to_string(r);
  return s;
}
}  // namespace

Status ResamplerConfig::validate() const {
  if (!supported_rate(input_rate_hz))
    return Error(errc::invalid_argument, "resampler: input_rate_hz " + std::to_string(input_rate_hz) +
                                             " is not one of " + rate_list());
  if (!supported_rate(output_rate_hz))
    return Error(errc::invalid_argument, "resampler: output_rate_hz " + std::to_string(output_rate_hz) +
                                             " is not one of " + rate_list());
  if (channels < 1 || channels > 8)
    return Error(errc::invalid_argument, "resampler: channels must be 1..8, got " + std::to_string(channels));
  if (max_input_ms < 1 || max_input_ms > 1000)
    return Error(errc::invalid_argument, "resampler: max_input_ms must be 1..1000, got " + std::to_string(max_input_ms));
  return ok_status();
}

std::string ResamplerConfig::to_string() const {
  return std::string(loqui::to_string(backend)) + "/" + std::string(loqui::to_string(quality)) + " " +
         std::to_string(input_rate_hz) + "->" + std::to_string(output_rate_hz) + " Hz " +
         (channels == 1 ? std::string("mono") : std::to_string(channels) + "ch");
}

// --- Resampler ---------------------------------------------------------------------

struct Resampler::Impl {
  ResamplerConfig config;
  double ratio = 1.0;
  std::unique_ptr<detail::ResamplerBackendImpl> backend;  // null: equal rates, copy through
  std::size_t max_in_frames = 0;
  std::size_t latency = 0;
  std::int64_t in_total = 0;
  std::int64_t out_total = 0;
  bool flushing = false;  // finish() has started; the next process() starts a new stream
  bool drained = false;   // the backend has given up its tail
  std::int64_t expected_total = 0;

  void restart() noexcept {
    if (backend) backend->reset();
    in_total = 0;
    out_total = 0;
    flushing = false;
    drained = false;
  }
};

namespace {

Result<std::unique_ptr<detail::ResamplerBackendImpl>> make_backend(const ResamplerConfig& c, std::size_t max_in,
                                                                   std::size_t max_out) {
  switch (c.backend) {
    case ResamplerBackend::soxr:
#if LOQUI_HAS_SOXR
      return detail::make_soxr_backend(c, max_in, max_out);
#else
      break;
#endif
    case ResamplerBackend::samplerate:
#if LOQUI_HAS_SAMPLERATE
      return detail::make_samplerate_backend(c, max_in, max_out);
#else
      break;
#endif
  }
  return Error(errc::not_supported, "resampler: backend '" + std::string(to_string(c.backend)) +
                                        "' is not built into this loqui (LOQUI_WITH_" +
                                        (c.backend == ResamplerBackend::soxr ? "SOXR" : "SAMPLERATE") + "=OFF)");
}

/// Runs silence through the converter in 20 ms frames and returns the most output
/// it held back (the latency a streaming caller sees). soxr releases output in DFT
/// blocks whose pattern repeats slowly, so it gets 2 s (a few hundred us of CPU);
/// libsamplerate is steady after the first frame and gets 200 ms. Cached per
/// backend/quality/rate pair: the figure depends on nothing else.
Result<std::size_t> measure_latency(detail::ResamplerBackendImpl& backend, const ResamplerConfig& c,
                                    std::size_t max_in, std::size_t max_out) {
  using Key = std::tuple<ResamplerBackend, ResamplerQuality, int, int>;
  static std::mutex mu;
  static std::map<Key, std::size_t> cache;
  const Key key{c.backend, c.quality, c.input_rate_hz, c.output_rate_hz};
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  const auto ch = static_cast<std::size_t>(c.channels);
  const std::size_t frame = std::min<std::size_t>(static_cast<std::size_t>(c.input_rate_hz) / 50, max_in);
  const std::vector<std::int16_t> zeros(frame * ch, 0);
  std::vector<std::int16_t> out(max_out * ch);
  const double ratio = static_cast<double>(c.output_rate_hz) / c.input_rate_hz;
  std::int64_t in_total = 0;
  std::int64_t out_total = 0;
  double held_max = 0;
  const std::size_t span_ms = c.backend == ResamplerBackend::soxr ? 2000 : 200;
  const std::size_t frames = static_cast<std::size_t>(c.input_rate_hz) * span_ms / 1000 / frame;
  for (std::size_t i = 0; i < frames; ++i) {
    LOQUI_ASSIGN_OR_RETURN(const std::size_t n, backend.process(zeros.data(), frame, out.data(), max_out));
    in_total += static_cast<std::int64_t>(frame);
    out_total += static_cast<std::int64_t>(n);
    held_max = std::max(held_max, static_cast<double>(in_total) * ratio - static_cast<double>(out_total));
  }
  backend.reset();
  const auto latency = static_cast<std::size_t>(std::ceil(held_max - 1e-9));
  std::lock_guard lock(mu);
  cache[key] = latency;
  return latency;
}

}  // namespace

Resampler::Resampler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;
Resampler::~Resampler() = default;

Result<Resampler> Resampler::create(const ResamplerConfig& config) {
  LOQUI_TRY(config.validate());
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->ratio = static_cast<double>(config.output_rate_hz) / config.input_rate_hz;
  impl->max_in_frames =
      std::max<std::size_t>(1, static_cast<std::size_t>(config.input_rate_hz) * static_cast<std::size_t>(config.max_input_ms) / 1000);
  if (config.input_rate_hz != config.output_rate_hz) {
    // The held-back audio can come out in one burst: room for the input's share,
    // plus everything held, plus slack. Measured latency is known only after the
    // backend exists, so size generously for it first (half a second of output).
    const auto generous = static_cast<std::size_t>(std::ceil(static_cast<double>(impl->max_in_frames) * impl->ratio)) +
                          static_cast<std::size_t>(config.output_rate_hz) / 2;
    LOQUI_ASSIGN_OR_RETURN(impl->backend, make_backend(config, impl->max_in_frames, generous));
    LOQUI_ASSIGN_OR_RETURN(impl->latency, measure_latency(*impl->backend, config, impl->max_in_frames, generous));
  }
  return Resampler(std::move(impl));
}

const ResamplerConfig& Resampler::config() const noexcept { return impl_->config; }
double Resampler::ratio() const noexcept { return impl_->ratio; }
AudioFormat Resampler::input_format() const noexcept {
  return AudioFormat::pcm16(impl_->config.input_rate_hz, impl_->config.channels);
}
AudioFormat Resampler::output_format() const noexcept {
  return AudioFormat::pcm16(impl_->config.output_rate_hz, impl_->config.channels);
}
std::size_t Resampler::latency_samples() const noexcept { return impl_->latency; }
Duration Resampler::latency() const noexcept {
  return output_format().duration_of(static_cast<std::int64_t>(impl_->latency));
}
std::int64_t Resampler::input_samples() const noexcept { return impl_->in_total; }
std::int64_t Resampler::output_samples() const noexcept { return impl_->out_total; }

std::size_t Resampler::max_output_samples(std::size_t input_samples) const noexcept {
  if (!impl_->backend) return input_samples;
  // The input's share, everything the converter may hold, and slack for bursts.
  return static_cast<std::size_t>(std::ceil(static_cast<double>(input_samples) * impl_->ratio)) + 2 * impl_->latency +
         64;
}

Result<std::size_t> Resampler::process(std::span<const std::int16_t> in, std::span<std::int16_t> out) {
  Impl& m = *impl_;
  const auto ch = static_cast<std::size_t>(m.config.channels);
  if (in.size() % ch != 0) {
    return Error(errc::invalid_argument, "resampler: " + std::to_string(in.size()) + " samples is not a whole number of " +
                                             std::to_string(ch) + "-channel frames");
  }
  const std::size_t frames = in.size() / ch;
  const std::size_t need = max_output_samples(frames);
  if (out.size() / ch < need) {
    return Error(errc::overflow, "resampler: output room for " + std::to_string(out.size() / ch) + " samples, " +
                                     std::to_string(need) + " needed for " + std::to_string(frames) + " input samples");
  }
  if (m.flushing) m.restart();
  if (!m.backend) {
    std::copy(in.begin(), in.end(), out.begin());
    m.in_total += static_cast<std::int64_t>(frames);
    m.out_total += static_cast<std::int64_t>(frames);
    return frames;
  }
  std::size_t done = 0;
  std::size_t written = 0;
  while (done < frames) {
    const std::size_t piece = std::min(frames - done, m.max_in_frames);
    LOQUI_ASSIGN_OR_RETURN(const std::size_t n, m.backend->process(in.data() + done * ch, piece,
                                                                   out.data() + written * ch, out.size() / ch - written));
    done += piece;
    written += n;
  }
  m.in_total += static_cast<std::int64_t>(frames);
  m.out_total += static_cast<std::int64_t>(written);
  return written;
}

Result<std::size_t> Resampler::finish(std::span<std::int16_t> out) {
  Impl& m = *impl_;
  const auto ch = static_cast<std::size_t>(m.config.channels);
  if (!m.backend) {
    m.restart();
    return std::size_t{0};
  }
  if (!m.flushing) {
    m.flushing = true;
    m.expected_total = std::llround(static_cast<double>(m.in_total) * m.ratio);
  }
  const std::size_t room = out.size() / ch;
  std::size_t n = 0;
  if (!m.drained) {
    LOQUI_ASSIGN_OR_RETURN(n, m.backend->flush(out.data(), room));
    if (n == 0) m.drained = true;
  }
  // Both libraries may end a sample or two short of (or beyond) round(input x ratio):
  // the output is clipped or padded with silence so streams keep their exact length.
  const std::int64_t left = std::max<std::int64_t>(0, m.expected_total - m.out_total);
  if (static_cast<std::int64_t>(n) > left) n = static_cast<std::size_t>(left);
  if (m.drained && n == 0 && left > 0) {
    n = std::min(room, static_cast<std::size_t>(left));
    std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n * ch), std::int16_t{0});
  }
  m.out_total += static_cast<std::int64_t>(n);
  if (n == 0) m.restart();
  return n;
}

void Resampler::reset() noexcept { impl_->restart(); }

// --- ResampleFilter ---------------------------------------------------------------------

ResampleFilter::ResampleFilter(Resampler r) : resampler_(std::move(r)) {
  const auto ch = static_cast<std::size_t>(resampler_.config().channels);
  const std::size_t piece_frames = static_cast<std::size_t>(resampler_.config().input_rate_hz) *
                                   static_cast<std::size_t>(resampler_.config().max_input_ms) / 1000;
  piece_samples_ = std::max<std::size_t>(1, piece_frames) * ch;
  out_.resize(resampler_.max_output_samples(std::max<std::size_t>(1, piece_frames)) * ch);
}

Result<ResampleFilter> ResampleFilter::create(const ResamplerConfig& config) {
  LOQUI_ASSIGN_OR_RETURN(auto r, Resampler::create(config));
  return ResampleFilter(std::move(r));
}

void ResampleFilter::start_at(std::int64_t input_timestamp) noexcept {
  out_timestamp_ = static_cast<std::int64_t>(std::llround(static_cast<double>(input_timestamp) * resampler_.ratio()));
  started_ = true;
}

Flow ResampleFilter::wrong_format(const AudioFrame& frame) {
  return fail(frame_format_error(name(), frame.format(), resampler_.input_format()));
}

Result<std::vector<std::int16_t>> resample_buffer(std::span<const std::int16_t> in, int input_rate_hz,
                                                  int output_rate_hz, ResamplerQuality quality) {
  if (input_rate_hz == output_rate_hz) return std::vector<std::int16_t>(in.begin(), in.end());
  LOQUI_ASSIGN_OR_RETURN(auto r, Resampler::create({.input_rate_hz = input_rate_hz,
                                                    .output_rate_hz = output_rate_hz,
                                                    .quality = quality}));
  // Sized for everything at once: process() in pieces, then finish() drains what
  // streaming held back. Both backends compensate their filter delay, so output
  // sample 0 is input time 0.
  std::vector<std::int16_t> out(r.max_output_samples(in.size()) + r.max_output_samples(0));
  std::size_t n = 0;
  constexpr std::size_t kPiece = 4800;
  for (std::size_t at = 0; at < in.size(); at += kPiece) {
    LOQUI_ASSIGN_OR_RETURN(auto got, r.process(in.subspan(at, std::min(kPiece, in.size() - at)),
                                               std::span(out).subspan(n)));
    n += got;
  }
  LOQUI_ASSIGN_OR_RETURN(auto tail, r.finish(std::span(out).subspan(n)));
  n += tail;
  const auto want = static_cast<std::size_t>(
      (static_cast<std::uint64_t>(in.size()) * static_cast<std::uint64_t>(output_rate_hz) +
       static_cast<std::uint64_t>(input_rate_hz) / 2) / static_cast<std::uint64_t>(input_rate_hz));
  out.resize(want, 0);  // drops nothing real: n is `want` give or take rounding
  (void)n;
  return out;
}

}  // namespace loqui
