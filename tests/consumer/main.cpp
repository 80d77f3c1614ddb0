// SPDX-License-Identifier: Apache-2.0
// Uses only installed public headers: builds a chain, runs it under virtual time
// and prints what it heard. Exit status 0 means the package works.
#include <cstdio>
#include <vector>

#include <loqui/loqui.hpp>

namespace {
class Gain {
 public:
  std::string_view name() const { return "gain2x"; }
  loqui::AudioFormat input_format() const { return loqui::AudioFormat::pcm16(16000); }
  loqui::AudioFormat output_format() const { return input_format(); }
  template <loqui::PushTarget Next>
  loqui::Flow push(const loqui::AudioFrame& f, Next& next) {
    buf_.assign(f.samples().begin(), f.samples().end());
    loqui::apply_gain(buf_, 2.0f);
    return next.push(loqui::AudioFrame::view(output_format(), buf_, f.timestamp()));
  }
 private:
  std::vector<std::int16_t> buf_;
};
class Peak {
 public:
  std::string_view name() const { return "peak"; }
  loqui::AudioFormat input_format() const { return loqui::AudioFormat::pcm16(16000); }
  loqui::Flow push(const loqui::AudioFrame& f) {
    for (auto s : f.samples()) peak = s > peak ? s : peak;
    return loqui::Flow::ok;
  }
  int peak = 0;
};
}  // namespace

int main() {
  auto chain = loqui::make_chain(Gain{}, Peak{});
  if (!chain) {
    std::fprintf(stderr, "%s\n", chain.error().to_string().c_str());
    return 1;
  }
  auto rt = loqui::Runtime::create({.threads = 0, .time = loqui::TimeMode::virtual_time});
  if (!rt) return 1;
  auto strand = (*rt)->make_strand("consumer");
  std::vector<std::int16_t> pcm(320, 1000);
  (void)strand->call_after(std::chrono::milliseconds(20),
                           [&] { (void)chain->push(loqui::AudioFrame::view(loqui::AudioFormat::pcm16(16000), pcm)); });
  (void)(*rt)->advance_by(std::chrono::seconds(1));
  std::printf("loqui %s consumer: peak %d\n", loqui::version(), chain->get<1>().peak);
  return chain->get<1>().peak == 2000 ? 0 : 1;
}
