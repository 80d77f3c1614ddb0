// SPDX-License-Identifier: Apache-2.0
// File: acoustic adaptation helpers of the embedded recogniser (see the header).
#include "providers/pocketsphinx/acoustic_adaptation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace loqui::detail {

void mirror_upsample(std::span<const std::int16_t> in, std::span<std::int16_t> out) noexcept {
  for (std::size_t i = 0; i < in.size() && 2 * i + 1 < out.size(); ++i) {
    out[2 * i] = static_cast<std::int16_t>(std::clamp(2 * static_cast<int>(in[i]), -32768, 32767));
    out[2 * i + 1] = 0;
  }
}

namespace {

std::uint32_t read_u32(const std::vector<unsigned char>& d, std::size_t at, bool swap) {
  std::uint32_t v = 0;
  std::memcpy(&v, d.data() + at, 4);
  if (swap) v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
  return v;
}

}  // namespace

Status write_mixture_weights_from_sendump(const std::filesystem::path& sendump, const std::filesystem::path& out) {
  std::ifstream in(sendump, std::ios::binary);
  if (!in) return Error(errc::io_error, "cannot read '" + sendump.string() + "'");
  const std::vector<unsigned char> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const std::string& why) {
    return Error(errc::parse_error, "'" + sendump.string() + "': not a pocketsphinx sendump: " + why);
  };
  if (d.size() < 4) return bad("too short");
  // The first length (the title) is 1..999 in the file's byte order.
  const std::uint32_t first = read_u32(d, 0, false);
  const bool swap = first == 0 || first > 999;
  std::size_t at = 0;
  int n_feat = 0, n_clust = 0;
  for (;;) {
    if (at + 4 > d.size()) return bad("header runs past the end");
    const std::uint32_t n = read_u32(d, at, swap);
    at += 4;
    if (n == 0) break;
    if (n > 4096 || at + n > d.size()) return bad("header string of " + std::to_string(n) + " bytes");
    const std::string line(reinterpret_cast<const char*>(d.data() + at), strnlen(reinterpret_cast<const char*>(d.data() + at), n));
    at += n;
    if (line.rfind("feature_count ", 0) == 0) n_feat = std::atoi(line.c_str() + 14);
    if (line.rfind("cluster_count ", 0) == 0) n_clust = std::atoi(line.c_str() + 14);
  }
  if (n_clust != 0) return bad("clustered weights (cluster_count " + std::to_string(n_clust) + ") are not supported");
  if (n_feat <= 0 || n_feat > 16) return bad("feature_count " + std::to_string(n_feat));
  if (at + 8 > d.size()) return bad("no dimensions");
  const std::size_t n_den = read_u32(d, at, swap), n_sen = read_u32(d, at + 4, swap);
  at += 8;
  if (n_den > 65536 || n_sen > (1u << 24)) {
    return bad(std::to_string(n_den) + " densities x " + std::to_string(n_sen) + " senones");
  }
  const std::size_t n_feat_z = static_cast<std::size_t>(n_feat);
  if (n_den == 0 || n_sen == 0 || d.size() - at != n_feat_z * n_den * n_sen) {
    return bad(std::to_string(d.size() - at) + " data bytes for " + std::to_string(n_feat) + " x " +
               std::to_string(n_den) + " x " + std::to_string(n_sen));
  }
  // A byte v is -log_1.0001(w) >> 10, rounded towards -inf before negation: the
  // weight lies in one bin; take its centre.
  const double step = std::log(1.0001) * 1024.0;
  float lut[256];
  for (int v = 0; v < 256; ++v) lut[v] = static_cast<float>(std::exp(-std::max(v - 0.5, 0.0) * step));
  std::vector<float> w(n_sen * n_feat_z * n_den);
  for (std::size_t f = 0; f < n_feat_z; ++f)
    for (std::size_t c = 0; c < n_den; ++c) {
      const unsigned char* row = d.data() + at + (f * n_den + c) * n_sen;
      for (std::size_t s = 0; s < n_sen; ++s) w[(s * n_feat_z + f) * n_den + c] = lut[row[s]];
    }
  for (std::size_t i = 0; i < n_sen * n_feat_z; ++i) {
    float* seg = w.data() + i * n_den;
    double total = 0;
    for (std::size_t k = 0; k < n_den; ++k) total += seg[k];
    for (std::size_t k = 0; k < n_den; ++k) seg[k] = static_cast<float>(seg[k] / total);
  }
  // Sphinx-3 binary: text header, byte-order magic, dims, count, data, checksum
  // (rotate left 20 and add, over every word after the magic).
  std::vector<std::uint32_t> body(4 + w.size());
  body[0] = static_cast<std::uint32_t>(n_sen);
  body[1] = static_cast<std::uint32_t>(n_feat);
  body[2] = static_cast<std::uint32_t>(n_den);
  body[3] = static_cast<std::uint32_t>(w.size());
  std::memcpy(body.data() + 4, w.data(), w.size() * sizeof(float));
  std::uint32_t check = 0;
  for (std::uint32_t v : body) check = ((check << 20) | (check >> 12)) + v;
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  const std::string header = "s3\nversion 1.0\nchksum0 yes\nendhdr\n";
  const std::uint32_t magic = 0x11223344;
  o.write(header.data(), static_cast<std::streamsize>(header.size()));
  o.write(reinterpret_cast<const char*>(&magic), 4);
  o.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size() * 4));
  o.write(reinterpret_cast<const char*>(&check), 4);
  if (!o) return Error(errc::io_error, "cannot write '" + out.string() + "'");
  return ok_status();
}

Result<std::string> resolve_mllr(std::string_view value, bool narrowband, const std::filesystem::path& base_dir,
                                 std::string_view key) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (value == "espeak") {
    const std::string file = std::string("pocketsphinx/espeak-") + (narrowband ? "8k" : "16k") + ".mllr";
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("LOQUI_DATA_DIR"); env && *env) dirs.emplace_back(env);
#ifdef LOQUI_INSTALL_DATA_DIR
    dirs.emplace_back(LOQUI_INSTALL_DATA_DIR);
#endif
#ifdef LOQUI_BUILD_DATA_DIR
    dirs.emplace_back(LOQUI_BUILD_DATA_DIR);
#endif
    std::string searched;
    for (const auto& dir : dirs) {
      if (fs::exists(dir / file, ec)) return (dir / file).string();
      searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    return Error(errc::not_found, std::string(key) + ": the built-in transform 'espeak' (" + file +
                                      ") was not built; searched " + (searched.empty() ? "nowhere" : searched) +
                                      " (it needs sphinxtrain, sphinxbase-utils and pocketsphinx at build time)");
  }
  fs::path path(value);
  if (path.is_relative() && !base_dir.empty() && fs::exists(base_dir / path, ec)) path = base_dir / path;
  if (!fs::exists(path, ec)) {
    return Error(errc::not_found, std::string(key) + ": '" + std::string(value) + "' does not exist");
  }
  return path.string();
}

}  // namespace loqui::detail
