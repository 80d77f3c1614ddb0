// SPDX-License-Identifier: Apache-2.0
// File: the pieces of acoustic adaptation that are loqui's own: the narrowband
// front end, the sendump -> mixture_weights conversion sphinxtrain needs, and how
// transform names and paths resolve.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>
#include <vector>

#include "providers/pocketsphinx/acoustic_adaptation.hpp"

namespace loqui::detail {
namespace {

namespace fs = std::filesystem;

const fs::path kSendump = "/usr/share/pocketsphinx/model/en-us/en-us/sendump";

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("loqui_adapt_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<unsigned char> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(AcousticAdaptation, MirrorUpsampleStuffsZerosAtDoubleGain) {
  const std::vector<std::int16_t> in = {100, -200, 20000, -30000};
  std::vector<std::int16_t> out(8, 7);
  mirror_upsample(in, out);
  EXPECT_EQ(out, (std::vector<std::int16_t>{200, 0, -400, 0, 32767, 0, -32768, 0}));
}

TEST(AcousticAdaptation, SendumpBecomesNormalisedMixtureWeights) {
  if (!fs::exists(kSendump)) GTEST_SKIP() << kSendump << " missing (Debian: pocketsphinx-en-us)";
  const fs::path dir = temp_dir("mixw");
  ASSERT_TRUE(write_mixture_weights_from_sendump(kSendump, dir / "mixture_weights").ok());
  const auto d = read_all(dir / "mixture_weights");
  const std::string header = "s3\nversion 1.0\nchksum0 yes\nendhdr\n";
  ASSERT_GT(d.size(), header.size() + 24);
  ASSERT_EQ(std::string(d.begin(), d.begin() + static_cast<long>(header.size())), header);
  auto u32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, d.data() + at, 4);
    return v;
  };
  std::size_t at = header.size();
  EXPECT_EQ(u32(at), 0x11223344u);
  const std::uint32_t n_sen = u32(at + 4), n_feat = u32(at + 8), n_den = u32(at + 12), n = u32(at + 16);
  // Debian's en-us model: 5126 senones, 3 streams, 128 densities.
  EXPECT_EQ(n_sen, 5126u);
  EXPECT_EQ(n_feat, 3u);
  EXPECT_EQ(n_den, 128u);
  ASSERT_EQ(n, n_sen * n_feat * n_den);
  ASSERT_EQ(d.size(), header.size() + 4 + 16 + 4 * std::size_t{n} + 4);
  std::vector<float> w(n);
  std::memcpy(w.data(), d.data() + at + 20, 4 * std::size_t{n});
  double worst = 0;
  for (std::size_t i = 0; i < std::size_t{n_sen} * n_feat; ++i) {
    double sum = 0;
    for (std::size_t k = 0; k < n_den; ++k) {
      ASSERT_GT(w[i * n_den + k], 0.f);
      sum += w[i * n_den + k];
    }
    worst = std::max(worst, std::abs(sum - 1.0));
  }
  EXPECT_LT(worst, 1e-4);
  // The checksum (rotate left 20 and add) covers every word after the magic.
  std::uint32_t check = 0;
  for (std::size_t p = at + 4; p < d.size() - 4; p += 4) check = ((check << 20) | (check >> 12)) + u32(p);
  EXPECT_EQ(check, u32(d.size() - 4));
  fs::remove_all(dir);
}

TEST(AcousticAdaptation, BadSendumpIsAClearError) {
  const fs::path dir = temp_dir("bad");
  auto missing = write_mixture_weights_from_sendump(dir / "nope", dir / "out");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), make_error_code(errc::io_error));
  EXPECT_NE(missing.error().message().find("nope"), std::string::npos);
  if (fs::exists(kSendump)) {  // the real file cut short
    auto d = read_all(kSendump);
    d.resize(d.size() / 2);
    std::ofstream(dir / "short", std::ios::binary).write(reinterpret_cast<const char*>(d.data()), static_cast<long>(d.size()));
    auto cut = write_mixture_weights_from_sendump(dir / "short", dir / "out");
    ASSERT_FALSE(cut.ok());
    EXPECT_EQ(cut.error().code(), make_error_code(errc::parse_error));
    EXPECT_NE(cut.error().message().find("data bytes for 3 x 128 x 5126"), std::string::npos) << cut.error().message();
  }
  std::ofstream(dir / "garbage") << "this is not a sendump";
  auto garbage = write_mixture_weights_from_sendump(dir / "garbage", dir / "out");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code(), make_error_code(errc::parse_error));
  EXPECT_NE(garbage.error().message().find("not a pocketsphinx sendump"), std::string::npos);
  fs::remove_all(dir);
}

TEST(AcousticAdaptation, TransformNamesAndPathsResolve) {
  const fs::path dir = temp_dir("resolve");
  fs::create_directories(dir / "data/pocketsphinx");
  std::ofstream(dir / "data/pocketsphinx/espeak-8k.mllr") << "1\n";
  std::ofstream(dir / "line.mllr") << "1\n";
  ::setenv("LOQUI_DATA_DIR", (dir / "data").c_str(), 1);
  auto narrow = resolve_mllr("espeak", true, {}, "stt.mllr_narrowband");
  ASSERT_TRUE(narrow.ok()) << narrow.error().to_string();
  EXPECT_EQ(fs::path(*narrow), dir / "data/pocketsphinx/espeak-8k.mllr");
  // A relative path is tried against the agent file's directory.
  auto relative = resolve_mllr("line.mllr", false, dir, "stt.mllr");
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(fs::path(*relative), dir / "line.mllr");
  auto missing = resolve_mllr("no/such.mllr", false, dir, "stt.mllr");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), make_error_code(errc::not_found));
  EXPECT_NE(missing.error().message().find("stt.mllr: 'no/such.mllr' does not exist"), std::string::npos);
  // With an empty data directory first, the build tree's transforms are still found
  // when they were built; the message names the key and what to install otherwise.
  ::setenv("LOQUI_DATA_DIR", (dir / "empty").c_str(), 1);
  auto wide = resolve_mllr("espeak", false, {}, "stt.mllr");
  if (!wide) {
    EXPECT_NE(wide.error().message().find("stt.mllr: the built-in transform 'espeak'"), std::string::npos);
    EXPECT_NE(wide.error().message().find("sphinxtrain"), std::string::npos);
  } else {
    EXPECT_NE(wide->find("espeak-16k.mllr"), std::string::npos);
  }
  ::unsetenv("LOQUI_DATA_DIR");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace loqui::detail
