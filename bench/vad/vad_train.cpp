// SPDX-License-Identifier: Apache-2.0
// File: trains the MLP of loqui's voice detector OFFLINE and writes its weights as
// C++ source (src/audio/vad_model_weights.cpp). Reproducible: fixed seeds, the
// corpus is rebuilt from espeak-ng and sox (train split of bench/vad/vad_corpus),
// and the features are computed by the detector's own front end
// (src/audio/vad_features.hpp), so training sees exactly what run time sees.
//
//   ./build/bench/vad_train [--out src/audio/vad_model_weights.cpp] [--epochs 10]
//
// Model: inputs standardised, 24 tanh units, sigmoid output, cross-entropy loss
// with the classes balanced, then non-speech frames weighted by --nonspeech-weight
// (clean, babble) and --stationary-nonspeech-weight (white, pink noise), and those
// in the 150 ms after speech by --offset-weight more; speech frames buried in the
// noise (local SNR < -5 dB) left out; Adam (lr 2e-3, batch
// 128). One model per rate (8 kHz mu-law, 16 kHz). Training set: 90 utterances,
// clean + white/pink/babble at 30/20/15/10/5/0 dB. The defaults reproduce the
// committed weights (up to espeak-ng's run-to-run variation in its output).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "audio/vad_features.hpp"
#include "vad_corpus.hpp"

namespace {

using loqui::detail::kVadHidden;
using loqui::detail::kVadInputs;
using loqui::detail::VadModel;

struct Data {
  std::vector<float> x;  // frames x kVadInputs
  std::vector<float> y;
  std::vector<float> w;  // loss weight
  std::vector<std::string> condition;
  std::size_t rows() const { return y.size(); }
};

Data extract(const std::vector<loqui::bench::vad::Stream>& streams, int rate, double nonspeech_weight,
             double stationary_nonspeech_weight, double offset_weight) {
  Data d;
  const std::size_t n = static_cast<std::size_t>(rate / 100);
  for (const auto& s : streams) {
    loqui::detail::VadFeatureExtractor fx(rate);
    std::array<float, kVadInputs> row{};
    std::size_t since_speech = 1000;  // frames since the last speech frame
    for (std::size_t f = 0; f < s.labels.size(); ++f) {
      since_speech = s.labels[f] ? 0 : since_speech + 1;
      fx.compute(std::span<const std::int16_t>(s.pcm.data() + f * n, n), row);
      d.x.insert(d.x.end(), row.begin(), row.end());
      d.y.push_back(static_cast<float>(s.labels[f]));
      const bool stationary = s.noise == "white" || s.noise == "pink";
      // Non-speech within 150 ms after speech weighs `offset_weight` more: a detector
      // that lingers after speech ends delays every end-of-turn decision.
      const double after = !s.labels[f] && since_speech <= 15 ? offset_weight : 1.0;
      d.w.push_back(s.train_weight[f] *
                    static_cast<float>(s.labels[f] ? 1.0
                                                   : after * (stationary ? stationary_nonspeech_weight : nonspeech_weight)));
      d.condition.push_back(s.condition());
    }
  }
  // Balance the classes (non-speech frames weigh as much in total as speech frames)
  // after the per-condition factors above: below 1 trades false alarms for recall
  // (in stationary noise, where false alarms are rare, separately from babble).
  double w0 = 0, w1 = 0;  // w0 counts non-speech frames
  for (std::size_t r = 0; r < d.rows(); ++r) (d.y[r] > 0.5f ? w1 : w0) += d.y[r] > 0.5f ? d.w[r] : 1.0f;
  for (std::size_t r = 0; r < d.rows(); ++r)
    if (d.y[r] < 0.5f) d.w[r] *= static_cast<float>(w1 / std::max(w0, 1.0));
  return d;
}

/// The weights being trained (storage; view() is what the detector evaluates).
struct Params {
  std::array<float, kVadInputs> mean{}, inv_std{};
  std::array<float, kVadHidden * kVadInputs> w1{};
  std::array<float, kVadHidden> b1{}, w2{};
  float b2 = 0;
  VadModel view() const { return {kVadInputs, kVadHidden, mean.data(), inv_std.data(), w1.data(), b1.data(), w2.data(), b2}; }
};

struct Mlp {
  Params m{};

  void init(const Data& d, std::mt19937& rng) {
    const std::size_t rows = d.rows();
    for (std::size_t i = 0; i < kVadInputs; ++i) {
      double s = 0, s2 = 0;
      for (std::size_t r = 0; r < rows; ++r) s += d.x[r * kVadInputs + i];
      const double mean = s / static_cast<double>(rows);
      for (std::size_t r = 0; r < rows; ++r) {
        const double v = d.x[r * kVadInputs + i] - mean;
        s2 += v * v;
      }
      const double sd = std::sqrt(s2 / static_cast<double>(rows));
      m.mean[i] = static_cast<float>(mean);
      m.inv_std[i] = sd > 1e-6 ? static_cast<float>(1.0 / sd) : 0.0f;  // constant input (8 kHz high bands): off
    }
    std::normal_distribution<float> g(0.0f, 1.0f / std::sqrt(static_cast<float>(kVadInputs)));
    for (auto& w : m.w1) w = g(rng);
    std::normal_distribution<float> g2(0.0f, 1.0f / std::sqrt(static_cast<float>(kVadHidden)));
    for (auto& w : m.w2) w = g2(rng);
    m.b1.fill(0);
    m.b2 = 0;
  }

  void train(const Data& d, int epochs, std::mt19937& rng) {
    constexpr std::size_t kBatch = 128;
    constexpr float kLr = 2e-3f, kB1 = 0.9f, kB2 = 0.999f, kEps = 1e-8f;
    constexpr std::size_t kParams = kVadHidden * kVadInputs + 2 * kVadHidden + 1;
    std::vector<float> mom(kParams, 0), var(kParams, 0), grad(kParams, 0);
    std::vector<std::size_t> order(d.rows());
    std::iota(order.begin(), order.end(), 0);
    long step = 0;
    for (int e = 0; e < epochs; ++e) {
      std::shuffle(order.begin(), order.end(), rng);
      double loss = 0;
      for (std::size_t b0 = 0; b0 < order.size(); b0 += kBatch) {
        std::fill(grad.begin(), grad.end(), 0.0f);
        const std::size_t b1 = std::min(order.size(), b0 + kBatch);
        for (std::size_t bi = b0; bi < b1; ++bi) {
          const std::size_t r = order[bi];
          std::array<float, kVadInputs> z;
          for (std::size_t i = 0; i < kVadInputs; ++i) z[i] = (d.x[r * kVadInputs + i] - m.mean[i]) * m.inv_std[i];
          std::array<float, kVadHidden> h;
          float out = m.b2;
          for (std::size_t j = 0; j < kVadHidden; ++j) {
            float a = m.b1[j];
            for (std::size_t i = 0; i < kVadInputs; ++i) a += m.w1[j * kVadInputs + i] * z[i];
            h[j] = std::tanh(a);
            out += m.w2[j] * h[j];
          }
          const float p = 1.0f / (1.0f + std::exp(-out));
          const float y = d.y[r];
          const float wr = d.w[r];
          if (wr == 0.0f) continue;
          loss -= wr * (y * std::log(p + 1e-7f) + (1 - y) * std::log(1 - p + 1e-7f));
          const float dout = wr * (p - y);
          for (std::size_t j = 0; j < kVadHidden; ++j) {
            grad[kVadHidden * kVadInputs + kVadHidden + j] += dout * h[j];
            const float da = dout * m.w2[j] * (1 - h[j] * h[j]);
            grad[kVadHidden * kVadInputs + j] += da;
            for (std::size_t i = 0; i < kVadInputs; ++i) grad[j * kVadInputs + i] += da * z[i];
          }
          grad[kParams - 1] += dout;
        }
        ++step;
        const float scale = 1.0f / static_cast<float>(b1 - b0);
        const float c1 = 1.0f - std::pow(kB1, static_cast<float>(step));
        const float c2 = 1.0f - std::pow(kB2, static_cast<float>(step));
        for (std::size_t k = 0; k < kParams; ++k) {
          const float gk = grad[k] * scale;
          mom[k] = kB1 * mom[k] + (1 - kB1) * gk;
          var[k] = kB2 * var[k] + (1 - kB2) * gk * gk;
          const float upd = kLr * (mom[k] / c1) / (std::sqrt(var[k] / c2) + kEps);
          if (k < kVadHidden * kVadInputs) m.w1[k] -= upd;
          else if (k < kVadHidden * kVadInputs + kVadHidden) m.b1[k - kVadHidden * kVadInputs] -= upd;
          else if (k < kParams - 1) m.w2[k - kVadHidden * kVadInputs - kVadHidden] -= upd;
          else m.b2 -= upd;
        }
      }
      std::printf("  epoch %2d  loss %.4f\n", e + 1, loss / static_cast<double>(order.size()));
      std::fflush(stdout);
    }
  }
};

/// Recall, false alarms and F1 per training condition at threshold 0.5.
void report(const Mlp& mlp, const Data& d) {
  const VadModel view = mlp.m.view();
  struct Count {
    double tp = 0, fp = 0, fn = 0, tn = 0;
    double recall() const { return tp / std::max(tp + fn, 1.0); }
    double fa() const { return fp / std::max(fp + tn, 1.0); }
    double f1() const { return 2 * tp / std::max(2 * tp + fp + fn, 1.0); }
  };
  std::vector<std::pair<std::string, Count>> per;
  for (std::size_t r = 0; r < d.rows(); ++r) {
    if (r == 0 || d.condition[r] != d.condition[r - 1]) per.push_back({d.condition[r], {}});
    const float p =
        loqui::detail::vad_model_eval(view, std::span<const float, kVadInputs>(&d.x[r * kVadInputs], kVadInputs));
    const bool s = p >= 0.5f, y = d.y[r] > 0.5f;
    Count& c = per.back().second;
    (s && y ? c.tp : s ? c.fp : y ? c.fn : c.tn) += 1;
  }
  double rs = 0, fs = 0, f1s = 0;
  std::printf("  %-16s %7s %7s %7s\n", "train condition", "recall", "FA", "F1");
  for (const auto& [c, n] : per) {
    std::printf("  %-16s %7.3f %7.3f %7.3f\n", c.c_str(), n.recall(), n.fa(), n.f1());
    rs += n.recall();
    fs += n.fa();
    f1s += n.f1();
  }
  const auto k = static_cast<double>(per.size());
  std::printf("  %-16s %7.3f %7.3f %7.3f\n", "mean", rs / k, fs / k, f1s / k);
}

std::string array(const float* v, std::size_t n, std::size_t per_line) {
  std::ostringstream os;
  os << "{";
  for (std::size_t i = 0; i < n; ++i) {
    if (i % per_line == 0) os << "\n     ";
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.7ef,", static_cast<double>(v[i]));
    os << buf;
  }
  os << "}";
  return os.str();
}

std::string model_source(const std::string& name, const Params& m) {
  char b2[32];
  std::snprintf(b2, sizeof b2, "%.7ef", static_cast<double>(m.b2));
  const auto arr = [&](const char* part, const float* v, std::size_t n) {
    return "const float " + name + "_" + part + "[] = " + array(v, n, 6) + ";\n";
  };
  return arr("mean", m.mean.data(), kVadInputs) + arr("inv_std", m.inv_std.data(), kVadInputs) +
         arr("w1", m.w1.data(), m.w1.size()) + arr("b1", m.b1.data(), kVadHidden) + arr("w2", m.w2.data(), kVadHidden) +
         "}  // namespace\n\nconst VadModel " + name + " = {" + std::to_string(kVadInputs) + ", " +
         std::to_string(kVadHidden) + ", " + name + "_mean, " + name + "_inv_std, " + name + "_w1, " + name + "_b1, " +
         name + "_w2, " + b2 + "};\n\nnamespace {\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string out = LOQUI_VAD_WEIGHTS_PATH;
  // The defaults are the settings of the committed weights.
  int epochs = 12;
  int utterances = 90;
  double nonspeech_weight = 0.8;
  double stationary_nonspeech_weight = 0.4;
  double offset_weight = 3.0;
  std::filesystem::path cache = loqui::bench::vad::default_cache_dir();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) out = argv[++i];
    else if (a == "--epochs" && i + 1 < argc) epochs = std::atoi(argv[++i]);
    else if (a == "--utterances" && i + 1 < argc) utterances = std::atoi(argv[++i]);
    else if (a == "--cache" && i + 1 < argc) cache = argv[++i];
    else if (a == "--nonspeech-weight" && i + 1 < argc) nonspeech_weight = std::atof(argv[++i]);
    else if (a == "--stationary-nonspeech-weight" && i + 1 < argc) stationary_nonspeech_weight = std::atof(argv[++i]);
    else if (a == "--offset-weight" && i + 1 < argc) offset_weight = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: vad_train [--out FILE.cpp] [--epochs N] [--utterances N] [--cache DIR]\n"
                   "                 [--nonspeech-weight W] [--stationary-nonspeech-weight W] [--offset-weight W]\n");
      return 2;
    }
  }
  std::string sources;
  for (int rate : {8000, 16000}) {
    std::printf("vad_train: %d Hz: building the train split (espeak-ng + sox, cache %s)\n", rate, cache.c_str());
    std::fflush(stdout);
    loqui::bench::vad::CorpusOptions opt;
    opt.split = loqui::bench::vad::Split::train;
    opt.rate = rate;
    opt.cache_dir = cache;
    opt.snrs_db = {30, 20, 15, 10, 5, 0};
    opt.utterances = utterances;
    auto corpus = loqui::bench::vad::build_corpus(opt);
    if (!corpus) {
      std::fprintf(stderr, "vad_train: %s\n", corpus.error().message().c_str());
      return 1;
    }
    const Data d = extract(*corpus, rate, nonspeech_weight, stationary_nonspeech_weight, offset_weight);
    std::printf("vad_train: %d Hz: %zu frames, %zu streams\n", rate, d.rows(), corpus->size());
    std::mt19937 rng(static_cast<unsigned>(rate));
    Mlp mlp;
    mlp.init(d, rng);
    mlp.train(d, epochs, rng);
    report(mlp, d);
    sources += model_source(rate == 8000 ? "kVadModel8k" : "kVadModel16k", mlp.m) + "\n";
  }
  std::ofstream f(out);
  f << "// SPDX-License-Identifier: Apache-2.0\n"
       "// File: GENERATED by bench/vad/vad_train (see docs/audio.md, \"Voice activity\n"
       "// detection\"); do not edit by hand. Weights of loqui's VAD model, one per rate.\n"
       "#include \"audio/vad_features.hpp\"\n\nnamespace loqui::detail {\n\n// clang-format off\nnamespace {\n"
    << sources << "}  // namespace\n// clang-format on\n\n}  // namespace loqui::detail\n";
  if (!f) {
    std::fprintf(stderr, "vad_train: cannot write %s\n", out.c_str());
    return 1;
  }
  std::printf("vad_train: wrote %s\n", out.c_str());
  return 0;
}
