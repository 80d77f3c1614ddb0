// SPDX-License-Identifier: Apache-2.0
// File: `loqui jitter` end to end: statistics as text and JSON, the per-slot
// playout file, Opus FEC, uplink mode, exit codes 0/1/2 and one-line errors naming
// the trace line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "jitter/trace.hpp"
#include "loqui/features.hpp"
#include "loqui/json.hpp"
#include "support/cli_runner.hpp"

namespace loqui {
namespace {

class JitterCli : public testing::CliTest {
 protected:
  /// Runs `loqui jitter <args>`; returns the exit status, stdout in `out`, stderr in `err`.
  int run(const std::string& args, std::string* out = nullptr, std::string* err = nullptr) {
    const testing::CliResult r = CliTest::run("jitter " + args);
    if (out) *out = r.out;
    if (err) *err = r.err;
    return r.status;
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(p(name)) << text;
    return p(name);
  }
};

// 10 s, steady 40 ms network delay, packets 50 and 120 lost, 200 arrives 300 ms late
// (after newer ones).
std::string small_trace() {
  std::string s = "# seq send_ms arrival_ms\n";
  for (int k = 0; k < 500; ++k) {
    s += std::to_string(k) + " " + std::to_string(20 * k) + " ";
    if (k == 50 || k == 120)
      s += "lost\n";
    else
      s += std::to_string(40 + 20 * k + (k == 200 ? 300 : 0)) + "\n";
  }
  return s;
}

TEST_F(JitterCli, PrintsStatisticsAsJson) {
  const auto trace = write("t.tsv", small_trace());
  std::string out, err;
  ASSERT_EQ(run("--trace " + trace + " --json", &out, &err), 0) << err;
  auto j = Json::parse(out);
  ASSERT_TRUE(j) << out;
  for (const char* key : {"packets", "lost", "late", "late_pct", "concealed_pct", "mean_delay_ms", "p95_delay_ms"})
    ASSERT_TRUE(j->contains(key)) << key;
  EXPECT_EQ((*j)["packets"].as_int(), 500);
  EXPECT_EQ((*j)["lost"].as_int(), 2);
  EXPECT_EQ((*j)["late"].as_int(), 1);
  EXPECT_DOUBLE_EQ((*j)["late_pct"].as_number(), 0.2);
  EXPECT_GT((*j)["concealed_pct"].as_number(), 0.4);  // 3 of ~500 slots at least
  EXPECT_LT((*j)["concealed_pct"].as_number(), 3.0);
  EXPECT_GT((*j)["mean_delay_ms"].as_number(), 0.0);
  EXPECT_LE((*j)["mean_delay_ms"].as_number(), (*j)["p95_delay_ms"].as_number());
  EXPECT_EQ((*j)["codec"].as_string(), "pcmu");
}

TEST_F(JitterCli, PrintsStatisticsAsText) {
  const auto trace = write("t.tsv", small_trace());
  std::string out;
  ASSERT_EQ(run("--trace " + trace, &out), 0);
  EXPECT_NE(out.find("500 packets"), std::string::npos) << out;
  EXPECT_NE(out.find("lost 2"), std::string::npos) << out;
  EXPECT_NE(out.find("late 1 (0.20 %)"), std::string::npos) << out;
  EXPECT_NE(out.find("delay arrival -> played: mean"), std::string::npos) << out;
}

TEST_F(JitterCli, WritesOneLinePerPlayoutSlot) {
  const auto trace = write("t.tsv", small_trace());
  ASSERT_EQ(run("--trace " + trace + " --out " + p("play.tsv")), 0);
  std::ifstream in(p("play.tsv"));
  std::string line;
  std::vector<std::pair<double, long long>> slots;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    double t = 0;
    long long seq = 0;
    ASSERT_TRUE(ls >> t >> seq) << line;
    slots.emplace_back(t, seq);
  }
  ASSERT_GT(slots.size(), 500u);
  EXPECT_DOUBLE_EQ(slots.front().first, 40.0);  // the first arrival: on the trace's arrival clock
  std::vector<int> played(500, 0);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (i > 0) {
      EXPECT_DOUBLE_EQ(slots[i].first - slots[i - 1].first, 20.0);
    }
    if (slots[i].second >= 0) {
      ASSERT_LT(slots[i].second, 500);
      ++played[static_cast<std::size_t>(slots[i].second)];
    }
  }
  // The lost and the late packet own no slot. Almost every other packet owns one (a
  // slot names the packet that supplied most of it; after time-stretching a packet
  // can straddle two slots without a majority in either), and in order.
  EXPECT_EQ(played[50], 0);
  EXPECT_EQ(played[120], 0);
  EXPECT_EQ(played[200], 0);
  int owned = 0;
  for (int k = 0; k < 500; ++k) owned += played[static_cast<std::size_t>(k)] > 0;
  EXPECT_GE(owned, 480);
  long long last = -1;
  for (const auto& [t, seq] : slots) {
    if (seq < 0) continue;
    EXPECT_GE(seq, last);
    last = seq;
  }
}

#if LOQUI_HAS_OPUS
TEST_F(JitterCli, OpusRecoversSingleLossesFromFec) {
  const auto trace = write("t.tsv", small_trace());
  std::string out, err;
  ASSERT_EQ(run("--trace " + trace + " --codec opus --json", &out, &err), 0) << err;
  auto j = Json::parse(out);
  ASSERT_TRUE(j) << out;
  // 50 and 120, and 200 too: at its playout time it had not arrived, but 201 had.
  EXPECT_EQ((*j)["fec_recovered"].as_int(), 3);
  EXPECT_EQ((*j)["codec"].as_string(), "opus");
}
#endif

TEST_F(JitterCli, UplinkModeReportsGaps) {
  const auto trace = write("t.tsv", small_trace());
  std::string out;
  ASSERT_EQ(run("--trace " + trace + " --mode uplink", &out), 0);
  EXPECT_NE(out.find("mode uplink"), std::string::npos) << out;
  EXPECT_NE(out.find("gaps "), std::string::npos) << out;
}

TEST_F(JitterCli, BadTraceLinesAreNamed) {
  std::string err;
  const auto t1 = write("bad1.tsv", "# ok\n0 0 40\n1 20 61\n2 40\n");
  EXPECT_EQ(run("--trace " + t1, nullptr, &err), 1);
  EXPECT_EQ(err, "loqui jitter: " + t1 + ":4: expected 3 fields `seq send_ms arrival_ms`, found 2\n");
  const auto t2 = write("bad2.tsv", "0 0 40\n1 twenty 61\n");
  EXPECT_EQ(run("--trace " + t2, nullptr, &err), 1);
  EXPECT_NE(err.find(t2 + ":2: send_ms must be a number"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_EQ(run("--trace " + p("missing.tsv"), nullptr, &err), 1);
  EXPECT_NE(err.find("cannot open trace"), std::string::npos) << err;
}

TEST_F(JitterCli, UsageErrorsExitWithTwo) {
  const auto trace = write("t.tsv", small_trace());
  std::string err;
  EXPECT_EQ(run("", nullptr, &err), 2);
  EXPECT_NE(err.find("--trace TRACE.tsv is required"), std::string::npos) << err;
  EXPECT_EQ(run("--trace " + trace + " --codec g722", nullptr, &err), 2);
  EXPECT_EQ(run("--trace " + trace + " --mode fast", nullptr, &err), 2);
  EXPECT_EQ(run("--trace " + trace + " --codec opus --ptime 30", nullptr, &err), 2);
  EXPECT_NE(err.find("10, 20, 40 or 60"), std::string::npos) << err;
  EXPECT_EQ(run("--trace " + trace + " --ptime 0", nullptr, &err), 2);
}

TEST_F(JitterCli, GeneratedTracesReplayLikeTheLibrary) {
  // A trace written by the generator replays the same through the CLI as in process.
  jitter::TraceSpec spec;
  spec.duration_s = 20;
  spec.seed = 3;
  const auto t = jitter::generate_trace(spec);
  const auto path = write("gen.tsv", jitter::format_trace(t));
  std::string out;
  ASSERT_EQ(run("--trace " + path + " --json", &out), 0);
  auto j = Json::parse(out);
  ASSERT_TRUE(j);
  std::size_t lost = 0;
  for (const auto& e : t) lost += e.lost();
  EXPECT_EQ((*j)["packets"].as_int(), static_cast<long long>(t.size()));
  EXPECT_EQ((*j)["lost"].as_int(), static_cast<long long>(lost));
}

}  // namespace
}  // namespace loqui
