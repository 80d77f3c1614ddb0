// SPDX-License-Identifier: Apache-2.0
// File: the jitter buffer's arrival window and delay histograms (see the header).
#include "jitter/delay_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace loqui::jitter {

ArrivalWindow::ArrivalWindow(std::size_t capacity, double window_ms)
    : ring_(std::max<std::size_t>(capacity, 2)), window_ms_(window_ms) {}

double ArrivalWindow::add(double arrival_ms, double offset_ms) {
  // Entries behind the new one with a larger or equal offset can never be the
  // minimum again while the new one is in the window.
  while (size_ > 0 && at(size_ - 1).offset_ms >= offset_ms) --size_;
  if (size_ == ring_.size()) {  // full (a burst of tiny packets): forget the oldest
    head_ = (head_ + 1) % ring_.size();
    --size_;
  }
  at(size_) = Entry{arrival_ms, offset_ms};
  ++size_;
  while (size_ > 1 && at(0).arrival_ms < arrival_ms - window_ms_) {
    head_ = (head_ + 1) % ring_.size();
    --size_;
  }
  return at(0).offset_ms;
}

double ArrivalWindow::min() const noexcept { return size_ ? at(0).offset_ms : 0.0; }

void ArrivalWindow::shift(double delta_ms) noexcept {
  for (std::size_t i = 0; i < size_; ++i) at(i).offset_ms += delta_ms;
}

DelayModel::DelayModel(DelayModelOptions options)
    : opt_(options),
      all_(static_cast<std::size_t>(std::max(options.buckets, 1)), 0.0),
      overtaken_(all_.size(), 0.0) {}

void DelayModel::clear() noexcept {
  std::fill(all_.begin(), all_.end(), 0.0);
  std::fill(overtaken_.begin(), overtaken_.end(), 0.0);
  total_ = 0;
  increment_ = 1;
  count_ = 0;
  target_ms_ = 0;
  dirty_ = false;
}

void DelayModel::add(double delay_ms, bool overtaken) {
  if (!std::isfinite(delay_ms)) return;
  const double b = std::floor(std::max(delay_ms, 0.0) / opt_.bucket_ms);
  const std::size_t bucket = std::min(static_cast<std::size_t>(std::min(b, 1e9)), all_.size() - 1);
  // Lazy forgetting: instead of scaling every bucket by f per packet, each new packet
  // weighs 1/f times the previous one. The first 1/(1-f) packets weigh the same (a
  // plain average), so the model is useful from the first packets on.
  const double start_packets = 1.0 / std::max(1e-9, 1.0 - opt_.forget_factor);
  if (static_cast<double>(count_) >= start_packets) increment_ /= opt_.forget_factor;
  all_[bucket] += increment_;
  if (overtaken) overtaken_[bucket] += increment_;
  total_ += increment_;
  ++count_;
  if (increment_ > 1e200) {  // renormalise long before overflow
    const double s = 1.0 / increment_;
    for (auto& v : all_) v *= s;
    for (auto& v : overtaken_) v *= s;
    total_ *= s;
    increment_ = 1;
  }
  dirty_ = true;
}

void DelayModel::recompute() const noexcept {
  dirty_ = false;
  if (total_ <= 0) {
    target_ms_ = 0;
    return;
  }
  // Candidate delay D_b = upper edge of bucket b: packets in buckets <= b are on time.
  // Walk from the top so the "above" masses are running sums.
  const std::size_t n = all_.size();
  double above_all = 0;
  double above_late = 0;
  double best_cost = 0;
  double best_d = 0;
  bool have = false;
  for (std::size_t i = n; i-- > 0;) {
    const double d = static_cast<double>(i + 1) * opt_.bucket_ms;
    const double cost = d + opt_.late_cost_ms_per_percent * 100.0 * above_late / total_ +
                        opt_.stall_cost_ms_per_percent * 100.0 * above_all / total_;
    if (!have || cost <= best_cost) {
      best_cost = cost;
      best_d = d;
      have = true;
    }
    above_all += all_[i];
    above_late += overtaken_[i];
  }
  target_ms_ = best_d;
}

double DelayModel::target_ms() const noexcept {
  if (dirty_) recompute();
  return target_ms_;
}

namespace {
double mass_above(const std::vector<double>& h, double bucket_ms, double delay_ms) {
  const double b = std::floor(std::max(delay_ms, 0.0) / bucket_ms);
  std::size_t first = b >= static_cast<double>(h.size()) ? h.size() : static_cast<std::size_t>(b) + 1;
  double m = 0;
  for (std::size_t i = first; i < h.size(); ++i) m += h[i];
  return m;
}
}  // namespace

double DelayModel::fraction_above(double delay_ms) const noexcept {
  return total_ > 0 ? mass_above(all_, opt_.bucket_ms, delay_ms) / total_ : 0.0;
}

double DelayModel::overtaken_fraction_above(double delay_ms) const noexcept {
  return total_ > 0 ? mass_above(overtaken_, opt_.bucket_ms, delay_ms) / total_ : 0.0;
}

}  // namespace loqui::jitter
