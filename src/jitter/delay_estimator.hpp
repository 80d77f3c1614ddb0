// SPDX-License-Identifier: Apache-2.0
// File: the jitter buffer's delay model (private). Two parts:
//  * ArrivalWindow: the minimum of (arrival - media time) over the last 2 s of
//    arrivals, i.e. the fastest packet of the window. A packet's *relative delay* is
//    how much later it came than that packet would predict (NetEq's
//    packet_arrival_history). Using a window, not the all-time minimum, is what
//    lets the reference follow sender/receiver clock drift and route changes.
//  * DelayModel: two histograms of relative delay with per-packet exponential
//    forgetting: one of all packets, one of packets that arrived after a packet with
//    a higher sequence number (overtaken). At a playout delay D, an overtaken packet
//    with delay > D is lost (a newer packet is already there, so playout moves on);
//    an in-order one only makes the buffer run dry and stall. The target minimises
//        D + late_cost * P(overtaken and delay > D) + stall_cost * P(delay > D)
//    with costs in ms per percent (NetEq's reorder optimiser uses 20 ms per 1 %).
//
// Thread safety: plain values; confined to the owning jitter buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loqui::jitter {

/// Sliding-window minimum of `offset_ms` (arrival minus media time) over arrival time.
/// Fixed capacity: no allocation after construction.
class ArrivalWindow {
 public:
  explicit ArrivalWindow(std::size_t capacity = 512, double window_ms = 2000.0);
  /// Adds one arrival; returns the window minimum including it.
  double add(double arrival_ms, double offset_ms);
  /// Minimum over the window (the last entry is kept however old it is).
  double min() const noexcept;
  bool empty() const noexcept { return size_ == 0; }
  void reset() noexcept { head_ = 0; size_ = 0; }
  /// Shifts every stored offset (the media time origin moved by -delta_ms).
  void shift(double delta_ms) noexcept;

 private:
  struct Entry {
    double arrival_ms;
    double offset_ms;
  };
  Entry& at(std::size_t i) noexcept { return ring_[(head_ + i) % ring_.size()]; }
  const Entry& at(std::size_t i) const noexcept { return ring_[(head_ + i) % ring_.size()]; }
  std::vector<Entry> ring_;  // monotonic deque: offsets increase from front to back
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  double window_ms_;
};

struct DelayModelOptions {
  double bucket_ms = 5.0;
  int buckets = 400;               ///< covers 0 .. bucket_ms * buckets
  double forget_factor = 0.998;    ///< per packet
  double late_cost_ms_per_percent = 20.0;
  double stall_cost_ms_per_percent = 10.0;
};

/// Forgetting histograms of relative delay and the cost-minimising target.
class DelayModel {
 public:
  explicit DelayModel(DelayModelOptions options = {});
  /// Records one packet's relative delay; `overtaken` if a higher sequence number
  /// had already arrived.
  void add(double delay_ms, bool overtaken);
  /// Packets recorded since construction/clear().
  std::uint64_t count() const noexcept { return count_; }
  /// The cost-minimising delay in ms (0 when empty). Computed lazily: a scan of the
  /// histogram at most once per change.
  double target_ms() const noexcept;
  /// Estimated fraction of packets with relative delay above `delay_ms` (all, and
  /// overtaken only).
  double fraction_above(double delay_ms) const noexcept;
  double overtaken_fraction_above(double delay_ms) const noexcept;
  void clear() noexcept;

 private:
  void recompute() const noexcept;
  DelayModelOptions opt_;
  std::vector<double> all_;
  std::vector<double> overtaken_;
  double total_ = 0;     // sum of all_ (stored units)
  double increment_ = 1; // weight of the next packet (grows by 1/forget: lazy forgetting)
  std::uint64_t count_ = 0;
  mutable bool dirty_ = false;
  mutable double target_ms_ = 0;
};

}  // namespace loqui::jitter
