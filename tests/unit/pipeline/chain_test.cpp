// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/pipeline/chain.hpp"
#include "support/test_stages.hpp"

namespace loqui {
namespace {
using namespace loqui::testing;

static_assert(Filter<Upsample2x>);
static_assert(Filter<AddOffset>);
static_assert(Sink<Collector>);
static_assert(Source<RampSource>);
static_assert(!Sink<Upsample2x>);
static_assert(!Filter<Collector>);

TEST(Chain, ComposesFiltersIntoASink) {
  auto chain = make_chain(Upsample2x(8000), AddOffset(16000, 10), Collector(16000));
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  EXPECT_EQ(chain->name(), "upsample2x | add_offset | collector");
  std::vector<std::int16_t> in = {1, 2, 3};
  EXPECT_EQ(chain->push(AudioFrame::view(AudioFormat::pcm16(8000), in, 5)), Flow::ok);
  auto& sink = chain->get<2>();
  ASSERT_EQ(sink.frames.size(), 1u);
  EXPECT_EQ(sink.frames[0], (std::vector<std::int16_t>{11, 11, 12, 12, 13, 13}));
  EXPECT_EQ(sink.timestamps[0], 10);
}

TEST(Chain, PipeSyntaxBuildsTheSameChain) {
  auto chain = (Upsample2x(8000) | AddOffset(16000, 1) | Collector(16000)).build();
  ASSERT_TRUE(chain.ok());
  std::vector<std::int16_t> in = {5};
  ASSERT_EQ(chain->push(AudioFrame::view(AudioFormat::pcm16(8000), in)), Flow::ok);
  EXPECT_EQ(chain->get<2>().frames[0], (std::vector<std::int16_t>{6, 6}));
}

TEST(Chain, FormatMismatchNamesBothEnds) {
  auto chain = make_chain(Upsample2x(8000), AddOffset(8000, 1), Collector(8000));
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.error().code(), make_error_code(errc::format_mismatch));
  EXPECT_EQ(chain.error().message(), "'upsample2x' produces pcm16/16000Hz/mono but 'add_offset' accepts pcm16/8000Hz/mono");
}

TEST(Chain, WrongFrameFormatIsRejectedWithAClearError) {
  auto chain = make_chain(AddOffset(16000, 1), Collector(16000));
  ASSERT_TRUE(chain.ok());
  std::vector<std::int16_t> in = {1};
  EXPECT_EQ(chain->push(AudioFrame::view(AudioFormat::pcm16(8000), in)), Flow::error);
  ASSERT_NE(chain->last_error(), nullptr);
  EXPECT_EQ(chain->last_error()->message(),
            "'add_offset | collector' got a pcm16/8000Hz/mono frame but accepts pcm16/16000Hz/mono");
  EXPECT_TRUE(chain->get<1>().frames.empty());
}

TEST(Chain, FinishDrainsAndFlushReachesStages) {
  auto chain = make_chain(DelayOne(16000), AddOffset(16000, 0), Collector(16000));
  ASSERT_TRUE(chain.ok());
  std::vector<std::int16_t> a = {1}, b = {2};
  (void)chain->push(AudioFrame::view(AudioFormat::pcm16(16000), a));
  (void)chain->push(AudioFrame::view(AudioFormat::pcm16(16000), b));
  EXPECT_EQ(chain->get<2>().frames.size(), 1u);
  EXPECT_EQ(chain->finish(), Flow::ok);
  ASSERT_EQ(chain->get<2>().frames.size(), 2u);
  EXPECT_EQ(chain->get<2>().frames[1], std::vector<std::int16_t>{2});
  chain->flush();
  EXPECT_EQ(chain->get<1>().flushes, 1);
}

TEST(Chain, SourceDrainsIntoChain) {
  RampSource src(16000, 320, 50);
  auto chain = make_chain(AddOffset(16000, 0), Summer(16000));
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(drain(src, *chain), Flow::eos);
  EXPECT_EQ(chain->get<1>().frames, 50);
  EXPECT_EQ(chain->get<1>().sum, 50 * (319 * 320 / 2));
}

TEST(Chain, ChainsNestAsSinks) {
  auto inner = make_chain(AddOffset(16000, 1), Collector(16000));
  ASSERT_TRUE(inner.ok());
  static_assert(Sink<std::decay_t<decltype(*inner)>>);
  auto outer = make_chain(Upsample2x(8000), std::move(*inner));
  ASSERT_TRUE(outer.ok());
  std::vector<std::int16_t> in = {0};
  ASSERT_EQ(outer->push(AudioFrame::view(AudioFormat::pcm16(8000), in)), Flow::ok);
  EXPECT_EQ(outer->get<1>().get<1>().frames[0], (std::vector<std::int16_t>{1, 1}));
}

}  // namespace
}  // namespace loqui
