// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/pipeline/stage.hpp"
#include "support/test_stages.hpp"

namespace loqui {
namespace {
using namespace loqui::testing;

class VectorSink : public FrameSink {
 public:
  Flow push(const AudioFrame& f) override {
    frames.emplace_back(f.samples().begin(), f.samples().end());
    formats.push_back(f.format());
    return Flow::ok;
  }
  std::vector<std::vector<std::int16_t>> frames;
  std::vector<AudioFormat> formats;
};

std::vector<std::unique_ptr<Stage>> stages(std::unique_ptr<Stage> a, std::unique_ptr<Stage> b) {
  std::vector<std::unique_ptr<Stage>> v;
  v.push_back(std::move(a));
  v.push_back(std::move(b));
  return v;
}

TEST(Pipeline, RunsTypeErasedStagesToTheOutput) {
  auto p = Pipeline::build(stages(make_stage(Upsample2x(8000)), make_stage(AddOffset(16000, 3))), "uplink");
  ASSERT_TRUE(p.ok()) << p.error().message();
  VectorSink out;
  p->set_output(&out);
  std::vector<std::int16_t> in = {1, 2};
  EXPECT_EQ(p->push(AudioFrame::view(AudioFormat::pcm16(8000), in)), Flow::ok);
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.frames[0], (std::vector<std::int16_t>{4, 4, 5, 5}));
  EXPECT_EQ(out.formats[0], AudioFormat::pcm16(16000));
  EXPECT_EQ(p->output_format(), AudioFormat::pcm16(16000));
}

TEST(Pipeline, DetectsFormatGapsAtBuildTime) {
  auto p = Pipeline::build(stages(make_stage(Upsample2x(8000)), make_stage(Collector(8000))), "uplink");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            "uplink: 'upsample2x' produces pcm16/16000Hz/mono but 'collector' accepts pcm16/8000Hz/mono");
}

TEST(Pipeline, SinkMustBeLast) {
  auto p = Pipeline::build(stages(make_stage(Collector(8000)), make_stage(AddOffset(8000, 1))), "x");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "x: 'collector' is a sink and must be the last stage");
  auto empty = Pipeline::build({}, "y");
  ASSERT_FALSE(empty.ok());
}

TEST(Pipeline, WrongFrameFormatGivesErrorNamingStage) {
  auto p = Pipeline::build(stages(make_stage(AddOffset(16000, 1)), make_stage(Collector(16000))), "p");
  ASSERT_TRUE(p.ok());
  std::vector<std::int16_t> in = {1};
  EXPECT_EQ(p->push(AudioFrame::view(AudioFormat::pcm16(44100), in)), Flow::error);
  ASSERT_NE(p->last_error(), nullptr);
  EXPECT_EQ(p->last_error()->message(), "p: 'add_offset' got a pcm16/44100Hz/mono frame but accepts pcm16/16000Hz/mono");
}

TEST(Pipeline, OutputWithoutSinkIsCountedNotLost) {
  std::vector<std::unique_ptr<Stage>> v;
  v.push_back(make_stage(AddOffset(16000, 1)));
  auto p = Pipeline::build(std::move(v));
  ASSERT_TRUE(p.ok());
  std::vector<std::int16_t> in = {1};
  (void)p->push(AudioFrame::view(AudioFormat::pcm16(16000), in));
  EXPECT_EQ(p->dropped_output_frames(), 1u);
}

TEST(StageRegistry, BuildsPipelinesFromJson) {
  StageRegistry reg;
  register_core_stages(reg);
  auto spec = Json::parse(R"([{"stage": "downmix"}, {"stage": "gain", "db": 6.0206}])");
  ASSERT_TRUE(spec.ok());
  auto p = reg.build(*spec, AudioFormat::pcm16(16000, 2), "audio.pipeline");
  ASSERT_TRUE(p.ok()) << p.error().message();
  VectorSink out;
  p->set_output(&out);
  std::vector<std::int16_t> stereo = {100, 300, 1000, 1000};
  ASSERT_EQ(p->push(AudioFrame::view(AudioFormat::pcm16(16000, 2), stereo)), Flow::ok);
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_NEAR(out.frames[0][0], 400, 1);
  EXPECT_NEAR(out.frames[0][1], 2000, 1);
}

TEST(StageRegistry, ConfigErrorsNameThePath) {
  StageRegistry reg;
  register_core_stages(reg);
  auto unknown = reg.build(*Json::parse(R"([{"stage": "gian"}])"), AudioFormat::pcm16(16000), "audio.pipeline");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(),
            "audio.pipeline[0].stage: unknown stage 'gian' (known: downmix, gain, to_pcm16)");
  auto bad = reg.build(*Json::parse(R"([{"stage": "gain", "db": "loud"}])"), AudioFormat::pcm16(16000), "a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "a[0].db: expected a number between -60 and 40, found \"loud\"");
  auto wrong = reg.build(*Json::parse(R"([{"stage": "to_pcm16"}])"), AudioFormat::pcm16(16000), "a");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), make_error_code(errc::format_mismatch));
  EXPECT_FALSE(reg.add("gain", [](const Json&, const AudioFormat&, std::string_view) -> Result<std::unique_ptr<Stage>> {
                    return Error(errc::internal, "unused");
                  }).ok());
}

}  // namespace
}  // namespace loqui
